//! The signed-in user's own account.

use leptos::prelude::*;

use crate::error::AppError;

/// Changes the caller's password after checking the current one, and signs
/// out every other session (a stolen session does not outlive the change).
#[server(endpoint = "account/password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), AppError> {
    crate::backend::respond(server::change_password(current_password, new_password).await)
}

/// Changes the caller's name and email. A new email needs the current
/// password (the email is where reset links go).
#[server(endpoint = "account/profile")]
pub async fn update_profile(name: String, email: String, current_password: String) -> Result<(), AppError> {
    crate::backend::respond(server::update_profile(name, email, current_password).await)
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::audit::{self, AuditEntry};
    use crate::backend::passwords::check_new_password;
    use crate::backend::{accounts, app_state, auth, session_store, sessions, user_admin};
    use crate::domain::access::Action;

    pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
        let state = app_state()?;
        let session = auth::request_session().await?;
        let me = auth::require_user(&session, &state).await?;
        me.require(Action::ManageOwnAccount)?;
        let user = &me.user;
        let now = state.clock.now_millis();

        auth::confirm_password(&state, user, &current, "current_password").await?;
        check_new_password(&new, &user.email, &user.name)
            .map_err(|e| AppError::invalid("new_password", e.to_string()))?;
        if new == current {
            return Err(AppError::invalid("new_password", "Choose a password different from the current one."));
        }

        let hash = state.passwords.hash(&new).await.map_err(auth::hashing_error)?;
        accounts::set_password_hash(&state.db, user.id, &hash, now).await?;
        let current_id = session.id().map(|id| session_store::id_hash(&id)).ok_or(AppError::Unauthenticated)?;
        let ended = sessions::end_others(&state.db, user.id, &current_id).await?;
        audit::record(
            state.db.pool(),
            now,
            AuditEntry {
                actor_user_id: Some(user.id),
                actor_label: &user.name,
                action: "password.changed",
                subject_type: Some("user"),
                subject_id: Some(user.id.to_string()),
                detail: Some(format!("{ended} other sessions ended")),
            },
        )
        .await?;
        Ok(())
    }

    pub async fn update_profile(name: String, email: String, current_password: String) -> Result<(), AppError> {
        let state = app_state()?;
        let session = auth::request_session().await?;
        let me = auth::require_user(&session, &state).await?;
        me.require(Action::ManageOwnAccount)?;
        let new_email = accounts::normalize_email(&email)?;
        if new_email != me.user.email {
            auth::confirm_password(&state, &me.user, &current_password, "current_password").await?;
        }
        user_admin::update_profile(&state.db, &me.user, &name, &new_email, state.clock.now_millis()).await
    }
}
