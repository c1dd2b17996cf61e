//! Downloads of what the pages show.
//!
//! * `GET /audit/export`: the audit trail (or what a filter keeps of it) as
//!   JSON Lines, which `preflight audit verify --file` checks offline, or as
//!   CSV for spreadsheets. Entries stream from the database to the client
//!   through a small channel, so a trail of millions of entries never sits
//!   in memory.
//! * `GET /services/{slug}/scorecard?format=json|csv`: a service's scorecard
//!   (figures, gate with its reasons, every item's standing), for everyone
//!   who may read the service page.

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use http::{header, HeaderValue};

use app::backend::audit;
use app::backend::audit_chain::{ChainHead, ExportHeader, SealedEntry, EXPORT_FORMAT};
use app::backend::caller::RequestAuth;
use app::backend::AppState;
use app::domain::access::Action;
use app::domain::audit::AuditFilter;
use app::error::AppError;

use crate::files::{attachment, readable_service, refusal, signed_in, toml_download};

/// Entries read ahead of the client; each is a few hundred bytes.
const CHANNEL_ENTRIES: usize = 256;
/// Entries gathered into one chunk of the response body.
const ENTRIES_PER_CHUNK: usize = 64;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/audit/export", get(export_trail))
        .route("/services/{slug}/scorecard", get(export_scorecard))
        .route("/services/{slug}/probes.toml", get(export_probes))
}

