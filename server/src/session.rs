//! The session middleware: decides once who a request comes from, for the
//! page gate, the header and every server function of that request (see
//! `app::backend::caller`), then tells the browser about a new or ended
//! session.
//!
//! The cookie is HttpOnly and SameSite=Lax, and over HTTPS also Secure with
//! the `__Host-` prefix (no Domain, Path=/), so no other host can set or
//! read it. It lives as long as a session can (the absolute lifetime); the
//! server ends sessions earlier when they idle.
//!
//! Static files never get here (see [`needs_caller`]), and health,
//! readiness and metrics are routed outside this layer: they never touch the
//! sessions table.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use cookie::{Cookie, SameSite};
use http::{header, HeaderValue, StatusCode};

use app::backend::caller::{self, Client, CookieChange};
use app::backend::AppState;

use crate::client_addr::ClientAddr;
use crate::observe;
use crate::panic_page;

/// The session cookie's name: `__Host-` prefixed over HTTPS.
pub fn cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-preflight_session"
    } else {
        "preflight_session"
    }
}

/// Requests that need to know their caller: pages and server functions, not
/// static files (whose names have a dot) or the wasm bundle. Downloads
/// named like files under `/services/` (`dossier.zip`) are not static.
pub fn needs_caller(path: &str) -> bool {
    path.starts_with("/services/")
        || !(path.starts_with("/pkg/") || path.rsplit('/').next().is_some_and(|last| last.contains('.')))
}

pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if !needs_caller(req.uri().path()) {
        return next.run(req).await;
    }
    let https = state.is_https();
    let name = cookie_name(https);
    let token = session_token(&req, name);
    let client = client_of(&req);
    let auth = match caller::resolve(&state, token.as_deref(), client).await {
        Ok(auth) => auth,
        // Logged where it happened; the user gets the generic page and
        // nothing changes (no sign-out because the database blinked).
        Err(_) => return panic_page::page(StatusCode::SERVICE_UNAVAILABLE),
    };
    req.extensions_mut().insert(auth.clone());
    // Whatever a state-changing request changed has committed when it ends;
    // from then on no copy of a session lookup from before may answer (see
    // `lookup_cache`). A guard, so that this holds also when the request is
    // cut off (time limit, client gone) after its commit.
    let stale_after = (!req.method().is_safe()).then(|| InvalidateLookups(state.lookups.clone()));
    let mut response = next.run(req).await;
    drop(stale_after);
    if let Some(change) = auth.cookie_change() {
        let cookie = set_cookie(&state, name, https, change);
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Empties the session lookup cache when dropped.
struct InvalidateLookups(std::sync::Arc<app::backend::lookup_cache::LookupCache>);

impl Drop for InvalidateLookups {
    fn drop(&mut self) {
        self.0.invalidate_all();
    }
}

/// The session token the browser sent, if any.
fn session_token(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_string())
}

/// Who is on the other end: address, browser, request id.
fn client_of(req: &Request) -> Client {
    // Resolved by `client_addr::layer`: the peer, or behind a trusted proxy
    // the client it forwarded for.
    let ip = req.extensions().get::<ClientAddr>().map(|addr| addr.0.to_string()).unwrap_or_else(|| "unknown".into());
    let device = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|ua| ua.to_str().ok())
        // Kept as sent (shortened); the sessions page names it.
        .map(|ua| ua.chars().take(200).collect())
        .unwrap_or_else(|| "Unknown device".into());
    let request_id = observe::request_id(req);
    Client { ip, device, request_id }
}

fn set_cookie(state: &AppState, name: &'static str, https: bool, change: CookieChange) -> Cookie<'static> {
    let (value, max_age) = match change {
        CookieChange::Set(token) => {
            (token, cookie::time::Duration::seconds(state.session_policy.lifetime.as_secs() as i64))
        }
        CookieChange::Clear => (String::new(), cookie::time::Duration::ZERO),
    };
    Cookie::build((name, value))
        .http_only(true)
        .secure(https)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(max_age)
        .build()
}

#[cfg(test)]
mod tests {
    use super::needs_caller;

    #[test]
    fn assets_do_not_need_a_caller() {
        for page in ["/", "/login", "/api/auth/me", "/teams/7", "/no/such/page", "/services/pay/dossier.zip"] {
            assert!(needs_caller(page), "{page}");
        }
        for asset in ["/pkg/preflight.wasm", "/favicon.svg", "/pkg/preflight.css"] {
            assert!(!needs_caller(asset), "{asset}");
        }
    }
}
