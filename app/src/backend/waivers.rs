//! Waivers: a lead asks for a time-limited exception for an item that
//! blocks launch (reason, compensating control, expiry at most 180 days
//! ahead); an auditor other than the requester grants or declines it. A
//! granted waiver lets the item pass the gate until it expires; then the
//! item blocks again by itself (the figures sweep re-scores the service).

use super::audit::Actor;
use super::db::decode_word;
use super::items::{self, required_text, ItemOwner};
use super::Db;
use crate::domain::checklist::{Level, Severity};
use crate::domain::items::{WaiverLine, WaiverState, MAX_WAIVER_DAYS};
use crate::domain::readiness::{standing, Standing, DAY_MS};
use crate::error::AppError;

/// The moment a waiver chosen "until `date`" (YYYY-MM-DD) ends: the end of
/// that day, UTC. Must be after `now` and at most 180 days ahead.
pub fn expiry(date: &str, now: i64) -> Result<i64, AppError> {
    let day = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid("expires_on", "Enter the last day of the waiver as YYYY-MM-DD."))?;
    let end = day
        .succ_opt()
        .and_then(|next| next.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
        .ok_or_else(|| AppError::invalid("expires_on", "Choose a date within the next 180 days."))?;
    if end <= now {
        return Err(AppError::invalid("expires_on", "That day is in the past; choose a day from today on."));
    }
    if end > now + (MAX_WAIVER_DAYS + 1) * DAY_MS {
        return Err(AppError::invalid("expires_on", "A waiver lasts at most 180 days; choose an earlier day."));
    }
    Ok(end)
}

/// Whether item `item_id` of its service blocks launch right now.
async fn blocks(tx: &mut sqlx::AnyConnection, service_id: i64, item_id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let items = super::figures::service_items(tx, service_id).await?;
    Ok(items.iter().find(|(id, _)| *id == item_id).is_some_and(|(_, facts)| {
        let gating = facts.severity == Severity::Critical || facts.level == Level::Bronze;
        gating && matches!(standing(facts, now), Standing::Unmet(_))
    }))
}

