//! Working one checklist item: its status (who and when, the
//! not-applicable justification), its comment thread, and reading it back
//! for its page.
//!
//! Every change locks the service's row first (changes to one service are
//! scored one after another), carries the item version the person saw (a
//! stale one is refused with [`AppError::Conflict`]), settles the item's
//! derived facts, re-scores the service and records the audit entry, all in
//! one transaction.

use sqlx::{Any, FromRow, Transaction};

use super::audit::{self, Actor};
use super::db::decode_word;
use super::figures::{self, lock_service};
use super::templates::ItemRecord;
use super::Db;
use crate::domain::checklist::AutoSignal;
use crate::domain::items::{Comment, ItemDetail, LiveData, MAX_TEXT};
use crate::domain::probes::proof::{figures, Proof};
use crate::domain::readiness::{stale_at, standing, ItemFacts, ItemStatus};
use crate::error::AppError;

/// Which service an item belongs to, for permission checks.
#[derive(Debug, Clone, Copy)]
pub struct ItemOwner {
    pub service_id: i64,
    pub team_id: i64,
    pub archived: bool,
}

pub async fn owner(db: &Db, item_id: i64) -> Result<Option<ItemOwner>, sqlx::Error> {
    let row: Option<(i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT s.id, s.team_id, s.archived_at FROM service_items si JOIN services s ON s.id = si.service_id
         WHERE si.id = $1 AND si.removed_at IS NULL",
    )
    .bind(item_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|(service_id, team_id, archived_at)| ItemOwner { service_id, team_id, archived: archived_at.is_some() }))
}

/// Trimmed free text of at most [`MAX_TEXT`] characters; `what` names it
/// in the message for an empty one.
pub fn required_text(text: &str, field: &'static str, what: &str) -> Result<String, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::invalid(field, what.to_string()));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(AppError::invalid(field, "Use at most 4,000 characters."));
    }
    Ok(text.to_string())
}

/// Starts a change to item `item_id` of service `owner`: the transaction,
/// holding the service's lock.
pub async fn begin(db: &Db, owner: ItemOwner) -> Result<Transaction<'static, Any>, AppError> {
    let mut tx = db.pool().begin().await?;
    if !lock_service(&mut tx, owner.service_id).await? {
        return Err(AppError::NotFound);
    }
    Ok(tx)
}

