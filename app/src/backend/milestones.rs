//! Milestones in the database: recording a named snapshot of a service's
//! scorecard, listing a service's milestones and reading one back.
//!
//! A snapshot is gathered in four statements for the whole service (items
//! with their standing, current evidence, counting approvals, granted
//! waivers), never one per item. Recording locks the service's row first,
//! so no change to its items lands between the figures and the items read,
//! and the audit entry is the transaction's last write.

use std::collections::HashMap;

use sqlx::{AnyConnection, FromRow};

use super::audit::{self, Actor};
use super::db::decode_word;
use super::figures::{lock_service, FactsRow, FACTS_COLUMNS};
use super::Db;
use crate::domain::checklist::Level;
use crate::domain::items::EvidenceKind;
use crate::domain::milestones::{
    check_name, check_note, ApprovalSnap, EvidenceSnap, Headline, ItemSnap, MilestoneLine, Snapshot, WaiverSnap,
    SNAPSHOT_VERSION,
};
use crate::domain::readiness::standing;
use crate::error::AppError;

const REMOVED_USER: &str = "A removed user";

/// Every current item of the service as it stands at `now`, with its
/// current evidence, the approvals that count and its granted waiver, in
/// checklist order. Four statements, whatever the number of items.
pub async fn gather(
    conn: &mut AnyConnection,
    service_id: i64,
    tier: u8,
    now: i64,
) -> Result<Vec<ItemSnap>, sqlx::Error> {
    #[derive(FromRow)]
    struct ItemRow {
        #[sqlx(flatten)]
        facts: FactsRow,
        key: String,
        template_name: String,
        section_name: String,
        title: String,
    }
    let sql = format!(
        "SELECT {FACTS_COLUMNS}, si.has_link, si.has_file, si.approvals, si.waiver_expires_at, si.key,
                v.name AS template_name, sec.name AS section_name, ti.title
         FROM service_items si
         JOIN service_templates st ON st.id = si.service_template_id
         JOIN template_versions v ON v.id = st.template_version_id
         JOIN template_items ti ON ti.id = si.template_item_id
         JOIN template_sections sec ON sec.template_version_id = v.id AND sec.key = ti.section_key
         WHERE si.service_id = $1 AND si.removed_at IS NULL
         ORDER BY st.id, sec.position, ti.position"
    );
    let rows: Vec<ItemRow> = sqlx::query_as(&sql).bind(service_id).fetch_all(&mut *conn).await?;

    #[derive(FromRow)]
    struct EvidenceRow {
        id: i64,
        item_id: i64,
        kind: String,
        url: Option<String>,
        file_name: Option<String>,
        sha256: Option<String>,
        document: Option<String>,
        document_label: Option<String>,
        added_by: Option<String>,
        added_at: i64,
    }
    let evidence: Vec<EvidenceRow> = sqlx::query_as(
        "SELECT e.id, e.service_item_id AS item_id, e.kind, COALESCE(e.url, dv.url) AS url,
                COALESCE(e.file_name, dv.file_name) AS file_name, COALESCE(e.blob_sha256, dv.blob_sha256) AS sha256,
                d.title AS document, dv.label AS document_label, u.name AS added_by, e.added_at
         FROM evidence e
         JOIN service_items si ON si.id = e.service_item_id
         LEFT JOIN document_versions dv ON dv.id = e.document_version_id
         LEFT JOIN documents d ON d.id = dv.document_id
         LEFT JOIN users u ON u.id = e.added_by
         WHERE si.service_id = $1 AND si.removed_at IS NULL AND e.withdrawn_at IS NULL
         ORDER BY e.id",
    )
    .bind(service_id)
    .fetch_all(&mut *conn)
    .await?;

    let approvals: Vec<(i64, Option<String>, i64)> = sqlx::query_as(
        "SELECT r.service_item_id, u.name, r.created_at
         FROM reviews r
         JOIN service_items si ON si.id = r.service_item_id
         LEFT JOIN users u ON u.id = r.reviewer_id
         WHERE si.service_id = $1 AND si.removed_at IS NULL AND r.decision = 'approve' AND r.superseded_at IS NULL
         ORDER BY r.id",
    )
    .bind(service_id)
    .fetch_all(&mut *conn)
    .await?;

    // The granted waiver with the latest expiry is the one that counts
    // (the same rule as the stored `waiver_expires_at`).
    let waivers: Vec<(i64, i64, i64, Option<String>, String)> = sqlx::query_as(
        "SELECT w.id, w.service_item_id, w.expires_at, u.name, w.reason
         FROM waivers w
         JOIN service_items si ON si.id = w.service_item_id
         LEFT JOIN users u ON u.id = w.decided_by
         WHERE si.service_id = $1 AND si.removed_at IS NULL AND w.state = 'granted'
         ORDER BY w.expires_at, w.id",
    )
    .bind(service_id)
    .fetch_all(&mut *conn)
    .await?;

    let mut evidence_by_item: HashMap<i64, Vec<EvidenceSnap>> = HashMap::new();
    for e in evidence {
        let kind: EvidenceKind = decode_word(e.kind)?;
        let label = match kind {
            EvidenceKind::Link => e.url.clone().unwrap_or_default(),
            EvidenceKind::File => e.file_name.clone().unwrap_or_else(|| "evidence".into()),
            EvidenceKind::Document => {
                let title = e.document.unwrap_or_else(|| "A document".into());
                match e.document_label {
                    Some(label) if !label.is_empty() => format!("{title} {label}"),
                    _ => title,
                }
            }
        };
        evidence_by_item.entry(e.item_id).or_default().push(EvidenceSnap {
            id: e.id,
            kind,
            label,
            url: e.url,
            sha256: e.sha256,
            added_by: e.added_by.unwrap_or_else(|| REMOVED_USER.into()),
            added_at: e.added_at,
        });
    }
    let mut approvals_by_item: HashMap<i64, Vec<ApprovalSnap>> = HashMap::new();
    for (item, reviewer, at) in approvals {
        approvals_by_item
            .entry(item)
            .or_default()
            .push(ApprovalSnap { reviewer: reviewer.unwrap_or_else(|| REMOVED_USER.into()), at });
    }
    let mut waiver_by_item: HashMap<i64, WaiverSnap> = HashMap::new();
    for (id, item, expires_at, granted_by, reason) in waivers {
        waiver_by_item.insert(item, WaiverSnap { id, expires_at, granted_by, reason });
    }

    rows.into_iter()
        .map(|row| {
            let (id, facts) = row.facts.into_facts(tier)?;
            Ok(ItemSnap {
                id,
                key: row.key,
                checklist: row.template_name,
                section: row.section_name,
                title: row.title,
                status: facts.status,
                standing: standing(&facts, now),
                evidence: evidence_by_item.remove(&id).unwrap_or_default(),
                approvals: approvals_by_item.remove(&id).unwrap_or_default(),
                waiver: waiver_by_item.remove(&id),
            })
        })
        .collect()
}

