//! What an evidence dossier says about a service, read from the database:
//! every item (status, who ticked it and when, evidence with the SHA-256
//! of each file, review decisions, waivers) and the service's documents
//! with their versions. The ZIP itself is written by the server
//! (`server/src/dossier`); the files it holds are [`Contents::files`],
//! each stored file once under [`evidence_path`].

use std::collections::HashMap;

use serde::Serialize;
use sqlx::FromRow;

use super::Db;
use crate::domain::items::{ReviewLine, WaiverLine};

/// Where a stored file goes in the archive: `evidence/<sha256>-<safe name>`.
pub fn evidence_path(sha256: &str, file_name: &str) -> String {
    format!("evidence/{sha256}-{}", safe_name(file_name))
}

/// A file name that is one harmless path component on every system: the
/// last component only, ASCII letters, digits, `.`, `-` and `_` (anything
/// else becomes `_`), no leading dot, at most 100 characters.
pub fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let mapped: String = base
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .take(100)
        .collect();
    let trimmed = mapped.trim_start_matches('.');
    if trimmed.trim_matches(['_', '.']).is_empty() {
        "file".to_string()
    } else {
        trimmed.to_string()
    }
}

/// A stored file as the dossier refers to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileRecord {
    pub sha256: String,
    pub size_bytes: i64,
    pub kind: String,
    /// Its place in the archive (the same bytes are there once, under the
    /// name they were first met with).
    pub path: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvidenceRecord {
    pub id: i64,
    /// `link`, `file` or `document` (a cited document version).
    pub kind: String,
    pub url: Option<String>,
    pub file_name: Option<String>,
    pub file: Option<FileRecord>,
    /// "Title label (date)" of a cited document version.
    pub document: Option<String>,
    pub document_version_id: Option<i64>,
    pub note: String,
    pub added_by: String,
    pub added_at: i64,
    pub withdrawn_by: Option<String>,
    pub withdrawn_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemRecord {
    pub id: i64,
    pub checklist: String,
    pub checklist_version: i64,
    pub section: String,
    pub key: String,
    pub title: String,
    pub severity: String,
    pub level: String,
    pub status: String,
    /// Who set the status last, and when (epoch milliseconds, UTC).
    pub status_by: Option<String>,
    pub status_at: Option<i64>,
    /// Who ticked it done, and when.
    pub done_by: Option<String>,
    pub done_at: Option<i64>,
    pub na_justification: Option<String>,
    pub na_accepted_by: Option<String>,
    pub na_accepted_at: Option<i64>,
    /// Current evidence and withdrawn evidence, oldest first.
    pub evidence: Vec<EvidenceRecord>,
    /// Every decision, oldest first.
    pub reviews: Vec<ReviewLine>,
    /// Newest first.
    pub waivers: Vec<WaiverLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DocumentVersionRecord {
    pub id: i64,
    pub label: String,
    pub date: String,
    pub url: Option<String>,
    pub file_name: Option<String>,
    pub file: Option<FileRecord>,
    pub added_by: String,
    pub added_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DocumentRecord {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub withdrawn_at: Option<i64>,
    /// Oldest first.
    pub versions: Vec<DocumentVersionRecord>,
}

/// The service's items and documents for its dossier.
#[derive(Debug, Clone, Serialize)]
pub struct Contents {
    pub items: Vec<ItemRecord>,
    pub documents: Vec<DocumentRecord>,
}

/// One file to put in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveFile {
    pub sha256: String,
    pub size_bytes: i64,
    pub path: String,
}

impl Contents {
    /// Every stored file the items and documents refer to, once each, in
    /// the order they are first referred to (documents, then items).
    pub fn files(&self) -> Vec<ArchiveFile> {
        let documents = self.documents.iter().flat_map(|d| d.versions.iter().filter_map(|v| v.file.as_ref()));
        let evidence = self.items.iter().flat_map(|i| i.evidence.iter().filter_map(|e| e.file.as_ref()));
        let mut seen = std::collections::HashSet::new();
        documents
            .chain(evidence)
            .filter(|f| seen.insert(f.sha256.clone()))
            .map(|f| ArchiveFile { sha256: f.sha256.clone(), size_bytes: f.size_bytes, path: f.path.clone() })
            .collect()
    }

    /// Gives each file its archive path: the name it was first met with.
    fn assign_paths(&mut self) {
        let mut paths: HashMap<String, String> = HashMap::new();
        let mut place = |file: &mut Option<FileRecord>, name: &Option<String>| {
            if let Some(file) = file {
                let name = name.as_deref().unwrap_or(file.kind.as_str());
                file.path =
                    paths.entry(file.sha256.clone()).or_insert_with(|| evidence_path(&file.sha256, name)).clone();
            }
        };
        for d in &mut self.documents {
            for v in &mut d.versions {
                place(&mut v.file, &v.file_name);
            }
        }
        for i in &mut self.items {
            for e in &mut i.evidence {
                place(&mut e.file, &e.file_name);
            }
        }
    }
}

fn file(sha256: Option<String>, size_bytes: Option<i64>, kind: Option<String>) -> Option<FileRecord> {
    Some(FileRecord {
        sha256: sha256?,
        size_bytes: size_bytes.unwrap_or(0),
        kind: kind.unwrap_or_default(),
        path: String::new(),
    })
}

fn someone(name: Option<String>) -> String {
    name.unwrap_or_else(|| "A removed user".into())
}

/// Reads the dossier's contents for service `service_id`.
pub async fn contents(db: &Db, service_id: i64) -> Result<Contents, sqlx::Error> {
    let mut items = items_of(db, service_id).await?;
    let mut evidence = evidence_of(db, service_id).await?;
    for item in &mut items {
        item.evidence = evidence.remove(&item.id).unwrap_or_default();
        item.reviews = super::reviews::history(db, item.id).await?;
        item.waivers = super::waivers::for_item(db, item.id).await?;
    }
    let mut contents = Contents { items, documents: documents_of(db, service_id).await? };
    contents.assign_paths();
    Ok(contents)
}

async fn items_of(db: &Db, service_id: i64) -> Result<Vec<ItemRecord>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        id: i64,
        checklist: String,
        checklist_version: i64,
        section: String,
        key: String,
        title: String,
        severity: String,
        level: String,
        status: String,
        status_by: Option<String>,
        status_at: Option<i64>,
        done_by: Option<String>,
        done_at: Option<i64>,
        na_justification: Option<String>,
        na_accepted_by: Option<String>,
        na_accepted_at: Option<i64>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT si.id, v.name AS checklist, v.version AS checklist_version, sec.name AS section, ti.key, ti.title,
                ti.severity, ti.level, si.status, sb.name AS status_by, si.status_at, dn.name AS done_by, si.done_at,
                si.na_justification, na.name AS na_accepted_by, si.na_accepted_at
         FROM service_items si
         JOIN service_templates st ON st.id = si.service_template_id
         JOIN template_versions v ON v.id = st.template_version_id
         JOIN template_items ti ON ti.id = si.template_item_id
         JOIN template_sections sec ON sec.template_version_id = v.id AND sec.key = ti.section_key
         LEFT JOIN users sb ON sb.id = si.status_by
         LEFT JOIN users dn ON dn.id = si.done_by
         LEFT JOIN users na ON na.id = si.na_accepted_by
         WHERE si.service_id = $1 AND si.removed_at IS NULL
         ORDER BY st.id, sec.position, ti.position, si.id",
    )
    .bind(service_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ItemRecord {
            id: r.id,
            checklist: r.checklist,
            checklist_version: r.checklist_version,
            section: r.section,
            key: r.key,
            title: r.title,
            severity: r.severity,
            level: r.level,
            status: r.status,
            status_by: r.status_by,
            status_at: r.status_at,
            done_by: r.done_by,
            done_at: r.done_at,
            na_justification: r.na_justification,
            na_accepted_by: r.na_accepted_by,
            na_accepted_at: r.na_accepted_at,
            evidence: Vec::new(),
            reviews: Vec::new(),
            waivers: Vec::new(),
        })
        .collect())
}