/// Settles the item, re-scores its service, records `entry`, commits.
pub async fn finish(
    mut tx: Transaction<'_, Any>,
    owner: ItemOwner,
    item_id: i64,
    entry: audit::AuditEntry<'_>,
    now: i64,
) -> Result<(), AppError> {
    figures::settle_item(&mut tx, item_id, now).await?;
    figures::refresh_service(&mut tx, owner.service_id, now).await?;
    audit::record(&mut *tx, now, entry.for_service(owner.service_id)).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the item's status as seen at `version`. Not applicable needs a
/// justification and waits for an auditor's acceptance again after every
/// change. Leaving "done" withdraws the item from review: its approvals
/// are superseded, and marking it done again asks for a fresh review.
#[allow(clippy::too_many_arguments)]
pub async fn set_status(
    db: &Db,
    actor: Actor<'_>,
    owner: ItemOwner,
    item_id: i64,
    version: i64,
    status: ItemStatus,
    justification: &str,
    now: i64,
) -> Result<(), AppError> {
    let justification = match status {
        ItemStatus::NotApplicable => Some(required_text(
            justification,
            "justification",
            "Say why this item does not apply; an auditor reads it before accepting.",
        )?),
        _ => None,
    };
    let mut tx = begin(db, owner).await?;
    let before: Option<(String, Option<String>, i64)> =
        sqlx::query_as("SELECT status, na_justification, version FROM service_items WHERE id = $1")
            .bind(item_id)
            .fetch_optional(&mut *tx)
            .await?;
    let (before_status, before_justification, current) = before.ok_or(AppError::NotFound)?;
    if current != version {
        return Err(AppError::Conflict);
    }
    let before_status: ItemStatus = decode_word(before_status)?;
    if before_status == status && before_justification == justification {
        return Ok(());
    }
    let done = status == ItemStatus::Done;
    sqlx::query(
        "UPDATE service_items SET status = $1, status_by = $2, status_at = $3,
                done_by = $4, done_at = $5, na_justification = $6, na_accepted_by = NULL, na_accepted_at = NULL,
                rejection = CASE WHEN $7 = 1 THEN NULL ELSE rejection END, version = version + 1
         WHERE id = $8",
    )
    .bind(status.as_str())
    .bind(actor.id)
    .bind(now)
    .bind(done.then_some(actor.id))
    .bind(done.then_some(now))
    .bind(&justification)
    .bind(i64::from(done))
    .bind(item_id)
    .execute(&mut *tx)
    .await?;
    if before_status == ItemStatus::Done && !done {
        super::reviews::supersede_approvals(&mut tx, item_id, now).await?;
    }
    let detail = serde_json::json!({
        "before": {"status": before_status.as_str(), "justification": before_justification},
        "after": {"status": status.as_str(), "justification": justification},
    })
    .to_string();
    let entry = actor.entry("item.status_changed", "item", item_id, Some(detail));
    finish(tx, owner, item_id, entry, now).await
}

/// Adds a comment to the item's thread.
pub async fn comment(
    db: &Db,
    actor: Actor<'_>,
    owner: ItemOwner,
    item_id: i64,
    body: &str,
    now: i64,
) -> Result<(), AppError> {
    let body = required_text(body, "body", "Write a comment first.")?;
    let mut tx = db.pool().begin().await?;
    sqlx::query(
        "INSERT INTO item_comments (service_item_id, author_id, author_label, body, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(item_id)
    .bind(actor.id)
    .bind(actor.name)
    .bind(&body)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let entry = actor.entry("item.commented", "item", item_id, Some(body)).for_service(owner.service_id);
    audit::record(&mut *tx, now, entry).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(FromRow)]
struct DetailRow {
    #[sqlx(flatten)]
    def: ItemRecord,
    service_slug: String,
    service_name: String,
    tier: i64,
    checklist: String,
    section: String,
    status: String,
    status_by: Option<String>,
    status_at: Option<i64>,
    na_justification: Option<String>,
    na_accepted_at: Option<i64>,
    has_link: i64,
    has_file: i64,
    approvals_given: i64,
    complete_since: Option<i64>,
    rejection: Option<String>,
    waiver_expires_at: Option<i64>,
    version: i64,
    service_id: i64,
    live_proven: Option<i64>,
    live_note: Option<String>,
}

/// The item's page at `now` (permission flags are the caller's to set).
pub async fn detail(db: &Db, item_id: i64, now: i64) -> Result<Option<ItemDetail>, sqlx::Error> {
    let row: Option<DetailRow> = sqlx::query_as(
        "SELECT ti.key, ti.title, ti.guidance, ti.severity, ti.level, ti.evidence, ti.approvals, ti.valid_days,
                ti.auto_signal, ti.tiers, s.slug AS service_slug, s.name AS service_name, s.tier,
                v.name AS checklist, sec.name AS section, si.status, u.name AS status_by, si.status_at,
                si.na_justification, si.na_accepted_at, si.has_link, si.has_file, si.approvals AS approvals_given,
                si.complete_since, si.rejection, si.waiver_expires_at, si.version, si.service_id,
                si.live_proven, si.live_note
         FROM service_items si
         JOIN services s ON s.id = si.service_id
         JOIN service_templates st ON st.id = si.service_template_id
         JOIN template_versions v ON v.id = st.template_version_id
         JOIN template_items ti ON ti.id = si.template_item_id
         JOIN template_sections sec ON sec.template_version_id = v.id AND sec.key = ti.section_key
         LEFT JOIN users u ON u.id = si.status_by
         WHERE si.id = $1 AND si.removed_at IS NULL",
    )
    .bind(item_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let comments: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT author_label, created_at, body FROM item_comments WHERE service_item_id = $1 ORDER BY id",
    )
    .bind(item_id)
    .fetch_all(db.pool())
    .await?;
    let def = row.def.into_def()?;
    let status: ItemStatus = decode_word(row.status)?;
    let applies = def.applies_to_tier(row.tier as u8);
    let facts = ItemFacts {
        severity: def.severity,
        level: def.level,
        evidence: def.evidence,
        approvals_required: def.approvals,
        valid_days: def.valid_days,
        auto: def.auto,
        live: row
            .live_proven
            .map(|proven| Proof { proven: proven != 0, note: row.live_note.clone().unwrap_or_default() }),
        applies,
        status,
        not_applicable_accepted: row.na_accepted_at.is_some(),
        has_link: row.has_link > 0,
        has_file: row.has_file > 0,
        approvals: row.approvals_given.clamp(0, 255) as u8,
        complete_since: row.complete_since,
        rejection: row.rejection,
        waiver_expires_at: row.waiver_expires_at,
    };
    Ok(Some(ItemDetail {
        id: item_id,
        service_slug: row.service_slug,
        service_name: row.service_name,
        checklist: row.checklist,
        section: row.section,
        applies,
        status,
        status_by: row.status_by,
        status_at: row.status_at,
        na_justification: row.na_justification,
        na_accepted: row.na_accepted_at.is_some(),
        live: match def.auto {
            Some(signal) => Some(live_data(db, row.service_id, signal, facts.live.clone(), now).await?),
            None => None,
        },
        standing: standing(&facts, now),
        stale_at: stale_at(&facts),
        version: row.version,
        comments: comments.into_iter().map(|(author, at, body)| Comment { author, at, body }).collect(),
        evidence: super::evidence::for_item(db, item_id).await?,
        citable: Vec::new(),
        reviews: super::reviews::history(db, item_id).await?,
        waivers: super::waivers::for_item(db, item_id).await?,
        can_request_waiver: false,
        can_work: false,
        can_comment: false,
        can_review: false,
        own_work: false,
        def,
    }))
}

/// What an item satisfied by live data shows: the stored proof, and the
/// service's probes' figures as they are now.
async fn live_data(
    db: &Db,
    service_id: i64,
    signal: AutoSignal,
    proof: Option<Proof>,
    now: i64,
) -> Result<LiveData, sqlx::Error> {
    let mut probes = super::probes::for_service(db, service_id).await?;
    super::probe_rollups::fill_uptime(db, probes.iter_mut().collect(), now).await?;
    Ok(LiveData { signal, proof, figures: figures(signal, &probes) })
}