/// Asks for a waiver of a blocking item, in one transaction.
#[allow(clippy::too_many_arguments)]
pub async fn request(
    db: &Db,
    actor: Actor<'_>,
    owner: ItemOwner,
    item_id: i64,
    reason: &str,
    control: &str,
    expires_on: &str,
    now: i64,
) -> Result<(), AppError> {
    let reason = required_text(reason, "reason", "Say why the item cannot be met before launch.")?;
    let control = required_text(control, "compensating_control", "Say what limits the risk meanwhile.")?;
    let expires_at = expiry(expires_on, now)?;
    let mut tx = items::begin(db, owner).await?;
    if !blocks(&mut tx, owner.service_id, item_id, now).await? {
        return Err(AppError::invalid("waiver", "Only an item that blocks launch can be waived."));
    }
    let open: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM waivers WHERE service_item_id = $1 AND state = 'requested'")
            .bind(item_id)
            .fetch_one(&mut *tx)
            .await?;
    if open > 0 {
        return Err(AppError::invalid("waiver", "A waiver request for this item is already waiting for an auditor."));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO waivers (service_item_id, state, reason, compensating_control, expires_at, requested_by, requested_at)
         VALUES ($1, 'requested', $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(item_id)
    .bind(&reason)
    .bind(&control)
    .bind(expires_at)
    .bind(actor.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    super::reviews::bump_version(&mut tx, item_id).await?;
    let detail =
        serde_json::json!({"waiver": id, "reason": reason, "compensating_control": control, "expires_at": expires_at});
    let entry = actor.entry("waiver.requested", "item", item_id, Some(detail.to_string()));
    items::finish(tx, owner, item_id, entry, now).await
}

/// Grants or declines a requested waiver, in one transaction. The
/// requester never decides their own request.
pub async fn decide(
    db: &Db,
    actor: Actor<'_>,
    owner: ItemOwner,
    waiver_id: i64,
    grant: bool,
    comment: &str,
    now: i64,
) -> Result<(), AppError> {
    let comment = comment.trim().to_string();
    if !grant && comment.is_empty() {
        return Err(AppError::invalid("comment", "Tell the team why the waiver is declined."));
    }
    let mut tx = items::begin(db, owner).await?;
    let row: Option<(i64, String, Option<i64>, i64)> = sqlx::query_as(
        "SELECT service_item_id, state, requested_by, expires_at FROM waivers w
         JOIN service_items si ON si.id = w.service_item_id WHERE w.id = $1 AND si.service_id = $2",
    )
    .bind(waiver_id)
    .bind(owner.service_id)
    .fetch_optional(&mut *tx)
    .await?;
    let (item_id, state, requested_by, expires_at) = row.ok_or(AppError::NotFound)?;
    if decode_word::<WaiverState>(state)? != WaiverState::Requested {
        return Err(AppError::invalid("waiver", "This waiver has been decided already."));
    }
    if requested_by == Some(actor.id) {
        return Err(AppError::invalid("waiver", "You asked for this waiver, so another auditor must decide it."));
    }
    if grant && expires_at <= now {
        return Err(AppError::invalid("waiver", "This waiver would already have expired; the team must ask again."));
    }
    sqlx::query("UPDATE waivers SET state = $1, decided_by = $2, decided_at = $3, decision_comment = $4 WHERE id = $5")
        .bind(if grant { "granted" } else { "declined" })
        .bind(actor.id)
        .bind(now)
        .bind((!comment.is_empty()).then_some(&comment))
        .bind(waiver_id)
        .execute(&mut *tx)
        .await?;
    super::reviews::bump_version(&mut tx, item_id).await?;
    let action = if grant { "waiver.granted" } else { "waiver.declined" };
    let detail = serde_json::json!({"waiver": waiver_id, "comment": comment, "expires_at": expires_at});
    let entry = actor.entry(action, "item", item_id, Some(detail.to_string()));
    items::finish(tx, owner, item_id, entry, now).await
}

/// The item's waivers, newest first.
pub async fn for_item(db: &Db, item_id: i64) -> Result<Vec<WaiverLine>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        state: String,
        reason: String,
        compensating_control: String,
        expires_at: i64,
        requested_by: Option<String>,
        requested_at: i64,
        decided_by: Option<String>,
        decided_at: Option<i64>,
        decision_comment: Option<String>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT w.id, w.state, w.reason, w.compensating_control, w.expires_at, r.name AS requested_by,
                w.requested_at, d.name AS decided_by, w.decided_at, w.decision_comment
         FROM waivers w LEFT JOIN users r ON r.id = w.requested_by LEFT JOIN users d ON d.id = w.decided_by
         WHERE w.service_item_id = $1 ORDER BY w.id DESC",
    )
    .bind(item_id)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(WaiverLine {
                id: r.id,
                state: decode_word(r.state)?,
                reason: r.reason,
                compensating_control: r.compensating_control,
                expires_at: r.expires_at,
                requested_by: r.requested_by.unwrap_or_else(|| "A removed user".into()),
                requested_at: r.requested_at,
                decided_by: r.decided_by,
                decided_at: r.decided_at,
                comment: r.decision_comment,
            })
        })
        .collect()
}

/// The item a waiver belongs to (for permission checks).
pub async fn item_of(db: &Db, waiver_id: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT service_item_id FROM waivers WHERE id = $1")
        .bind(waiver_id)
        .fetch_optional(db.pool())
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiver_expiry_is_the_end_of_the_chosen_day_within_180_days() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(15, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis();
        let end_of = |d: &str| expiry(d, now);
        assert_eq!(end_of("2026-11-22").unwrap(), now + 9 * 3_600_000, "today: until midnight UTC");
        assert_eq!(
            end_of("2026-11-21").unwrap_err().field_message("expires_on").map(|m| m.contains("past")),
            Some(true)
        );
        assert!(end_of("2027-05-21").is_ok(), "180 days ahead");
        assert!(end_of("2027-05-22").unwrap_err().field_message("expires_on").unwrap().contains("180"));
        assert!(end_of("21/05/2027").is_err());
    }
}
