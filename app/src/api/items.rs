//! Working one checklist item: everyone signed in reads it; the owning
//! team's members (and administrators) set its status; the team, auditors
//! and administrators discuss it in its comment thread.

use leptos::prelude::*;

use crate::domain::items::{ItemDetail, ReviewQueue};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::caller::{caller, Caller};
    use crate::backend::evidence::{self, NewEvidence};
    use crate::backend::items::{self, ItemOwner};
    use crate::backend::{documents, reviews, teams, templates, waivers};
    use crate::domain::access::{Action, Role};
    use crate::domain::checklist::Severity;
    use crate::domain::items::{Decision, QueueFilter};
    use crate::domain::readiness::ItemStatus;
    use crate::domain::readiness::Standing;

    /// Whether the caller may take part in the item's thread: its team,
    /// auditors and administrators (viewers only read).
    fn may_comment(caller: &Caller, owner: ItemOwner) -> bool {
        !owner.archived
            && (caller.me.may(Action::EditTeamChecklists { team_id: owner.team_id })
                || caller.me.may(Action::ReviewEvidence))
    }

    async fn owner_of(caller: &Caller, item_id: i64) -> Result<ItemOwner, AppError> {
        items::owner(&caller.state.db, item_id).await?.ok_or(AppError::NotFound)
    }

    pub async fn detail(item_id: i64) -> Result<ItemDetail, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let owner = owner_of(&caller, item_id).await?;
        let now = caller.state.clock.now_millis();
        let mut item = items::detail(&caller.state.db, item_id, now).await?.ok_or(AppError::NotFound)?;
        item.can_work = !owner.archived && caller.me.may(Action::EditTeamChecklists { team_id: owner.team_id });
        item.can_comment = may_comment(&caller, owner);
        if item.can_work {
            item.citable = documents::citable(&caller.state.db, owner.service_id).await?;
        }
        item.can_review = !owner.archived && caller.me.may(Action::ReviewEvidence);
        let blocks = matches!(item.standing, Standing::Unmet(_))
            && (item.def.severity == Severity::Critical || item.def.level == crate::domain::checklist::Level::Bronze);
        item.can_request_waiver =
            blocks && !owner.archived && caller.me.may(Action::ManageTeamServices { team_id: owner.team_id });
        if item.can_review {
            let mut conn = caller.state.db.pool().acquire().await?;
            item.own_work = reviews::is_own_work(&mut conn, item_id, caller.me.user.id).await?;
        }
        Ok(item)
    }

    pub async fn set_status(item_id: i64, version: i64, status: String, justification: String) -> Result<(), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let owner = owner_of(&caller, item_id).await?;
        caller.me.require(Action::EditTeamChecklists { team_id: owner.team_id })?;
        if owner.archived {
            return Err(AppError::invalid("status", "Restore the service before working on its checklists."));
        }
        let status = ItemStatus::parse(&status).ok_or_else(|| AppError::invalid("status", "Choose a status."))?;
        let now = caller.state.clock.now_millis();
        items::set_status(&caller.state.db, caller.actor(), owner, item_id, version, status, &justification, now).await
    }

    pub async fn comment(item_id: i64, body: String) -> Result<(), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let owner = owner_of(&caller, item_id).await?;
        if !may_comment(&caller, owner) {
            return Err(if caller.me.user.role == Role::Viewer || !owner.archived {
                AppError::Forbidden
            } else {
                AppError::invalid("body", "Restore the service before discussing its items.")
            });
        }
        items::comment(&caller.state.db, caller.actor(), owner, item_id, &body, caller.state.clock.now_millis()).await
    }

    pub async fn review(item_id: i64, version: i64, decision: String, comment: String) -> Result<(), AppError> {
        let caller = caller(Action::ReviewEvidence)?;
        let owner = owner_of(&caller, item_id).await?;
        if owner.archived {
            return Err(AppError::invalid("decision", "Restore the service before reviewing its items."));
        }
        let decision = Decision::parse(&decision).ok_or_else(|| AppError::invalid("decision", "Choose a decision."))?;
        let now = caller.state.clock.now_millis();
        reviews::decide(&caller.state.db, caller.actor(), owner, item_id, version, decision, &comment, now).await
    }

    /// The caller, and the item's service, whose checklists they may work.
    async fn worker(item_id: i64) -> Result<(Caller, ItemOwner), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let owner = owner_of(&caller, item_id).await?;
        caller.me.require(Action::EditTeamChecklists { team_id: owner.team_id })?;
        if owner.archived {
            return Err(AppError::invalid("url", "Restore the service before working on its checklists."));
        }
        Ok((caller, owner))
    }

    pub async fn add_link(item_id: i64, url: String, note: String) -> Result<(), AppError> {
        let (caller, owner) = worker(item_id).await?;
        let now = caller.state.clock.now_millis();
        evidence::add(&caller.state.db, caller.actor(), owner, item_id, NewEvidence::Link { url: &url }, &note, now)
            .await
            .map(|_| ())
    }

    pub async fn cite(item_id: i64, document_version_id: String, note: String) -> Result<(), AppError> {
        let (caller, owner) = worker(item_id).await?;
        let version_id = document_version_id
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("document_version_id", "Choose one of this service's documents."))?;
        let now = caller.state.clock.now_millis();
        let cited = NewEvidence::Document { version_id };
        evidence::add(&caller.state.db, caller.actor(), owner, item_id, cited, &note, now).await.map(|_| ())
    }

    pub async fn withdraw(evidence_id: i64) -> Result<(), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let item_id = evidence::item_of(&caller.state.db, evidence_id).await?.ok_or(AppError::NotFound)?;
        let (caller, owner) = worker(item_id).await.map_err(|e| match e {
            AppError::Invalid { .. } => {
                AppError::invalid("evidence", "Restore the service before changing its evidence.")
            }
            other => other,
        })?;
        let now = caller.state.clock.now_millis();
        evidence::withdraw(&caller.state.db, caller.actor(), owner, evidence_id, now).await
    }

    pub async fn request_waiver(
        item_id: i64,
        reason: String,
        compensating_control: String,
        expires_on: String,
    ) -> Result<(), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let owner = owner_of(&caller, item_id).await?;
        caller.me.require(Action::ManageTeamServices { team_id: owner.team_id })?;
        if owner.archived {
            return Err(AppError::invalid("waiver", "Restore the service before asking for waivers."));
        }
        let now = caller.state.clock.now_millis();
        let db = &caller.state.db;
        waivers::request(db, caller.actor(), owner, item_id, &reason, &compensating_control, &expires_on, now).await
    }

    pub async fn decide_waiver(waiver_id: i64, grant: bool, comment: String) -> Result<(), AppError> {
        let caller = caller(Action::ReviewEvidence)?;
        let item_id = waivers::item_of(&caller.state.db, waiver_id).await?.ok_or(AppError::NotFound)?;
        let owner = owner_of(&caller, item_id).await?;
        let now = caller.state.clock.now_millis();
        waivers::decide(&caller.state.db, caller.actor(), owner, waiver_id, grant, &comment, now).await
    }

    pub async fn queue(query: String) -> Result<ReviewQueue, AppError> {
        let caller = caller(Action::ReviewEvidence)?;
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
        let filter = QueueFilter {
            team_id: get("team").and_then(|v| v.parse().ok()),
            template_id: get("template").and_then(|v| v.parse().ok()),
            severity: get("severity").and_then(Severity::parse),
            min_age_days: get("age").and_then(|v| v.parse().ok()),
        };
        let db = &caller.state.db;
        Ok(ReviewQueue {
            entries: reviews::queue(db, &filter, caller.me.user.id, caller.state.clock.now_millis()).await?,
            teams: teams::list(db).await?.into_iter().map(|t| (t.id, t.name)).collect(),
            templates: templates::list(db).await?.into_iter().map(|t| (t.id, t.name)).collect(),
        })
    }
}

