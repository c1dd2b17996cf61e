//! Per-request observation: a request id, one structured log line, metrics.
//!
//! Only the client address (see `client_addr`), the method, the path (never the query string, which may carry
//! tokens, and with the token of a link page replaced, see [`loggable_path`]),
//! the status and the duration are logged. Bodies, cookies and
//! `Authorization` headers never are.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;
use tower_http::request_id::{MakeRequestId, RequestId};
use tracing::Instrument;

use crate::client_addr::ClientAddr;
use crate::metrics::Metrics;

/// Makes the id of a request that arrives without one: a UUID in 32 hex
/// digits. Used with tower-http's request-id layers (see
/// `router::with_middleware`): an `X-Request-Id` set by a load balancer is
/// kept, so its log and ours name the same request.
#[derive(Clone, Copy, Debug, Default)]
pub struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&uuid::Uuid::new_v4().simple().to_string()).ok().map(RequestId::new)
    }
}

/// The id of the request, for the log and the audit trail.
pub fn request_id(req: &Request) -> String {
    req.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok()).unwrap_or_default().to_string()
}

pub async fn observe(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = request_id(&req);
    let method = req.method().clone();
    let path = loggable_path(req.uri().path());
    let route = route_label(req.extensions().get::<MatchedPath>().map(MatchedPath::as_str), &path);

    let client = req.extensions().get::<ClientAddr>().map(|addr| addr.0.to_string()).unwrap_or_default();
    let span = tracing::info_span!("request", id = %request_id, client = %client, method = %method, path = %path);
    let response = next.run(req).instrument(span.clone()).await;

    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    metrics.observe_request(&route, status, elapsed.as_secs_f64());
    span.in_scope(|| {
        let ms = elapsed.as_secs_f64() * 1000.0;
        if status >= 500 {
            tracing::warn!(status, duration_ms = ms, route = %route, "request failed");
        } else {
            tracing::info!(status, duration_ms = ms, route = %route, "request");
        }
    });
    response
}

/// Pages opened from single-use links carry the secret in the path: the log
/// gets the route instead (`/invite/{token}`). Any other path segment long
/// enough to be a token is replaced too, so an unmatched path cannot leak one.
pub fn loggable_path(path: &str) -> String {
    const SECRET_PREFIXES: [&str; 2] = ["/invite/", "/reset-password/"];
    if let Some(prefix) = SECRET_PREFIXES.iter().find(|p| path.starts_with(**p)) {
        return format!("{prefix}{{token}}");
    }
    path.split('/')
        .map(|segment| if segment.len() >= 32 { "{redacted}" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

/// A bounded label for the route: the matched pattern, or a fixed bucket
/// for requests that matched no route.
fn route_label(matched: Option<&str>, path: &str) -> String {
    match matched {
        Some(pattern) => pattern.to_string(),
        None if path.starts_with("/pkg/") => "/pkg/*".to_string(),
        None => "unmatched".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{loggable_path, route_label};

    #[test]
    fn link_tokens_never_reach_the_log() {
        let token = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert_eq!(loggable_path(&format!("/invite/{token}")), "/invite/{token}");
        assert_eq!(loggable_path(&format!("/reset-password/{token}")), "/reset-password/{token}");
        assert_eq!(loggable_path(&format!("/anything/{token}/x")), "/anything/{redacted}/x");
        assert_eq!(loggable_path("/teams/7"), "/teams/7");
        assert_eq!(loggable_path("/"), "/");
    }

    #[test]
    fn unmatched_paths_share_one_label() {
        assert_eq!(route_label(Some("/status"), "/status"), "/status");
        assert_eq!(route_label(None, "/pkg/preflight.wasm"), "/pkg/*");
        assert_eq!(route_label(None, "/wp-admin/x.php"), "unmatched");
        assert_eq!(route_label(None, "/random/123"), "unmatched");
    }
}
