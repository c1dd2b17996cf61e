//! The signed-in user's own account.

use leptos::prelude::*;

use crate::error::AppError;

/// Changes the caller's password after checking the current one, and signs
/// out every other session (a stolen session does not outlive the change).
#[server(endpoint = "account/password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), AppError> {
    crate::backend::respond(server::change_password(current_password, new_password).await)
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::audit::{self, AuditEntry};
    use crate::backend::passwords::check_new_password;
    use crate::backend::{accounts, app_state, auth, session_store, sessions, throttle};
    use crate::domain::access::Action;

    pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
        let state = app_state()?;
        let session = auth::request_session().await?;
        let me = auth::require_user(&session, &state).await?;
        me.require(Action::ManageOwnAccount)?;
        let user = &me.user;
        let now = state.clock.now_millis();

        // Guessing the current password from a borrowed session is throttled
        // like sign-in.
        if let Some(wait) = throttle::locked_for(&state.db, &user.email, now).await? {
            return Err(auth::too_many(wait));
        }
        let verified = state
            .passwords
            .verify(&current, &user.password_hash)
            .await
            .map_err(|e| AppError::internal("password verification", e))?;
        if !verified.matched {
            throttle::record_failure(&state.db, &state.login_policy, &user.email, now).await?;
            return Err(AppError::invalid("current_password", "That is not your current password."));
        }
        check_new_password(&new, &user.email, &user.name)
            .map_err(|e| AppError::invalid("new_password", e.to_string()))?;
        if new == current {
            return Err(AppError::invalid("new_password", "Choose a password different from the current one."));
        }

        let hash = state.passwords.hash(&new).await.map_err(|e| AppError::internal("password hashing", e))?;
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
}
