//! A service's documents (audit reports, runbooks, architecture documents,
//! post-mortems) and their versions. A new version is a new row; earlier
//! ones stay listed and citable. Files are stored by the file store before
//! the row that points at them commits.

use sqlx::FromRow;

use super::audit::{self, Actor};
use super::db::decode_word;
use super::evidence::clean_file_name;
use super::services::http_link;
use super::Db;
use crate::domain::documents::{DocumentKind, DocumentLine, DocumentVersion};
use crate::domain::uploads::{DATE_PROBLEM, LABEL_PROBLEM, TITLE_PROBLEM};
use crate::error::AppError;

/// Where a version's content is.
pub enum Content<'a> {
    Link(&'a str),
    /// Already written to the store at `sha256`.
    File {
        sha256: &'a str,
        size: u64,
        kind: &'a str,
        file_name: &'a str,
    },
}

/// A version's label and date, checked.
pub fn version_fields(label: &str, date: &str) -> Result<(String, String), AppError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 40 {
        return Err(AppError::invalid("label", LABEL_PROBLEM));
    }
    let date = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid("date", DATE_PROBLEM))?;
    Ok((label.to_string(), date.format("%Y-%m-%d").to_string()))
}

/// Adds a document with its first version to a service, or a new version
/// to document `document_id` of that service; records it; one transaction.
#[allow(clippy::too_many_arguments)]
pub async fn add(
    db: &Db,
    actor: Actor<'_>,
    service_id: i64,
    document: Option<i64>,
    kind: DocumentKind,
    title: &str,
    label: &str,
    date: &str,
    content: Content<'_>,
    now: i64,
) -> Result<i64, AppError> {
    let title = title.trim();
    if document.is_none() && (title.is_empty() || title.chars().count() > 120) {
        return Err(AppError::invalid("title", TITLE_PROBLEM));
    }
    let (label, date) = version_fields(label, date)?;
    let url = match &content {
        Content::Link(url) => Some(http_link(url, "url")?),
        Content::File { .. } => None,
    };
    let mut tx = db.pool().begin().await?;
    let document_id =
        match document {
            Some(id) => {
                let found: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM documents WHERE id = $1 AND service_id = $2 AND withdrawn_at IS NULL",
                )
                .bind(id)
                .bind(service_id)
                .fetch_optional(&mut *tx)
                .await?;
                found.ok_or(AppError::NotFound)?
            }
            None => sqlx::query_scalar(
                "INSERT INTO documents (service_id, kind, title, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
                 RETURNING id",
            )
            .bind(service_id)
            .bind(kind.as_str())
            .bind(title)
            .bind(actor.id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?,
        };
    let (blob, file_name) = match content {
        Content::Link(_) => (None, None),
        Content::File { sha256, size, kind, file_name } => {
            super::evidence::record_blob(&mut tx, sha256, size, kind, now).await?;
            (Some(sha256.to_string()), Some(clean_file_name(file_name)))
        }
    };
    let version_id: i64 = sqlx::query_scalar(
        "INSERT INTO document_versions (document_id, label, document_date, url, blob_sha256, file_name, added_by,
                                        added_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(document_id)
    .bind(&label)
    .bind(&date)
    .bind(&url)
    .bind(&blob)
    .bind(&file_name)
    .bind(actor.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let detail = serde_json::json!({
        "document": document_id, "version": version_id, "label": label, "date": date, "url": url,
        "sha256": blob, "file_name": file_name,
    });
    let entry = actor.entry("document.added", "document", document_id, Some(detail.to_string()));
    audit::record(&mut *tx, now, entry.for_service(service_id)).await?;
    tx.commit().await?;
    Ok(version_id)
}

/// The service's documents with their versions, newest first.
pub async fn for_service(db: &Db, service_id: i64) -> Result<Vec<DocumentLine>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        document_id: i64,
        kind: String,
        title: String,
        id: i64,
        label: String,
        document_date: String,
        url: Option<String>,
        file_name: Option<String>,
        blob_sha256: Option<String>,
        added_by: Option<String>,
        added_at: i64,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT d.id AS document_id, d.kind, d.title, v.id, v.label, v.document_date, v.url, v.file_name,
                v.blob_sha256, u.name AS added_by, v.added_at
         FROM documents d JOIN document_versions v ON v.document_id = d.id LEFT JOIN users u ON u.id = v.added_by
         WHERE d.service_id = $1 AND d.withdrawn_at IS NULL
         ORDER BY d.kind, d.title, d.id, v.id DESC",
    )
    .bind(service_id)
    .fetch_all(db.pool())
    .await?;
    let mut documents: Vec<DocumentLine> = Vec::new();
    for row in rows {
        if documents.last().is_none_or(|d| d.id != row.document_id) {
            documents.push(DocumentLine {
                id: row.document_id,
                kind: decode_word(row.kind)?,
                title: row.title,
                versions: Vec::new(),
            });
        }
        let document = documents.last_mut().expect("pushed above");
        document.versions.push(DocumentVersion {
            id: row.id,
            download: row.blob_sha256.map(|_| format!("/documents/versions/{}/download", row.id)),
            label: row.label,
            date: row.document_date,
            url: row.url,
            file_name: row.file_name,
            added_by: row.added_by.unwrap_or_else(|| "A removed user".into()),
            added_at: row.added_at,
        });
    }
    Ok(documents)
}

/// The file of a document version, with the service it belongs to.
pub async fn download(db: &Db, version_id: i64) -> Result<Option<(i64, super::evidence::Download)>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        service_id: i64,
        #[sqlx(flatten)]
        file: super::evidence::Download,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT d.service_id, b.sha256, COALESCE(v.file_name, 'document') AS file_name, b.kind, b.size_bytes
         FROM document_versions v JOIN documents d ON d.id = v.document_id JOIN blobs b ON b.sha256 = v.blob_sha256
         WHERE v.id = $1",
    )
    .bind(version_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|r| (r.service_id, r.file)))
}

/// The service's document versions an item can cite: (version id, label).
pub async fn citable(db: &Db, service_id: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT v.id, d.title, v.label, v.document_date FROM document_versions v JOIN documents d ON d.id = v.document_id
         WHERE d.service_id = $1 AND d.withdrawn_at IS NULL ORDER BY d.title, v.id DESC",
    )
    .bind(service_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(id, title, label, date)| (id, format!("{title} {label} ({date})"))).collect())
}
