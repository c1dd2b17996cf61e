//! `GET /badge/<slug>.svg`: a service's level and gate as a README shield,
//! for services whose lead made the badge public. Every other address
//! (private, archived, unknown, malformed) gets the same 404, so the
//! route does not reveal whether a service exists.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};

use app::backend::{services, AppState};

pub async fn badge(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(slug) = file.strip_suffix(".svg") else { return not_found() };
    match services::public_badge(&state.db, slug).await {
        Ok(Some(figures)) => {
            let mut response = app::domain::badge::svg(&figures).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml; charset=utf-8"));
            // READMEs cache images hard; ask for a fresh copy every time.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, max-age=0"));
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            // Opened on its own, the image runs nothing and loads nothing.
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
            );
            response
        }
        Ok(None) => not_found(),
        Err(e) => {
            tracing::error!(error = %e, "cannot read a status badge");
            (StatusCode::SERVICE_UNAVAILABLE, "Try again shortly.\n").into_response()
        }
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not found.\n").into_response()
}
