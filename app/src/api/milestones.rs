//! Milestones: everyone who may read a service reads its milestones and
//! their comparison with now; the service's leads and administrators
//! record them (the rule for editing the service).

use leptos::prelude::*;

use crate::domain::milestones::{MilestoneList, MilestoneView};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::caller::caller;
    use crate::backend::{audit, milestones, services};
    use crate::domain::access::Action;
    use crate::domain::milestones::{compare, Headline};

    pub async fn list(slug: String) -> Result<MilestoneList, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let db = &caller.state.db;
        let record = services::find_by_slug(db, &slug).await?.ok_or(AppError::NotFound)?;
        let team_id = record.summary.team_id;
        Ok(MilestoneList {
            service_id: record.summary.id,
            milestones: milestones::list(db, record.summary.id).await?,
            can_record: !record.summary.archived && caller.me.may(Action::ManageTeamServices { team_id }),
        })
    }

    pub async fn record(service_id: i64, name: String, note: String) -> Result<(), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let db = &caller.state.db;
        let record = services::find_by_id(db, service_id).await?.ok_or(AppError::NotFound)?;
        caller.me.require(Action::ManageTeamServices { team_id: record.summary.team_id })?;
        let now = caller.state.clock.now_millis();
        milestones::record(db, caller.actor(), service_id, &name, &note, now).await?;
        Ok(())
    }

    pub async fn one(slug: String, id: i64) -> Result<MilestoneView, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let db = &caller.state.db;
        let record = services::find_by_slug(db, &slug).await?.ok_or(AppError::NotFound)?;
        let service_id = record.summary.id;
        let (milestone, snapshot) = milestones::one(db, service_id, id).await?.ok_or(AppError::NotFound)?;
        let now = caller.state.clock.now_millis();
        let items = {
            let mut conn = db.pool().acquire().await?;
            milestones::gather(&mut conn, service_id, record.summary.tier, now).await?
        };
        let f = &record.summary.figures;
        let current =
            Headline { score: f.score, level: f.level, ready: f.ready, blocking: f.blocking, waivers: f.waivers };
        let comparison = compare((&milestone.figures, &snapshot.items), (&current, &items));
        Ok(MilestoneView {
            service_name: record.summary.name,
            service_slug: record.summary.slug,
            milestone,
            comparison,
            as_of: now,
            chain_reference: audit::head(db).await?.reference(),
        })
    }
}

/// The service's milestones, newest first, and whether the caller may
/// record one.
#[server(endpoint = "milestones/list")]
pub async fn fetch_milestones(slug: String) -> Result<MilestoneList, AppError> {
    crate::backend::respond(server::list(slug).await)
}

/// Records a named snapshot of the service's scorecard (its leads and
/// administrators). Without JavaScript the browser comes back to the page.
#[server(endpoint = "milestones/record")]
pub async fn record_milestone(service_id: i64, name: String, note: String) -> Result<(), AppError> {
    crate::backend::respond(server::record(service_id, name, note).await)
}

/// Milestone `id` of the service beside the service now.
#[server(endpoint = "milestones/one")]
pub async fn fetch_milestone(slug: String, id: i64) -> Result<MilestoneView, AppError> {
    crate::backend::respond(server::one(slug, id).await)
}
