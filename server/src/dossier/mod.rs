//! `GET /services/{slug}/dossier.zip`: a service's evidence dossier, for
//! whoever may read the service page and download evidence (viewers only
//! where the "viewers may download evidence" setting allows).
//!
//! The ZIP is written on a blocking thread (the `zip` crate writes to a
//! plain `Write`), into a small bounded channel that the response body
//! drains: evidence files are read 64 KiB at a time, so the memory a
//! download holds does not grow with the evidence (a few chunks in flight,
//! whatever the dossier's size). The audit excerpt streams from the
//! database the same way. What is in the archive, and how it is checked,
//! is in [`archive`].
//!
//! Consistency: the items and documents are read first and the chain
//! head last (with the scorecard), so every change the dossier shows was
//! recorded at or before the head it names, and `audit.jsonl` holds the
//! service's entries up to that head.

pub mod archive;

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use http::{header, HeaderValue};
use tokio::sync::mpsc;

use app::backend::audit::{self, TrailFilter};
use app::backend::audit_chain::SealedEntry;
use app::backend::caller::RequestAuth;
use app::backend::dossier::{self, ArchiveFile};
use app::backend::{services, AppState};
use app::domain::access::Action;
use app::domain::audit::AuditFilter;
use app::error::AppError;

use crate::exports;
use crate::files::{attachment, refusal, signed_in};
use archive::{DossierWriter, Manifest, ManifestService};

/// Bytes gathered before a chunk goes to the response body.
const CHUNK: usize = 64 * 1024;
/// Chunks written ahead of the client: the most a download holds.
const CHUNKS_AHEAD: usize = 4;
/// Audit entries read ahead of the archive.
const ENTRIES_AHEAD: usize = 256;

pub fn routes() -> Router<AppState> {
    Router::new().route("/services/{slug}/dossier.zip", get(download))
}

async fn download(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(slug): Path<String>,
) -> Response {
    let me = match signed_in(&auth) {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    for action in [Action::ReadDashboard, Action::DownloadEvidence] {
        if let Err(e) = me.require(action) {
            return refusal(e);
        }
    }
    let service = match services::find_by_slug(&state.db, &slug).await {
        Ok(Some(record)) => record.summary,
        Ok(None) => return refusal(AppError::NotFound),
        Err(e) => return refusal(e.into()),
    };
    let contents = match dossier::contents(&state.db, service.id).await {
        Ok(contents) => contents,
        Err(e) => return refusal(e.into()),
    };
    let now = state.clock.now_millis();
    // Read last: its chain head covers everything read before it.
    let scorecard = match exports::scorecard(&state, &slug, now).await {
        Ok(Some(scorecard)) => scorecard,
        Ok(None) => return refusal(AppError::NotFound),
        Err(e) => return refusal(e.into()),
    };
    let head = scorecard.audit_chain_head.clone();

    // Every file must be there before the first byte goes out: a missing
    // one is our fault, answered 500, not a download cut short.
    let mut files = Vec::new();
    for file in contents.files() {
        let path = state.files.path_of(&file.sha256);
        match path {
            Some(path) if tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_file()) => files.push((file, path)),
            _ => {
                tracing::error!(sha256 = %file.sha256, service = %slug, "a stored file of the dossier is missing");
                return refusal(AppError::Internal);
            }
        }
    }

    let job = Job {
        generated_at: now,
        manifest: Manifest::new(
            ManifestService { slug: service.slug.clone(), name: service.name.clone() },
            chrono::DateTime::from_timestamp_millis(now).map(|t| t.to_rfc3339()).unwrap_or_default(),
            head.clone(),
        ),
        scorecard: pretty(&scorecard),
        items: pretty(&contents.items),
        documents: pretty(&contents.documents),
        audit_header: exports::json_header(
            &AuditFilter { service: Some(service.slug.clone()), ..AuditFilter::default() },
            &head,
            now,
        ),
        files,
    };

    let (entry_sender, entries) = mpsc::channel(ENTRIES_AHEAD);
    let db = state.db.clone();
    let filter = TrailFilter { service_id: Some(service.id), ..TrailFilter::default() };
    tokio::spawn(async move { audit::send_entries(&db, &filter, head.seq, entry_sender).await });
    let (chunks, receiver) = mpsc::channel::<io::Result<Bytes>>(CHUNKS_AHEAD);
    tokio::task::spawn_blocking(move || job.run(chunks, entries));

    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    // hyper may poll a body again after its end; `Unfold` panics if it is.
    let body = futures_util::StreamExt::fuse(body);

    let day = app::domain::history::day_label(app::domain::history::day_of(now));
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if let Ok(value) = HeaderValue::from_str(&attachment(&format!("{slug}-dossier-{day}.zip"))) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// JSON for the archive: pretty, for people opening it. Plain data with
/// string keys: serialising cannot fail.
fn pretty<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).unwrap_or_default();
    out.push(b'\n');
    out
}

