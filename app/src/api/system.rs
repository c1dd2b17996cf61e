//! Facts about this Preflight instance, for the System status page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceStatus {
    pub version: String,
    /// "SQLite" or "PostgreSQL".
    pub database: String,
    pub database_reachable: bool,
    pub schema_version: Option<i64>,
    pub migrations_applied: usize,
    /// When the newest migration was applied, milliseconds since the epoch.
    pub last_migrated_at_ms: Option<i64>,
    pub uptime_seconds: u64,
    /// Notification mail, when SMTP is configured.
    pub mail: Option<MailHealth>,
}

/// The notification outbox at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailHealth {
    pub waiting: i64,
    /// Mails given up after every retry.
    pub failed: i64,
    /// The latest delivery error (administrators only).
    pub last_error: Option<String>,
}

#[server(endpoint = "system/status")]
pub async fn fetch_instance_status() -> Result<InstanceStatus, AppError> {
    crate::backend::respond(instance_status().await)
}

#[cfg(feature = "ssr")]
async fn instance_status() -> Result<InstanceStatus, AppError> {
    use crate::backend::{caller::caller, migrations};
    use crate::domain::access::Action;

    let caller = caller(Action::ReadDashboard)?;
    let state = &caller.state;
    let database_reachable = state.db.ping().await.is_ok();
    let history = if database_reachable { migrations::history(&state.db).await? } else { Vec::new() };
    let mail = match (&state.mailer, database_reachable) {
        (Some(_), true) => {
            let (waiting, failed, last_error) = crate::backend::notifications::outbox_counts(&state.db).await?;
            let admin = caller.me.user.role == crate::domain::access::Role::Admin;
            Some(MailHealth { waiting, failed, last_error: last_error.filter(|_| admin) })
        }
        _ => None,
    };
    Ok(InstanceStatus {
        version: env!("CARGO_PKG_VERSION").to_string(),
        database: state.db.backend().name().to_string(),
        database_reachable,
        schema_version: history.last().map(|m| m.version),
        migrations_applied: history.len(),
        last_migrated_at_ms: history.last().map(|m| m.applied_at_ms),
        uptime_seconds: state.started_at.elapsed().as_secs(),
        mail,
    })
}
