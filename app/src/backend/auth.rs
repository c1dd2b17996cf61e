//! Signing in and out.
//!
//! Who the caller is, is resolved once per request by the session
//! middleware (see [`super::caller`]); this module changes it: a correct
//! password (and second factor) starts a new session under a fresh token,
//! signing out deletes it. A token is only ever made by the server, so a
//! token planted in a browser before sign-in is worthless after it.

use std::time::Duration;

use super::accounts::{self, User};
use super::audit::{self, AuditEntry};
use super::caller::{Client, RequestAuth};
use super::passwords::PasswordError;
use super::sessions::{self, NewSession};
use super::{mfa, throttle, AppState};
use crate::error::AppError;

/// How long the second-factor step waits after the password.
const PENDING_LIFETIME_MS: i64 = 5 * 60 * 1000;

/// Starts a signed-in session for `user` on this browser (replacing any
/// session it had) and records `entry`, if any, in the same transaction.
pub async fn start_session(
    state: &AppState,
    auth: &RequestAuth,
    user: &User,
    entry: Option<AuditEntry<'_>>,
) -> Result<(), AppError> {
    let now = state.clock.now_millis();
    let mut tx = state.db.pool().begin().await?;
    let token = replace_session(&mut tx, state, auth, user, now).await?;
    if let Some(entry) = entry {
        audit::record(&mut *tx, now, entry.from_client(auth.client())).await?;
    }
    tx.commit().await?;
    auth.set_cookie(token);
    Ok(())
}

/// Inside the caller's transaction: ends this browser's session, if any,
/// and stores a new signed-in one for `user`. Returns its token, which the
/// caller hands to [`RequestAuth::set_cookie`] once the transaction commits.
pub async fn replace_session(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    state: &AppState,
    auth: &RequestAuth,
    user: &User,
    now: i64,
) -> Result<String, sqlx::Error> {
    let client = auth.client();
    let ends_at = now + state.session_policy.lifetime.as_millis() as i64;
    if let Some(old) = auth.session() {
        sessions::delete(&mut **tx, &old.id_hash).await?;
    }
    sessions::create(
        &mut **tx,
        NewSession {
            user_id: Some(user.id),
            pending_user_id: None,
            device: &client.device,
            client_ip: &client.ip,
            privileges_at: user.privileges_changed_at,
            now,
            expires_at: state.session_policy.expires_at(now, ends_at),
            ends_at,
        },
    )
    .await
}

/// Ends this browser's session on the server and in the browser.
pub async fn end_session(state: &AppState, auth: &RequestAuth) -> Result<(), AppError> {
    if let Some(session) = auth.session() {
        sessions::delete(state.db.pool(), &session.id_hash).await?;
    }
    auth.clear_cookie();
    Ok(())
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

/// An audit entry about a sign-in attempt by `user` (or an unknown email).
fn sign_in_entry<'a>(user: Option<&'a User>, action: &'a str, detail: String, client: &'a Client) -> AuditEntry<'a> {
    AuditEntry {
        actor_user_id: user.map(|u| u.id),
        actor_label: user.map(|u| u.name.as_str()).unwrap_or("anonymous"),
        action,
        detail: Some(detail),
        ..Default::default()
    }
    .from_client(client)
}

/// Checks credentials and signs the user in (or, with a second factor,
/// remembers them as half signed in until [`complete_second_factor`]).
///
/// Order matters: the client's attempt budget is spent first, then a locked
/// email is refused without looking at the password. Unknown emails cost a
/// full password verification too, and every failure gives the same answer,
/// so neither timing nor wording reveals which emails have accounts.
pub async fn sign_in(state: &AppState, auth: &RequestAuth, email: &str, password: &str) -> Result<SignIn, AppError> {
    let client = auth.client();
    let email = email.trim().to_lowercase();
    let now = state.clock.now_millis();
    let policy = &state.login_policy;
    // Under a flood, refuse before any database work (same answer for every email).
    if state.passwords.is_saturated() {
        return Err(hashing_error(PasswordError::Busy));
    }
    if let Some(wait) = throttle::take_ip_attempt(&state.db, policy, &client.ip, now).await? {
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
                    Ok(hash) => accounts::set_password_hash(state.db.pool(), user.id, &hash, now).await?,
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
            let user = user.as_ref();
            audit::record(state.db.pool(), now, sign_in_entry(user, "login.failed", reason.into(), client)).await?;
            if throttle::record_failure(&state.db, policy, &email, now).await? {
                audit::record(state.db.pool(), now, sign_in_entry(user, "login.locked", reason.into(), client)).await?;
            }
            return Err(bad_credentials());
        }
    };

    if mfa::status(&state.db, user.id).await?.0 {
        start_second_factor(state, auth, &user, now).await?;
        return Ok(SignIn::NeedsCode);
    }
    finish_sign_in(state, auth, &user, "password").await?;
    Ok(SignIn::Done)
}

/// Half signed in: a fresh session that only says who owes a code, for
/// five minutes. It grants nothing else.
async fn start_second_factor(state: &AppState, auth: &RequestAuth, user: &User, now: i64) -> Result<(), AppError> {
    let client = auth.client();
    let ends_at = now + PENDING_LIFETIME_MS;
    let mut tx = state.db.pool().begin().await?;
    if let Some(old) = auth.session() {
        sessions::delete(&mut *tx, &old.id_hash).await?;
    }
    let token = sessions::create(
        &mut *tx,
        NewSession {
            user_id: None,
            pending_user_id: Some(user.id),
            device: &client.device,
            client_ip: &client.ip,
            privileges_at: user.privileges_changed_at,
            now,
            expires_at: ends_at,
            ends_at,
        },
    )
    .await?;
    tx.commit().await?;
    auth.set_cookie(token);
    Ok(())
}

/// Starts the session after every factor checked out, and records it.
async fn finish_sign_in(state: &AppState, auth: &RequestAuth, user: &User, method: &str) -> Result<(), AppError> {
    let now = state.clock.now_millis();
    if throttle::record_success(&state.db, &user.email).await? {
        let entry = sign_in_entry(Some(user), "login.unlocked", method.into(), auth.client());
        audit::record(state.db.pool(), now, entry).await?;
    }
    let entry = sign_in_entry(Some(user), "login.succeeded", method.into(), auth.client());
    start_session(state, auth, user, Some(entry)).await
}

/// The second sign-in step: an authenticator code or a recovery code.
/// Wrong and replayed codes count as failed sign-ins for the account (so
/// five lock it) and spend the client's attempt budget like passwords do.
pub async fn complete_second_factor(state: &AppState, auth: &RequestAuth, code: &str) -> Result<(), AppError> {
    let user = auth.pending().cloned().ok_or_else(|| {
        AppError::invalid("code", "Your sign-in took too long. Go back and enter your password again.")
    })?;
    let client = auth.client();
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
            let entry = |action| sign_in_entry(Some(&user), action, reason.into(), client);
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
    finish_sign_in(state, auth, &user, method).await
}