/// The evidence of the service's items, by item, oldest first.
async fn evidence_of(db: &Db, service_id: i64) -> Result<HashMap<i64, Vec<EvidenceRecord>>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        item_id: i64,
        id: i64,
        kind: String,
        url: Option<String>,
        file_name: Option<String>,
        sha256: Option<String>,
        size_bytes: Option<i64>,
        file_kind: Option<String>,
        document_version_id: Option<i64>,
        document: Option<String>,
        document_label: Option<String>,
        document_date: Option<String>,
        note: String,
        added_by: Option<String>,
        added_at: i64,
        withdrawn_by: Option<String>,
        withdrawn_at: Option<i64>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT e.service_item_id AS item_id, e.id, e.kind, COALESCE(e.url, dv.url) AS url,
                COALESCE(e.file_name, dv.file_name) AS file_name, b.sha256, b.size_bytes, b.kind AS file_kind,
                e.document_version_id, d.title AS document, dv.label AS document_label, dv.document_date, e.note,
                a.name AS added_by, e.added_at, w.name AS withdrawn_by, e.withdrawn_at
         FROM evidence e
         JOIN service_items si ON si.id = e.service_item_id
         LEFT JOIN document_versions dv ON dv.id = e.document_version_id
         LEFT JOIN documents d ON d.id = dv.document_id
         LEFT JOIN blobs b ON b.sha256 = COALESCE(e.blob_sha256, dv.blob_sha256)
         LEFT JOIN users a ON a.id = e.added_by
         LEFT JOIN users w ON w.id = e.withdrawn_by
         WHERE si.service_id = $1 AND si.removed_at IS NULL
         ORDER BY e.service_item_id, e.id",
    )
    .bind(service_id)
    .fetch_all(db.pool())
    .await?;
    let mut by_item: HashMap<i64, Vec<EvidenceRecord>> = HashMap::new();
    for r in rows {
        let document = r.document.map(|title| {
            format!("{title} {} ({})", r.document_label.unwrap_or_default(), r.document_date.unwrap_or_default())
        });
        by_item.entry(r.item_id).or_default().push(EvidenceRecord {
            id: r.id,
            kind: r.kind,
            url: r.url,
            file_name: r.file_name,
            file: file(r.sha256, r.size_bytes, r.file_kind),
            document,
            document_version_id: r.document_version_id,
            note: r.note,
            added_by: someone(r.added_by),
            added_at: r.added_at,
            withdrawn_by: r.withdrawn_by,
            withdrawn_at: r.withdrawn_at,
        });
    }
    Ok(by_item)
}

