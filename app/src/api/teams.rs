//! Teams: everyone signed in can see them; administrators create, rename
//! and archive them; administrators and the team's leads manage membership.

use leptos::prelude::*;

use crate::domain::people::Person;
use crate::domain::teams::{TeamDetail, TeamsOverview};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::caller::{caller, Caller};
    use crate::backend::{teams, user_admin};
    use crate::domain::access::{Action, TeamRole};

    pub async fn overview() -> Result<TeamsOverview, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        Ok(TeamsOverview {
            teams: teams::list(&caller.state.db).await?,
            can_manage_teams: caller.me.may(Action::ManageTeams),
        })
    }

    pub async fn detail(team_id: i64) -> Result<TeamDetail, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let mut team = teams::detail(&caller.state.db, team_id).await?.ok_or(AppError::NotFound)?;
        team.can_manage_team = caller.me.may(Action::ManageTeams);
        team.can_manage_members = !team.archived && caller.me.may(Action::ManageTeamMembers { team_id });
        Ok(team)
    }

    pub async fn create(name: String) -> Result<i64, AppError> {
        let caller = caller(Action::ManageTeams)?;
        teams::create(&caller.state.db, caller.actor(), &name, caller.state.clock.now_millis()).await
    }

    pub async fn rename(team_id: i64, name: String) -> Result<(), AppError> {
        let caller = caller(Action::ManageTeams)?;
        teams::rename(&caller.state.db, caller.actor(), team_id, &name, caller.state.clock.now_millis()).await
    }

    pub async fn archive(team_id: i64, archived: bool) -> Result<(), AppError> {
        let caller = caller(Action::ManageTeams)?;
        teams::set_archived(&caller.state.db, caller.actor(), team_id, archived, caller.state.clock.now_millis()).await
    }

    /// The caller, and the team, which must exist and not be archived for
    /// its membership to change.
    async fn member_manager(team_id: i64) -> Result<(Caller, TeamDetail), AppError> {
        let caller = caller(Action::ManageTeamMembers { team_id })?;
        match teams::detail(&caller.state.db, team_id).await? {
            None => Err(AppError::NotFound),
            Some(team) if team.archived => {
                Err(AppError::invalid("team", "Restore the team before changing its members."))
            }
            Some(team) => Ok((caller, team)),
        }
    }

    pub async fn candidates(team_id: i64) -> Result<Vec<Person>, AppError> {
        let (caller, team) = member_manager(team_id).await?;
        let people = user_admin::people(&caller.state.db).await?;
        Ok(people.into_iter().filter(|p| !team.members.iter().any(|m| m.user_id == p.id)).collect())
    }

    pub async fn put_member(team_id: i64, user_id: String, role: String) -> Result<(), AppError> {
        let (caller, _) = member_manager(team_id).await?;
        let state = &caller.state;
        let choose = || AppError::invalid("user_id", "Choose a person from the list.");
        let user_id: i64 = user_id.trim().parse().map_err(|_| choose())?;
        let role = TeamRole::parse(&role).ok_or_else(|| AppError::invalid("role", "Choose lead or member."))?;
        let person = crate::backend::accounts::find_by_id(&state.db, user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(choose)?;
        if let Some(refusal) = person.role.team_refusal() {
            return Err(AppError::invalid("user_id", refusal));
        }
        Ok(teams::set_member(&state.db, caller.actor(), team_id, person.id, role, state.clock.now_millis()).await?)
    }

    pub async fn remove_member(team_id: i64, user_id: i64) -> Result<(), AppError> {
        let (caller, _) = member_manager(team_id).await?;
        teams::remove_member(&caller.state.db, caller.actor(), team_id, user_id, caller.state.clock.now_millis()).await
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
