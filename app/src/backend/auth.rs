//! Signing in and out, and who the caller is.
//!
//! The session (tower-sessions, stored in the database) holds the user's id
//! and when they signed in. Every request re-reads the user, so disabling an
//! account or changing a role takes effect at once. Sessions end after
//! `idle` without requests (enforced by the session expiry) and, whatever
//! the activity, `lifetime` after sign-in (enforced here).

use std::time::Duration;

use tower_sessions::Session;

use super::accounts::{self, User};
use super::audit::{self, AuditEntry};
use super::session_store::USER_ID_KEY;
use super::throttle;
use super::AppState;
use crate::domain::access::{can, Action, Policy, Principal};
use crate::error::AppError;

const STARTED_AT_KEY: &str = "auth.started_at";
/// The session key for the device description shown on the sessions page.
pub const DEVICE_KEY: &str = "auth.device";

/// How long sessions last. Configured by the server's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Ends a session after this long without a request.
    pub idle: Duration,
    /// Ends a session this long after sign-in, however active.
    pub lifetime: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy { idle: Duration::from_secs(30 * 60), lifetime: Duration::from_secs(12 * 3600) }
    }
}

/// The signed-in caller.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub principal: Principal,
}

impl CurrentUser {
    /// Fails closed with 403 unless the caller may perform `action`.
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        if can(Some(&self.principal), action, &Policy::default()) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// The session of the request a server function is answering.
pub async fn request_session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| AppError::internal("session extraction", e))
}

fn session_error(err: tower_sessions::session::Error) -> AppError {
    AppError::internal("session", err)
}

/// The caller, if signed in with a live session and an enabled account.
/// An expired or orphaned session is ended on the way.
pub async fn current_user(session: &Session, state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    let Some(user_id) = session.get::<i64>(USER_ID_KEY).await.map_err(session_error)? else {
        return Ok(None);
    };
    let started_at = session.get::<i64>(STARTED_AT_KEY).await.map_err(session_error)?.unwrap_or(0);
    let expired = state.clock.now_millis() - started_at >= state.session_policy.lifetime.as_millis() as i64;
    let user = if expired { None } else { accounts::find_by_id(&state.db, user_id).await? };
    match user {
        Some(user) if !user.disabled => {
            let principal = accounts::principal(&state.db, &user).await?;
            Ok(Some(CurrentUser { user, principal }))
        }
        _ => {
            session.flush().await.map_err(session_error)?;
            Ok(None)
        }
    }
}

/// The caller, or 401.
pub async fn require_user(session: &Session, state: &AppState) -> Result<CurrentUser, AppError> {
    current_user(session, state).await?.ok_or(AppError::Unauthenticated)
}

/// Signs `user` in on this session under a fresh session id, so an id
/// planted before sign-in is worthless after it.
pub async fn start_session(session: &Session, state: &AppState, user: &User, client: &Client) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    session.insert(USER_ID_KEY, user.id).await.map_err(session_error)?;
    session.insert(STARTED_AT_KEY, state.clock.now_millis()).await.map_err(session_error)?;
    session.insert(DEVICE_KEY, &client.device).await.map_err(session_error)?;
    Ok(())
}

/// Who is on the other end of a request, as far as we can tell.
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// Peer address (a proxy's, when behind one).
    pub ip: String,
    /// The browser's User-Agent, shortened; shown on the sessions page.
    pub device: String,
}

impl Client {
    /// The client of the request a server function is answering.
    pub async fn of_request() -> Client {
        let ip = leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .await
            .map(|info| info.0.ip().to_string())
            .unwrap_or_else(|_| "unknown".into());
        let device = leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.headers.get(http::header::USER_AGENT)?.to_str().ok().map(str::to_string))
            .map(|ua| ua.chars().take(200).collect())
            .unwrap_or_else(|| "Unknown device".into());
        Client { ip, device }
    }
}

/// Ends the session on the server and in the browser.
pub async fn end_session(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)
}

/// The one answer for every failed sign-in, whatever the reason, so the
/// response does not tell whether an email has an account.
fn bad_credentials() -> AppError {
    AppError::invalid("password", "That email and password do not match an account.")
}

/// The 429 answer for a caller who must wait `wait`.
pub fn too_many(wait: Duration) -> AppError {
    AppError::TooManyRequests { retry_after_secs: (wait.as_millis() as u64).div_ceil(1000).max(1) }
}

/// Checks credentials and signs the user in.
///
/// Order matters: the client's attempt budget is spent first, then a locked
/// email is refused without looking at the password. Unknown emails cost a
/// full password verification too, and every failure gives the same answer,
/// so neither timing nor wording reveals which emails have accounts.
pub async fn sign_in(
    session: &Session,
    state: &AppState,
    client: &Client,
    email: &str,
    password: &str,
) -> Result<User, AppError> {
    let client_ip = client.ip.as_str();
    let email = email.trim().to_lowercase();
    let now = state.clock.now_millis();
    let policy = &state.login_policy;
    if let Some(wait) = throttle::take_ip_attempt(&state.db, policy, client_ip, now).await? {
        return Err(too_many(wait));
    }
    if let Some(wait) = throttle::locked_for(&state.db, &email, now).await? {
        return Err(too_many(wait));
    }

    let user = accounts::find_by_email(&state.db, &email).await?;
    let verified = match &user {
        Some(user) => Some(
            state
                .passwords
                .verify(password, &user.password_hash)
                .await
                .map_err(|e| AppError::internal("password verification", e))?,
        ),
        None => {
            state.passwords.verify_dummy(password).await;
            None
        }
    };
    let user = match (user, verified) {
        (Some(user), Some(verified)) if verified.matched && !user.disabled => {
            if verified.needs_rehash {
                // Upgrade hashes made with older parameters while we hold the password.
                match state.passwords.hash(password).await {
                    Ok(hash) => accounts::set_password_hash(&state.db, user.id, &hash, now).await?,
                    Err(e) => tracing::warn!(error = %e, user_id = user.id, "could not upgrade password hash"),
                }
            }
            user
        }
        (user, _) => {
            let reason = match &user {
                None => "unknown email",
                Some(u) if u.disabled => "account disabled",
                Some(_) => "wrong password",
            };
            let actor = user.as_ref().map(|u| (u.id, u.name.as_str()));
            let entry = |action| AuditEntry {
                actor_user_id: actor.map(|(id, _)| id),
                actor_label: actor.map(|(_, name)| name).unwrap_or("anonymous"),
                action,
                detail: Some(format!("{reason}; client {client_ip}")),
                ..Default::default()
            };
            audit::record(state.db.pool(), now, entry("login.failed")).await?;
            if throttle::record_failure(&state.db, policy, &email, now).await? {
                audit::record(state.db.pool(), now, entry("login.locked")).await?;
            }
            return Err(bad_credentials());
        }
    };

    let was_locked = throttle::record_success(&state.db, &email).await?;
    start_session(session, state, &user, client).await?;
    let entry = |action| AuditEntry {
        actor_user_id: Some(user.id),
        actor_label: &user.name,
        action,
        detail: Some(format!("client {client_ip}")),
        ..Default::default()
    };
    if was_locked {
        audit::record(state.db.pool(), now, entry("login.unlocked")).await?;
    }
    audit::record(state.db.pool(), now, entry("login.succeeded")).await?;
    Ok(user)
}