/// `GET /services/{slug}/probes.toml`: the service's probe definitions in
/// the format the probes panel imports, secret header values left out.
/// Everyone who reads the service page may download it.
async fn export_probes(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    axum::extract::Path(slug): axum::extract::Path<String>,
) -> Response {
    let service_id = match readable_service(&state, &auth, &slug).await {
        Ok(id) => id,
        Err(answer) => return answer,
    };
    match app::backend::probes::definitions(&state.db, service_id).await {
        Ok(defs) => toml_download(&format!("{slug}-probes.toml"), app::domain::probes::toml_file::export(&defs)),
        Err(e) => refusal(e.into()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    JsonLines,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScorecardFormat {
    Json,
    Csv,
}

async fn export_trail(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    RawQuery(query): RawQuery,
) -> Response {
    let me = match signed_in(&auth) {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    if let Err(e) = me.require(Action::ReadAuditTrail) {
        return refusal(e);
    }
    let query = query.unwrap_or_default();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let format = match get("format").unwrap_or("jsonl") {
        "jsonl" => Format::JsonLines,
        "csv" => Format::Csv,
        _ => return refusal(AppError::invalid("format", "Choose jsonl or csv.")),
    };
    let (filter, problems) = AuditFilter::from_pairs(get);
    if let Some(p) = problems.into_iter().next() {
        return refusal(AppError::invalid(&p.field, &p.message));
    }
    let resolved = match audit::resolve(&state.db, &filter).await {
        Ok(Ok(resolved)) => resolved,
        Ok(Err(p)) => return refusal(AppError::invalid(&p.field, &p.message)),
        Err(e) => return refusal(e.into()),
    };
    let head = match audit::head(&state.db).await {
        Ok(head) => head,
        Err(e) => return refusal(e.into()),
    };
    let now = state.clock.now_millis();

    let (sender, receiver) = tokio::sync::mpsc::channel(CHANNEL_ENTRIES);
    let db = state.db.clone();
    let up_to = head.seq;
    tokio::spawn(async move { audit::send_entries(&db, &resolved, up_to, sender).await });

    let first = match format {
        Format::JsonLines => json_header(&filter, &head, now),
        Format::Csv => csv_rows(&[], true),
    };
    let body = futures_util::stream::unfold((Some(first), receiver), move |(first, mut receiver)| async move {
        if let Some(first) = first {
            return Some((Ok(Bytes::from(first)), (None, receiver)));
        }
        let mut batch = Vec::with_capacity(ENTRIES_PER_CHUNK);
        match receiver.recv().await? {
            Ok(entry) => batch.push(entry),
            Err(e) => return Some((Err(read_failed(e)), (None, receiver))),
        }
        while batch.len() < ENTRIES_PER_CHUNK {
            match receiver.try_recv() {
                Ok(Ok(entry)) => batch.push(entry),
                Ok(Err(e)) => return Some((Err(read_failed(e)), (None, receiver))),
                Err(_) => break,
            }
        }
        let chunk = match format {
            Format::JsonLines => json_lines(&batch),
            Format::Csv => csv_rows(&batch, false),
        };
        Some((Ok(Bytes::from(chunk)), (None, receiver)))
    });
    // hyper may poll a body again after its end; `Unfold` panics if it is.
    let body = futures_util::StreamExt::fuse(body);

    let day = app::domain::history::day_label(app::domain::history::day_of(now));
    let scope = if filter.is_empty() { "" } else { "-filtered" };
    let (extension, mime) = match format {
        Format::JsonLines => ("jsonl", "application/jsonl; charset=utf-8"),
        Format::Csv => ("csv", "text/csv; charset=utf-8"),
    };
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if let Ok(value) = HeaderValue::from_str(&attachment(&format!("preflight-audit-{day}{scope}.{extension}"))) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// The scorecard as exported: what the service page shows, in data.
#[derive(serde::Serialize)]
pub(crate) struct ScorecardExport {
    service: ServiceFacts,
    figures: app::domain::services::Figures,
    gate: &'static str,
    blocking: Vec<Reason>,
    waived: Vec<Reason>,
    checklists: Vec<ChecklistExport>,
    /// When it was read (UTC) and the audit chain head it reflects.
    as_of: String,
    pub(crate) audit_chain_head: ChainHead,
}

#[derive(serde::Serialize)]
struct ServiceFacts {
    slug: String,
    name: String,
    team: String,
    tier: u8,
    environment: &'static str,
    launch_date: Option<String>,
    archived: bool,
}

#[derive(serde::Serialize)]
struct Reason {
    item_id: i64,
    title: String,
    checklist: String,
    severity: &'static str,
    standing: String,
}

#[derive(serde::Serialize)]
struct ChecklistExport {
    name: String,
    version: u32,
    sections: Vec<SectionExport>,
}

#[derive(serde::Serialize)]
struct SectionExport {
    name: String,
    counted: u32,
    passing: u32,
    items: Vec<ItemExport>,
}

#[derive(serde::Serialize)]
struct ItemExport {
    item_id: i64,
    title: String,
    severity: &'static str,
    level: &'static str,
    status: &'static str,
    standing: String,
    counts: bool,
    passes: bool,
    evidence: u32,
    approvals: u8,
    approvals_required: u8,
}

/// `GET /services/{slug}/scorecard?format=json|csv`.
async fn export_scorecard(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    axum::extract::Path(slug): axum::extract::Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let me = match signed_in(&auth) {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    if let Err(e) = me.require(Action::ReadDashboard) {
        return refusal(e);
    }
    let query = query.unwrap_or_default();
    let format = match url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "format").map(|(_, v)| v) {
        None => ScorecardFormat::Json,
        Some(v) if v == "json" => ScorecardFormat::Json,
        Some(v) if v == "csv" => ScorecardFormat::Csv,
        Some(_) => return refusal(AppError::invalid("format", "Choose json or csv.")),
    };
    let now = state.clock.now_millis();
    let export = match scorecard(&state, &slug, now).await {
        Ok(Some(export)) => export,
        Ok(None) => return refusal(AppError::NotFound),
        Err(e) => return refusal(e.into()),
    };
    let day = app::domain::history::day_label(app::domain::history::day_of(now));
    let (body, mime, extension) = match format {
        ScorecardFormat::Json => {
            (serde_json::to_vec_pretty(&export).unwrap_or_default(), "application/json; charset=utf-8", "json")
        }
        ScorecardFormat::Csv => (scorecard_csv(&export), "text/csv; charset=utf-8", "csv"),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if let Ok(value) = HeaderValue::from_str(&attachment(&format!("{slug}-scorecard-{day}.{extension}"))) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

pub(crate) async fn scorecard(state: &AppState, slug: &str, now: i64) -> Result<Option<ScorecardExport>, sqlx::Error> {
    let Some(record) = app::backend::services::find_by_slug(&state.db, slug).await? else { return Ok(None) };
    let s = record.summary;
    let lists = app::backend::checklists::for_service(&state.db, s.id, s.tier, now).await?;
    let reason = |r: app::domain::services::ItemRef| Reason {
        item_id: r.id,
        title: r.title,
        checklist: r.checklist,
        severity: r.severity.as_str(),
        standing: r.standing.describe(),
    };
    let checklists = lists
        .checklists
        .into_iter()
        .map(|c| ChecklistExport {
            name: c.name,
            version: c.version,
            sections: c
                .sections
                .into_iter()
                .map(|sec| SectionExport {
                    name: sec.name,
                    counted: sec.counted,
                    passing: sec.passing,
                    items: sec
                        .items
                        .into_iter()
                        .map(|i| ItemExport {
                            item_id: i.id,
                            title: i.title,
                            severity: i.severity.as_str(),
                            level: i.level.as_str(),
                            status: i.status.as_str(),
                            counts: i.standing.counts(),
                            passes: i.standing.passes(),
                            standing: i.standing.describe(),
                            evidence: i.evidence,
                            approvals: i.approvals,
                            approvals_required: i.approvals_required,
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    Ok(Some(ScorecardExport {
        gate: if !s.figures.ready {
            "not ready"
        } else if s.figures.waivers > 0 {
            "ready with waivers"
        } else {
            "ready"
        },
        blocking: lists.blocking.into_iter().map(reason).collect(),
        waived: lists.waived.into_iter().map(reason).collect(),
        checklists,
        as_of: chrono::DateTime::from_timestamp_millis(now).map(|t| t.to_rfc3339()).unwrap_or_default(),
        audit_chain_head: audit::head(&state.db).await?,
        figures: s.figures,
        service: ServiceFacts {
            slug: s.slug,
            name: s.name,
            team: s.team_name,
            tier: s.tier,
            environment: s.environment.as_str(),
            launch_date: s.launch_date,
            archived: s.archived,
        },
    }))
}

const SCORECARD_COLUMNS: [&str; 13] = [
    "checklist",
    "version",
    "section",
    "item_id",
    "title",
    "severity",
    "level",
    "status",
    "standing",
    "counts",
    "passes",
    "evidence",
    "approvals",
];

/// One row per item; text cells defused like the trail's.
fn scorecard_csv(export: &ScorecardExport) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(SCORECARD_COLUMNS);
    for c in &export.checklists {
        for sec in &c.sections {
            for i in &sec.items {
                let _ = writer.write_record([
                    defuse(&c.name),
                    c.version.to_string(),
                    defuse(&sec.name),
                    i.item_id.to_string(),
                    defuse(&i.title),
                    i.severity.to_string(),
                    i.level.to_string(),
                    i.status.to_string(),
                    defuse(&i.standing),
                    i.counts.to_string(),
                    i.passes.to_string(),
                    i.evidence.to_string(),
                    format!("{}/{}", i.approvals, i.approvals_required),
                ]);
            }
        }
    }
    writer.into_inner().unwrap_or_default()
}

/// A database error half-way: the response is cut off (the client sees an
/// incomplete download, which `verify` reports), and the log says why.
fn read_failed(e: sqlx::Error) -> std::io::Error {
    tracing::error!(error = %e, "the audit export stopped: cannot read the trail");
    std::io::Error::other("cannot read the audit trail")
}

pub(crate) fn json_header(filter: &AuditFilter, head: &ChainHead, now: i64) -> Vec<u8> {
    let header = ExportHeader {
        format: EXPORT_FORMAT.to_string(),
        complete: filter.is_empty(),
        head: head.clone(),
        filter: filter.describe(),
        exported_at: now,
    };
    let mut out = serde_json::to_vec(&header).unwrap_or_default();
    out.push(b'\n');
    out
}

pub(crate) fn json_lines(entries: &[SealedEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 400);
    for entry in entries {
        // Plain data with string keys: serialising cannot fail.
        if serde_json::to_writer(&mut out, entry).is_ok() {
            out.push(b'\n');
        }
    }
    out
}

const CSV_COLUMNS: [&str; 14] = [
    "seq",
    "occurred_at",
    "actor_user_id",
    "actor",
    "action",
    "subject_type",
    "subject_id",
    "service_id",
    "detail",
    "client_ip",
    "request_id",
    "occurred_at_ms",
    "prev_hash",
    "hash",
];

/// CSV rows for `entries` (with the header row when `header`). Text a
/// spreadsheet would run as a formula is prefixed with `'`.
fn csv_rows(entries: &[SealedEntry], header: bool) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(entries.len() * 300));
    if header {
        let _ = writer.write_record(CSV_COLUMNS);
    }
    let text = |v: &Option<String>| v.as_deref().map(defuse).unwrap_or_default();
    let number = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    for sealed in entries {
        let e = &sealed.entry;
        let at = chrono::DateTime::from_timestamp_millis(e.occurred_at)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
            .unwrap_or_default();
        let _ = writer.write_record([
            e.seq.to_string(),
            at,
            number(e.actor_user_id),
            defuse(&e.actor_label),
            defuse(&e.action),
            text(&e.subject_type),
            text(&e.subject_id),
            number(e.service_id),
            text(&e.detail),
            text(&e.client_ip),
            text(&e.request_id),
            e.occurred_at.to_string(),
            e.prev_hash.clone(),
            sealed.hash.clone(),
        ]);
    }
    writer.into_inner().unwrap_or_default()
}

/// Keeps a spreadsheet from reading a cell as a formula (CSV injection).
fn defuse(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::backend::audit_chain::ChainEntry;

    #[test]
    fn csv_cells_cannot_become_formulas_and_quotes_survive() {
        let entry = ChainEntry {
            seq: 4,
            prev_hash: "ab".into(),
            occurred_at: 1_767_225_600_000,
            actor_user_id: Some(2),
            actor_label: "=HYPERLINK(\"http://x\")".into(),
            action: "item.commented".into(),
            subject_type: Some("item".into()),
            subject_id: Some("9".into()),
            detail: Some("said \"hi\", then left\nnew line".into()),
            client_ip: None,
            request_id: None,
            service_id: Some(3),
        }
        .seal();
        let text = String::from_utf8(csv_rows(std::slice::from_ref(&entry), true)).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), CSV_COLUMNS);
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[0], "4");
        assert_eq!(&row[1], "2026-01-01T00:00:00.000Z");
        assert_eq!(&row[3], "'=HYPERLINK(\"http://x\")");
        assert_eq!(&row[8], "said \"hi\", then left\nnew line");
        assert_eq!(&row[13], entry.hash);
    }

    #[test]
    fn json_lines_read_back_as_sealed_entries() {
        let filter = AuditFilter { kind: Some("item".into()), ..AuditFilter::default() };
        let head = ChainHead { seq: 9, hash: "f".repeat(64) };
        let text = String::from_utf8(json_header(&filter, &head, 5)).unwrap();
        let header: ExportHeader = serde_json::from_str(text.trim_end()).unwrap();
        assert!(!header.complete);
        assert_eq!(header.filter, "kind item");
        assert_eq!(header.head, head);
    }
}
