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
    /// The private addresses probes may reach, as the administrator wrote them.
    pub outbound_allow: String,
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::caller::caller;
    use crate::backend::instance_settings::{self, OUTBOUND_ALLOW, REQUIRE_ADMIN_MFA, VIEWERS_DOWNLOAD_EVIDENCE};
    use crate::domain::access::Action;

    pub async fn fetch() -> Result<SecuritySettings, AppError> {
        let state = caller(Action::ManageSettings)?.state;
        let access = instance_settings::access(&state.db).await?;
        Ok(SecuritySettings {
            require_admin_mfa: access.require_admin_mfa,
            viewers_may_download_evidence: access.policy.viewers_may_download_evidence,
            mail_configured: state.mailer.is_some(),
            outbound_allow: instance_settings::text(&state.db, OUTBOUND_ALLOW).await?.unwrap_or_default(),
        })
    }

    /// Replaces the outbound allow-list (checked line by line first) and
    /// puts it in force here at once; other replicas follow on their next
    /// probe sync.
    pub async fn set_outbound_allow(allow: String) -> Result<(), AppError> {
        let caller = caller(Action::ManageSettings)?;
        if allow.len() > 20_000 {
            return Err(AppError::invalid("allow", "Keep the list under 20,000 characters."));
        }
        outbound::Policy::parse(&allow).map_err(|e| AppError::invalid("allow", e.to_string()))?;
        let entry = caller.audit("settings.changed", "setting", OUTBOUND_ALLOW.to_string(), Some(allow.clone()));
        let db = &caller.state.db;
        instance_settings::set_text(db, OUTBOUND_ALLOW, &allow, caller.state.clock.now_millis(), entry).await?;
        instance_settings::apply_outbound_allow(db, &caller.state.outbound).await?;
        Ok(())
    }

    /// Sets one on/off setting and records who did, in one transaction.
    pub async fn set(key: &'static str, on: bool) -> Result<(), AppError> {
        let caller = caller(Action::ManageSettings)?;
        let entry = caller.audit("settings.changed", "setting", key.to_string(), Some(on.to_string()));
        Ok(instance_settings::set_bool(&caller.state.db, key, on, caller.state.clock.now_millis(), entry).await?)
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

/// Which private addresses probes and webhooks may reach: CIDR ranges,
/// addresses and host:port entries, one a line.
#[server(endpoint = "admin/settings/outbound-allow")]
pub async fn set_outbound_allow(allow: String) -> Result<(), AppError> {
    crate::backend::respond(server::set_outbound_allow(allow).await)
}

#[server(endpoint = "admin/settings/viewer-evidence-downloads")]
pub async fn set_viewer_evidence_downloads(allowed: bool) -> Result<(), AppError> {
    crate::backend::respond(server::set(server::DOWNLOADS, allowed).await)
}
