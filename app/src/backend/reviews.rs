//! Review: the queue across all services, and the decisions auditors make
//! (approve, reject, revoke, accept or decline a not-applicable claim).
//!
//! Separation of duties is decided here, on the server: whoever ticked an
//! item or added any of its current evidence never approves it, and an
//! item that needs two approvals needs two different reviewers. Each
//! decision settles the item and re-scores its service in the same
//! transaction (see `items`).

use sqlx::{Any, AnyConnection, FromRow};

use super::audit::Actor;
use super::db::decode_word;
use super::items::{self, required_text, ItemOwner};
use super::Db;
use crate::domain::checklist::{EvidenceRule, Severity};
use crate::domain::items::{Decision, QueueEntry, QueueFilter, ReviewLine};
use crate::domain::readiness::{ItemStatus, DAY_MS};
use crate::error::AppError;

/// The SQL condition for "done, with the evidence its rule asks for".
const EVIDENCE_MET: &str = "(ti.evidence = 'none'
      OR (ti.evidence = 'link' AND si.has_link > 0)
      OR (ti.evidence = 'file' AND si.has_file > 0)
      OR (ti.evidence = 'link-or-file' AND (si.has_link > 0 OR si.has_file > 0)))";

/// Whether `user_id` ticked the item or added any of its current evidence.
pub async fn is_own_work(conn: &mut AnyConnection, item_id: i64, user_id: i64) -> Result<bool, sqlx::Error> {
    let own: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM service_items WHERE id = $1 AND done_by = $2)
              + (SELECT COUNT(*) FROM evidence WHERE service_item_id = $1 AND withdrawn_at IS NULL AND added_by = $2)",
    )
    .bind(item_id)
    .bind(user_id)
    .fetch_one(conn)
    .await?;
    Ok(own > 0)
}

/// Items waiting for a reviewer, oldest first: done with their evidence
/// and short of approvals, and not-applicable claims not yet accepted.
pub async fn queue(db: &Db, filter: &QueueFilter, viewer_id: i64, now: i64) -> Result<Vec<QueueEntry>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        item_id: i64,
        title: String,
        service_name: String,
        service_slug: String,
        team_name: String,
        checklist: String,
        severity: String,
        status: String,
        since: Option<i64>,
        approvals: i64,
        approvals_required: i64,
        own_work: i64,
    }
    let mut conditions = vec![format!(
        "((si.status = 'done' AND si.approvals < ti.approvals AND {EVIDENCE_MET})
          OR (si.status = 'not-applicable' AND si.na_accepted_at IS NULL))"
    )];
    let mut binds: Vec<i64> = vec![viewer_id];
    let mut param = |value: i64| {
        binds.push(value);
        format!("${}", binds.len())
    };
    if let Some(team) = filter.team_id {
        conditions.push(format!("s.team_id = {}", param(team)));
    }
    if let Some(template) = filter.template_id {
        conditions.push(format!("st.template_id = {}", param(template)));
    }
    if let Some(days) = filter.min_age_days {
        conditions.push(format!("si.status_at <= {}", param(now - i64::from(days) * DAY_MS)));
    }
    let severity = filter.severity.map(|s| format!(" AND ti.severity = '{}'", s.as_str())).unwrap_or_default();
    let sql = format!(
        "SELECT si.id AS item_id, ti.title, s.name AS service_name, s.slug AS service_slug, t.name AS team_name,
                v.name AS checklist, ti.severity, si.status, si.status_at AS since, si.approvals,
                ti.approvals AS approvals_required,
                (CASE WHEN si.done_by = $1 THEN 1 ELSE 0 END)
                + (SELECT COUNT(*) FROM evidence e WHERE e.service_item_id = si.id AND e.withdrawn_at IS NULL
                     AND e.added_by = $1) AS own_work
         FROM service_items si
         JOIN services s ON s.id = si.service_id
         JOIN teams t ON t.id = s.team_id
         JOIN service_templates st ON st.id = si.service_template_id
         JOIN template_versions v ON v.id = st.template_version_id
         JOIN template_items ti ON ti.id = si.template_item_id
         WHERE si.removed_at IS NULL AND s.archived_at IS NULL AND {}{severity}
         ORDER BY si.status_at, si.id LIMIT 500",
        conditions.join(" AND ")
    );
    let mut query = sqlx::query_as::<_, Row>(&sql);
    for value in binds {
        query = query.bind(value);
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.into_iter()
        .map(|r| {
            Ok(QueueEntry {
                item_id: r.item_id,
                title: r.title,
                service_name: r.service_name,
                service_slug: r.service_slug,
                team_name: r.team_name,
                checklist: r.checklist,
                severity: decode_word::<Severity>(r.severity)?,
                since: r.since.unwrap_or(0),
                not_applicable: r.status == ItemStatus::NotApplicable.as_str(),
                approvals: r.approvals.clamp(0, 255) as u8,
                approvals_required: r.approvals_required.clamp(0, 255) as u8,
                own_work: r.own_work > 0,
            })
        })
        .collect()
}

