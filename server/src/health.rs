//! `GET /healthz` (the process answers) and `GET /readyz` (and so does the
//! database). Load balancers send traffic only to ready replicas.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use app::backend::AppState;

/// How long readiness waits for the database before calling it down.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok\n")
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match tokio::time::timeout(READY_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready\n"),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
        Err(_) => {
            tracing::warn!("readiness check: database did not answer within {READY_TIMEOUT:?}");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}
