//! Teams: everyone signed in can see them; administrators create, rename
//! and archive them; administrators and the team's leads manage membership.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::users::Person;
use crate::domain::access::TeamRole;
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSummary {
    pub id: i64,
    pub name: String,
    pub archived: bool,
    pub members: i64,
    pub leads: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub role: TeamRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamDetail {
    pub id: i64,
    pub name: String,
    pub archived: bool,
    /// Leads first.
    pub members: Vec<TeamMember>,
    /// The caller may add, re-role and remove members.
    pub can_manage_members: bool,
    /// The caller may rename and archive the team.
    pub can_manage_team: bool,
}

/// The teams page: the list, and whether the caller may create teams.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamsOverview {
    pub teams: Vec<TeamSummary>,
    pub can_manage_teams: bool,
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::audit::{self, AuditEntry};
    use crate::backend::caller::CurrentUser;
    use crate::backend::{teams, user_admin, AppState};
    use crate::domain::access::Action;

    pub async fn caller(action: Action) -> Result<(AppState, CurrentUser), AppError> {
        let caller = crate::backend::caller::caller(action)?;
        Ok((caller.state, caller.me))
    }

    pub async fn record(
        state: &AppState,
        me: &CurrentUser,
        action: &str,
        team_id: i64,
        detail: String,
    ) -> Result<(), AppError> {
        let entry = AuditEntry {
            actor_user_id: Some(me.user.id),
            actor_label: &me.user.name,
            action,
            subject_type: Some("team"),
            subject_id: Some(team_id.to_string()),
            detail: Some(detail),
            ..Default::default()
        };
        Ok(audit::record(state.db.pool(), state.clock.now_millis(), entry).await?)
    }

    pub async fn overview() -> Result<TeamsOverview, AppError> {
        let (state, me) = caller(Action::ReadDashboard).await?;
        Ok(TeamsOverview {
            teams: teams::list(&state.db).await?,
            can_manage_teams: me.require(Action::ManageTeams).is_ok(),
        })
    }

    pub async fn detail(team_id: i64) -> Result<TeamDetail, AppError> {
        let (state, me) = caller(Action::ReadDashboard).await?;
        let mut team = teams::detail(&state.db, team_id).await?.ok_or(AppError::NotFound)?;
        team.can_manage_team = me.require(Action::ManageTeams).is_ok();
        team.can_manage_members = !team.archived && me.require(Action::ManageTeamMembers { team_id }).is_ok();
        Ok(team)
    }

    pub async fn create(name: String) -> Result<i64, AppError> {
        let (state, me) = caller(Action::ManageTeams).await?;
        let id = teams::create(&state.db, &name, state.clock.now_millis()).await?;
        record(&state, &me, "team.created", id, name.trim().to_string()).await?;
        Ok(id)
    }

    pub async fn rename(team_id: i64, name: String) -> Result<(), AppError> {
        let (state, me) = caller(Action::ManageTeams).await?;
        let name = teams::rename(&state.db, team_id, &name).await?;
        record(&state, &me, "team.renamed", team_id, name).await
    }

    pub async fn archive(team_id: i64, archived: bool) -> Result<(), AppError> {
        let (state, me) = caller(Action::ManageTeams).await?;
        if !teams::set_archived(&state.db, team_id, archived, state.clock.now_millis()).await? {
            return Err(AppError::NotFound);
        }
        let action = if archived { "team.archived" } else { "team.restored" };
        record(&state, &me, action, team_id, String::new()).await
    }

    /// The caller, and the team, which must exist and not be archived for
    /// its membership to change.
    async fn member_manager(team_id: i64) -> Result<(AppState, CurrentUser, TeamDetail), AppError> {
        let (state, me) = caller(Action::ManageTeamMembers { team_id }).await?;
        match teams::detail(&state.db, team_id).await? {
            None => Err(AppError::NotFound),
            Some(team) if team.archived => {
                Err(AppError::invalid("team", "Restore the team before changing its members."))
            }
            Some(team) => Ok((state, me, team)),
        }
    }

    pub async fn candidates(team_id: i64) -> Result<Vec<Person>, AppError> {
        let (state, _, team) = member_manager(team_id).await?;
        let people = user_admin::people(&state.db).await?;
        Ok(people.into_iter().filter(|p| !team.members.iter().any(|m| m.user_id == p.id)).collect())
    }

    pub async fn put_member(team_id: i64, user_id: String, role: String) -> Result<(), AppError> {
        let (state, me, _) = member_manager(team_id).await?;
        let choose = || AppError::invalid("user_id", "Choose a person from the list.");
        let user_id: i64 = user_id.trim().parse().map_err(|_| choose())?;
        let role = TeamRole::parse(&role).ok_or_else(|| AppError::invalid("role", "Choose lead or member."))?;
        let person = crate::backend::accounts::find_by_id(&state.db, user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(choose)?;
        teams::set_member(&state.db, team_id, person.id, role, state.clock.now_millis()).await?;
        record(&state, &me, "team.member_set", team_id, format!("user {} as {}", person.id, role.as_str())).await
    }

    pub async fn remove_member(team_id: i64, user_id: i64) -> Result<(), AppError> {
        let (state, me, _) = member_manager(team_id).await?;
        if !teams::remove_member(&state.db, team_id, user_id, state.clock.now_millis()).await? {
            return Err(AppError::NotFound);
        }
        record(&state, &me, "team.member_removed", team_id, format!("user {user_id}")).await
    }
}

#[server(endpoint = "teams")]
pub async fn fetch_teams() -> Result<TeamsOverview, AppError> {
    crate::backend::respond(server::overview().await)
}

#[server(endpoint = "teams/one")]
pub async fn fetch_team(team_id: i64) -> Result<TeamDetail, AppError> {
    crate::backend::respond(server::detail(team_id).await)
}

#[server(endpoint = "teams/create")]
pub async fn create_team(name: String) -> Result<i64, AppError> {
    crate::backend::respond(server::create(name).await)
}

#[server(endpoint = "teams/rename")]
pub async fn rename_team(team_id: i64, name: String) -> Result<(), AppError> {
    crate::backend::respond(server::rename(team_id, name).await)
}

/// Archives (hides from choices, keeps history) or restores a team.
#[server(endpoint = "teams/archive")]
pub async fn set_team_archived(team_id: i64, archived: bool) -> Result<(), AppError> {
    crate::backend::respond(server::archive(team_id, archived).await)
}

/// People who could join the team (enabled, not yet in it).
#[server(endpoint = "teams/candidates")]
pub async fn fetch_team_candidates(team_id: i64) -> Result<Vec<Person>, AppError> {
    crate::backend::respond(server::candidates(team_id).await)
}

/// Adds a person to the team, or changes their team role.
#[server(endpoint = "teams/members/set")]
pub async fn set_team_member(team_id: i64, user_id: String, role: String) -> Result<(), AppError> {
    crate::backend::respond(server::put_member(team_id, user_id, role).await)
}

#[server(endpoint = "teams/members/remove")]
pub async fn remove_team_member(team_id: i64, user_id: i64) -> Result<(), AppError> {
    crate::backend::respond(server::remove_member(team_id, user_id).await)
}