/// The item's review history, oldest first.
pub async fn history(db: &Db, item_id: i64) -> Result<Vec<ReviewLine>, sqlx::Error> {
    /// (reviewer, decision, comment, at, superseded at)
    type Row = (Option<String>, String, String, i64, Option<i64>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT u.name, r.decision, r.comment, r.created_at, r.superseded_at
         FROM reviews r LEFT JOIN users u ON u.id = r.reviewer_id WHERE r.service_item_id = $1 ORDER BY r.id",
    )
    .bind(item_id)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|(reviewer, decision, comment, at, superseded)| {
            Ok(ReviewLine {
                reviewer: reviewer.unwrap_or_else(|| "A removed user".into()),
                decision: decode_word(decision)?,
                comment,
                at,
                superseded: superseded.is_some(),
            })
        })
        .collect()
}

/// Supersedes the item's current approvals (they stop counting).
pub async fn supersede_approvals(conn: &mut AnyConnection, item_id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE reviews SET superseded_at = $1 WHERE service_item_id = $2 AND decision = 'approve' AND superseded_at IS NULL",
    )
    .bind(now)
    .bind(item_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The item's state as a decision needs it.
#[derive(FromRow)]
struct ItemState {
    status: String,
    version: i64,
    evidence: String,
    has_link: i64,
    has_file: i64,
    approvals: i64,
    approvals_required: i64,
    na_accepted_at: Option<i64>,
}

/// Records `decision` on item `item_id` (seen at `version`) by `actor`,
/// with its effects, in one transaction. The comment is required except
/// for an approval.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    db: &Db,
    actor: Actor<'_>,
    owner: ItemOwner,
    item_id: i64,
    version: i64,
    decision: Decision,
    comment: &str,
    now: i64,
) -> Result<(), AppError> {
    let comment = match decision {
        Decision::Approve => comment.trim().to_string(),
        Decision::Reject => required_text(comment, "comment", "Tell the team what is missing or wrong.")?,
        Decision::Revoke => required_text(comment, "comment", "Say why the approval no longer stands.")?,
        Decision::AcceptNa => comment.trim().to_string(),
        Decision::DeclineNa => required_text(comment, "comment", "Tell the team why the item does apply.")?,
    };
    if comment.chars().count() > crate::domain::items::MAX_TEXT {
        return Err(AppError::invalid("comment", "Use at most 4,000 characters."));
    }
    let mut tx = items::begin(db, owner).await?;
    let state: ItemState = sqlx::query_as(
        "SELECT si.status, si.version, ti.evidence, si.has_link, si.has_file, si.approvals,
                ti.approvals AS approvals_required, si.na_accepted_at
         FROM service_items si JOIN template_items ti ON ti.id = si.template_item_id WHERE si.id = $1",
    )
    .bind(item_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if state.version != version {
        return Err(AppError::Conflict);
    }
    let status: ItemStatus = decode_word(state.status)?;
    let rule: EvidenceRule = decode_word(state.evidence)?;
    let refuse = |message: &str| Err(AppError::invalid("decision", message.to_string()));
    match decision {
        Decision::Approve | Decision::Reject => {
            if status != ItemStatus::Done || !rule.is_met(state.has_link > 0, state.has_file > 0) {
                return refuse("Only items marked done with the evidence they need can be reviewed.");
            }
            if decision == Decision::Approve {
                if is_own_work(&mut tx, item_id, actor.id).await? {
                    return refuse("You ticked this item or added its evidence, so another reviewer must approve it.");
                }
                if state.approvals >= state.approvals_required {
                    return refuse("This item already has the approvals it needs.");
                }
                let mine: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM reviews WHERE service_item_id = $1 AND reviewer_id = $2
                       AND decision = 'approve' AND superseded_at IS NULL",
                )
                .bind(item_id)
                .bind(actor.id)
                .fetch_one(&mut *tx)
                .await?;
                if mine > 0 {
                    return refuse("You approved this already; its next approval must come from another reviewer.");
                }
            }
        }
        Decision::Revoke => {
            if state.approvals == 0 {
                return refuse("This item has no approval to revoke.");
            }
        }
        Decision::AcceptNa | Decision::DeclineNa => {
            if status != ItemStatus::NotApplicable || state.na_accepted_at.is_some() {
                return refuse("Only not-applicable claims waiting for a decision can be accepted or declined.");
            }
            if decision == Decision::AcceptNa && is_own_work(&mut tx, item_id, actor.id).await? {
                return refuse("You worked on this item, so another reviewer must accept it.");
            }
        }
    }
    // Effects on the item.
    match decision {
        Decision::Approve => {}
        Decision::Reject => {
            supersede_approvals(&mut tx, item_id, now).await?;
            sqlx::query(
                "UPDATE service_items SET status = 'in-progress', rejection = $1, done_by = NULL, done_at = NULL,
                        status_by = $2, status_at = $3 WHERE id = $4",
            )
            .bind(&comment)
            .bind(actor.id)
            .bind(now)
            .bind(item_id)
            .execute(&mut *tx)
            .await?;
        }
        Decision::Revoke => supersede_approvals(&mut tx, item_id, now).await?,
        Decision::AcceptNa => {
            sqlx::query("UPDATE service_items SET na_accepted_by = $1, na_accepted_at = $2 WHERE id = $3")
                .bind(actor.id)
                .bind(now)
                .bind(item_id)
                .execute(&mut *tx)
                .await?;
        }
        Decision::DeclineNa => {
            sqlx::query(
                "UPDATE service_items SET status = 'in-progress', rejection = $1, na_justification = NULL,
                        status_by = $2, status_at = $3 WHERE id = $4",
            )
            .bind(&comment)
            .bind(actor.id)
            .bind(now)
            .bind(item_id)
            .execute(&mut *tx)
            .await?;
        }
    }
    sqlx::query(
        "INSERT INTO reviews (service_item_id, reviewer_id, decision, comment, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(item_id)
    .bind(actor.id)
    .bind(decision.as_str())
    .bind(&comment)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    bump_version(&mut tx, item_id).await?;
    let action = match decision {
        Decision::Approve => "review.approved",
        Decision::Reject => "review.rejected",
        Decision::Revoke => "review.revoked",
        Decision::AcceptNa => "item.na_accepted",
        Decision::DeclineNa => "item.na_declined",
    };
    let entry = actor.entry(action, "item", item_id, (!comment.is_empty()).then_some(comment));
    items::finish(tx, owner, item_id, entry, now).await
}

/// Every change to an item moves its version, so a form opened before it
/// is told to reload.
pub async fn bump_version(tx: &mut sqlx::Transaction<'_, Any>, item_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE service_items SET version = version + 1 WHERE id = $1")
        .bind(item_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
