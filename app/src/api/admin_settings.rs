//! Instance settings an administrator changes in the browser.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecuritySettings {
    /// Administrators must use two-step sign-in.
    pub require_admin_mfa: bool,
    /// Password-reset mail can be sent (SMTP is configured).
    pub mail_configured: bool,
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::audit::{self, AuditEntry};
    use crate::backend::auth::{self, CurrentUser};
    use crate::backend::instance_settings::{self, REQUIRE_ADMIN_MFA};
    use crate::backend::{app_state, AppState};
    use crate::domain::access::Action;

    async fn admin() -> Result<(AppState, CurrentUser), AppError> {
        let state = app_state()?;
        let me = auth::require_user(&auth::request_session().await?, &state).await?;
        me.require(Action::ManageSettings)?;
        Ok((state, me))
    }

    pub async fn fetch() -> Result<SecuritySettings, AppError> {
        let (state, _) = admin().await?;
        Ok(SecuritySettings {
            require_admin_mfa: instance_settings::get_bool(&state.db, REQUIRE_ADMIN_MFA).await?,
            mail_configured: state.mailer.is_some(),
        })
    }

    pub async fn set_require_admin_mfa(required: bool) -> Result<(), AppError> {
        let (state, me) = admin().await?;
        let now = state.clock.now_millis();
        instance_settings::set_bool(&state.db, REQUIRE_ADMIN_MFA, required, now).await?;
        let entry = AuditEntry {
            actor_user_id: Some(me.user.id),
            actor_label: &me.user.name,
            action: "settings.changed",
            subject_type: Some("setting"),
            subject_id: Some(REQUIRE_ADMIN_MFA.to_string()),
            detail: Some(required.to_string()),
        };
        Ok(audit::record(state.db.pool(), now, entry).await?)
    }
}

#[server(endpoint = "admin/settings")]
pub async fn fetch_security_settings() -> Result<SecuritySettings, AppError> {
    crate::backend::respond(server::fetch().await)
}

#[server(endpoint = "admin/settings/require-admin-mfa")]
pub async fn set_require_admin_mfa(required: bool) -> Result<(), AppError> {
    crate::backend::respond(server::set_require_admin_mfa(required).await)
}
