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
    use crate::backend::{app_state, auth};
    let state = app_state()?;
    let me = auth::current_user(&auth::request_session().await?, &state).await?;
    Ok(me.map(|c| Me { name: c.user.name, email: c.user.email, role: c.user.role, must_enrol_mfa: c.must_enrol_mfa }))
}

/// Whether the instance still waits for its first administrator.
#[server(endpoint = "auth/needs-setup")]
pub async fn fetch_needs_setup() -> Result<bool, AppError> {
    Ok(!crate::backend::app_state()?.has_users().await?)
}

/// Creates the first administrator and signs them in. Works only while no
/// user exists; afterwards it answers "not found".
#[server(endpoint = "auth/setup")]
pub async fn setup_admin(name: String, email: String, password: String) -> Result<(), AppError> {
    crate::backend::respond(setup_admin_inner(name, email, password).await)
}

#[cfg(feature = "ssr")]
async fn setup_admin_inner(name: String, email: String, password: String) -> Result<(), AppError> {
    use crate::backend::{accounts, app_state, auth};
    let state = app_state()?;
    let now = state.clock.now_millis();
    let user = accounts::setup_first_admin(&state.db, &state.passwords, now, &name, &email, &password).await?;
    auth::start_session(&auth::request_session().await?, &state, &user, &auth::Client::of_request().await).await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(endpoint = "auth/login")]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    crate::backend::respond(login_inner(email, password).await)
}

#[cfg(feature = "ssr")]
async fn login_inner(email: String, password: String) -> Result<(), AppError> {
    use crate::backend::{app_state, auth};
    let state = app_state()?;
    if email.trim().is_empty() {
        return Err(AppError::invalid("email", "Enter your email address."));
    }
    if password.is_empty() {
        return Err(AppError::invalid("password", "Enter your password."));
    }
    let client = auth::Client::of_request().await;
    match auth::sign_in(&auth::request_session().await?, &state, &client, &email, &password).await? {
        auth::SignIn::Done => leptos_axum::redirect("/"),
        auth::SignIn::NeedsCode => leptos_axum::redirect("/login/verify"),
    }
    Ok(())
}

/// Who is between password and second factor on this browser, if anyone.
#[server(endpoint = "auth/pending")]
pub async fn fetch_pending_sign_in() -> Result<Option<String>, AppError> {
    use crate::backend::{app_state, auth};
    let state = app_state()?;
    let pending = auth::pending_second_factor(&auth::request_session().await?, &state).await?;
    Ok(pending.map(|user| user.name))
}

/// The second sign-in step: a code from the authenticator app or a recovery code.
#[server(endpoint = "auth/verify")]
pub async fn verify_sign_in(code: String) -> Result<(), AppError> {
    crate::backend::respond(verify_inner(code).await)
}

#[cfg(feature = "ssr")]
async fn verify_inner(code: String) -> Result<(), AppError> {
    use crate::backend::{app_state, auth};
    let state = app_state()?;
    if code.trim().is_empty() {
        return Err(AppError::invalid("code", "Enter the code from your authenticator app."));
    }
    let client = auth::Client::of_request().await;
    auth::complete_second_factor(&auth::request_session().await?, &state, &client, &code).await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::backend::auth;
    auth::end_session(&auth::request_session().await?).await?;
    leptos_axum::redirect("/login");
    Ok(())
}
