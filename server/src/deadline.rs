//! A time limit for every page render and server call.
//!
//! A request that has produced no response within the limit is answered
//! 503 with the generic error page, and the log line names its route (the
//! request id is on the surrounding span, see `observe.rs`). A streamed page
//! whose body then stalls for as long is cut off, so a browser is never left
//! waiting on a response that will not finish. Neither should ever happen;
//! this makes sure that if it does, it is seen and named, not silent.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::StatusCode;
use tower_http::timeout::TimeoutBody;

use crate::panic_page;

pub async fn limit(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string());
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response.map(|body| Body::new(TimeoutBody::new(limit, body))),
        Err(_) => {
            tracing::error!(
                route = route.as_deref().unwrap_or("unmatched"),
                limit_secs = limit.as_secs_f64(),
                "no response within the time limit; answered 503"
            );
            panic_page::page(StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}
