//! Evidence and document files over HTTP: uploads (multipart, streamed to
//! the file store under the size limit, never buffered whole) and
//! downloads (always as an attachment, with the type the store detected
//! and `nosniff`, so no file is ever rendered as a page of ours).
//!
//! Uploads are plain HTML form posts answered with a redirect back to the
//! page, so they work before (and without) the page's script; a problem
//! travels back in the link (`domain::uploads`) and shows next to its field.
//! The file is at its address before the row that points at it commits.

// Helpers here answer early with a whole `Response` as their error: that
// is what a handler returns anyway, and a refusal is not a hot path.
#![allow(clippy::result_large_err)]

use axum::body::Body;
use axum::extract::multipart::Field;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use http::{header, HeaderValue, StatusCode};

use app::backend::audit::Actor;
use app::backend::caller::{CurrentUser, RequestAuth};
use app::backend::documents::{self, Content};
use app::backend::evidence::{self, NewEvidence};
use app::backend::file_store::{StoreError, StoredFile};
use app::backend::{items, services, AppState};
use app::domain::access::Action;
use app::domain::documents::DocumentKind;
use app::domain::uploads::UploadProblem;
use app::error::AppError;

/// Text fields of the upload forms are short; anything longer is refused
/// before it is read any further.
const MAX_TEXT_FIELD: usize = 8 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/items/{id}/evidence/file", post(upload_evidence))
        .route("/services/{slug}/documents", post(upload_document))
        .route("/evidence/{id}/download", get(download_evidence))
        .route("/documents/versions/{id}/download", get(download_document))
        .route("/templates/{id}/export", get(export_template))
        // The file store enforces the upload limit while streaming.
        .layer(axum::extract::DefaultBodyLimit::disable())
}

/// The signed-in caller, or the answer for someone who is not.
pub(crate) fn signed_in(auth: &RequestAuth) -> Result<&CurrentUser, Response> {
    auth.user().ok_or_else(|| Redirect::to("/login").into_response())
}

fn actor<'a>(me: &'a CurrentUser, auth: &'a RequestAuth) -> Actor<'a> {
    Actor { id: me.user.id, name: &me.user.name, client: Some(auth.client()) }
}

/// The id of service `slug`, for a signed-in caller who may read it;
/// otherwise the answer to give (sign in, refused, not found).
pub(crate) async fn readable_service(state: &AppState, auth: &RequestAuth, slug: &str) -> Result<i64, Response> {
    signed_in(auth)?.require(Action::ReadDashboard).map_err(refusal)?;
    match services::find_by_slug(&state.db, slug).await {
        Ok(Some(record)) => Ok(record.summary.id),
        Ok(None) => Err(refusal(AppError::NotFound)),
        Err(e) => Err(refusal(e.into())),
    }
}

/// The answer for an error that is not about a form field.
pub(crate) fn refusal(err: AppError) -> Response {
    let status = StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, format!("{err}\n")).into_response()
}

/// Back to `page`, with the problem for its form.
fn back_with(page: &str, problem: UploadProblem) -> Response {
    Redirect::to(&format!("{page}?{}#upload", problem.to_query())).into_response()
}

/// What a store failure means for the form.
fn store_problem(err: StoreError) -> UploadProblem {
    match err {
        StoreError::TooLarge { limit } => UploadProblem::TooLarge { limit_mib: limit / (1024 * 1024) },
        StoreError::TypeNotAllowed { detected } => UploadProblem::TypeNotAllowed {
            detected: app::domain::uploads::REFUSED_TYPES
                .iter()
                .find(|t| **t == detected)
                .copied()
                .unwrap_or("unknown binary data"),
        },
        StoreError::Empty => UploadProblem::Empty,
        StoreError::Io(e) => {
            tracing::error!(error = %e, "storing an uploaded file failed");
            UploadProblem::Failed
        }
    }
}

/// A field error from the backend as a form problem (other errors answer
/// with their status).
fn field_problem(err: AppError) -> Result<UploadProblem, Response> {
    match &err {
        AppError::Invalid { field, .. } => UploadProblem::for_field(field).ok_or_else(|| refusal(err)),
        _ => Err(refusal(err)),
    }
}

