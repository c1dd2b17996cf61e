//! Who may open which page: before the first administrator exists every
//! page leads to `/setup`; after that, pages other than the sign-in ones
//! (see [`is_public`]) need a signed-in user and send everyone else to
//! `/login`. An administrator who must set up two-step sign-in is sent to
//! `/account/mfa` from every other page.
//!
//! The caller was resolved by the session middleware (`session.rs`) before
//! this runs. This guards page loads only: server functions and other
//! routes check the caller themselves (`app::backend::caller::caller`), so
//! this is convenience, not the access control.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::Method;

use app::backend::caller::RequestAuth;
use app::backend::AppState;

/// Paths that are not pages: API, assets, operational endpoints.
fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path.starts_with("/pkg/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics")
        || path.rsplit('/').next().is_some_and(|last| last.contains('.')))
}

const MFA_PAGE: &str = "/account/mfa";

/// Pages for people who are not signed in: signing in, first-run setup and
/// the pages single-use links open.
fn is_public(path: &str) -> bool {
    matches!(path, "/login" | "/login/verify" | "/setup" | "/forgot-password")
        || path.starts_with("/reset-password/")
        || path.starts_with("/invite/")
}

pub async fn pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
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
    if is_public(&path) {
        return next.run(req).await;
    }
    let auth = req.extensions().get::<RequestAuth>().cloned().unwrap_or_default();
    match auth.user() {
        Some(me) if me.must_enrol_mfa && path != MFA_PAGE => Redirect::to(MFA_PAGE).into_response(),
        Some(_) => next.run(req).await,
        None => Redirect::to("/login").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::{is_page, is_public};

    #[test]
    fn sign_in_pages_are_public_and_others_not() {
        for public in ["/login", "/login/verify", "/forgot-password", "/reset-password/abc", "/invite/abc", "/setup"] {
            assert!(is_public(public), "{public}");
        }
        for private in ["/", "/account", "/account/mfa", "/admin/users", "/teams", "/invitex"] {
            assert!(!is_public(private), "{private}");
        }
    }

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
