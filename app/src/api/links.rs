//! Pages opened from single-use links (accepting an invitation, resetting a
//! password) and the "forgot password" request. None of these need a
//! signed-in caller; the link itself is the credential.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::links::LinkKind;
use crate::error::AppError;

/// Whose link this is, shown so the person knows they are in the right place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkOwner {
    pub name: String,
    pub email: String,
}

/// What "forgot password" always answers, whether or not the email has an
/// account, so the form cannot be used to find out who has one.
pub const RESET_REQUESTED: &str =
    "If that email belongs to an account, a reset link is on its way. It works once and expires in 30 minutes.";

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::passwords::check_new_password;
    use crate::backend::tokens;
    use crate::backend::{accounts, app_state, auth, caller, throttle, user_admin};

    fn link_gone() -> AppError {
        AppError::invalid("link", "This link has expired or was already used. Ask your administrator for a new one.")
    }

    pub async fn owner(token: String, kind: LinkKind) -> Result<LinkOwner, AppError> {
        let state = app_state()?;
        let user_id = tokens::peek(&state.db, &token, kind, state.clock.now_millis()).await?.ok_or_else(link_gone)?;
        let user = accounts::find_by_id(&state.db, user_id).await?.filter(|u| !u.disabled).ok_or_else(link_gone)?;
        Ok(LinkOwner { name: user.name, email: user.email })
    }

    /// Sets the password chosen on a link page. Invitations sign the person
    /// in (they have no second factor yet); resets send them to sign in.
    pub async fn choose_password(token: String, password: String, kind: LinkKind) -> Result<(), AppError> {
        let state = app_state()?;
        let now = state.clock.now_millis();
        let user_id = tokens::peek(&state.db, &token, kind, now).await?.ok_or_else(link_gone)?;
        let user = accounts::find_by_id(&state.db, user_id).await?.ok_or_else(link_gone)?;
        check_new_password(&password, &user.email, &user.name)
            .map_err(|e| AppError::invalid("password", e.to_string()))?;
        let hash = state.passwords.hash(&password).await.map_err(auth::hashing_error)?;
        let user_id =
            user_admin::set_password_with_link(&state.db, &token, kind, &hash, now).await?.ok_or_else(link_gone)?;
        // A reset proves control of the mailbox: lift any sign-in lock.
        throttle::record_success(&state.db, &user.email).await?;
        match kind {
            LinkKind::Invite => {
                let user = accounts::find_by_id(&state.db, user_id).await?.ok_or(AppError::Internal)?;
                // `user.invite_accepted` is recorded with the password.
                auth::start_session(&state, &caller::request_auth(), &user, None).await?;
                leptos_axum::redirect("/");
            }
            LinkKind::Reset => leptos_axum::redirect("/login?reset=done"),
        }
        Ok(())
    }

    /// Mails a reset link when the email has an enabled account with a
    /// password and SMTP is configured. The answer and its timing do not
    /// depend on any of that: the lookup and the mail happen after the
    /// response, in a task of their own.
    pub async fn request_reset(email: String) -> Result<String, AppError> {
        let state = app_state()?;
        let email = accounts::normalize_email(&email)?;
        let client = caller::request_auth().client().clone();
        let now = state.clock.now_millis();
        // Each request can send mail: spend the same budget as sign-in.
        if let Some(wait) = throttle::take_ip_attempt(&state.db, &state.login_policy, &client.ip, now).await? {
            return Err(auth::too_many(wait));
        }
        let background = state.background.clone();
        background.spawn(async move {
            if let Err(e) = send_reset(&state, &email, now).await {
                tracing::warn!(error = %e, "password reset mail failed");
            }
        });
        Ok(RESET_REQUESTED.to_string())
    }

    async fn send_reset(state: &crate::backend::AppState, email: &str, now: i64) -> Result<(), String> {
        let Some(mailer) = &state.mailer else {
            tracing::info!("password reset requested but no mail server is configured");
            return Ok(());
        };
        let user = accounts::find_by_email(&state.db, email).await.map_err(|e| e.to_string())?;
        let Some(user) = user.filter(|u| !u.disabled && u.has_password()) else { return Ok(()) };
        let (kind, token) = user_admin::issue_link(&state.db, None, &user, now).await.map_err(|e| e.to_string())?;
        let url = state.link(&kind.path(&token));
        mailer.send_link(kind, &user.name, &user.email, &url).await.map_err(|e| e.to_string())
    }
}

/// Whose link this is (refused when it is unknown, used or expired).
#[server(endpoint = "links/owner")]
pub async fn fetch_link_owner(kind: LinkKind, token: String) -> Result<LinkOwner, AppError> {
    crate::backend::respond(server::owner(token, kind).await)
}

/// Sets the password from an invitation or reset link, using the link up.
#[server(endpoint = "links/password")]
pub async fn set_password_from_link(kind: LinkKind, token: String, password: String) -> Result<(), AppError> {
    crate::backend::respond(server::choose_password(token, password, kind).await)
}

#[server(endpoint = "links/forgot")]
pub async fn request_password_reset(email: String) -> Result<String, AppError> {
    crate::backend::respond(server::request_reset(email).await)
}
