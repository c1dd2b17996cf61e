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
use super::passwords::PasswordError;
use super::session_store::USER_ID_KEY;
use super::throttle;
use super::{instance_settings, mfa, AppState};
use crate::domain::access::{can, Action, Policy, Principal, Role};
use crate::error::AppError;

const STARTED_AT_KEY: &str = "auth.started_at";
/// `privileges_changed_at` of the user when this session last got its id.
const PRIVILEGES_AT_KEY: &str = "auth.privileges_at";
/// Between a correct password and the second factor: who, and since when.
const PENDING_USER_KEY: &str = "auth.pending_user_id";
const PENDING_AT_KEY: &str = "auth.pending_at";
/// How long the second-factor step waits after the password.
const PENDING_LIFETIME_MS: i64 = 5 * 60 * 1000;
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
    /// An administrator while the "administrators need MFA" setting is on.
    pub mfa_required: bool,
    /// ...who has not set it up yet: nothing else is allowed until they do.
    pub must_enrol_mfa: bool,
    /// The instance's access settings at the time of the request.
    pub policy: Policy,
}

impl CurrentUser {
    /// Fails closed with 403 unless the caller may perform `action`. Until
    /// a required second factor is set up, only the own account is allowed.
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        if self.must_enrol_mfa && action != Action::ManageOwnAccount {
            return Err(AppError::Forbidden);
        }
        if can(Some(&self.principal), action, &self.policy) {
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
/// An expired or orphaned session is ended on the way; a session older than
/// the user's last change of powers gets a new id.
pub async fn current_user(session: &Session, state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    let Some(user_id) = session.get::<i64>(USER_ID_KEY).await.map_err(session_error)? else {
        return Ok(None);
    };
    let started_at = session.get::<i64>(STARTED_AT_KEY).await.map_err(session_error)?.unwrap_or(0);
    let expired = state.clock.now_millis() - started_at >= state.session_policy.lifetime.as_millis() as i64;
    let user = if expired { None } else { accounts::find_by_id(&state.db, user_id).await? };
    match user {
        Some(user) if !user.disabled => {
            let seen = session.get::<i64>(PRIVILEGES_AT_KEY).await.map_err(session_error)?.unwrap_or(0);
            if user.privileges_changed_at > seen {
                session.cycle_id().await.map_err(session_error)?;
                session.insert(PRIVILEGES_AT_KEY, user.privileges_changed_at).await.map_err(session_error)?;
            }
            let principal = accounts::principal(&state.db, &user).await?;
            let settings = instance_settings::access(&state.db).await?;
            let mfa_required = user.role == Role::Admin && settings.require_admin_mfa;
            let must_enrol_mfa = mfa_required && !mfa::status(&state.db, user.id).await?.0;
            Ok(Some(CurrentUser { user, principal, mfa_required, must_enrol_mfa, policy: settings.policy }))
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
    session.remove_value(PENDING_USER_KEY).await.map_err(session_error)?;
    session.remove_value(PENDING_AT_KEY).await.map_err(session_error)?;
    session.insert(USER_ID_KEY, user.id).await.map_err(session_error)?;
    session.insert(PRIVILEGES_AT_KEY, user.privileges_changed_at).await.map_err(session_error)?;
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

/// Re-checks the signed-in user's password before a sensitive change. It is
/// throttled like sign-in, so a borrowed session cannot be used to guess it;
/// a wrong password is an error on `field`.
pub async fn confirm_password(state: &AppState, user: &User, password: &str, field: &str) -> Result<(), AppError> {
    let now = state.clock.now_millis();
    if let Some(wait) = throttle::locked_for(&state.db, &user.email, now).await? {
        return Err(too_many(wait));
    }
    if password.is_empty() {
        return Err(AppError::invalid(field, "Enter your current password."));
    }
    let verified = state.passwords.verify(password, &user.password_hash).await.map_err(hashing_error)?;
    if !verified.matched {
        throttle::record_failure(&state.db, &state.login_policy, &user.email, now).await?;
        return Err(AppError::invalid(field, "That is not your current password."));
    }
    Ok(())
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

/// A hashing failure as an answer: "busy" is a 429 asking to retry in a
/// second (a flood is shed instead of queued), anything else is internal.
pub fn hashing_error(err: PasswordError) -> AppError {
    match err {
        PasswordError::Busy => too_many(Duration::from_secs(1)),
        other => AppError::internal("password hashing", other),
    }
}

/// The 429 answer for a caller who must wait `wait`.
pub fn too_many(wait: Duration) -> AppError {
    AppError::TooManyRequests { retry_after_secs: (wait.as_millis() as u64).div_ceil(1000).max(1) }
}

/// Where a correct password leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    /// Signed in.
    Done,
    /// The password was right; the second factor is asked for next.
    NeedsCode,
}

/// Checks credentials and signs the user in (or, with a second factor,
/// remembers them as half signed in until [`complete_second_factor`]).
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
) -> Result<SignIn, AppError> {
    let client_ip = client.ip.as_str();
    let email = email.trim().to_lowercase();
    let now = state.clock.now_millis();
    let policy = &state.login_policy;
    // Under a flood, refuse before any database work (same answer for every email).
    if state.passwords.is_saturated() {
        return Err(hashing_error(PasswordError::Busy));
    }
    if let Some(wait) = throttle::take_ip_attempt(&state.db, policy, client_ip, now).await? {
        return Err(too_many(wait));
    }
    if let Some(wait) = throttle::locked_for(&state.db, &email, now).await? {
        return Err(too_many(wait));
    }

    let user = accounts::find_by_email(&state.db, &email).await?;
    let verified = match &user {
        // Invited users without a password fall through to the dummy hash.
        Some(user) if user.has_password() => {
            Some(state.passwords.verify(password, &user.password_hash).await.map_err(hashing_error)?)
        }
        _ => {
            state.passwords.verify_dummy(password).await.map_err(hashing_error)?;
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
                Some(u) if !u.has_password() => "invitation not accepted yet",
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

    if mfa::status(&state.db, user.id).await?.0 {
        // Half signed in: a fresh id, and only a note of who is expected.
        session.cycle_id().await.map_err(session_error)?;
        session.insert(PENDING_USER_KEY, user.id).await.map_err(session_error)?;
        session.insert(PENDING_AT_KEY, now).await.map_err(session_error)?;
        return Ok(SignIn::NeedsCode);
    }
    finish_sign_in(session, state, client, &user, "password").await?;
    Ok(SignIn::Done)
}

/// Starts the session after every factor checked out, and records it.
async fn finish_sign_in(
    session: &Session,
    state: &AppState,
    client: &Client,
    user: &User,
    method: &str,
) -> Result<(), AppError> {
    let now = state.clock.now_millis();
    let was_locked = throttle::record_success(&state.db, &user.email).await?;
    start_session(session, state, user, client).await?;
    let entry = |action| AuditEntry {
        actor_user_id: Some(user.id),
        actor_label: &user.name,
        action,
        detail: Some(format!("{method}; client {}", client.ip)),
        ..Default::default()
    };
    if was_locked {
        audit::record(state.db.pool(), now, entry("login.unlocked")).await?;
    }
    audit::record(state.db.pool(), now, entry("login.succeeded")).await?;
    Ok(())
}

/// The user waiting for their second factor on this session, if the
/// password step was recent enough.
pub async fn pending_second_factor(session: &Session, state: &AppState) -> Result<Option<User>, AppError> {
    let Some(user_id) = session.get::<i64>(PENDING_USER_KEY).await.map_err(session_error)? else {
        return Ok(None);
    };
    let since = session.get::<i64>(PENDING_AT_KEY).await.map_err(session_error)?.unwrap_or(0);
    if state.clock.now_millis() - since > PENDING_LIFETIME_MS {
        return Ok(None);
    }
    Ok(accounts::find_by_id(&state.db, user_id).await?.filter(|u| !u.disabled))
}

/// The second sign-in step: an authenticator code or a recovery code.
/// Wrong and replayed codes count as failed sign-ins for the account (so
/// five lock it) and spend the client's attempt budget like passwords do.
pub async fn complete_second_factor(
    session: &Session,
    state: &AppState,
    client: &Client,
    code: &str,
) -> Result<(), AppError> {
    let user = pending_second_factor(session, state).await?.ok_or_else(|| {
        AppError::invalid("code", "Your sign-in took too long. Go back and enter your password again.")
    })?;
    let now = state.clock.now_millis();
    let policy = &state.login_policy;
    if let Some(wait) = throttle::take_ip_attempt(&state.db, policy, &client.ip, now).await? {
        return Err(too_many(wait));
    }
    if let Some(wait) = throttle::locked_for(&state.db, &user.email, now).await? {
        return Err(too_many(wait));
    }
    let method = match mfa::check(&state.db, user.id, code, now).await? {
        mfa::Checked::Totp => "authenticator code",
        mfa::Checked::RecoveryCode => "recovery code",
        outcome @ (mfa::Checked::Wrong | mfa::Checked::Replayed) => {
            let reason = if outcome == mfa::Checked::Replayed { "code already used" } else { "wrong code" };
            let entry = |action| AuditEntry {
                actor_user_id: Some(user.id),
                actor_label: &user.name,
                action,
                detail: Some(format!("{reason}; client {}", client.ip)),
                ..Default::default()
            };
            audit::record(state.db.pool(), now, entry("login.mfa_failed")).await?;
            if throttle::record_failure(&state.db, policy, &user.email, now).await? {
                audit::record(state.db.pool(), now, entry("login.locked")).await?;
            }
            return Err(AppError::invalid(
                "code",
                "That code is not valid. Use the current code from your app (each works once) or a recovery code.",
            ));
        }
    };
    finish_sign_in(session, state, client, &user, method).await
}