#[server(endpoint = "items/one")]
pub async fn fetch_item(item_id: i64) -> Result<ItemDetail, AppError> {
    crate::backend::respond(server::detail(item_id).await)
}

/// Sets an item's status as seen at `version` (409 when someone else
/// changed it in between). Not applicable needs a justification.
#[server(endpoint = "items/status")]
pub async fn set_item_status(
    item_id: i64,
    version: i64,
    status: String,
    justification: String,
) -> Result<(), AppError> {
    crate::backend::respond(server::set_status(item_id, version, status, justification).await)
}

#[server(endpoint = "items/comment")]
pub async fn comment_on_item(item_id: i64, body: String) -> Result<(), AppError> {
    crate::backend::respond(server::comment(item_id, body).await)
}

/// Records a reviewer's decision on an item seen at `version`: approve,
/// reject, revoke, accept-na or decline-na (auditors and administrators;
/// never on one's own work).
#[server(endpoint = "items/review")]
pub async fn review_item(item_id: i64, version: i64, decision: String, comment: String) -> Result<(), AppError> {
    crate::backend::respond(server::review(item_id, version, decision, comment).await)
}

/// Items waiting for review across all services; `query` is the queue
/// page's query string (team, template, severity, age in days).
#[server(endpoint = "reviews")]
pub async fn fetch_review_queue(query: String) -> Result<ReviewQueue, AppError> {
    crate::backend::respond(server::queue(query).await)
}

/// Asks for a time-limited waiver of an item that blocks launch (the
/// team's leads and administrators); `expires_on` is the last day, at most
/// 180 days ahead.
#[server(endpoint = "items/waivers/request")]
pub async fn request_waiver(
    item_id: i64,
    reason: String,
    compensating_control: String,
    expires_on: String,
) -> Result<(), AppError> {
    crate::backend::respond(server::request_waiver(item_id, reason, compensating_control, expires_on).await)
}

/// Grants or declines a waiver request (auditors and administrators other
/// than the requester).
#[server(endpoint = "items/waivers/decide")]
pub async fn decide_waiver(waiver_id: i64, grant: bool, comment: String) -> Result<(), AppError> {
    crate::backend::respond(server::decide_waiver(waiver_id, grant, comment).await)
}

/// Attaches a link (http or https) as evidence.
#[server(endpoint = "items/evidence/link")]
pub async fn add_evidence_link(item_id: i64, url: String, note: String) -> Result<(), AppError> {
    crate::backend::respond(server::add_link(item_id, url, note).await)
}

/// Cites a version of one of the service's documents as evidence.
#[server(endpoint = "items/evidence/document")]
pub async fn cite_document(item_id: i64, document_version_id: String, note: String) -> Result<(), AppError> {
    crate::backend::respond(server::cite(item_id, document_version_id, note).await)
}

/// Withdraws evidence (it stays in the item's history; the item goes back
/// to review).
#[server(endpoint = "items/evidence/withdraw")]
pub async fn withdraw_evidence(evidence_id: i64) -> Result<(), AppError> {
    crate::backend::respond(server::withdraw(evidence_id).await)
}