/// Everything the archive needs, read before the first byte is sent.
struct Job {
    generated_at: i64,
    manifest: Manifest,
    scorecard: Vec<u8>,
    items: Vec<u8>,
    documents: Vec<u8>,
    audit_header: Vec<u8>,
    files: Vec<(ArchiveFile, PathBuf)>,
}

impl Job {
    /// Writes the archive into `chunks` (on a blocking thread). A failure
    /// half-way ends the body with an error, so the client sees a cut-off
    /// download (which `verify` reports), never a short archive that looks
    /// whole; the log says why.
    fn run(self, chunks: mpsc::Sender<io::Result<Bytes>>, entries: mpsc::Receiver<Result<SealedEntry, sqlx::Error>>) {
        let stop = Arc::new(AtomicBool::new(false));
        let sink = ChannelSink { out: chunks.clone(), buffer: Vec::with_capacity(CHUNK), stop: stop.clone() };
        let mut writer = DossierWriter::new(sink, self.generated_at);
        let slug = self.manifest.service.slug.clone();
        let result = self.write(&mut writer, entries);
        let result = result.and_then(|manifest| writer.finish(manifest)).and_then(|mut sink| sink.flush());
        if let Err(e) = result {
            // Whatever the writer still emits as it is dropped goes nowhere.
            stop.store(true, Ordering::SeqCst);
            if e.kind() == io::ErrorKind::BrokenPipe {
                tracing::info!(service = %slug, "a dossier download was abandoned by the client");
            } else {
                tracing::error!(service = %slug, error = %e, "a dossier could not be completed");
                let _ = chunks.blocking_send(Err(io::Error::other("the dossier could not be completed")));
            }
        }
    }

    fn write(
        self,
        writer: &mut DossierWriter<ChannelSink>,
        mut entries: mpsc::Receiver<Result<SealedEntry, sqlx::Error>>,
    ) -> io::Result<Manifest> {
        writer.add_json("scorecard.json", &self.scorecard)?;
        writer.add_json("items.json", &self.items)?;
        writer.add_json("documents.json", &self.documents)?;

        writer.begin(archive::AUDIT, true, None)?;
        writer.write(&self.audit_header)?;
        while let Some(entry) = entries.blocking_recv() {
            let entry = entry.map_err(|e| io::Error::other(format!("cannot read the audit trail: {e}")))?;
            writer.write(&exports::json_lines(std::slice::from_ref(&entry)))?;
        }
        writer.end()?;

        for (file, path) in &self.files {
            let opened = std::fs::File::open(path)?;
            writer.copy(&file.path, opened, u64::try_from(file.size_bytes).ok())?;
            // The store is content-addressed: the bytes just sent must hash
            // to their address, or the stored file is damaged.
            let written = writer.listed().last().map(|f| f.sha256.as_str());
            if written != Some(file.sha256.as_str()) {
                return Err(io::Error::other(format!(
                    "the stored file {} no longer hashes to its address",
                    file.sha256
                )));
            }
        }
        Ok(self.manifest)
    }
}

/// The response body's end of the archive: bytes gathered into chunks and
/// handed over through a bounded channel (the thread waits while the
/// client is behind). Once `stop` is set, bytes are dropped.
struct ChannelSink {
    out: mpsc::Sender<io::Result<Bytes>>,
    buffer: Vec<u8>,
    stop: Arc<AtomicBool>,
}

impl ChannelSink {
    fn send(&mut self) -> io::Result<()> {
        let chunk = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK)));
        if self.out.blocking_send(Ok(chunk)).is_err() {
            self.stop.store(true, Ordering::SeqCst);
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"));
        }
        Ok(())
    }
}

impl Write for ChannelSink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.stop.load(Ordering::SeqCst) {
            return Ok(bytes.len());
        }
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.stop.load(Ordering::SeqCst) || self.buffer.is_empty() {
            return Ok(());
        }
        self.send()
    }
}
