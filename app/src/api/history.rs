//! Score history for the charts: a service's, a team's or the whole
//! organisation's, over a window of days. Everyone signed in reads it.

use leptos::prelude::*;

use crate::domain::history::History;
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::caller::caller;
    use crate::backend::{history, services};
    use crate::domain::access::Action;

    pub async fn history(scope: String, days: i64) -> Result<History, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let db = &caller.state.db;
        let days = crate::domain::history::window(Some(&days.to_string()));
        let now = caller.state.clock.now_millis();
        if scope == "org" {
            return Ok(history::for_scope(db, 0, days, now).await?);
        }
        if let Some(team) = scope.strip_prefix("team:") {
            let team_id: i64 = team.parse().map_err(|_| AppError::NotFound)?;
            if team_id <= 0 {
                return Err(AppError::NotFound);
            }
            return Ok(history::for_scope(db, team_id, days, now).await?);
        }
        if let Some(slug) = scope.strip_prefix("service:") {
            let record = services::find_by_slug(db, slug).await?.ok_or(AppError::NotFound)?;
            return Ok(history::for_service(db, record.summary.id, days, now).await?);
        }
        Err(AppError::NotFound)
    }
}

/// `scope` is `org`, `team:<id>` or `service:<slug>`; `days` one of the
/// chart windows (30, 90, 365).
#[server(endpoint = "history")]
pub async fn fetch_history(scope: String, days: i64) -> Result<History, AppError> {
    crate::backend::respond(server::history(scope, days).await)
}
