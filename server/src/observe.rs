//! Per-request observation: a request id, one structured log line, metrics.
//!
//! Only the method, the path (never the query string, which may carry
//! tokens), the status and the duration are logged. Bodies, cookies and
//! `Authorization` headers never are.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;
use tracing::Instrument;

use crate::metrics::Metrics;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of the request being handled, for handlers that want to record it.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

pub async fn observe(State(metrics): State<Arc<Metrics>>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let route = route_label(req.extensions().get::<MatchedPath>().map(MatchedPath::as_str), &path);

    let span = tracing::info_span!("request", id = %request_id, method = %method, path = %path);
    let mut response = next.run(req).instrument(span.clone()).await;

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
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
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
    use super::route_label;

    #[test]
    fn unmatched_paths_share_one_label() {
        assert_eq!(route_label(Some("/status"), "/status"), "/status");
        assert_eq!(route_label(None, "/pkg/preflight.wasm"), "/pkg/*");
        assert_eq!(route_label(None, "/wp-admin/x.php"), "unmatched");
        assert_eq!(route_label(None, "/random/123"), "unmatched");
    }
}
