//! Evidence on items: links (http and https only), files (stored by the
//! file store before their row commits) and citations of the service's
//! documents. Evidence is never deleted: it is withdrawn and stays in the
//! item's history.
//!
//! New or withdrawn evidence changes what a reviewer approved, so it
//! supersedes the item's approvals and sends it back to review.

use sqlx::FromRow;

use super::audit::Actor;
use super::db::decode_word;
use super::items::{self, ItemOwner};
use super::reviews::{bump_version, supersede_approvals};
use super::services::http_link;
use super::Db;
use crate::domain::items::{EvidenceKind, EvidenceLine};
use crate::error::AppError;

/// The longest note on a piece of evidence.
const MAX_NOTE: usize = 500;

fn note(text: &str) -> Result<String, AppError> {
    let text = text.trim();
    if text.chars().count() > MAX_NOTE {
        return Err(AppError::invalid("note", crate::domain::uploads::NOTE_TOO_LONG));
    }
    Ok(text.to_string())
}

/// What is being attached.
pub enum NewEvidence<'a> {
    Link {
        url: &'a str,
    },
    /// A file already written to the store at `sha256`.
    File {
        sha256: &'a str,
        size: u64,
        kind: &'a str,
        file_name: &'a str,
    },
    Document {
        version_id: i64,
    },
}

