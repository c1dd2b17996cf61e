//! What the alert pages show: a team's channels and their recent
//! deliveries (`/teams/:id/alerts`), and a service's rules and
//! maintenance windows (`/services/:slug/alerts`). Built by
//! `backend::alerts`, sent by `api::alerts`, drawn by `pages::alerts`.

use serde::{Deserialize, Serialize};

use super::alerts::ChannelKind;

/// A channel as its team's page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelLine {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Where it sends.
    pub kind: ChannelKind,
    /// Its target as pages may show it (`alerts::shown_target`).
    pub target: String,
    /// When it was added (epoch ms).
    pub created_at: i64,
    /// The last delivery that went through, if any did.
    pub last_delivered_at: Option<i64>,
    /// Deliveries given up in the last 7 days.
    pub failed_recently: i64,
}

/// Where a delivery stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DeliveryState {
    /// Not sent yet, or failed and due again at `next_attempt_at`.
    Waiting {
        /// Tries so far.
        attempts: i64,
        /// The next try (epoch ms).
        next_attempt_at: i64,
        /// Why the last try failed, if one did.
        last_error: Option<String>,
    },
    /// The receiver took it.
    Delivered {
        /// When (epoch ms).
        at: i64,
    },
    /// Given up after the last try.
    Failed {
        /// When (epoch ms).
        at: i64,
        /// Why the last try failed.
        error: String,
    },
}

/// One delivery, newest first on the team's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryLine {
    /// Its id.
    pub id: i64,
    /// The channel it went to.
    pub channel_name: String,
    /// What it said, in one line (`Notice::headline`).
    pub headline: String,
    /// When it was queued (epoch ms).
    pub created_at: i64,
    /// Where it stands.
    pub state: DeliveryState,
}

/// A team's alert channels page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamAlerts {
    /// The team.
    pub team_id: i64,
    /// Its name.
    pub team_name: String,
    /// Its channels, by name.
    pub channels: Vec<ChannelLine>,
    /// The latest deliveries to them, newest first.
    pub deliveries: Vec<DeliveryLine>,
    /// The caller may add, test and remove channels.
    pub can_manage: bool,
    /// The server can send mail (SMTP is set up), so email channels work.
    pub email_available: bool,
}

/// A rule as its service's page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleLine {
    /// Its id.
    pub id: i64,
    /// The rule in words ("Probe down").
    pub rule: String,
    /// The one probe it watches; every probe of the service when `None`.
    pub probe_name: Option<String>,
    /// The channels it sends to, by name.
    pub channels: Vec<String>,
    /// Reminders while firing, at most every this many minutes.
    pub resend_minutes: i64,
    /// One of its incidents is open.
    pub firing: bool,
}

/// A maintenance window as its service's page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaintenanceLine {
    /// Its id.
    pub id: i64,
    /// When, in words (`Maintenance::describe`).
    pub when: String,
    /// Why.
    pub note: String,
    /// It silences alerts right now.
    pub active: bool,
}

/// Something a form offers to choose: a probe or a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// A service's alerts page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceAlerts {
    /// The service.
    pub service_id: i64,
    /// Its name.
    pub service_name: String,
    /// Its slug.
    pub service_slug: String,
    /// Its team, whose channels rules send to.
    pub team_id: i64,
    /// The team's name.
    pub team_name: String,
    /// Its rules, oldest first.
    pub rules: Vec<RuleLine>,
    /// Its maintenance windows that are not over, oldest first.
    pub windows: Vec<MaintenanceLine>,
    /// Its probes, for a rule that watches one.
    pub probes: Vec<Choice>,
    /// The team's channels, for a rule's recipients.
    pub channels: Vec<Choice>,
    /// The caller may add and remove rules and windows.
    pub can_manage: bool,
}

/// A channel just added: the only time its signing key is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelAdded {
    /// Its name.
    pub name: String,
    /// A webhook's HMAC key; none for Slack and email.
    pub signing_key: Option<String>,
}
