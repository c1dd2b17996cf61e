//! Checklist templates: everyone signed in reads them; administrators
//! import and edit custom ones (every edit publishes a new version); the
//! leads of a service upgrade its checklist after seeing what changes.

use leptos::prelude::*;

use crate::domain::checklist::TemplateFile;
use crate::domain::templates::{SaveOutcome, TemplateDetail, TemplateSummary, UpgradePreview};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::caller::caller;
    use crate::backend::{services, templates, upgrades};
    use crate::domain::access::Action;

    pub async fn list() -> Result<(Vec<TemplateSummary>, bool), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        Ok((templates::list(&caller.state.db).await?, caller.me.may(Action::ManageTemplates)))
    }

    pub async fn detail(template_id: i64) -> Result<(TemplateDetail, bool), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let detail = templates::detail(&caller.state.db, template_id).await?.ok_or(AppError::NotFound)?;
        let can_edit = !detail.summary.built_in && caller.me.may(Action::ManageTemplates);
        Ok((detail, can_edit))
    }

    pub async fn import(source: String) -> Result<(), AppError> {
        let caller = caller(Action::ManageTemplates)?;
        let id = templates::import(&caller.state.db, caller.actor(), &source, caller.state.clock.now_millis()).await?;
        leptos_axum::redirect(&format!("/templates/{id}"));
        Ok(())
    }

    pub async fn save(file: TemplateFile) -> Result<SaveOutcome, AppError> {
        let caller = caller(Action::ManageTemplates)?;
        let problems = crate::domain::checklist::problems(&file);
        if !problems.is_empty() {
            return Ok(SaveOutcome::Problems(problems));
        }
        let now = caller.state.clock.now_millis();
        match templates::save(&caller.state.db, caller.actor(), file, "template.id", now).await {
            Ok(template_id) => Ok(SaveOutcome::Saved { template_id }),
            Err(AppError::Invalid { field, message }) => {
                Ok(SaveOutcome::Problems(vec![crate::domain::checklist::TemplateProblem { field, message }]))
            }
            Err(e) => Err(e),
        }
    }

    /// The service by slug, with the caller allowed to manage it.
    async fn managed(slug: &str) -> Result<(crate::backend::caller::Caller, services::ServiceRecord), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let record = services::find_by_slug(&caller.state.db, slug).await?.ok_or(AppError::NotFound)?;
        caller.me.require(Action::ManageTeamServices { team_id: record.summary.team_id })?;
        Ok((caller, record))
    }

    pub async fn preview(slug: String, template_id: i64) -> Result<UpgradePreview, AppError> {
        let (caller, record) = managed(&slug).await?;
        upgrades::preview(&caller.state.db, record.summary.id, template_id).await?.ok_or(AppError::NotFound)
    }

    pub async fn upgrade(slug: String, template_id: i64, to_version: u32) -> Result<(), AppError> {
        let (caller, record) = managed(&slug).await?;
        if record.summary.archived {
            return Err(AppError::invalid("template_id", "Restore the service before changing its checklists."));
        }
        let now = caller.state.clock.now_millis();
        upgrades::upgrade(&caller.state.db, caller.actor(), record.summary.id, template_id, to_version, now).await?;
        leptos_axum::redirect(&format!("/services/{slug}"));
        Ok(())
    }
}

/// Every template, and whether the caller may import and edit them.
#[server(endpoint = "templates")]
pub async fn fetch_templates() -> Result<(Vec<TemplateSummary>, bool), AppError> {
    crate::backend::respond(server::list().await)
}

/// One template with its versions, and whether the caller may edit it.
#[server(endpoint = "templates/one")]
pub async fn fetch_template(template_id: i64) -> Result<(TemplateDetail, bool), AppError> {
    crate::backend::respond(server::detail(template_id).await)
}

/// Imports template TOML: a new template, or a new version of a custom
/// one with the same id (an edit is an import of the changed text).
#[server(endpoint = "templates/import")]
pub async fn import_template(source: String) -> Result<(), AppError> {
    crate::backend::respond(server::import(source).await)
}

/// What upgrading a service's checklist to the template's latest version
/// would add, remove and change.
#[server(endpoint = "services/upgrade-preview")]
pub async fn fetch_upgrade(slug: String, template_id: i64) -> Result<UpgradePreview, AppError> {
    crate::backend::respond(server::preview(slug, template_id).await)
}

/// Upgrades a service's checklist to `to_version` (the previewed one).
#[server(endpoint = "services/upgrade")]
pub async fn upgrade_checklist(slug: String, template_id: i64, to_version: u32) -> Result<(), AppError> {
    crate::backend::respond(server::upgrade(slug, template_id, to_version).await)
}

/// Saves a template from the form editor: a new template, or the next
/// version of the custom template with its id. Problems come back named by
/// field instead of saving.
#[server(endpoint = "templates/save", input = leptos::server_fn::codec::Json)]
pub async fn save_template(file: TemplateFile) -> Result<SaveOutcome, AppError> {
    crate::backend::respond(server::save(file).await)
}
