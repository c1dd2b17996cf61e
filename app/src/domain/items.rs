//! One checklist item of one service, as its page shows it.

use serde::{Deserialize, Serialize};

use super::checklist::{AutoSignal, ItemDef};
use super::probes::proof::Proof;
use super::readiness::{ItemStatus, Standing};

/// The longest not-applicable justification or comment, in characters.
pub const MAX_TEXT: usize = 4000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemDetail {
    pub id: i64,
    pub service_slug: String,
    pub service_name: String,
    pub checklist: String,
    pub section: String,
    /// The definition of the template version the service applied.
    pub def: ItemDef,
    /// False when the item's tiers leave out the service's tier.
    pub applies: bool,
    pub status: ItemStatus,
    /// Who set the status, and when.
    pub status_by: Option<String>,
    pub status_at: Option<i64>,
    pub na_justification: Option<String>,
    pub na_accepted: bool,
    pub standing: Standing,
    /// When an approved item goes stale, if it does.
    pub stale_at: Option<i64>,
    /// Grows with every change to the item (forms send it back).
    pub version: i64,
    pub comments: Vec<Comment>,
    /// Evidence, current first, then withdrawn (kept in history).
    pub evidence: Vec<EvidenceLine>,
    /// The service's documents the team can cite: (version id, label).
    pub citable: Vec<(i64, String)>,
    /// Review decisions, oldest first.
    pub reviews: Vec<ReviewLine>,
    /// Waivers asked for, newest first.
    pub waivers: Vec<WaiverLine>,
    /// For an item satisfied by live data: its proof and figures.
    pub live: Option<LiveData>,
    /// The caller may ask for a waiver (the team's leads, administrators)
    /// and the item blocks launch.
    pub can_request_waiver: bool,
    /// The caller may change the status and comment as the team.
    pub can_work: bool,
    /// The caller reviews evidence (auditors and administrators)...
    pub can_review: bool,
    /// ...but ticked this item or added its current evidence, so may not
    /// approve it.
    pub own_work: bool,
    /// The caller may comment (the team, auditors and admins).
    pub can_comment: bool,
}

/// What an item satisfied by live data (`auto`) shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveData {
    /// The signal that satisfies it.
    pub signal: AutoSignal,
    /// What proves it, or what is missing, as last judged; `None` until
    /// the first judgement (within a minute of a probe's first result).
    pub proof: Option<Proof>,
    /// The service's probes' figures now, one line a probe
    /// (`domain::probes::proof::figures`).
    pub figures: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub author: String,
    pub at: i64,
    pub body: String,
}

/// What a reviewer decided about an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Approve,
    Reject,
    /// Takes back the item's current approvals.
    Revoke,
    /// Accepts a not-applicable justification.
    AcceptNa,
    /// Sends a not-applicable claim back to the team.
    DeclineNa,
}

impl Decision {
    pub const ALL: [Decision; 5] =
        [Decision::Approve, Decision::Reject, Decision::Revoke, Decision::AcceptNa, Decision::DeclineNa];

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
            Decision::Revoke => "revoke",
            Decision::AcceptNa => "accept-na",
            Decision::DeclineNa => "decline-na",
        }
    }

    pub fn parse(text: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.as_str() == text)
    }

    /// How the decision reads in a history: "approved", "rejected"…
    pub fn past_tense(self) -> &'static str {
        match self {
            Decision::Approve => "approved",
            Decision::Reject => "rejected",
            Decision::Revoke => "revoked the approvals",
            Decision::AcceptNa => "accepted as not applicable",
            Decision::DeclineNa => "declined as not applicable",
        }
    }
}

super::stored_word!(Decision, "review decision");

/// One decision in an item's review history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewLine {
    pub reviewer: String,
    pub decision: Decision,
    pub comment: String,
    pub at: i64,
    /// An approval that no longer counts (new evidence, a rejection, a
    /// revocation, or the item left "done").
    pub superseded: bool,
}

/// The review queue's filters, read from the page's query string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueFilter {
    pub team_id: Option<i64>,
    pub template_id: Option<i64>,
    pub severity: Option<super::checklist::Severity>,
    /// Only items waiting at least this many days.
    pub min_age_days: Option<u32>,
}

/// An item waiting for a reviewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntry {
    pub item_id: i64,
    pub title: String,
    pub service_name: String,
    pub service_slug: String,
    pub team_name: String,
    pub checklist: String,
    pub severity: super::checklist::Severity,
    /// Waiting since (marked done, or claimed not applicable).
    pub since: i64,
    /// A not-applicable claim rather than done work.
    pub not_applicable: bool,
    pub approvals: u8,
    pub approvals_required: u8,
    /// The caller ticked it or added its evidence: someone else reviews it.
    pub own_work: bool,
}

/// The review queue page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewQueue {
    pub entries: Vec<QueueEntry>,
    pub teams: Vec<(i64, String)>,
    pub templates: Vec<(i64, String)>,
}

/// Where a waiver request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WaiverState {
    Requested,
    Granted,
    Declined,
    Withdrawn,
}

impl WaiverState {
    pub fn as_str(self) -> &'static str {
        match self {
            WaiverState::Requested => "requested",
            WaiverState::Granted => "granted",
            WaiverState::Declined => "declined",
            WaiverState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<WaiverState> {
        [WaiverState::Requested, WaiverState::Granted, WaiverState::Declined, WaiverState::Withdrawn]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            WaiverState::Requested => "Requested",
            WaiverState::Granted => "Granted",
            WaiverState::Declined => "Declined",
            WaiverState::Withdrawn => "Withdrawn",
        }
    }
}

super::stored_word!(WaiverState, "waiver state");

/// The longest a waiver may run.
pub const MAX_WAIVER_DAYS: i64 = 180;

/// A waiver of an item, requested or decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverLine {
    pub id: i64,
    pub state: WaiverState,
    pub reason: String,
    pub compensating_control: String,
    pub expires_at: i64,
    pub requested_by: String,
    pub requested_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub comment: Option<String>,
}

/// What backs an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceKind {
    Link,
    File,
    /// A version of one of the service's documents.
    Document,
}

impl EvidenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::Link => "link",
            EvidenceKind::File => "file",
            EvidenceKind::Document => "document",
        }
    }

    pub fn parse(text: &str) -> Option<EvidenceKind> {
        [EvidenceKind::Link, EvidenceKind::File, EvidenceKind::Document].into_iter().find(|k| k.as_str() == text)
    }
}

super::stored_word!(EvidenceKind, "evidence kind");

/// One piece of evidence on an item, current or withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceLine {
    pub id: i64,
    pub kind: EvidenceKind,
    /// The link (a link, or a document version that is a link).
    pub url: Option<String>,
    /// The file's name as uploaded (a file, or a document version that is one).
    pub file_name: Option<String>,
    /// Where the file downloads from, when there is one.
    pub download: Option<String>,
    pub size_bytes: Option<i64>,
    /// "Runbook “Failover” v3 (2026-10-01)" for a cited document.
    pub document: Option<String>,
    pub note: String,
    pub added_by: String,
    pub added_at: i64,
    pub withdrawn_at: Option<i64>,
}
