//! Campaigns: everyone signed in reads them; administrators and team
//! leads start them (leads over the teams they lead); whoever started one
//! (or an administrator) ends it.

use leptos::prelude::*;

use crate::domain::campaigns::{CampaignChoices, CampaignDetail, CampaignSummary};
use crate::error::AppError;

/// The campaigns list, and whether the caller may start one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CampaignList {
    pub campaigns: Vec<CampaignSummary>,
    pub can_start: bool,
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::caller::{caller, Caller};
    use crate::backend::campaigns::{self, CampaignForm};
    use crate::backend::teams;
    use crate::domain::access::{Action, Role, TeamRole};
    use crate::domain::history::{day_label, day_of};

    /// The teams whose services the caller may cover: `None` for every
    /// team (administrators), else the teams they lead.
    fn coverable(caller: &Caller) -> Option<Vec<i64>> {
        (caller.me.user.role != Role::Admin).then(|| {
            caller.me.principal.teams.iter().filter(|(_, role)| *role == TeamRole::Lead).map(|(id, _)| *id).collect()
        })
    }

    fn may_start(caller: &Caller) -> bool {
        coverable(caller).is_none_or(|teams| !teams.is_empty())
    }

    pub async fn list() -> Result<CampaignList, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let now = caller.state.clock.now_millis();
        Ok(CampaignList { campaigns: campaigns::list(&caller.state.db, now).await?, can_start: may_start(&caller) })
    }

    pub async fn choices() -> Result<CampaignChoices, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        if !may_start(&caller) {
            return Err(AppError::Forbidden);
        }
        let db = &caller.state.db;
        let allowed = coverable(&caller);
        let teams = teams::list(db)
            .await?
            .into_iter()
            .filter(|t| !t.archived && allowed.as_ref().is_none_or(|ids| ids.contains(&t.id)))
            .map(|t| (t.id, t.name))
            .collect();
        Ok(CampaignChoices {
            teams,
            services: campaigns::service_choices(db, allowed.as_deref()).await?,
            items: campaigns::item_choices(db).await?,
            today: day_label(day_of(caller.state.clock.now_millis())),
        })
    }

    pub async fn start(form: CampaignForm) -> Result<(), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        if !may_start(&caller) {
            return Err(AppError::Forbidden);
        }
        let now = caller.state.clock.now_millis();
        let valid = campaigns::validate(&form, day_of(now))?;
        let allowed = coverable(&caller);
        let id = campaigns::start(&caller.state.db, caller.actor(), &valid, allowed.as_deref(), now).await?;
        leptos_axum::redirect(&format!("/campaigns/{id}"));
        Ok(())
    }

    pub async fn detail(id: i64, after: Option<String>) -> Result<CampaignDetail, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let db = &caller.state.db;
        let record = campaigns::find(db, id).await?.ok_or(AppError::NotFound)?;
        let can_manage = !record.ended && may_end(&caller, &record);
        let now = caller.state.clock.now_millis();
        Ok(campaigns::detail(db, &record, after.as_deref(), can_manage, now).await?)
    }

    fn may_end(caller: &Caller, record: &campaigns::CampaignRecord) -> bool {
        caller.me.user.role == Role::Admin || record.created_by_id == Some(caller.me.user.id)
    }

    pub async fn end(id: i64) -> Result<(), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let db = &caller.state.db;
        let record = campaigns::find(db, id).await?.ok_or(AppError::NotFound)?;
        if !may_end(&caller, &record) {
            return Err(AppError::Forbidden);
        }
        campaigns::end(db, caller.actor(), id, caller.state.clock.now_millis()).await
    }
}

#[server(endpoint = "campaigns")]
pub async fn fetch_campaigns() -> Result<CampaignList, AppError> {
    crate::backend::respond(server::list().await)
}

/// What the new-campaign form offers the caller.
#[server(endpoint = "campaigns/choices")]
pub async fn fetch_campaign_choices() -> Result<CampaignChoices, AppError> {
    crate::backend::respond(server::choices().await)
}

/// Starts a campaign, then goes to its page. Hand-picked `services`
/// (slugs) replace the team and tier filters.
#[server(endpoint = "campaigns/start")]
#[allow(clippy::too_many_arguments)]
pub async fn start_campaign(
    name: String,
    goal: String,
    #[server(default)] level: String,
    #[server(default)] items: Vec<String>,
    #[server(default)] team: String,
    #[server(default)] tier: String,
    #[server(default)] services: Vec<String>,
    deadline: String,
) -> Result<(), AppError> {
    crate::backend::respond(
        server::start(crate::backend::campaigns::CampaignForm {
            name,
            goal,
            level,
            items,
            team,
            tier,
            services,
            deadline,
        })
        .await,
    )
}

/// A campaign with one page of the services behind (after the slug `after`).
#[server(endpoint = "campaigns/one")]
pub async fn fetch_campaign(id: i64, after: Option<String>) -> Result<CampaignDetail, AppError> {
    crate::backend::respond(server::detail(id, after).await)
}

#[server(endpoint = "campaigns/end")]
pub async fn end_campaign(id: i64) -> Result<(), AppError> {
    crate::backend::respond(server::end(id).await)
}