/// A short text field, or `None` when it runs past [`MAX_TEXT_FIELD`].
async fn text(field: &mut Field<'_>) -> Option<String> {
    let mut bytes = Vec::new();
    while let Ok(Some(chunk)) = field.chunk().await {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_TEXT_FIELD {
            return None;
        }
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The multipart form read in order: short text fields, and the file
/// streamed into the store as it arrives. A form with no file chosen
/// gives `file: None`.
struct UploadForm {
    fields: Vec<(String, String)>,
    file: Option<(StoredFile, String)>,
}

impl UploadForm {
    fn get(&self, name: &str) -> &str {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }
}

/// Reads and discards what is left of the request (at most `budget`
/// bytes), so a refusal can be answered: a browser still sending a big
/// file sees a reset connection, not our answer, if we stop reading.
/// Nothing is kept.
async fn drain(mut field: Field<'_>, budget: &mut u64) {
    while let Ok(Some(chunk)) = field.chunk().await {
        *budget = budget.saturating_sub(chunk.len() as u64);
        if *budget == 0 {
            return;
        }
    }
}

/// How much of a refused upload is read and thrown away before the
/// connection is simply closed.
fn drain_budget(state: &AppState) -> u64 {
    state.files.max_bytes().saturating_mul(4).max(64 * 1024 * 1024)
}

async fn read_form(state: &AppState, mut multipart: Multipart) -> Result<UploadForm, UploadProblem> {
    let mut budget = drain_budget(state);
    let result = read_fields(state, &mut multipart, &mut budget).await;
    if result.is_err() {
        while budget > 0 {
            match multipart.next_field().await {
                Ok(Some(field)) => drain(field, &mut budget).await,
                _ => break,
            }
        }
    }
    result
}

async fn read_fields(
    state: &AppState,
    multipart: &mut Multipart,
    budget: &mut u64,
) -> Result<UploadForm, UploadProblem> {
    let mut form = UploadForm { fields: Vec::new(), file: None };
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(form),
            Err(e) => {
                tracing::warn!(error = %e, "unreadable multipart upload");
                return Err(UploadProblem::Failed);
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or_default().to_string();
            if file_name.is_empty() {
                continue; // no file chosen
            }
            let mut upload = state.files.begin(&file_name).await.map_err(store_problem)?;
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        if let Err(e) = upload.write(&chunk).await {
                            drain(field, budget).await;
                            return Err(store_problem(e));
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "upload cut off");
                        return Err(UploadProblem::Failed);
                    }
                }
            }
            form.file = Some((upload.finish().await.map_err(store_problem)?, file_name));
        } else {
            let value = text(&mut field).await.ok_or(UploadProblem::Field("note"))?;
            form.fields.push((name, value));
        }
    }
}

