//! Alerts: a team's channels (where notifications go) and a service's
//! rules and maintenance windows. Everyone signed in reads them (a
//! webhook's URL shows only its host, its signing key only once); the
//! team's leads and members, and administrators, change them, like
//! probes (`Action::ManageTeamProbes`).

use leptos::prelude::*;

use crate::domain::probes::alert_views::{ChannelAdded, ServiceAlerts, TeamAlerts};
use crate::domain::probes::alerts::{ChannelForm, MaintenanceForm, RuleForm};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::caller::{caller, Caller};
    use crate::backend::{accounts, alert_send, alerts, services, targets, teams};
    use crate::domain::access::Action;
    use crate::domain::probes::alerts::{validate_channel, validate_maintenance, validate_rule, ChannelKind};

    /// Team `team_id`, whose channels the caller may change.
    async fn managed_team(caller: &Caller, team_id: i64) -> Result<(), AppError> {
        let team = teams::detail(&caller.state.db, team_id).await?.ok_or(AppError::NotFound)?;
        caller.me.require(Action::ManageTeamProbes { team_id })?;
        if team.archived {
            return Err(AppError::invalid("team", "Restore the team before changing its alert channels."));
        }
        Ok(())
    }

    /// Service `service_id`, whose alerts the caller may change.
    async fn managed_service(caller: &Caller, service_id: i64) -> Result<services::ServiceRecord, AppError> {
        let record = services::find_by_id(&caller.state.db, service_id).await?.ok_or(AppError::NotFound)?;
        caller.me.require(Action::ManageTeamProbes { team_id: record.summary.team_id })?;
        if record.summary.archived {
            return Err(AppError::invalid("service", "Restore the service before changing its alerts."));
        }
        Ok(record)
    }

    pub async fn team(team_id: i64) -> Result<TeamAlerts, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let db = &caller.state.db;
        let team = teams::detail(db, team_id).await?.ok_or(AppError::NotFound)?;
        let (channels, deliveries) = alerts::team_alerts(db, team_id, caller.state.clock.now_millis()).await?;
        Ok(TeamAlerts {
            team_id,
            team_name: team.name,
            channels,
            deliveries,
            can_manage: !team.archived && caller.me.may(Action::ManageTeamProbes { team_id }),
            email_available: caller.state.mailer.is_some(),
        })
    }

    pub async fn add_channel(team_id: i64, form: ChannelForm) -> Result<ChannelAdded, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        managed_team(&caller, team_id).await?;
        let input = validate_channel(&form)?;
        let target = match input.kind {
            ChannelKind::Email => {
                if caller.state.mailer.is_none() {
                    return Err(AppError::invalid(
                        "kind",
                        "This server cannot send mail (no SMTP is set up); choose a webhook, or ask an administrator.",
                    ));
                }
                accounts::normalize_email(&input.target).map_err(|e| match e {
                    AppError::Invalid { message, .. } => AppError::invalid("target", message),
                    other => other,
                })?
            }
            ChannelKind::Webhook | ChannelKind::Slack => {
                targets::check_url(&caller.state.outbound, &input.target, "target").await?;
                input.target
            }
        };
        let now = caller.state.clock.now_millis();
        let (_, signing_key) =
            alerts::create_channel(&caller.state.db, caller.actor(), team_id, input.kind, &input.name, &target, now)
                .await?;
        Ok(ChannelAdded { name: input.name, signing_key })
    }

    pub async fn test_channel(team_id: i64, channel_id: i64) -> Result<String, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        managed_team(&caller, team_id).await?;
        let state = &caller.state;
        let now = state.clock.now_millis();
        let delivery = alerts::queue_test(&state.db, caller.actor(), team_id, channel_id, now).await?;
        let client = alert_send::client(state).map_err(|e| {
            tracing::error!(error = %e, "alerts: could not build the delivery client");
            AppError::Internal
        })?;
        let outcome = alert_send::send(state, &client, &delivery, now).await;
        let answer = match &outcome {
            Ok(()) => Ok("Sent: the receiver took the test notification.".to_string()),
            Err(e) => Err(AppError::invalid("channel", format!("Not delivered: {e}."))),
        };
        alerts::settle_delivery(&state.db, &delivery, outcome, state.clock.now_millis()).await?;
        answer
    }

    pub async fn remove_channel(team_id: i64, channel_id: i64) -> Result<(), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        managed_team(&caller, team_id).await?;
        let now = caller.state.clock.now_millis();
        alerts::remove_channel(&caller.state.db, caller.actor(), team_id, channel_id, now).await
    }

    pub async fn service(slug: String) -> Result<ServiceAlerts, AppError> {
        let caller = caller(Action::ReadDashboard)?;
        let db = &caller.state.db;
        let s = services::find_by_slug(db, &slug).await?.ok_or(AppError::NotFound)?.summary;
        let lists = alerts::service_alerts(db, s.id, s.team_id, caller.state.clock.now_millis()).await?;
        Ok(ServiceAlerts {
            can_manage: !s.archived && caller.me.may(Action::ManageTeamProbes { team_id: s.team_id }),
            service_id: s.id,
            service_name: s.name,
            service_slug: s.slug,
            team_id: s.team_id,
            team_name: s.team_name,
            rules: lists.rules,
            windows: lists.windows,
            probes: lists.probes,
            channels: lists.channels,
        })
    }

    pub async fn add_rule(
        service_id: i64,
        probe_id: String,
        channels: Vec<i64>,
        form: RuleForm,
    ) -> Result<(), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        managed_service(&caller, service_id).await?;
        let rule = validate_rule(&form)?;
        let probe_id = match probe_id.trim() {
            "" => None,
            id => Some(id.parse::<i64>().map_err(|_| AppError::invalid("probe_id", "Choose a probe."))?),
        };
        let now = caller.state.clock.now_millis();
        alerts::create_rule(&caller.state.db, caller.actor(), service_id, probe_id, &rule, &channels, now).await?;
        Ok(())
    }

    pub async fn remove_rule(service_id: i64, rule_id: i64) -> Result<(), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        managed_service(&caller, service_id).await?;
        let now = caller.state.clock.now_millis();
        alerts::remove_rule(&caller.state.db, caller.actor(), service_id, rule_id, now).await
    }

    pub async fn add_maintenance(service_id: i64, form: MaintenanceForm) -> Result<(), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        managed_service(&caller, service_id).await?;
        let now = caller.state.clock.now_millis();
        let (window, note) = validate_maintenance(&form, now)?;
        alerts::add_maintenance(&caller.state.db, caller.actor(), service_id, &window, &note, now).await?;
        Ok(())
    }

    pub async fn remove_maintenance(service_id: i64, window_id: i64) -> Result<(), AppError> {
        let caller = caller(Action::ReadDashboard)?;
        managed_service(&caller, service_id).await?;
        let now = caller.state.clock.now_millis();
        alerts::remove_maintenance(&caller.state.db, caller.actor(), service_id, window_id, now).await
    }
}