/// Every document of the service (withdrawn ones too, marked), with its
/// versions oldest first.
async fn documents_of(db: &Db, service_id: i64) -> Result<Vec<DocumentRecord>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        document_id: i64,
        kind: String,
        title: String,
        withdrawn_at: Option<i64>,
        id: i64,
        label: String,
        document_date: String,
        url: Option<String>,
        file_name: Option<String>,
        sha256: Option<String>,
        size_bytes: Option<i64>,
        file_kind: Option<String>,
        added_by: Option<String>,
        added_at: i64,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT d.id AS document_id, d.kind, d.title, d.withdrawn_at, v.id, v.label, v.document_date, v.url,
                v.file_name, b.sha256, b.size_bytes, b.kind AS file_kind, u.name AS added_by, v.added_at
         FROM documents d
         JOIN document_versions v ON v.document_id = d.id
         LEFT JOIN blobs b ON b.sha256 = v.blob_sha256
         LEFT JOIN users u ON u.id = v.added_by
         WHERE d.service_id = $1
         ORDER BY d.id, v.id",
    )
    .bind(service_id)
    .fetch_all(db.pool())
    .await?;
    let mut documents: Vec<DocumentRecord> = Vec::new();
    for r in rows {
        if documents.last().is_none_or(|d| d.id != r.document_id) {
            documents.push(DocumentRecord {
                id: r.document_id,
                kind: r.kind.clone(),
                title: r.title.clone(),
                withdrawn_at: r.withdrawn_at,
                versions: Vec::new(),
            });
        }
        let document = documents.last_mut().expect("pushed above");
        document.versions.push(DocumentVersionRecord {
            id: r.id,
            label: r.label,
            date: r.document_date,
            url: r.url,
            file_name: r.file_name,
            file: file(r.sha256, r.size_bytes, r.file_kind),
            added_by: someone(r.added_by),
            added_at: r.added_at,
        });
    }
    Ok(documents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names_are_one_plain_component() {
        assert_eq!(safe_name("report.pdf"), "report.pdf");
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\Users\\me\\Q3 report (final).pdf"), "Q3_report__final_.pdf");
        assert_eq!(safe_name("/abs/path/.hidden"), "hidden");
        assert_eq!(safe_name(".."), "file");
        assert_eq!(safe_name(""), "file");
        assert_eq!(safe_name("a\u{0}b\nc.txt"), "abc.txt");
        assert_eq!(safe_name("Grüße.md"), "Gr__e.md");
        assert_eq!(safe_name("ééé"), "file");
        assert_eq!(safe_name(&"x".repeat(300)).len(), 100);
        assert_eq!(evidence_path(&"ab".repeat(32), "../x/..\\y.pdf"), format!("evidence/{}-y.pdf", "ab".repeat(32)));
    }

    fn record(sha: &str, name: &str) -> EvidenceRecord {
        EvidenceRecord {
            id: 1,
            kind: "file".into(),
            url: None,
            file_name: Some(name.into()),
            file: file(Some(sha.into()), Some(3), Some("pdf".into())),
            document: None,
            document_version_id: None,
            note: String::new(),
            added_by: "Ada".into(),
            added_at: 0,
            withdrawn_by: None,
            withdrawn_at: None,
        }
    }

    #[test]
    fn the_same_bytes_get_one_path_under_the_first_name() {
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        let item = |evidence| ItemRecord {
            id: 1,
            checklist: String::new(),
            checklist_version: 1,
            section: String::new(),
            key: String::new(),
            title: String::new(),
            severity: String::new(),
            level: String::new(),
            status: String::new(),
            status_by: None,
            status_at: None,
            done_by: None,
            done_at: None,
            na_justification: None,
            na_accepted_by: None,
            na_accepted_at: None,
            evidence,
            reviews: Vec::new(),
            waivers: Vec::new(),
        };
        let mut contents = Contents {
            items: vec![
                item(vec![record(&a, "first.pdf"), record(&b, "other.pdf")]),
                item(vec![record(&a, "again.pdf")]),
            ],
            documents: Vec::new(),
        };
        contents.assign_paths();
        let files = contents.files();
        assert_eq!(
            files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
            [format!("evidence/{a}-first.pdf"), format!("evidence/{b}-other.pdf")]
        );
        assert_eq!(contents.items[1].evidence[0].file.as_ref().unwrap().path, format!("evidence/{a}-first.pdf"));
    }
}
