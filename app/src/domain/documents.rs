//! Service documents: audit reports, runbooks, architecture documents and
//! post-mortems, each with its versions (a file or a link, a label and a
//! date). Items cite a version as evidence.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    AuditReport,
    Runbook,
    Architecture,
    PostMortem,
    Other,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 5] = [
        DocumentKind::AuditReport,
        DocumentKind::Runbook,
        DocumentKind::Architecture,
        DocumentKind::PostMortem,
        DocumentKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::AuditReport => "audit-report",
            DocumentKind::Runbook => "runbook",
            DocumentKind::Architecture => "architecture",
            DocumentKind::PostMortem => "post-mortem",
            DocumentKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::AuditReport => "Audit report",
            DocumentKind::Runbook => "Runbook",
            DocumentKind::Architecture => "Architecture document",
            DocumentKind::PostMortem => "Post-mortem",
            DocumentKind::Other => "Other document",
        }
    }

    pub fn parse(text: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

super::stored_word!(DocumentKind, "document kind");

/// One version of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentVersion {
    pub id: i64,
    /// "v3", "2026 Q3", as the team names it.
    pub label: String,
    /// The document's own date, 'YYYY-MM-DD'.
    pub date: String,
    pub url: Option<String>,
    pub file_name: Option<String>,
    pub download: Option<String>,
    pub added_by: String,
    pub added_at: i64,
}

/// A document with its versions, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentLine {
    pub id: i64,
    pub kind: DocumentKind,
    pub title: String,
    pub versions: Vec<DocumentVersion>,
}
