//! The service catalogue: everyone signed in reads it; team leads register
//! and edit their teams' services, administrators any; team members work
//! their teams' checklists.

use leptos::prelude::*;

use crate::domain::services::{DueItem, ServiceDetail, ServiceForm, ServicePage};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::caller::{caller, Caller};
    use crate::backend::{audit, checklists, documents, services, teams, templates};
    use crate::domain::access::{Action, Role, TeamRole};
    use crate::domain::services::ServiceQuery;

    /// Teams the caller may register services for: every active team for
    /// an administrator, the teams they lead otherwise.
    async fn registrable_teams(caller: &Caller) -> Result<Vec<(i64, String)>, AppError> {
        let all = teams::list(&caller.state.db).await?;
        Ok(all
            .into_iter()
            .filter(|t| !t.archived && caller.me.may(Action::ManageTeamServices { team_id: t.id }))
            .map(|t| (t.id, t.name))
            .collect())
    }

    pub async fn page(query: String) -> Result<ServicePage, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let query = ServiceQuery::from_pairs(|key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()));
        let (services, next) = services::list(&caller.state.db, &query).await?;
        let teams = teams::list(&caller.state.db).await?.into_iter().map(|t| (t.id, t.name)).collect();
        Ok(ServicePage { services, next, teams, can_register: may_register(&caller) })
    }

    /// Administrators and team leads register services (leads for their
    /// own teams only; `require_team` checks the chosen one).
    fn may_register(caller: &Caller) -> bool {
        caller.me.user.role == Role::Admin || caller.me.principal.teams.iter().any(|(_, role)| *role == TeamRole::Lead)
    }

    pub async fn choices() -> Result<Vec<(i64, String)>, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        registrable_teams(&caller).await
    }

    /// The caller may manage services of `team_id`, which must be active.
    async fn require_team(caller: &Caller, team_id: i64) -> Result<(), AppError> {
        if !caller.me.may(Action::ManageTeamServices { team_id }) {
            return Err(AppError::Forbidden);
        }
        match teams::detail(&caller.state.db, team_id).await? {
            Some(team) if !team.archived => Ok(()),
            _ => Err(AppError::invalid("team_id", "Choose the owning team.")),
        }
    }

    pub async fn create(form: ServiceForm) -> Result<(), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        if !may_register(&caller) {
            return Err(AppError::Forbidden);
        }
        let valid = services::validate(&form)?;
        require_team(&caller, valid.team_id).await?;
        services::create(&caller.state.db, caller.actor(), &valid, caller.state.clock.now_millis()).await?;
        leptos_axum::redirect(&format!("/services/{}", valid.slug));
        Ok(())
    }

    pub async fn detail(slug: String) -> Result<ServiceDetail, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let db = &caller.state.db;
        let record = services::find_by_slug(db, &slug).await?.ok_or(AppError::NotFound)?;
        let team_id = record.summary.team_id;
        let live = !record.summary.archived;
        let can_manage = caller.me.may(Action::ManageTeamServices { team_id });
        let now = caller.state.clock.now_millis();
        let lists = checklists::for_service(db, record.summary.id, record.summary.tier, now).await?;
        let templates_to_apply = if can_manage && live {
            let applied: Vec<i64> = lists.checklists.iter().map(|c| c.template_id).collect();
            templates::list(db).await?.into_iter().filter(|t| !applied.contains(&t.id)).collect()
        } else {
            Vec::new()
        };
        Ok(ServiceDetail {
            activity: audit::for_service(db, record.summary.id, 15).await?,
            documents: documents::for_service(db, record.summary.id).await?,
            can_manage,
            badge_public: record.badge_public,
            as_of: now,
            chain_reference: audit::head(db).await?.reference(),
            can_work: live && caller.me.may(Action::EditTeamChecklists { team_id }),
            can_download: caller.me.may(Action::DownloadEvidence),
            checklists: lists.checklists,
            blocking: lists.blocking,
            waived: lists.waived,
            due_soon: lists.due_soon,
            templates_to_apply,
            description: record.description,
            repository_url: record.repository_url,
            docs_url: record.docs_url,
            version: record.version,
            summary: record.summary,
        })
    }

    pub async fn due_soon() -> Result<Vec<DueItem>, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let now = caller.state.clock.now_millis();
        // Administrators act on every service; everyone else on their teams'.
        let teams: Option<Vec<i64>> =
            (caller.me.user.role != Role::Admin).then(|| caller.me.principal.teams.iter().map(|(id, _)| *id).collect());
        Ok(checklists::due_soon(&caller.state.db, teams.as_deref(), now).await?)
    }

    /// The service and the teams it could move to, for its edit form.
    pub async fn edit_form(slug: String) -> Result<(ServiceDetail, Vec<(i64, String)>), AppError> {
        let service = detail(slug).await?;
        if !service.can_manage {
            return Err(AppError::Forbidden);
        }
        let caller = caller(Action::ReadDashboard)?;
        let mut teams = registrable_teams(&caller).await?;
        if !teams.iter().any(|(id, _)| *id == service.summary.team_id) {
            teams.insert(0, (service.summary.team_id, service.summary.team_name.clone()));
        }
        Ok((service, teams))
    }

    /// The service by id, with the caller allowed to manage it.
    async fn managed(service_id: i64) -> Result<(Caller, services::ServiceRecord), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let record = services::find_by_id(&caller.state.db, service_id).await?.ok_or(AppError::NotFound)?;
        caller.me.require(Action::ManageTeamServices { team_id: record.summary.team_id })?;
        Ok((caller, record))
    }

    pub async fn update(service_id: i64, version: i64, form: ServiceForm) -> Result<(), AppError> {
        let (caller, record) = managed(service_id).await?;
        let valid = services::validate(&form)?;
        if valid.team_id != record.summary.team_id {
            require_team(&caller, valid.team_id).await?;
        }
        let now = caller.state.clock.now_millis();
        services::update(&caller.state.db, caller.actor(), service_id, version, &valid, now).await?;
        leptos_axum::redirect(&format!("/services/{}", valid.slug));
        Ok(())
    }

    pub async fn archive(service_id: i64, archived: bool) -> Result<(), AppError> {
        let (caller, _) = managed(service_id).await?;
        services::set_archived(&caller.state.db, caller.actor(), service_id, archived, caller.state.clock.now_millis())
            .await
    }

    pub async fn badge(service_id: i64, public: bool) -> Result<(), AppError> {
        let (caller, _) = managed(service_id).await?;
        let now = caller.state.clock.now_millis();
        services::set_badge_public(&caller.state.db, caller.actor(), service_id, public, now).await
    }

    pub async fn apply(service_id: i64, template_id: String) -> Result<(), AppError> {
        let (caller, record) = managed(service_id).await?;
        if record.summary.archived {
            return Err(AppError::invalid("template_id", "Restore the service before changing its checklists."));
        }
        let template_id = template_id
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("template_id", "Choose a template from the list."))?;
        let now = caller.state.clock.now_millis();
        services::apply_template(&caller.state.db, caller.actor(), service_id, template_id, now).await
    }
}

