//! The signed-in user's second factor: enrol (QR code and key), confirm with
//! a first code, get recovery codes, replace them, or turn MFA off.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaStatus {
    pub enrolled: bool,
    pub recovery_codes_left: i64,
    /// The instance requires administrators to have MFA and this is one.
    pub required: bool,
}

/// What an authenticator app needs: the QR code (an SVG document) and the
/// same key for typing in by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaEnrolment {
    pub qr_svg: String,
    pub secret: String,
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::audit::{self, AuditEntry};
    use crate::backend::auth::{self, CurrentUser};
    use crate::backend::{accounts, app_state, mfa, AppState};
    use crate::domain::access::Action;

    pub async fn me() -> Result<(AppState, CurrentUser), AppError> {
        let state = app_state()?;
        let me = auth::require_user(&auth::request_session().await?, &state).await?;
        me.require(Action::ManageOwnAccount)?;
        Ok((state, me))
    }

    pub async fn record(state: &AppState, me: &CurrentUser, action: &str) -> Result<(), AppError> {
        let entry = AuditEntry {
            actor_user_id: Some(me.user.id),
            actor_label: &me.user.name,
            action,
            subject_type: Some("user"),
            subject_id: Some(me.user.id.to_string()),
            detail: None,
        };
        Ok(audit::record(state.db.pool(), state.clock.now_millis(), entry).await?)
    }

    pub async fn status() -> Result<MfaStatus, AppError> {
        let (state, me) = me().await?;
        let (enrolled, recovery_codes_left) = mfa::status(&state.db, me.user.id).await?;
        Ok(MfaStatus { enrolled, recovery_codes_left, required: me.mfa_required })
    }

    pub async fn begin() -> Result<MfaEnrolment, AppError> {
        let (state, me) = me().await?;
        let enrolment =
            mfa::begin_enrolment(&state.db, me.user.id, &me.user.email, state.clock.now_millis()).await?.ok_or_else(
                || AppError::invalid("code", "Two-step sign-in is already on. Turn it off first to start again."),
            )?;
        Ok(MfaEnrolment { qr_svg: enrolment.qr_svg, secret: enrolment.secret_base32 })
    }

    pub async fn confirm(code: String) -> Result<Vec<String>, AppError> {
        let (state, me) = me().await?;
        let now = state.clock.now_millis();
        let codes = mfa::confirm_enrolment(&state.db, me.user.id, &code, now).await?.ok_or_else(|| {
            AppError::invalid("code", "That code does not match. Enter the 6-digit code your app shows now.")
        })?;
        // More powers (an admin may act now): the session gets a new id.
        accounts::touch_privileges(state.db.pool(), me.user.id, now).await?;
        record(&state, &me, "mfa.enrolled").await?;
        Ok(codes)
    }

    pub async fn regenerate(password: String) -> Result<Vec<String>, AppError> {
        let (state, me) = me().await?;
        auth::confirm_password(&state, &me.user, &password, "password").await?;
        if !mfa::status(&state.db, me.user.id).await?.0 {
            return Err(AppError::invalid("password", "Turn on two-step sign-in first."));
        }
        let codes = mfa::regenerate_recovery_codes(&state.db, me.user.id).await?;
        record(&state, &me, "mfa.recovery_codes_replaced").await?;
        Ok(codes)
    }

    pub async fn disable(password: String) -> Result<(), AppError> {
        let (state, me) = me().await?;
        if me.mfa_required {
            return Err(AppError::invalid(
                "password",
                "Administrators must keep two-step sign-in on (an instance setting). Ask another administrator to change it.",
            ));
        }
        auth::confirm_password(&state, &me.user, &password, "password").await?;
        if mfa::remove(&state.db, me.user.id).await? {
            accounts::touch_privileges(state.db.pool(), me.user.id, state.clock.now_millis()).await?;
            record(&state, &me, "mfa.removed").await?;
        }
        Ok(())
    }
}

#[server(endpoint = "account/mfa")]
pub async fn fetch_mfa_status() -> Result<MfaStatus, AppError> {
    crate::backend::respond(server::status().await)
}

/// Starts enrolment: a fresh key, not active until confirmed with a code.
#[server(endpoint = "account/mfa/begin")]
pub async fn begin_mfa_enrolment() -> Result<MfaEnrolment, AppError> {
    crate::backend::respond(server::begin().await)
}

/// Confirms enrolment with a code from the app; returns the recovery codes
/// (shown once).
#[server(endpoint = "account/mfa/confirm")]
pub async fn confirm_mfa_enrolment(code: String) -> Result<Vec<String>, AppError> {
    crate::backend::respond(server::confirm(code).await)
}

#[server(endpoint = "account/mfa/recovery-codes")]
pub async fn regenerate_recovery_codes(password: String) -> Result<Vec<String>, AppError> {
    crate::backend::respond(server::regenerate(password).await)
}

#[server(endpoint = "account/mfa/disable")]
pub async fn disable_mfa(password: String) -> Result<(), AppError> {
    crate::backend::respond(server::disable(password).await)
}
