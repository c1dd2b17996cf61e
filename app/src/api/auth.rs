//! First-run setup, sign-in and sign-out.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::access::Role;
use crate::error::AppError;

/// What the header shows about the signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Must set up two-step sign-in before doing anything else.
    pub must_enrol_mfa: bool,
}

/// The signed-in user, if any.
#[server(endpoint = "auth/me")]
pub async fn fetch_me() -> Result<Option<Me>, AppError> {
    let auth = crate::backend::caller::request_auth();
    Ok(auth.user().map(|c| Me {
        name: c.user.name.clone(),
        email: c.user.email.clone(),
        role: c.user.role,
        must_enrol_mfa: c.must_enrol_mfa,
    }))
}

/// Whether the instance still waits for its first administrator.
#[server(endpoint = "auth/needs-setup")]
pub async fn fetch_needs_setup() -> Result<bool, AppError> {
    crate::backend::respond(async { Ok(!crate::backend::app_state()?.has_users().await?) }.await)
}

/// Creates the first administrator and signs them in. Works only while no
/// user exists; afterwards it answers "not found".
#[server(endpoint = "auth/setup")]
pub async fn setup_admin(name: String, email: String, password: String) -> Result<(), AppError> {
    crate::backend::respond(setup_admin_inner(name, email, password).await)
}

#[cfg(feature = "ssr")]
async fn setup_admin_inner(name: String, email: String, password: String) -> Result<(), AppError> {
    use crate::backend::{accounts, app_state, auth, caller};
    let state = app_state()?;
    let now = state.clock.now_millis();
    let user = accounts::setup_first_admin(&state.db, &state.passwords, now, &name, &email, &password).await?;
    // `setup.admin_created` is already recorded with the account.
    auth::start_session(&state, &caller::request_auth(), &user, None).await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(endpoint = "auth/login")]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    crate::backend::respond(login_inner(email, password).await)
}

#[cfg(feature = "ssr")]
async fn login_inner(email: String, password: String) -> Result<(), AppError> {
    use crate::backend::{app_state, auth, caller};
    let state = app_state()?;
    if email.trim().is_empty() {
        return Err(AppError::invalid("email", "Enter your email address."));
    }
    if password.is_empty() {
        return Err(AppError::invalid("password", "Enter your password."));
    }
    match auth::sign_in(&state, &caller::request_auth(), &email, &password).await? {
        auth::SignIn::Done => leptos_axum::redirect("/"),
        auth::SignIn::NeedsCode => leptos_axum::redirect("/login/verify"),
    }
    Ok(())
}

/// Who is between password and second factor on this browser, if anyone.
#[server(endpoint = "auth/pending")]
pub async fn fetch_pending_sign_in() -> Result<Option<String>, AppError> {
    Ok(crate::backend::caller::request_auth().pending().map(|user| user.name.clone()))
}

/// The second sign-in step: a code from the authenticator app or a recovery code.
#[server(endpoint = "auth/verify")]
pub async fn verify_sign_in(code: String) -> Result<(), AppError> {
    crate::backend::respond(verify_inner(code).await)
}

#[cfg(feature = "ssr")]
async fn verify_inner(code: String) -> Result<(), AppError> {
    use crate::backend::{app_state, auth, caller};
    let state = app_state()?;
    if code.trim().is_empty() {
        return Err(AppError::invalid("code", "Enter the code from your authenticator app."));
    }
    auth::complete_second_factor(&state, &caller::request_auth(), &code).await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    crate::backend::respond(
        async {
            use crate::backend::{app_state, auth, caller};
            auth::end_session(&app_state()?, &caller::request_auth()).await?;
            leptos_axum::redirect("/login");
            Ok(())
        }
        .await,
    )
}