/// One page of the services list; `query` is the page's query string.
#[server(endpoint = "services")]
pub async fn fetch_services(query: String) -> Result<ServicePage, AppError> {
    crate::backend::respond(server::page(query).await)
}

/// The teams the caller may register services for.
#[server(endpoint = "services/choices")]
pub async fn fetch_service_choices() -> Result<Vec<(i64, String)>, AppError> {
    crate::backend::respond(server::choices().await)
}

/// Registers a service, then goes to its page.
#[server(endpoint = "services/create")]
pub async fn create_service(form: ServiceForm) -> Result<(), AppError> {
    crate::backend::respond(server::create(form).await)
}

#[server(endpoint = "services/one")]
pub async fn fetch_service(slug: String) -> Result<ServiceDetail, AppError> {
    crate::backend::respond(server::detail(slug).await)
}

/// The service and the teams it could move to (managers only).
#[server(endpoint = "services/edit-form")]
pub async fn fetch_service_edit_form(slug: String) -> Result<(ServiceDetail, Vec<(i64, String)>), AppError> {
    crate::backend::respond(server::edit_form(slug).await)
}

/// Saves an edit made on `version` of the service (409 when someone else
/// saved in between), then goes to its page.
#[server(endpoint = "services/update")]
pub async fn update_service(service_id: i64, version: i64, form: ServiceForm) -> Result<(), AppError> {
    crate::backend::respond(server::update(service_id, version, form).await)
}

/// Archives (leaves lists, keeps everything) or restores a service.
#[server(endpoint = "services/archive")]
pub async fn set_service_archived(service_id: i64, archived: bool) -> Result<(), AppError> {
    crate::backend::respond(server::archive(service_id, archived).await)
}

/// Makes the service's status badge (`/badge/<slug>.svg`) public, or
/// withdraws it (the team's leads and administrators).
#[server(endpoint = "services/badge")]
pub async fn set_service_badge(service_id: i64, public: bool) -> Result<(), AppError> {
    crate::backend::respond(server::badge(service_id, public).await)
}

/// Applies the latest version of a template to the service.
#[server(endpoint = "services/apply-template")]
pub async fn apply_template(service_id: i64, template_id: String) -> Result<(), AppError> {
    crate::backend::respond(server::apply(service_id, template_id).await)
}

/// Approved items going stale within 14 days on the services the caller
/// works on (every service for administrators), soonest first.
#[server(endpoint = "services/due-soon")]
pub async fn fetch_due_soon() -> Result<Vec<DueItem>, AppError> {
    crate::backend::respond(server::due_soon().await)
}
