//! Cross-site request forgery protection for every state-changing request.
//!
//! Browsers label each request with where it came from. A POST (or PUT,
//! PATCH, DELETE) is refused with 403 when `Sec-Fetch-Site` says another
//! site sent it, or when its `Origin` is neither our public URL nor the host
//! it was sent to. Requests with neither header come from non-browser
//! clients, which cannot carry a victim's cookies by accident. Session
//! cookies are also `SameSite=Lax`.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, Method, StatusCode};
use url::Url;

#[derive(Clone, Debug)]
pub struct CsrfConfig {
    /// Origin of the public URL, e.g. `https://preflight.example.com`.
    pub public_origin: String,
}

impl CsrfConfig {
    pub fn new(public_url: &Url) -> Self {
        CsrfConfig { public_origin: public_url.origin().ascii_serialization() }
    }
}

pub async fn guard(State(config): State<CsrfConfig>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) || is_same_origin(&config, &req) {
        return next.run(req).await;
    }
    tracing::warn!(method = %req.method(), path = req.uri().path(), "refused a cross-site request");
    (StatusCode::FORBIDDEN, "This request came from another site and was refused.\n").into_response()
}

fn is_same_origin(config: &CsrfConfig, req: &Request) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return false;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if origin == config.public_origin {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    !host.is_empty() && (origin == format!("http://{host}") || origin == format!("https://{host}"))
}
