//! The signed-in user's own account.

use leptos::prelude::*;

use crate::domain::notifications::MailPreferences;
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

/// Which kinds of notification mail the caller gets.
#[server(endpoint = "account/mail")]
pub async fn fetch_mail_preferences() -> Result<MailPreferences, AppError> {
    crate::backend::respond(server::mail_preferences().await)
}

/// Keeps exactly the kinds in `on` (kind names) turned on for the caller.
#[server(endpoint = "account/mail/save")]
pub async fn save_mail_preferences(#[server(default)] on: Vec<String>) -> Result<(), AppError> {
    crate::backend::respond(server::save_mail_preferences(on).await)
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::caller::caller;
    use crate::backend::passwords::check_new_password;
    use crate::backend::{accounts, auth, sessions, user_admin};
    use crate::domain::access::Action;

    /// The new password, every other session ended at once (by the user's
    /// "sessions valid from" stamp, so even a request in flight on another
    /// device cannot carry on), a fresh session for this browser and the
    /// audit entry: one transaction.
    pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
        let caller = caller(Action::ManageOwnAccount)?;
        let (state, user) = (&caller.state, &caller.me.user);
        let now = state.clock.now_millis();

        auth::confirm_password(state, user, &current, "current_password").await?;
        check_new_password(&new, &user.email, &user.name)
            .map_err(|e| AppError::invalid("new_password", e.to_string()))?;
        if new == current {
            return Err(AppError::invalid("new_password", "Choose a password different from the current one."));
        }

        let hash = state.passwords.hash(&new).await.map_err(auth::hashing_error)?;
        let mut tx = state.db.pool().begin().await?;
        accounts::set_password_hash(&mut *tx, user.id, &hash, now).await?;
        let ended = sessions::end_all(&mut tx, user.id, now).await?;
        let token = auth::replace_session(&mut tx, state, &caller.request, user, now).await?;
        let detail = format!("{} other sessions ended", ended.saturating_sub(1));
        crate::backend::audit::record(&mut *tx, now, caller.audit("password.changed", "user", user.id, Some(detail)))
            .await?;
        tx.commit().await?;
        caller.request.set_cookie(token);
        Ok(())
    }

    pub async fn update_profile(name: String, email: String, current_password: String) -> Result<(), AppError> {
        let caller = caller(Action::ManageOwnAccount)?;
        let (state, me) = (&caller.state, &caller.me);
        let new_email = accounts::normalize_email(&email)?;
        if new_email != me.user.email {
            auth::confirm_password(state, &me.user, &current_password, "current_password").await?;
        }
        user_admin::update_profile(&state.db, caller.actor(), &me.user, &name, &new_email, state.clock.now_millis())
            .await
    }

    pub async fn mail_preferences() -> Result<MailPreferences, AppError> {
        use crate::domain::notifications::MailKind;
        let caller = caller(Action::ManageOwnAccount)?;
        let off = crate::backend::notifications::opted_out(&caller.state.db, caller.me.user.id).await?;
        Ok(MailPreferences {
            kinds: MailKind::ALL.into_iter().map(|k| (k, !off.contains(&k))).collect(),
            mail_configured: caller.state.mailer.is_some(),
        })
    }

    pub async fn save_mail_preferences(on: Vec<String>) -> Result<(), AppError> {
        use crate::domain::notifications::MailKind;
        let caller = caller(Action::ManageOwnAccount)?;
        let kinds = on
            .iter()
            .map(|k| MailKind::parse(k).ok_or_else(|| AppError::invalid("on", "Choose kinds of mail from the list.")))
            .collect::<Result<Vec<_>, _>>()?;
        let now = caller.state.clock.now_millis();
        crate::backend::notifications::set_preferences(&caller.state.db, caller.actor(), &kinds, now).await?;
        Ok(())
    }
}