/// Records a milestone of service `service_id` named `name`, with an
/// optional note, and its audit entry, in one transaction; returns its id.
/// The name is required, at most 80 characters and unique per service
/// (case ignored); an archived service is refused.
pub async fn record(
    db: &Db,
    actor: Actor<'_>,
    service_id: i64,
    name: &str,
    note: &str,
    now: i64,
) -> Result<i64, AppError> {
    let name = check_name(name).map_err(|message| AppError::invalid("name", message))?;
    let note = check_note(note).map_err(|message| AppError::invalid("note", message))?;
    let name_key = name.to_lowercase();

    let mut tx = db.pool().begin().await?;
    if !lock_service(&mut tx, service_id).await? {
        return Err(AppError::NotFound);
    }
    type ServiceRow = (i64, Option<i64>, Option<i64>, Option<String>, i64, i64, i64);
    let (tier, archived_at, score, level, ready, blocking, waivers): ServiceRow =
        sqlx::query_as("SELECT tier, archived_at, score, level, ready, blocking, waivers FROM services WHERE id = $1")
            .bind(service_id)
            .fetch_one(&mut *tx)
            .await?;
    if archived_at.is_some() {
        return Err(AppError::invalid("name", "This service is archived: restore it before recording a milestone."));
    }
    let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM milestones WHERE service_id = $1 AND name_key = $2")
        .bind(service_id)
        .bind(&name_key)
        .fetch_one(&mut *tx)
        .await?;
    if taken > 0 {
        return Err(name_taken());
    }
    let items = gather(&mut tx, service_id, tier as u8, now).await?;
    let snapshot = serde_json::to_string(&Snapshot { version: SNAPSHOT_VERSION, items })
        .map_err(|e| AppError::internal("milestone snapshot", e))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO milestones (service_id, name, name_key, note, created_by, created_by_name, created_at, score,
                                 level, ready, blocking, waivers, snapshot)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(service_id)
    .bind(&name)
    .bind(&name_key)
    .bind(&note)
    .bind(actor.id)
    .bind(actor.name)
    .bind(now)
    .bind(score)
    .bind(&level)
    .bind(ready)
    .bind(blocking)
    .bind(waivers)
    .bind(&snapshot)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        // Two leads recording the same name at once: one wins.
        if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
            name_taken()
        } else {
            e.into()
        }
    })?;
    let detail = serde_json::json!({
        "milestone": id, "name": name, "note": note, "score": score, "level": level, "ready": ready != 0,
    });
    let entry = actor.entry("milestone.recorded", "milestone", id, Some(detail.to_string())).for_service(service_id);
    audit::record(&mut *tx, now, entry).await?;
    tx.commit().await?;
    Ok(id)
}