/// `POST /items/{id}/evidence/file`: a file (and a note) as evidence.
async fn upload_evidence(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(item_id): Path<i64>,
    multipart: Multipart,
) -> Response {
    let me = match signed_in(&auth) {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    let owner = match items::owner(&state.db, item_id).await {
        Ok(Some(owner)) => owner,
        Ok(None) => return refusal(AppError::NotFound),
        Err(e) => return refusal(e.into()),
    };
    if !me.may(Action::EditTeamChecklists { team_id: owner.team_id }) || owner.archived {
        return refusal(AppError::Forbidden);
    }
    let page = format!("/items/{item_id}");
    let form = match read_form(&state, multipart).await {
        Ok(form) => form,
        Err(problem) => return back_with(&page, problem),
    };
    let Some((stored, file_name)) = &form.file else {
        return back_with(&page, UploadProblem::Field("file"));
    };
    let evidence =
        NewEvidence::File { sha256: &stored.sha256, size: stored.size, kind: stored.kind.as_str(), file_name };
    let now = state.clock.now_millis();
    match evidence::add(&state.db, actor(me, &auth), owner, item_id, evidence, form.get("note"), now).await {
        Ok(_) => Redirect::to(&format!("{page}?added=file#evidence")).into_response(),
        Err(err) => match field_problem(err) {
            Ok(problem) => back_with(&page, problem),
            Err(answer) => answer,
        },
    }
}

/// `POST /services/{slug}/documents`: a new document, or a new version of
/// one (`document_id`), as a file or a link.
async fn upload_document(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(slug): Path<String>,
    multipart: Multipart,
) -> Response {
    let me = match signed_in(&auth) {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    let service = match services::find_by_slug(&state.db, &slug).await {
        Ok(Some(service)) => service.summary,
        Ok(None) => return refusal(AppError::NotFound),
        Err(e) => return refusal(e.into()),
    };
    if !me.may(Action::EditTeamChecklists { team_id: service.team_id }) || service.archived {
        return refusal(AppError::Forbidden);
    }
    let page = format!("/services/{slug}");
    let form = match read_form(&state, multipart).await {
        Ok(form) => form,
        Err(problem) => return back_with(&page, problem),
    };
    let document = form.get("document_id").trim().parse::<i64>().ok();
    let kind = match (document, DocumentKind::parse(form.get("kind"))) {
        (_, Some(kind)) => kind,
        (Some(_), None) => DocumentKind::Other, // a new version keeps its document's kind
        (None, None) => return back_with(&page, UploadProblem::Field("kind")),
    };
    let content = match (&form.file, form.get("url").trim()) {
        (Some((stored, file_name)), _) => {
            Content::File { sha256: &stored.sha256, size: stored.size, kind: stored.kind.as_str(), file_name }
        }
        (None, "") => return back_with(&page, UploadProblem::Field("file")),
        (None, url) => Content::Link(url),
    };
    let now = state.clock.now_millis();
    let added = documents::add(
        &state.db,
        actor(me, &auth),
        service.id,
        document,
        kind,
        form.get("title"),
        form.get("label"),
        form.get("date"),
        content,
        now,
    )
    .await;
    match added {
        Ok(_) => Redirect::to(&format!("{page}?added=document#documents")).into_response(),
        Err(err) => match field_problem(err) {
            Ok(problem) => back_with(&page, problem),
            Err(answer) => answer,
        },
    }
}

/// `GET /evidence/{id}/download`.
async fn download_evidence(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(evidence_id): Path<i64>,
) -> Response {
    if let Err(answer) = may_download(&auth) {
        return answer;
    }
    match evidence::download(&state.db, evidence_id).await {
        Ok(Some(file)) => send(&state, file).await,
        Ok(None) => refusal(AppError::NotFound),
        Err(e) => refusal(e.into()),
    }
}

/// `GET /documents/versions/{id}/download`.
async fn download_document(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(version_id): Path<i64>,
) -> Response {
    if let Err(answer) = may_download(&auth) {
        return answer;
    }
    match documents::download(&state.db, version_id).await {
        Ok(Some((_, file))) => send(&state, file).await,
        Ok(None) => refusal(AppError::NotFound),
        Err(e) => refusal(e.into()),
    }
}

/// `GET /templates/{id}/export?version=N`: a template version as TOML,
/// in the format it is imported in. Everyone signed in reads templates.
async fn export_template(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(template_id): Path<i64>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Err(answer) = signed_in(&auth) {
        return answer;
    }
    let version = query.get("version").and_then(|v| v.parse::<u32>().ok());
    match app::backend::templates::export(&state.db, template_id, version).await {
        Ok(Some((key, source))) => {
            let name = format!("{key}-v{}.toml", version.map_or("latest".to_string(), |v| v.to_string()));
            toml_download(&name, source)
        }
        Ok(None) => refusal(AppError::NotFound),
        Err(e) => refusal(e.into()),
    }
}

/// `text` as a TOML file named `name`, downloaded rather than shown.
pub(crate) fn toml_download(name: &str, text: String) -> Response {
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/toml; charset=utf-8"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(value) = HeaderValue::from_str(&attachment(name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// Downloads follow the "viewers may download evidence" setting.
fn may_download(auth: &RequestAuth) -> Result<(), Response> {
    let me = signed_in(auth)?;
    me.require(Action::DownloadEvidence).map_err(refusal)
}

/// Streams a stored file as an attachment.
async fn send(state: &AppState, file: evidence::Download) -> Response {
    let opened = match state.files.open(&file.sha256).await {
        Ok(opened) => opened,
        Err(e) => {
            tracing::error!(sha256 = %file.sha256, error = %e, "a stored file is missing");
            return refusal(AppError::Internal);
        }
    };
    let mime = app::backend::file_store::FileKind::parse(&file.kind).map_or("application/octet-stream", |k| k.mime());
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(opened));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size_bytes.max(0) as u64));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    // Even if something renders it, it runs nothing and reaches nothing.
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    if let Ok(value) = HeaderValue::from_str(&attachment(&file.file_name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): an ASCII
/// fallback and the exact name percent-encoded.
pub(crate) fn attachment(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::attachment;

    #[test]
    fn download_names_are_quoted_safely() {
        assert_eq!(attachment("report.pdf"), "attachment; filename=\"report.pdf\"; filename*=UTF-8''report%2Epdf");
        assert_eq!(
            attachment("a\"b\\c é.txt"),
            "attachment; filename=\"a_b_c _.txt\"; filename*=UTF-8''a%22b%5Cc%20%C3%A9%2Etxt"
        );
    }
}
