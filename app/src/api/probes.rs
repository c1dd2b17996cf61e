//! Live probes of a service: everyone signed in reads them (secret header
//! values never leave the server); the service's team, leads and members,
//! and administrators change them.

use leptos::prelude::*;

use crate::domain::probes::chart::Series;
use crate::domain::probes::definition::ProbeForm;
use crate::domain::probes::summary::{OrgProbes, ProbeDetail, ProbeList};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::caller::{caller, Caller};
    use crate::backend::{alerts, probe_rollups, probe_runs, probes, services, targets};
    use crate::domain::access::Action;
    use crate::domain::probes::chart::ChartWindow;
    use crate::domain::probes::definition::{validate, ProbeDef, ProbeSpec};
    use crate::domain::probes::status::ProbeStatus;
    use crate::domain::probes::toml_file::import_keeping_secrets;

    /// Checks shown on a probe's page.
    const RECENT_CHECKS: usize = 20;

    /// The service `service_id`, which the caller may change the probes of.
    async fn managed_service(caller: &Caller, service_id: i64) -> Result<services::ServiceRecord, AppError> {
        let record = services::find_by_id(&caller.state.db, service_id).await?.ok_or(AppError::NotFound)?;
        caller.me.require(Action::ManageTeamProbes { team_id: record.summary.team_id })?;
        Ok(record)
    }

    /// The outbound guard's judgement of where the probe goes
    /// (`backend::targets`).
    async fn check_target(caller: &Caller, def: &ProbeDef) -> Result<(), AppError> {
        let guard = &caller.state.outbound;
        match &def.spec {
            ProbeSpec::Http(spec) => targets::check_url(guard, &spec.url, "url").await,
            ProbeSpec::Metrics(spec) => targets::check_url(guard, &spec.url, "url").await,
            ProbeSpec::Tcp(spec) => targets::check_host(guard, spec.target.host(), spec.target.port(), "target").await,
            ProbeSpec::Tls(spec) => targets::check_host(guard, spec.target.host(), spec.target.port(), "target").await,
        }
    }

    pub async fn list(slug: String) -> Result<ProbeList, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let db = &caller.state.db;
        let record = services::find_by_slug(db, &slug).await?.ok_or(AppError::NotFound)?;
        let s = record.summary;
        let now = caller.state.clock.now_millis();
        let mut list = probes::for_service(db, s.id).await?;
        probe_rollups::fill_uptime(db, list.iter_mut().collect(), now).await?;
        Ok(ProbeList {
            incidents: alerts::incidents(db, s.id).await?,
            probes: list,
            can_manage: !s.archived && caller.me.may(Action::ManageTeamProbes { team_id: s.team_id }),
            service_id: s.id,
            service_name: s.name,
            service_slug: s.slug,
            now,
        })
    }

    /// Probes on the organisation's page.
    const ORG_PAGE: usize = 50;

    pub async fn org(status: String, after: String, limit: usize) -> Result<OrgProbes, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let db = &caller.state.db;
        let status = match status.trim() {
            "" => None,
            word => Some(ProbeStatus::parse(word).ok_or_else(|| AppError::invalid("status", "Choose a status."))?),
        };
        let after = after.trim().parse::<i64>().ok();
        let (mut page, next) = probes::org_page(db, status, after, limit.clamp(1, ORG_PAGE)).await?;
        let now = caller.state.clock.now_millis();
        probe_rollups::fill_uptime(db, page.iter_mut().map(|p| &mut p.summary).collect(), now).await?;
        Ok(OrgProbes {
            counts: probes::status_counts(db).await?,
            probes: page,
            next: next.map(|id| id.to_string()),
            now,
        })
    }

    pub async fn one(slug: String, probe_id: i64) -> Result<ProbeDetail, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let db = &caller.state.db;
        let record = services::find_by_slug(db, &slug).await?.ok_or(AppError::NotFound)?;
        let s = record.summary;
        let (mut summary, def) = probes::one(db, s.id, probe_id).await?.ok_or(AppError::NotFound)?;
        let now = caller.state.clock.now_millis();
        probe_rollups::fill_uptime(db, vec![&mut summary], now).await?;
        let from = now - 24 * 3_600_000;
        let mut checks = probe_runs::checks(db, probe_id, from, now + 1).await?;
        checks.reverse();
        checks.truncate(RECENT_CHECKS);
        Ok(ProbeDetail {
            can_manage: !s.archived && caller.me.may(Action::ManageTeamProbes { team_id: s.team_id }),
            service_id: s.id,
            service_name: s.name,
            service_slug: s.slug,
            form: ProbeForm::from_def(&def.redacted()),
            summary,
            recent: checks,
            now,
        })
    }

    pub async fn series(slug: String, probe_id: i64, window: String) -> Result<Series, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let db = &caller.state.db;
        let service = services::find_by_slug(db, &slug).await?.ok_or(AppError::NotFound)?.summary;
        // The probe must be this service's: one read of its row says so.
        probes::one(db, service.id, probe_id).await?.ok_or(AppError::NotFound)?;
        let window = ChartWindow::parse(Some(window.as_str()));
        Ok(probe_rollups::series(db, probe_id, window, caller.state.clock.now_millis()).await?)
    }

    pub async fn create(service_id: i64, form: ProbeForm) -> Result<i64, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let record = managed_service(&caller, service_id).await?;
        let def = validate(&form)?;
        check_target(&caller, &def).await?;
        let now = caller.state.clock.now_millis();
        let id = probes::create(&caller.state.db, caller.actor(), service_id, def, now).await?;
        caller.state.probes_changed.notify_one();
        leptos_axum::redirect(&format!("/services/{}/probes/{id}", record.summary.slug));
        Ok(id)
    }

    pub async fn update(service_id: i64, probe_id: i64, version: i64, form: ProbeForm) -> Result<(), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        managed_service(&caller, service_id).await?;
        let def = validate(&form)?;
        check_target(&caller, &def).await?;
        let now = caller.state.clock.now_millis();
        probes::update(&caller.state.db, caller.actor(), service_id, probe_id, version, def, now).await?;
        caller.state.probes_changed.notify_one();
        Ok(())
    }

    pub async fn set_paused(service_id: i64, probe_id: i64, paused: bool) -> Result<(), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        managed_service(&caller, service_id).await?;
        let now = caller.state.clock.now_millis();
        probes::set_paused(&caller.state.db, caller.actor(), service_id, probe_id, paused, now).await?;
        caller.state.probes_changed.notify_one();
        Ok(())
    }

    pub async fn delete(service_id: i64, probe_id: i64) -> Result<(), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let record = managed_service(&caller, service_id).await?;
        let now = caller.state.clock.now_millis();
        probes::delete(&caller.state.db, caller.actor(), service_id, probe_id, now).await?;
        caller.state.probes_changed.notify_one();
        leptos_axum::redirect(&format!("/services/{}#probes", record.summary.slug));
        Ok(())
    }

    pub async fn import(service_id: i64, text: String) -> Result<String, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        managed_service(&caller, service_id).await?;
        if text.len() > 256 * 1024 {
            return Err(AppError::invalid("text", "Keep the file under 256 KiB."));
        }
        let db = &caller.state.db;
        let stored = probes::definitions(db, service_id).await?;
        let defs = import_keeping_secrets(&text, &stored).map_err(|e| e.to_app_error("text"))?;
        if defs.is_empty() {
            return Err(AppError::invalid("text", "The file holds no [[probe]] tables."));
        }
        for def in &defs {
            check_target(&caller, def).await.map_err(|e| match e {
                AppError::Invalid { message, .. } => {
                    AppError::invalid("text", format!("Probe “{}”: {message}", def.name))
                }
                other => other,
            })?;
        }
        let now = caller.state.clock.now_millis();
        let done = probes::import(db, caller.actor(), service_id, &defs, now).await?;
        caller.state.probes_changed.notify_one();
        Ok(format!("Imported: {} added, {} replaced.", done.added, done.replaced))
    }

    pub async fn check_now(service_id: i64, probe_id: i64) -> Result<(), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        managed_service(&caller, service_id).await?;
        let now = caller.state.clock.now_millis();
        probes::request_check(&caller.state.db, service_id, probe_id, now).await?;
        caller.state.probes_changed.notify_one();
        Ok(())
    }
}

