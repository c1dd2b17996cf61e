//! Administering people: list, invite, change role, disable, end sessions,
//! hand out sign-in links. Every function here needs `ManageUsers`.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::domain::access::Role;
use crate::domain::access::TeamRole;
use crate::domain::people::{IssuedLink, UserRow};
use crate::error::AppError;

/// One `teams[i]` value of the new-user form: `"<team id>:<lead|member>"`,
/// or empty for "not in this team".
pub fn parse_membership(value: &str) -> Result<Option<(i64, TeamRole)>, AppError> {
    if value.is_empty() {
        return Ok(None);
    }
    let bad = || AppError::invalid("teams", "Choose a team role from the list.");
    let (id, role) = value.split_once(':').ok_or_else(bad)?;
    Ok(Some((id.parse().map_err(|_| bad())?, TeamRole::parse(role).ok_or_else(bad)?)))
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::accounts::User;
    use crate::backend::audit::Actor;
    use crate::backend::caller::Caller;
    use crate::backend::user_admin;
    use crate::backend::AppState;
    use crate::domain::access::Action;
    use crate::domain::links::LinkKind;

    pub fn admin() -> Result<Caller, AppError> {
        crate::backend::caller::caller(Action::ManageUsers)
    }

    pub async fn list() -> Result<Vec<UserRow>, AppError> {
        let state = admin()?.state;
        Ok(user_admin::list(&state.db, state.clock.now_millis(), None).await?)
    }

    pub async fn one(user_id: i64) -> Result<UserRow, AppError> {
        let state = admin()?.state;
        let rows = user_admin::list(&state.db, state.clock.now_millis(), Some(user_id)).await?;
        rows.into_iter().next().ok_or(AppError::NotFound)
    }

    /// The link to hand over for `user`, also mailed when SMTP is configured
    /// (a mail failure is logged; the admin still has the link).
    async fn hand_over(state: &AppState, user: &User, kind: LinkKind, token: &str, now: i64) -> IssuedLink {
        let url = state.link(&kind.path(token));
        let mailed = match &state.mailer {
            None => false,
            Some(mailer) => match mailer.send_link(kind, &user.name, &user.email, &url).await {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(error = %e, user_id = user.id, "could not mail a link");
                    false
                }
            },
        };
        IssuedLink {
            user_name: user.name.clone(),
            kind: kind.label().to_string(),
            url,
            expires_at_ms: now + kind.lifetime().as_millis() as i64,
            mailed,
        }
    }

    pub async fn issue(state: &AppState, actor: Actor<'_>, user_id: i64) -> Result<IssuedLink, AppError> {
        let user = user_admin::find(&state.db, user_id).await?;
        if user.disabled {
            return Err(AppError::invalid("user", "Enable the account before sending a sign-in link."));
        }
        let now = state.clock.now_millis();
        let (kind, token) = user_admin::issue_link(&state.db, Some(actor), &user, now).await?;
        Ok(hand_over(state, &user, kind, &token, now).await)
    }

    pub async fn create(name: String, email: String, role: String, teams: Vec<String>) -> Result<IssuedLink, AppError> {
        let caller = admin()?;
        let state = &caller.state;
        let role = Role::parse(&role).ok_or_else(|| AppError::invalid("role", "Choose a role from the list."))?;
        let memberships: Vec<(i64, TeamRole)> =
            teams.iter().map(|v| parse_membership(v)).collect::<Result<Vec<_>, _>>()?.into_iter().flatten().collect();
        let now = state.clock.now_millis();
        let (id, token) = user_admin::create(&state.db, caller.actor(), &name, &email, role, &memberships, now).await?;
        let user = user_admin::find(&state.db, id).await?;
        Ok(hand_over(state, &user, LinkKind::Invite, &token, now).await)
    }
}

#[server(endpoint = "admin/users")]
pub async fn fetch_users() -> Result<Vec<UserRow>, AppError> {
    crate::backend::respond(server::list().await)
}

#[server(endpoint = "admin/users/one")]
pub async fn fetch_user(user_id: i64) -> Result<UserRow, AppError> {
    crate::backend::respond(server::one(user_id).await)
}

/// Creates an account with its team memberships and returns the invitation
/// link (also mailed when SMTP is configured).
#[server(endpoint = "admin/users/create")]
pub async fn create_user(
    name: String,
    email: String,
    role: String,
    #[server(default)] teams: Vec<String>,
) -> Result<IssuedLink, AppError> {
    crate::backend::respond(server::create(name, email, role, teams).await)
}

#[server(endpoint = "admin/users/role")]
pub async fn change_user_role(user_id: i64, role: String) -> Result<(), AppError> {
    crate::backend::respond(
        async {
            let caller = server::admin()?;
            let role = Role::parse(&role).ok_or_else(|| AppError::invalid("role", "Choose a role from the list."))?;
            let now = caller.state.clock.now_millis();
            crate::backend::user_admin::set_role(&caller.state.db, caller.actor(), user_id, role, now).await
        }
        .await,
    )
}

/// Disables (signing the person out everywhere at once) or enables an account.
#[server(endpoint = "admin/users/enabled")]
pub async fn set_user_enabled(user_id: i64, enabled: bool) -> Result<(), AppError> {
    crate::backend::respond(
        async {
            let caller = server::admin()?;
            let now = caller.state.clock.now_millis();
            crate::backend::user_admin::set_enabled(&caller.state.db, caller.actor(), user_id, enabled, now).await
        }
        .await,
    )
}

/// Signs a person out on every device.
#[server(endpoint = "admin/users/end-sessions")]
pub async fn end_user_sessions(user_id: i64) -> Result<u64, AppError> {
    crate::backend::respond(
        async {
            let caller = server::admin()?;
            let now = caller.state.clock.now_millis();
            crate::backend::user_admin::end_sessions(&caller.state.db, caller.actor(), user_id, now).await
        }
        .await,
    )
}

/// A fresh invitation (no password yet) or password-reset link for a person.
#[server(endpoint = "admin/users/link")]
pub async fn issue_user_link(user_id: i64) -> Result<IssuedLink, AppError> {
    crate::backend::respond(
        async {
            let caller = server::admin()?;
            server::issue(&caller.state, caller.actor(), user_id).await
        }
        .await,
    )
}

/// Turns off a person's two-step sign-in (they lost their phone and their
/// recovery codes) and signs them out everywhere; they set it up again
/// after their next sign-in.
#[server(endpoint = "admin/users/reset-mfa")]
pub async fn reset_user_mfa(user_id: i64) -> Result<(), AppError> {
    crate::backend::respond(
        async {
            let caller = server::admin()?;
            let now = caller.state.clock.now_millis();
            crate::backend::user_admin::reset_mfa(&caller.state.db, caller.actor(), user_id, now).await
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_values_parse() {
        assert_eq!(parse_membership("").unwrap(), None);
        assert_eq!(parse_membership("7:lead").unwrap(), Some((7, TeamRole::Lead)));
        assert_eq!(parse_membership("7:member").unwrap(), Some((7, TeamRole::Member)));
        for bad in ["7", "x:lead", "7:owner"] {
            assert!(parse_membership(bad).unwrap_err().field_message("teams").is_some(), "{bad}");
        }
    }
}