fn name_taken() -> AppError {
    AppError::invalid("name", "This service already has a milestone with this name; choose another.")
}

/// The columns of a milestone's line, in [`LineRow`] order.
const LINE_COLUMNS: &str =
    "m.id, m.name, m.note, COALESCE(u.name, m.created_by_name) AS created_by, m.created_at, m.score, m.level, \
     m.ready, m.blocking, m.waivers";

#[derive(FromRow)]
struct LineRow {
    id: i64,
    name: String,
    note: Option<String>,
    created_by: String,
    created_at: i64,
    score: Option<i64>,
    level: Option<String>,
    ready: i64,
    blocking: i64,
    waivers: i64,
}

impl LineRow {
    fn into_line(self) -> Result<MilestoneLine, sqlx::Error> {
        Ok(MilestoneLine {
            id: self.id,
            name: self.name,
            note: self.note,
            created_by: self.created_by,
            created_at: self.created_at,
            figures: Headline {
                score: self.score.map(|s| s.clamp(0, 100) as u32),
                level: self.level.map(decode_word::<Level>).transpose()?,
                ready: self.ready != 0,
                blocking: self.blocking.max(0) as u32,
                waivers: self.waivers.max(0) as u32,
            },
        })
    }
}

/// The service's milestones, newest first.
pub async fn list(db: &Db, service_id: i64) -> Result<Vec<MilestoneLine>, sqlx::Error> {
    let sql = format!(
        "SELECT {LINE_COLUMNS} FROM milestones m LEFT JOIN users u ON u.id = m.created_by
         WHERE m.service_id = $1 ORDER BY m.created_at DESC, m.id DESC"
    );
    let rows: Vec<LineRow> = sqlx::query_as(&sql).bind(service_id).fetch_all(db.pool()).await?;
    rows.into_iter().map(LineRow::into_line).collect()
}

/// Milestone `milestone_id` of service `service_id` with its snapshot, or
/// `None` when the service has no such milestone.
pub async fn one(db: &Db, service_id: i64, milestone_id: i64) -> Result<Option<(MilestoneLine, Snapshot)>, AppError> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        line: LineRow,
        snapshot: String,
    }
    let sql = format!(
        "SELECT {LINE_COLUMNS}, m.snapshot FROM milestones m LEFT JOIN users u ON u.id = m.created_by
         WHERE m.id = $1 AND m.service_id = $2"
    );
    let row: Option<Row> = sqlx::query_as(&sql).bind(milestone_id).bind(service_id).fetch_optional(db.pool()).await?;
    let Some(row) = row else { return Ok(None) };
    let snapshot: Snapshot =
        serde_json::from_str(&row.snapshot).map_err(|e| AppError::internal("milestone snapshot", e))?;
    Ok(Some((row.line.into_line()?, snapshot)))
}