/// The service's probes with their status, and whether the caller may
/// change them.
#[server(endpoint = "probes/list")]
pub async fn fetch_probes(slug: String) -> Result<ProbeList, AppError> {
    crate::backend::respond(server::list(slug).await)
}

/// The organisation's probes, worst first, a page at a time: `status`
/// ("down", …) narrows them, `after` (a probe id from `next`) continues,
/// `limit` (at most 50; 0 for 50) sizes the page.
#[server(endpoint = "probes/org")]
pub async fn fetch_org_probes(
    #[server(default)] status: String,
    #[server(default)] after: String,
    #[server(default)] limit: usize,
) -> Result<OrgProbes, AppError> {
    let limit = if limit == 0 { 50 } else { limit };
    crate::backend::respond(server::org(status, after, limit).await)
}

/// One probe: its status, recent checks and (secrets blanked) definition.
#[server(endpoint = "probes/one")]
pub async fn fetch_probe(slug: String, probe_id: i64) -> Result<ProbeDetail, AppError> {
    crate::backend::respond(server::one(slug, probe_id).await)
}

/// One probe's latency and error-rate charts over `window` (`1h`, `24h`,
/// `7d`, `30d`, `1y`; anything else reads as 24 hours).
#[server(endpoint = "probes/series")]
pub async fn fetch_probe_series(slug: String, probe_id: i64, window: String) -> Result<Series, AppError> {
    crate::backend::respond(server::series(slug, probe_id, window).await)
}

