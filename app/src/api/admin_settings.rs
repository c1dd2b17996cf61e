//! Instance settings an administrator changes in the browser.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecuritySettings {
    /// Administrators must use two-step sign-in.
    pub require_admin_mfa: bool,
    /// Viewers may download evidence files.
    pub viewers_may_download_evidence: bool,
    /// Password-reset mail can be sent (SMTP is configured).
    pub mail_configured: bool,
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::audit::{self, AuditEntry};
    use crate::backend::auth::{self, CurrentUser};
    use crate::backend::instance_settings::{self, REQUIRE_ADMIN_MFA, VIEWERS_DOWNLOAD_EVIDENCE};
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
        let access = instance_settings::access(&state.db).await?;
        Ok(SecuritySettings {
            require_admin_mfa: access.require_admin_mfa,
            viewers_may_download_evidence: access.policy.viewers_may_download_evidence,
            mail_configured: state.mailer.is_some(),
        })
    }

    /// Sets one on/off setting and records who did.
    pub async fn set(key: &'static str, on: bool) -> Result<(), AppError> {
        let (state, me) = admin().await?;
        let now = state.clock.now_millis();
        instance_settings::set_bool(&state.db, key, on, now).await?;
        let entry = AuditEntry {
            actor_user_id: Some(me.user.id),
            actor_label: &me.user.name,
            action: "settings.changed",
            subject_type: Some("setting"),
            subject_id: Some(key.to_string()),
            detail: Some(on.to_string()),
        };
        Ok(audit::record(state.db.pool(), now, entry).await?)
    }

    pub const MFA: &str = REQUIRE_ADMIN_MFA;
    pub const DOWNLOADS: &str = VIEWERS_DOWNLOAD_EVIDENCE;
}

#[server(endpoint = "admin/settings")]
pub async fn fetch_security_settings() -> Result<SecuritySettings, AppError> {
    crate::backend::respond(server::fetch().await)
}

#[server(endpoint = "admin/settings/require-admin-mfa")]
pub async fn set_require_admin_mfa(required: bool) -> Result<(), AppError> {
    crate::backend::respond(server::set(server::MFA, required).await)
}

#[server(endpoint = "admin/settings/viewer-evidence-downloads")]
pub async fn set_viewer_evidence_downloads(allowed: bool) -> Result<(), AppError> {
    crate::backend::respond(server::set(server::DOWNLOADS, allowed).await)
}
