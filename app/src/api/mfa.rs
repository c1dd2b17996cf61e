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
    use crate::backend::caller::{caller, Caller};
    use crate::backend::{auth, mfa};
    use crate::domain::access::Action;

    fn me() -> Result<Caller, AppError> {
        caller(Action::ManageOwnAccount)
    }

    pub async fn status() -> Result<MfaStatus, AppError> {
        let caller = me()?;
        let (enrolled, recovery_codes_left) = mfa::status(&caller.state.db, caller.me.user.id).await?;
        Ok(MfaStatus { enrolled, recovery_codes_left, required: caller.me.mfa_required })
    }

    /// Shows a new key only after the current password: whoever borrows an
    /// open session cannot put their own phone on the account.
    pub async fn begin(password: String) -> Result<MfaEnrolment, AppError> {
        let caller = me()?;
        let (state, user) = (&caller.state, &caller.me.user);
        auth::confirm_password(state, user, &password, "password").await?;
        let enrolment =
            mfa::begin_enrolment(&state.db, user.id, &user.email, state.clock.now_millis()).await?.ok_or_else(
                || AppError::invalid("password", "Two-step sign-in is already on. Turn it off first to start again."),
            )?;
        Ok(MfaEnrolment { qr_svg: enrolment.qr_svg, secret: enrolment.secret_base32 })
    }

    pub async fn confirm(code: String) -> Result<Vec<String>, AppError> {
        let caller = me()?;
        let user_id = caller.me.user.id;
        let entry = caller.audit("mfa.enrolled", "user", user_id, None);
        mfa::confirm_enrolment(&caller.state.db, user_id, &code, caller.state.clock.now_millis(), entry)
            .await?
            .ok_or_else(|| {
                AppError::invalid("code", "That code does not match. Enter the 6-digit code your app shows now.")
            })
    }

    pub async fn regenerate(password: String) -> Result<Vec<String>, AppError> {
        let caller = me()?;
        let (state, user) = (&caller.state, &caller.me.user);
        auth::confirm_password(state, user, &password, "password").await?;
        if !caller.me.mfa_enrolled {
            return Err(AppError::invalid("password", "Turn on two-step sign-in first."));
        }
        let entry = caller.audit("mfa.recovery_codes_replaced", "user", user.id, None);
        Ok(mfa::regenerate_recovery_codes(&state.db, user.id, state.clock.now_millis(), entry).await?)
    }

    pub async fn disable(password: String) -> Result<(), AppError> {
        let caller = me()?;
        let (state, user) = (&caller.state, &caller.me.user);
        if caller.me.mfa_required {
            return Err(AppError::invalid(
                "password",
                "Administrators must keep two-step sign-in on (an instance setting). Ask another administrator to change it.",
            ));
        }
        auth::confirm_password(state, user, &password, "password").await?;
        let entry = caller.audit("mfa.removed", "user", user.id, None);
        mfa::remove(&state.db, user.id, state.clock.now_millis(), entry).await?;
        Ok(())
    }
}

#[server(endpoint = "account/mfa")]
pub async fn fetch_mfa_status() -> Result<MfaStatus, AppError> {
    crate::backend::respond(server::status().await)
}

/// Starts enrolment after the current password: a fresh key, not active
/// until confirmed with a code.
#[server(endpoint = "account/mfa/begin")]
pub async fn begin_mfa_enrolment(password: String) -> Result<MfaEnrolment, AppError> {
    crate::backend::respond(server::begin(password).await)
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