/// A team's alert channels and their latest deliveries.
#[server(endpoint = "alerts/team")]
pub async fn fetch_team_alerts(team_id: i64) -> Result<TeamAlerts, AppError> {
    crate::backend::respond(server::team(team_id).await)
}

/// Adds a channel to a team; a webhook's signing key is in the answer, and
/// never shown again.
#[server(endpoint = "alerts/channels/add")]
pub async fn add_alert_channel(team_id: i64, form: ChannelForm) -> Result<ChannelAdded, AppError> {
    crate::backend::respond(server::add_channel(team_id, form).await)
}

/// Sends a test notification to a channel now and says how it went.
#[server(endpoint = "alerts/channels/test")]
pub async fn test_alert_channel(team_id: i64, channel_id: i64) -> Result<String, AppError> {
    crate::backend::respond(server::test_channel(team_id, channel_id).await)
}

/// Removes a channel; rules keep sending to their other channels.
#[server(endpoint = "alerts/channels/remove")]
pub async fn remove_alert_channel(team_id: i64, channel_id: i64) -> Result<(), AppError> {
    crate::backend::respond(server::remove_channel(team_id, channel_id).await)
}

/// A service's alert rules and maintenance windows.
#[server(endpoint = "alerts/service")]
pub async fn fetch_service_alerts(slug: String) -> Result<ServiceAlerts, AppError> {
    crate::backend::respond(server::service(slug).await)
}

/// Adds a rule to a service, for one probe (`probe_id`) or all of them
/// (empty), sending to `channels` of the service's team.
#[server(endpoint = "alerts/rules/add")]
pub async fn add_alert_rule(
    service_id: i64,
    #[server(default)] probe_id: String,
    #[server(default)] channels: Vec<i64>,
    form: RuleForm,
) -> Result<(), AppError> {
    crate::backend::respond(server::add_rule(service_id, probe_id, channels, form).await)
}

/// Removes a rule; an incident of it still open ends.
#[server(endpoint = "alerts/rules/remove")]
pub async fn remove_alert_rule(service_id: i64, rule_id: i64) -> Result<(), AppError> {
    crate::backend::respond(server::remove_rule(service_id, rule_id).await)
}

/// Adds a maintenance window (once, or every week) to a service.
#[server(endpoint = "alerts/maintenance/add")]
pub async fn add_maintenance_window(service_id: i64, form: MaintenanceForm) -> Result<(), AppError> {
    crate::backend::respond(server::add_maintenance(service_id, form).await)
}

/// Removes a maintenance window.
#[server(endpoint = "alerts/maintenance/remove")]
pub async fn remove_maintenance_window(service_id: i64, window_id: i64) -> Result<(), AppError> {
    crate::backend::respond(server::remove_maintenance(service_id, window_id).await)
}