/// Attaches evidence to an item and records it, in one transaction. For a
/// file, the bytes are already at their address (the caller stored them
/// first), so the row never points at a missing file.
pub async fn add(
    db: &Db,
    actor: Actor<'_>,
    owner: ItemOwner,
    item_id: i64,
    evidence: NewEvidence<'_>,
    note_text: &str,
    now: i64,
) -> Result<i64, AppError> {
    let note = note(note_text)?;
    let url = match &evidence {
        NewEvidence::Link { url } => Some(http_link(url, "url")?),
        _ => None,
    };
    let mut tx = items::begin(db, owner).await?;
    let (kind, blob, file_name, document_version) = match evidence {
        NewEvidence::Link { .. } => (EvidenceKind::Link, None, None, None),
        NewEvidence::File { sha256, size, kind, file_name } => {
            record_blob(&mut tx, sha256, size, kind, now).await?;
            (EvidenceKind::File, Some(sha256.to_string()), Some(clean_file_name(file_name)), None)
        }
        NewEvidence::Document { version_id } => {
            let belongs: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM document_versions dv JOIN documents d ON d.id = dv.document_id
                 WHERE dv.id = $1 AND d.service_id = $2 AND d.withdrawn_at IS NULL",
            )
            .bind(version_id)
            .bind(owner.service_id)
            .fetch_one(&mut *tx)
            .await?;
            if belongs == 0 {
                return Err(AppError::invalid("document_version_id", "Choose one of this service's documents."));
            }
            (EvidenceKind::Document, None, None, Some(version_id))
        }
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO evidence (service_item_id, kind, url, blob_sha256, file_name, document_version_id, note, added_by,
                               added_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(item_id)
    .bind(kind.as_str())
    .bind(&url)
    .bind(&blob)
    .bind(&file_name)
    .bind(document_version)
    .bind(&note)
    .bind(actor.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    supersede_approvals(&mut tx, item_id, now).await?;
    bump_version(&mut tx, item_id).await?;
    let detail = serde_json::json!({
        "evidence": id, "kind": kind.as_str(), "url": url, "sha256": blob, "file_name": file_name,
        "document_version": document_version, "note": note,
    });
    let entry = actor.entry("evidence.added", "item", item_id, Some(detail.to_string()));
    items::finish(tx, owner, item_id, entry, now).await?;
    Ok(id)
}

/// Records a stored file's bytes (once per content address), inside the
/// transaction of the row that will point at them.
pub async fn record_blob(
    conn: &mut sqlx::AnyConnection,
    sha256: &str,
    size: u64,
    kind: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO blobs (sha256, size_bytes, kind, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(size as i64)
    .bind(kind)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A file name fit to show and to offer as a download name: no path, no
/// control characters, at most 120 characters.
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    match cleaned.trim() {
        "" | "." | ".." => "evidence".to_string(),
        trimmed => trimmed.to_string(),
    }
}

/// Withdraws evidence (it stays in history) and records it, in one
/// transaction; the item goes back to review.
pub async fn withdraw(db: &Db, actor: Actor<'_>, owner: ItemOwner, evidence_id: i64, now: i64) -> Result<(), AppError> {
    let mut tx = items::begin(db, owner).await?;
    let item_id: Option<i64> = sqlx::query_scalar(
        "SELECT e.service_item_id FROM evidence e JOIN service_items si ON si.id = e.service_item_id
         WHERE e.id = $1 AND si.service_id = $2 AND e.withdrawn_at IS NULL",
    )
    .bind(evidence_id)
    .bind(owner.service_id)
    .fetch_optional(&mut *tx)
    .await?;
    let item_id = item_id.ok_or(AppError::NotFound)?;
    sqlx::query("UPDATE evidence SET withdrawn_by = $1, withdrawn_at = $2 WHERE id = $3")
        .bind(actor.id)
        .bind(now)
        .bind(evidence_id)
        .execute(&mut *tx)
        .await?;
    supersede_approvals(&mut tx, item_id, now).await?;
    bump_version(&mut tx, item_id).await?;
    let detail = serde_json::json!({"evidence": evidence_id}).to_string();
    let entry = actor.entry("evidence.withdrawn", "item", item_id, Some(detail));
    items::finish(tx, owner, item_id, entry, now).await
}

/// The item an evidence row belongs to (for permission checks).
pub async fn item_of(db: &Db, evidence_id: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT service_item_id FROM evidence WHERE id = $1")
        .bind(evidence_id)
        .fetch_optional(db.pool())
        .await
}

/// A file to hand out: where its bytes are, what to call it, its kind.
#[derive(Debug, Clone, FromRow)]
pub struct Download {
    pub sha256: String,
    pub file_name: String,
    pub kind: String,
    pub size_bytes: i64,
}

/// The file of an evidence row (a file, or a cited document version that
/// is one), if it has one.
pub async fn download(db: &Db, evidence_id: i64) -> Result<Option<Download>, sqlx::Error> {
    sqlx::query_as(
        "SELECT b.sha256, COALESCE(e.file_name, dv.file_name, 'evidence') AS file_name, b.kind, b.size_bytes
         FROM evidence e
         LEFT JOIN document_versions dv ON dv.id = e.document_version_id
         JOIN blobs b ON b.sha256 = COALESCE(e.blob_sha256, dv.blob_sha256)
         WHERE e.id = $1",
    )
    .bind(evidence_id)
    .fetch_optional(db.pool())
    .await
}

/// The item's evidence: current first (newest first), then withdrawn.
pub async fn for_item(db: &Db, item_id: i64) -> Result<Vec<EvidenceLine>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        id: i64,
        kind: String,
        url: Option<String>,
        file_name: Option<String>,
        size_bytes: Option<i64>,
        document: Option<String>,
        document_label: Option<String>,
        document_date: Option<String>,
        note: String,
        added_by: Option<String>,
        added_at: i64,
        withdrawn_at: Option<i64>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT e.id, e.kind, COALESCE(e.url, dv.url) AS url, COALESCE(e.file_name, dv.file_name) AS file_name,
                b.size_bytes, d.title AS document, dv.label AS document_label, dv.document_date, e.note,
                u.name AS added_by, e.added_at, e.withdrawn_at
         FROM evidence e
         LEFT JOIN document_versions dv ON dv.id = e.document_version_id
         LEFT JOIN documents d ON d.id = dv.document_id
         LEFT JOIN blobs b ON b.sha256 = COALESCE(e.blob_sha256, dv.blob_sha256)
         LEFT JOIN users u ON u.id = e.added_by
         WHERE e.service_item_id = $1
         ORDER BY CASE WHEN e.withdrawn_at IS NULL THEN 0 ELSE 1 END, e.id DESC",
    )
    .bind(item_id)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|r| {
            let has_file = r.size_bytes.is_some();
            Ok(EvidenceLine {
                id: r.id,
                kind: decode_word(r.kind)?,
                url: r.url,
                download: has_file.then(|| format!("/evidence/{}/download", r.id)),
                file_name: r.file_name,
                size_bytes: r.size_bytes,
                document: r.document.map(|title| {
                    format!(
                        "{title} {} ({})",
                        r.document_label.unwrap_or_default(),
                        r.document_date.unwrap_or_default()
                    )
                }),
                note: r.note,
                added_by: r.added_by.unwrap_or_else(|| "A removed user".into()),
                added_at: r.added_at,
                withdrawn_at: r.withdrawn_at,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::clean_file_name;

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_file_name("C:\\Users\\me\\report.pdf"), "report.pdf");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\nb\u{0}.txt"), "ab.txt");
        assert_eq!(clean_file_name(".."), "evidence");
        assert_eq!(clean_file_name(&"x".repeat(300)).len(), 120);
    }
}