/// Adds a probe; returns its id. The target is checked by the outbound
/// guard before anything is stored.
#[server(endpoint = "probes/create")]
pub async fn create_probe(service_id: i64, form: ProbeForm) -> Result<i64, AppError> {
    crate::backend::respond(server::create(service_id, form).await)
}

/// Replaces a probe's definition as read at `version`; blank secret
/// headers keep their stored values.
#[server(endpoint = "probes/update")]
pub async fn update_probe(service_id: i64, probe_id: i64, version: i64, form: ProbeForm) -> Result<(), AppError> {
    crate::backend::respond(server::update(service_id, probe_id, version, form).await)
}

/// Pauses or resumes a probe.
#[server(endpoint = "probes/pause")]
pub async fn set_probe_paused(service_id: i64, probe_id: i64, paused: bool) -> Result<(), AppError> {
    crate::backend::respond(server::set_paused(service_id, probe_id, paused).await)
}

/// Deletes a probe; its past results stay until retention removes them.
#[server(endpoint = "probes/delete")]
pub async fn delete_probe(service_id: i64, probe_id: i64) -> Result<(), AppError> {
    crate::backend::respond(server::delete(service_id, probe_id).await)
}

/// Checks a probe now rather than at its next slot.
#[server(endpoint = "probes/check-now")]
pub async fn check_probe_now(service_id: i64, probe_id: i64) -> Result<(), AppError> {
    crate::backend::respond(server::check_now(service_id, probe_id).await)
}

/// Adds or replaces (by name) the service's probes from a TOML file in the
/// export's format; secret headers without a value keep the stored one.
#[server(endpoint = "probes/import")]
pub async fn import_probes(service_id: i64, text: String) -> Result<String, AppError> {
    crate::backend::respond(server::import(service_id, text).await)
}
