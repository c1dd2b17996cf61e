//! The organisation scorecard (the home page once services exist):
//! everyone signed in reads it.

use leptos::prelude::*;

use crate::domain::scorecard::{OrgScorecard, TeamScorecard};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::caller::caller;
    use crate::backend::{audit, checklists, scorecard, services, teams};
    use crate::domain::access::Action;
    use crate::domain::scorecard::Totals;
    use crate::domain::services::{ServiceQuery, ServiceSort};

    pub async fn team(team_id: i64) -> Result<TeamScorecard, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let db = &caller.state.db;
        teams::detail(db, team_id).await?.ok_or(AppError::NotFound)?;
        let now = caller.state.clock.now_millis();
        let totals = scorecard::team_totals(db)
            .await?
            .into_iter()
            .find(|t| t.team_id == team_id)
            .map(|t| t.totals)
            .unwrap_or_default();
        let query = ServiceQuery { team_id: Some(team_id), sort: ServiceSort::Score, ..ServiceQuery::default() };
        let (services, next) = services::list(db, &query).await?;
        let trends = scorecard::trends(db, &services, now).await?;
        let due = checklists::due_soon(db, Some(&[team_id]), now).await?;
        Ok(TeamScorecard { totals, services, trends, more: next.is_some(), due })
    }

    pub async fn org(query: String) -> Result<OrgScorecard, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let db = &caller.state.db;
        let teams = scorecard::team_totals(db).await?;
        let as_of = caller.state.clock.now_millis();
        let chain_reference = audit::head(db).await?.reference();
        let mut org = Totals::default();
        for team in &teams {
            org.add(&team.totals);
        }
        if org.services == 0 {
            let (services, trends, next) = (Vec::new(), Vec::new(), None);
            return Ok(OrgScorecard { org, teams, services, trends, next, as_of, chain_reference });
        }
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let query = ServiceQuery::from_pairs(|key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()));
        let (services, next) = services::list(db, &query).await?;
        let trends = scorecard::trends(db, &services, as_of).await?;
        Ok(OrgScorecard { org, teams, services, trends, next, as_of, chain_reference })
    }
}

/// The scorecard for the home page's query string (the services list's
/// filters: team, tier, level, gate, waivers, sort, page).
#[server(endpoint = "scorecard")]
pub async fn fetch_org_scorecard(query: String) -> Result<OrgScorecard, AppError> {
    crate::backend::respond(server::org(query).await)
}

/// A team's scorecard (everyone signed in reads it).
#[server(endpoint = "scorecard/team")]
pub async fn fetch_team_scorecard(team_id: i64) -> Result<TeamScorecard, AppError> {
    crate::backend::respond(server::team(team_id).await)
}
