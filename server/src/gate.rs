//! Who may open which page: before the first administrator exists every
//! page leads to `/setup`; after that, pages other than `/login` and `/setup`
//! need a signed-in user and send everyone else to `/login`.
//!
//! This guards page loads only. Server functions and other routes check the
//! caller themselves (see `app::backend::auth`), so this is convenience, not
//! the access control.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::Method;
use tower_sessions::Session;

use app::backend::{auth, AppState};

/// Paths that are not pages: API, assets, operational endpoints.
fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path.starts_with("/pkg/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics")
        || path.rsplit('/').next().is_some_and(|last| last.contains('.')))
}

pub async fn pages(State(state): State<AppState>, session: Session, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if req.method() != Method::GET || !is_page(&path) {
        return next.run(req).await;
    }
    let has_users = match state.has_users().await {
        Ok(has) => has,
        // Let the page render its own error; readiness reports the database.
        Err(_) => return next.run(req).await,
    };
    if !has_users {
        return if path == "/setup" { next.run(req).await } else { Redirect::to("/setup").into_response() };
    }
    if matches!(path.as_str(), "/login" | "/setup") {
        return next.run(req).await;
    }
    match auth::current_user(&session, &state).await {
        Ok(Some(_)) => next.run(req).await,
        Ok(None) => Redirect::to("/login").into_response(),
        Err(_) => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::is_page;

    #[test]
    fn pages_are_told_apart_from_assets_and_endpoints() {
        for page in ["/", "/status", "/login", "/setup", "/no/such/page"] {
            assert!(is_page(page), "{page}");
        }
        for other in ["/api/auth/login", "/pkg/preflight.wasm", "/favicon.svg", "/healthz", "/metrics"] {
            assert!(!is_page(other), "{other}");
        }
    }
}
