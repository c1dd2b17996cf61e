//! Alert rules, incidents and maintenance windows, the pure part: what a
//! rule watches and when it is breached, how an incident moves (open,
//! re-send, close) and when a maintenance window silences it. Storage,
//! evaluation loops and delivery build on this (see docs/probes.md,
//! "Alerts plan").

use serde::{Deserialize, Serialize};

use crate::error::AppError;

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;
const WEEK_MS: i64 = 7 * DAY_MS;

/// What a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum RuleKind {
    /// The probe is down (its failure threshold was reached).
    Down,
    /// Errors above a share over a window.
    ErrorRate {
        /// The share, in percent.
        above_percent: f64,
        /// The window read, in minutes.
        window_minutes: u32,
    },
    /// p95 latency above a limit over a window.
    LatencyP95 {
        /// The limit, in ms.
        above_ms: u32,
        /// The window read, in minutes.
        window_minutes: u32,
    },
    /// The served certificate expires soon.
    CertExpiry {
        /// Within this many days.
        within_days: u32,
    },
}

impl RuleKind {
    /// Its name in storage and forms.
    pub fn key(&self) -> &'static str {
        match self {
            RuleKind::Down => "down",
            RuleKind::ErrorRate { .. } => "error-rate",
            RuleKind::LatencyP95 { .. } => "latency-p95",
            RuleKind::CertExpiry { .. } => "cert-expiry",
        }
    }

    /// "Error rate above 5 % over 10 minutes".
    pub fn describe(&self) -> String {
        match self {
            RuleKind::Down => "Probe down".to_string(),
            RuleKind::ErrorRate { above_percent, window_minutes } => {
                format!("Error rate above {above_percent} % over {window_minutes} minutes")
            }
            RuleKind::LatencyP95 { above_ms, window_minutes } => {
                format!("p95 latency above {above_ms} ms over {window_minutes} minutes")
            }
            RuleKind::CertExpiry { within_days: 1 } => "Certificate expires within 1 day".to_string(),
            RuleKind::CertExpiry { within_days } => format!("Certificate expires within {within_days} days"),
        }
    }

    /// `value` (see [`breach`]) in this rule's unit: "1", "12.5 %",
    /// "450 ms", "3 days".
    pub fn value_label(&self, value: f64) -> String {
        match self {
            RuleKind::Down => "down".to_string(),
            RuleKind::ErrorRate { .. } => format!("{value:.1} %"),
            RuleKind::LatencyP95 { .. } => format!("{value:.0} ms"),
            RuleKind::CertExpiry { .. } if value < 1.0 => "under a day".to_string(),
            RuleKind::CertExpiry { .. } => format!("{:.0} days", value.floor()),
        }
    }

    /// The window its figure is read over (ms); none for down and
    /// certificate rules, which read the probe's state.
    pub fn window_ms(&self) -> Option<i64> {
        match self {
            RuleKind::ErrorRate { window_minutes, .. } | RuleKind::LatencyP95 { window_minutes, .. } => {
                Some(i64::from(*window_minutes) * MINUTE_MS)
            }
            RuleKind::Down | RuleKind::CertExpiry { .. } => None,
        }
    }
}

/// A rule's form as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleForm {
    /// "down", "error-rate", "latency-p95" or "cert-expiry".
    pub kind: String,
    /// Percent for an error-rate rule, ms for a latency rule, days for a
    /// certificate rule.
    #[serde(default)]
    pub threshold: String,
    /// Minutes, for error-rate and latency rules.
    #[serde(default)]
    pub window_minutes: String,
    /// Minutes between reminders while it fires.
    #[serde(default)]
    pub resend_minutes: String,
}

/// A checked rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// What it watches.
    pub kind: RuleKind,
    /// Reminders while firing, at most this often (ms).
    pub resend_every_ms: i64,
}

/// Reminders are never more often than this.
pub const MIN_RESEND_MINUTES: u32 = 5;
/// Windows from one minute (a few checks) to a day.
pub const MAX_WINDOW_MINUTES: u32 = 24 * 60;

/// Checks a rule form, naming the field of any problem.
pub fn validate_rule(form: &RuleForm) -> Result<Rule, AppError> {
    let whole = |field: &str, text: &str, what: &str| -> Result<u32, AppError> {
        text.trim().parse::<u32>().map_err(|_| AppError::invalid(field, format!("Enter {what} as a whole number.")))
    };
    let window = || -> Result<u32, AppError> {
        let text = form.window_minutes.trim();
        let minutes = if text.is_empty() { 10 } else { whole("window_minutes", text, "the window in minutes")? };
        if !(1..=MAX_WINDOW_MINUTES).contains(&minutes) {
            return Err(AppError::invalid("window_minutes", "Choose a window from 1 minute to 1,440 (a day)."));
        }
        Ok(minutes)
    };
    let kind = match form.kind.trim() {
        "down" => RuleKind::Down,
        "error-rate" => {
            let text = form.threshold.trim().trim_end_matches('%').trim();
            let above_percent: f64 =
                text.parse().ok().filter(|p: &f64| p.is_finite() && (0.0..100.0).contains(p)).ok_or_else(|| {
                    AppError::invalid("threshold", "Enter a percentage from 0 to just under 100, e.g. 5.")
                })?;
            RuleKind::ErrorRate { above_percent, window_minutes: window()? }
        }
        "latency-p95" => {
            let above_ms =
                whole("threshold", form.threshold.trim().trim_end_matches("ms").trim(), "the latency in ms")?;
            if above_ms == 0 {
                return Err(AppError::invalid("threshold", "Enter a latency above 0 ms."));
            }
            RuleKind::LatencyP95 { above_ms, window_minutes: window()? }
        }
        "cert-expiry" => {
            let within_days = whole("threshold", &form.threshold, "the number of days")?;
            if !(1..=365).contains(&within_days) {
                return Err(AppError::invalid("threshold", "Choose 1 to 365 days."));
            }
            RuleKind::CertExpiry { within_days }
        }
        _ => return Err(AppError::invalid("kind", "Choose what the rule watches.")),
    };
    let resend = form.resend_minutes.trim();
    let resend_minutes = if resend.is_empty() { 60 } else { whole("resend_minutes", resend, "the minutes")? };
    if resend_minutes < MIN_RESEND_MINUTES {
        return Err(AppError::invalid("resend_minutes", "Remind at most every 5 minutes."));
    }
    Ok(Rule { kind, resend_every_ms: i64::from(resend_minutes) * MINUTE_MS })
}

/// What a rule reads of its probe at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Reading {
    /// The probe is down now.
    pub down: bool,
    /// Errors ÷ requests (metrics) or failed ÷ all checks over the rule's
    /// window; `None` without checks in it.
    pub error_rate: Option<f64>,
    /// p95 latency over the window (µs).
    pub p95_us: Option<u64>,
    /// When the served certificate expires (epoch ms).
    pub tls_not_after: Option<i64>,
}

/// The figure that breaches `kind` in `reading` at `now`: 1 for down, the
/// error rate in percent, p95 in ms, days left of the certificate; `None`
/// when the rule holds (or there is nothing to read).
pub fn breach(kind: &RuleKind, reading: &Reading, now: i64) -> Option<f64> {
    match *kind {
        RuleKind::Down => reading.down.then_some(1.0),
        RuleKind::ErrorRate { above_percent, .. } => {
            reading.error_rate.map(|r| r * 100.0).filter(|percent| *percent > above_percent)
        }
        RuleKind::LatencyP95 { above_ms, .. } => {
            reading.p95_us.map(|us| us as f64 / 1000.0).filter(|ms| *ms > f64::from(above_ms))
        }
        RuleKind::CertExpiry { within_days } => reading
            .tls_not_after
            .map(|at| (at - now) as f64 / DAY_MS as f64)
            .filter(|days| *days < f64::from(within_days)),
    }
}

/// Whether a bigger figure is worse (all but certificate days).
pub fn worse(kind: &RuleKind, value: f64, than: f64) -> bool {
    match kind {
        RuleKind::CertExpiry { .. } => value < than,
        _ => value > than,
    }
}

/// An incident that has not ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenIncident {
    /// When it opened (epoch ms).
    pub started_at: i64,
    /// The worst figure so far.
    pub peak: f64,
    /// The last notification (trigger or reminder) queued, if any was
    /// (none while silenced by maintenance).
    pub notified_at: Option<i64>,
}

/// What to do after reading a rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// Nothing changes.
    Hold,
    /// Open an incident.
    Open {
        /// The figure that breached.
        value: f64,
        /// Queue the trigger (not while silenced).
        notify: bool,
    },
    /// Still firing.
    Firing {
        /// The worst figure so far, this reading included.
        peak: f64,
        /// A reminder is due (and not silenced).
        notify: bool,
    },
    /// It holds again: close the incident.
    Close {
        /// Queue the recovery (not while silenced, and only when the
        /// start was sent).
        notify: bool,
    },
}

/// The next step of a rule with `open` (its incident, if any) after a
/// reading that gave `breached`, at `now`, silenced when `maintenance`.
pub fn step(rule: &Rule, open: Option<&OpenIncident>, breached: Option<f64>, now: i64, maintenance: bool) -> Step {
    match (open, breached) {
        (None, None) => Step::Hold,
        (None, Some(value)) => Step::Open { value, notify: !maintenance },
        (Some(incident), None) => Step::Close { notify: !maintenance && incident.notified_at.is_some() },
        (Some(incident), Some(value)) => {
            let peak = if worse(&rule.kind, value, incident.peak) { value } else { incident.peak };
            let due = incident.notified_at.is_none_or(|at| now - at >= rule.resend_every_ms);
            Step::Firing { peak, notify: due && !maintenance }
        }
    }
}

/// A time when alerts are silenced (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Maintenance {
    /// Once.
    Once {
        /// From (epoch ms).
        start: i64,
        /// Until (epoch ms, not included).
        end: i64,
    },
    /// Every week.
    Weekly {
        /// 0 Monday … 6 Sunday.
        weekday: u8,
        /// Minutes after midnight.
        start_minute: u16,
        /// How long.
        minutes: u32,
    },
}

impl Maintenance {
    /// Whether `at` (epoch ms) falls inside.
    pub fn covers(&self, at: i64) -> bool {
        self.spans(at, at + 1).next().is_some()
    }

    /// The spans (start, end) inside that overlap `from`..`to`, oldest
    /// first: for shading charts.
    pub fn spans(&self, from: i64, to: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
        let candidates: Box<dyn Iterator<Item = (i64, i64)>> = match *self {
            Maintenance::Once { start, end } => Box::new(std::iter::once((start, end))),
            Maintenance::Weekly { weekday, start_minute, minutes } => {
                // 1970-01-01 was a Thursday: the first Monday, the 5th,
                // began 4 days later.
                let offset = 4 * DAY_MS + i64::from(weekday) * DAY_MS + i64::from(start_minute) * MINUTE_MS;
                let length = i64::from(minutes) * MINUTE_MS;
                // The occurrence that may still run at `from`, then each week.
                let first = (from - length - offset).div_euclid(WEEK_MS) * WEEK_MS + offset;
                Box::new(
                    (0..)
                        .map(move |k| (first + k * WEEK_MS, first + k * WEEK_MS + length))
                        .take_while(move |(s, _)| *s < to),
                )
            }
        };
        candidates.filter(move |(start, end)| *start < to && *end > from && end > start)
    }
}

/// Checks a one-off window: it ends after it starts, and within a year.
pub fn validate_once(start: i64, end: i64) -> Result<Maintenance, AppError> {
    if end <= start {
        return Err(AppError::invalid("end", "The window must end after it starts."));
    }
    if end - start > 366 * DAY_MS {
        return Err(AppError::invalid("end", "Keep a window within a year."));
    }
    Ok(Maintenance::Once { start, end })
}

/// Checks a weekly window: a weekday, a start time and up to a week long.
pub fn validate_weekly(weekday: u8, start_minute: u16, minutes: u32) -> Result<Maintenance, AppError> {
    if weekday > 6 {
        return Err(AppError::invalid("weekday", "Choose a day of the week."));
    }
    if start_minute >= 24 * 60 {
        return Err(AppError::invalid("start_time", "Give the start as a time of day, e.g. 02:00."));
    }
    if minutes == 0 || i64::from(minutes) * MINUTE_MS > WEEK_MS {
        return Err(AppError::invalid("minutes", "Choose a length from 1 minute to a week."));
    }
    Ok(Maintenance::Weekly { weekday, start_minute, minutes })
}

/// Where a channel sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelKind {
    /// A generic webhook: the notice as JSON, signed.
    Webhook,
    /// A Slack-compatible incoming webhook: `{"text": …}`.
    Slack,
    /// Mail through the server's SMTP settings.
    Email,
}

impl ChannelKind {
    /// Every kind, in the order forms offer them.
    pub const ALL: [ChannelKind; 3] = [ChannelKind::Webhook, ChannelKind::Slack, ChannelKind::Email];

    /// Its name in storage and forms.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Slack => "slack",
            ChannelKind::Email => "email",
        }
    }

    /// The kind stored as `text`.
    pub fn parse(text: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|k| k.as_str() == text.trim())
    }

    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "Webhook",
            ChannelKind::Slack => "Slack",
            ChannelKind::Email => "Email",
        }
    }
}

/// A channel's form as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelForm {
    /// "webhook", "slack" or "email".
    pub kind: String,
    /// What people call it ("On-call pager").
    pub name: String,
    /// A URL, or an email address.
    pub target: String,
}

/// A channel's name, kind and target, shaped but not yet judged by the
/// outbound guard (URLs) or the mailer (addresses): that is the server's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelInput {
    /// Its kind.
    pub kind: ChannelKind,
    /// Its name, trimmed.
    pub name: String,
    /// Its target, trimmed.
    pub target: String,
}

/// Checks a channel form's name and kind, and that a target was given.
pub fn validate_channel(form: &ChannelForm) -> Result<ChannelInput, AppError> {
    let kind = ChannelKind::parse(&form.kind).ok_or_else(|| AppError::invalid("kind", "Choose where it sends."))?;
    let name = form.name.trim();
    match name.chars().count() {
        0 => return Err(AppError::invalid("name", "Name the channel, e.g. “On-call pager”.")),
        81.. => return Err(AppError::invalid("name", "Use at most 80 characters.")),
        _ => {}
    }
    let target = form.target.trim();
    if target.is_empty() {
        let message = match kind {
            ChannelKind::Email => "Enter the address to mail, e.g. oncall@example.com.",
            _ => "Enter the URL to post to, e.g. https://hooks.example.com/preflight.",
        };
        return Err(AppError::invalid("target", message));
    }
    if target.len() > 2048 {
        return Err(AppError::invalid("target", "Keep it under 2,048 characters."));
    }
    Ok(ChannelInput { kind, name: name.to_string(), target: target.to_string() })
}

/// What pages show of a channel's target: an address whole, but of a URL
/// only its scheme and host, since webhook URLs often carry their secret
/// in the path (Slack's do).
pub fn shown_target(kind: ChannelKind, target: &str) -> String {
    match kind {
        ChannelKind::Email => target.to_string(),
        ChannelKind::Webhook | ChannelKind::Slack => match url::Url::parse(target) {
            Ok(url) => format!("{}://{}/…", url.scheme(), url.host_str().unwrap_or("?")),
            Err(_) => "(not a URL)".to_string(),
        },
    }
}

/// A maintenance window's form as sent. Times are UTC: without a script
/// the server cannot know the browser's zone, so the form says so.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceForm {
    /// "once" or "weekly".
    pub kind: String,
    /// Once: from and until, as a `datetime-local` input sends them
    /// ("2026-12-06T02:00").
    #[serde(default)]
    pub starts: String,
    /// See `starts`.
    #[serde(default)]
    pub ends: String,
    /// Weekly: "0" (Monday) to "6" (Sunday).
    #[serde(default)]
    pub weekday: String,
    /// Weekly: the time of day it starts ("02:00").
    #[serde(default)]
    pub start_time: String,
    /// Weekly: how many minutes it lasts.
    #[serde(default)]
    pub minutes: String,
    /// Why, for the team ("Database upgrade").
    #[serde(default)]
    pub note: String,
}

/// The days of the week as [`Maintenance::Weekly`] counts them.
pub const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// Checks a maintenance form at `now`; returns the window and its note.
/// A one-off window that has already ended is refused: it would silence
/// nothing.
pub fn validate_maintenance(form: &MaintenanceForm, now: i64) -> Result<(Maintenance, String), AppError> {
    let note = form.note.trim();
    if note.chars().count() > 200 {
        return Err(AppError::invalid("note", "Keep the note under 200 characters."));
    }
    let window = match form.kind.trim() {
        "once" => {
            let start = utc_millis(&form.starts)
                .ok_or_else(|| AppError::invalid("starts", "Give the start as a date and time (UTC)."))?;
            let end = utc_millis(&form.ends)
                .ok_or_else(|| AppError::invalid("ends", "Give the end as a date and time (UTC)."))?;
            let window = validate_once(start, end).map_err(|e| match e {
                AppError::Invalid { message, .. } => AppError::invalid("ends", message),
                other => other,
            })?;
            if end <= now {
                return Err(AppError::invalid("ends", "That time has passed; a window must end in the future."));
            }
            window
        }
        "weekly" => {
            let weekday = form
                .weekday
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|d| *d < 7)
                .ok_or_else(|| AppError::invalid("weekday", "Choose a day of the week."))?;
            let start_minute = chrono::NaiveTime::parse_from_str(form.start_time.trim(), "%H:%M")
                .map(|t| {
                    use chrono::Timelike;
                    (t.hour() * 60 + t.minute()) as u16
                })
                .map_err(|_| AppError::invalid("start_time", "Give the start as a time of day, e.g. 02:00."))?;
            let minutes = form
                .minutes
                .trim()
                .parse::<u32>()
                .map_err(|_| AppError::invalid("minutes", "Enter the length in minutes, e.g. 90."))?;
            validate_weekly(weekday, start_minute, minutes)?
        }
        _ => return Err(AppError::invalid("kind", "Choose once or every week.")),
    };
    Ok((window, note.to_string()))
}

/// "2026-12-06T02:00" (with or without seconds, `T` or a space) as epoch
/// ms, read as UTC.
fn utc_millis(text: &str) -> Option<i64> {
    let text = text.trim();
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| chrono::NaiveDateTime::parse_from_str(text, format).ok())
        .map(|t| t.and_utc().timestamp_millis())
}

impl Maintenance {
    /// The window in words: "Every Monday from 02:00 for 1 h 30 min
    /// (UTC)", "2026-12-06 02:00 to 2026-12-06 04:00 (UTC)".
    pub fn describe(&self) -> String {
        let at = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map_or_else(|| "?".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())
        };
        match *self {
            Maintenance::Once { start, end } => format!("{} to {} (UTC)", at(start), at(end)),
            Maintenance::Weekly { weekday, start_minute, minutes } => {
                let day = WEEKDAYS.get(usize::from(weekday)).copied().unwrap_or("?");
                let length = match (minutes / 60, minutes % 60) {
                    (0, m) => format!("{m} min"),
                    (h, 0) => format!("{h} h"),
                    (h, m) => format!("{h} h {m} min"),
                };
                format!("Every {day} from {:02}:{:02} for {length} (UTC)", start_minute / 60, start_minute % 60)
            }
        }
    }

    /// Whether no time from `now` on is covered: a one-off window that is
    /// over.
    pub fn is_over(&self, now: i64) -> bool {
        matches!(*self, Maintenance::Once { end, .. } if end <= now)
    }
}

/// What a notification says: the JSON body of a webhook, and the source of
/// the Slack and email texts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    /// "trigger", "reminder", "recovery" or "test".
    pub event: String,
    /// The incident (none for a test).
    pub incident_id: Option<i64>,
    /// The service's slug.
    pub service_slug: String,
    /// The service's name.
    pub service_name: String,
    /// The probe (none for a test).
    pub probe_id: Option<i64>,
    /// The probe's name.
    pub probe_name: String,
    /// The rule kind's key ("down").
    pub rule_kind: String,
    /// The rule in words ("Probe down").
    pub rule: String,
    /// The figure (see [`breach`] for units): the breaching one, or the
    /// peak on recovery.
    pub value: f64,
    /// When (epoch ms).
    pub at: i64,
}

impl Notice {
    /// The notice "send test" sends to channel `channel` of team `team`:
    /// no incident, service or probe; the names stand in their fields.
    pub fn test(channel: &str, team: &str, at: i64) -> Notice {
        Notice {
            event: "test".into(),
            incident_id: None,
            service_slug: String::new(),
            service_name: team.to_string(),
            probe_id: None,
            probe_name: channel.to_string(),
            rule_kind: "test".into(),
            rule: "Test notification".into(),
            value: 0.0,
            at,
        }
    }

    /// One line for Slack and mail subjects: "Firing: Probe down on
    /// Payments API (Health endpoint)".
    pub fn headline(&self) -> String {
        let what = match self.event.as_str() {
            "trigger" => "Firing",
            "reminder" => "Still firing",
            "recovery" => "Recovered",
            _ => {
                return format!(
                    "Test: Preflight reaches “{}” of {}; nothing is wrong",
                    self.probe_name, self.service_name
                )
            }
        };
        format!("{what}: {} on {} ({})", self.rule, self.service_name, self.probe_name)
    }
}

/// The value of the signature header a webhook carries:
/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, so a receiver
/// checks both the sender and the time (refusing old replays).
#[cfg(feature = "ssr")]
pub fn signature(key: &[u8], unix_seconds: i64, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    // HMAC accepts a key of any length.
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(format!("{unix_seconds}.").as_bytes());
    mac.update(body);
    format!("t={unix_seconds},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(kind: &str, threshold: &str, window: &str, resend: &str) -> RuleForm {
        RuleForm {
            kind: kind.into(),
            threshold: threshold.into(),
            window_minutes: window.into(),
            resend_minutes: resend.into(),
        }
    }

    fn field(result: Result<Rule, AppError>) -> String {
        match result {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn rule_forms_are_checked_field_by_field() {
        let rule = validate_rule(&form("error-rate", "5 %", "", "")).unwrap();
        assert_eq!(rule.kind, RuleKind::ErrorRate { above_percent: 5.0, window_minutes: 10 });
        assert_eq!(rule.resend_every_ms, 60 * MINUTE_MS);
        assert_eq!(rule.kind.describe(), "Error rate above 5 % over 10 minutes");
        let rule = validate_rule(&form("latency-p95", "300 ms", "5", "15")).unwrap();
        assert_eq!(rule.kind, RuleKind::LatencyP95 { above_ms: 300, window_minutes: 5 });
        assert_eq!(validate_rule(&form("down", "", "", "")).unwrap().kind, RuleKind::Down);
        assert_eq!(field(validate_rule(&form("sometimes", "", "", ""))), "kind");
        assert_eq!(field(validate_rule(&form("error-rate", "150", "", ""))), "threshold");
        assert_eq!(field(validate_rule(&form("error-rate", "NaN", "", ""))), "threshold");
        assert_eq!(field(validate_rule(&form("latency-p95", "0", "", ""))), "threshold");
        assert_eq!(field(validate_rule(&form("latency-p95", "300", "2000", ""))), "window_minutes");
        assert_eq!(field(validate_rule(&form("cert-expiry", "0", "", ""))), "threshold");
        assert_eq!(field(validate_rule(&form("down", "", "", "1"))), "resend_minutes");
    }

    #[test]
    fn a_rule_is_breached_by_the_figure_it_watches() {
        let now = 100 * DAY_MS;
        let reading = Reading {
            down: true,
            error_rate: Some(0.12),
            p95_us: Some(450_000),
            tls_not_after: Some(now + 3 * DAY_MS),
        };
        assert_eq!(breach(&RuleKind::Down, &reading, now), Some(1.0));
        let rate = breach(&RuleKind::ErrorRate { above_percent: 5.0, window_minutes: 10 }, &reading, now).unwrap();
        assert!((rate - 12.0).abs() < 1e-9);
        assert_eq!(breach(&RuleKind::ErrorRate { above_percent: 20.0, window_minutes: 10 }, &reading, now), None);
        assert_eq!(breach(&RuleKind::LatencyP95 { above_ms: 300, window_minutes: 5 }, &reading, now), Some(450.0));
        assert_eq!(breach(&RuleKind::CertExpiry { within_days: 14 }, &reading, now), Some(3.0));
        assert_eq!(breach(&RuleKind::CertExpiry { within_days: 2 }, &reading, now), None);
        let cert = RuleKind::CertExpiry { within_days: 14 };
        assert_eq!((cert.value_label(3.7), cert.value_label(0.5)), ("3 days".to_string(), "under a day".to_string()));
        let rate = RuleKind::ErrorRate { above_percent: 5.0, window_minutes: 10 };
        assert_eq!(rate.value_label(12.345), "12.3 %");
        assert_eq!(
            breach(&RuleKind::ErrorRate { above_percent: 0.0, window_minutes: 1 }, &Reading::default(), now),
            None,
            "no checks, no breach"
        );
    }

    #[test]
    fn incidents_open_remind_no_more_often_than_asked_and_close() {
        let rule =
            Rule { kind: RuleKind::LatencyP95 { above_ms: 300, window_minutes: 5 }, resend_every_ms: 30 * MINUTE_MS };
        assert_eq!(step(&rule, None, None, 0, false), Step::Hold);
        assert_eq!(step(&rule, None, Some(400.0), 0, false), Step::Open { value: 400.0, notify: true });
        let open = OpenIncident { started_at: 0, peak: 400.0, notified_at: Some(0) };
        assert_eq!(
            step(&rule, Some(&open), Some(350.0), 10 * MINUTE_MS, false),
            Step::Firing { peak: 400.0, notify: false }
        );
        assert_eq!(
            step(&rule, Some(&open), Some(500.0), 30 * MINUTE_MS, false),
            Step::Firing { peak: 500.0, notify: true }
        );
        assert_eq!(step(&rule, Some(&open), None, 31 * MINUTE_MS, false), Step::Close { notify: true });
        // In maintenance: recorded, not sent; a silent start closes silently.
        assert_eq!(step(&rule, None, Some(400.0), 0, true), Step::Open { value: 400.0, notify: false });
        let silent = OpenIncident { notified_at: None, ..open };
        assert_eq!(
            step(&rule, Some(&silent), Some(400.0), MINUTE_MS, false),
            Step::Firing { peak: 400.0, notify: true },
            "notified once the window ends"
        );
        assert_eq!(step(&rule, Some(&silent), None, MINUTE_MS, false), Step::Close { notify: false });
        let cert = Rule { kind: RuleKind::CertExpiry { within_days: 14 }, resend_every_ms: DAY_MS };
        let expiring = OpenIncident { started_at: 0, peak: 10.0, notified_at: Some(0) };
        assert_eq!(
            step(&cert, Some(&expiring), Some(9.0), MINUTE_MS, false),
            Step::Firing { peak: 9.0, notify: false },
            "fewer days left is worse"
        );
    }

    #[test]
    fn maintenance_windows_cover_their_times_once_or_every_week() {
        // 1970-01-05 was a Monday.
        let monday = 4 * DAY_MS;
        let weekly = validate_weekly(0, 2 * 60, 90).unwrap();
        assert!(weekly.covers(monday + 2 * 60 * MINUTE_MS));
        assert!(weekly.covers(monday + WEEK_MS * 30 + 3 * 60 * MINUTE_MS));
        assert!(!weekly.covers(monday + 3 * 60 * MINUTE_MS + 30 * MINUTE_MS), "it ends at 03:30");
        assert!(!weekly.covers(monday + DAY_MS + 2 * 60 * MINUTE_MS), "Tuesday is not Monday");
        let spans: Vec<_> = weekly.spans(monday, monday + 3 * WEEK_MS).collect();
        assert_eq!(spans.len(), 3);
        assert_eq!(spans[0], (monday + 120 * MINUTE_MS, monday + 210 * MINUTE_MS));
        // A Sunday-night window runs into Monday.
        let night = validate_weekly(6, 23 * 60, 120).unwrap();
        assert!(night.covers(monday + 30 * MINUTE_MS), "Sunday 23:00 to Monday 01:00");
        let once = validate_once(10, 20).unwrap();
        assert!(once.covers(10) && once.covers(19) && !once.covers(20));
        assert!(validate_once(20, 10).is_err());
        assert!(validate_weekly(7, 0, 10).is_err());
        assert!(validate_weekly(0, 24 * 60, 10).is_err());
        assert!(validate_weekly(0, 0, 0).is_err());
    }

    #[test]
    fn channel_forms_name_the_field_and_urls_show_only_their_host() {
        let form = |kind: &str, name: &str, target: &str| ChannelForm {
            kind: kind.into(),
            name: name.into(),
            target: target.into(),
        };
        let ok =
            validate_channel(&form("slack", "  #ops ", " https://hooks.slack.com/services/T0/B0/secret ")).unwrap();
        assert_eq!((ok.kind, ok.name.as_str()), (ChannelKind::Slack, "#ops"));
        assert_eq!(shown_target(ok.kind, &ok.target), "https://hooks.slack.com/…");
        assert_eq!(shown_target(ChannelKind::Email, "oncall@example.com"), "oncall@example.com");
        let field_of = |result: Result<ChannelInput, AppError>| match result {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        };
        assert_eq!(field_of(validate_channel(&form("pager", "x", "y"))), "kind");
        assert_eq!(field_of(validate_channel(&form("email", " ", "a@example.com"))), "name");
        assert_eq!(field_of(validate_channel(&form("email", &"n".repeat(81), "a@example.com"))), "name");
        assert_eq!(field_of(validate_channel(&form("webhook", "Hook", ""))), "target");
    }

    #[test]
    fn maintenance_forms_read_utc_times_and_name_the_field() {
        let now = 0;
        let once = |starts: &str, ends: &str| MaintenanceForm {
            kind: "once".into(),
            starts: starts.into(),
            ends: ends.into(),
            ..MaintenanceForm::default()
        };
        let (window, _) = validate_maintenance(&once("1970-01-01T02:00", "1970-01-01 04:30"), now).unwrap();
        assert_eq!(window, Maintenance::Once { start: 2 * 60 * MINUTE_MS, end: 270 * MINUTE_MS });
        assert_eq!(window.describe(), "1970-01-01 02:00 to 1970-01-01 04:30 (UTC)");
        let field_of = |result: Result<(Maintenance, String), AppError>| match result {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        };
        assert_eq!(field_of(validate_maintenance(&once("tomorrow", "1970-01-02T00:00"), now)), "starts");
        assert_eq!(field_of(validate_maintenance(&once("1970-01-01T02:00", "1970-01-01T01:00"), now)), "ends");
        assert_eq!(
            field_of(validate_maintenance(&once("1970-01-01T02:00", "1970-01-01T03:00"), 4 * 60 * MINUTE_MS)),
            "ends",
            "already over"
        );
        let weekly = MaintenanceForm {
            kind: "weekly".into(),
            weekday: "6".into(),
            start_time: "23:00".into(),
            minutes: "90".into(),
            note: " Patch night ".into(),
            ..MaintenanceForm::default()
        };
        let (window, note) = validate_maintenance(&weekly, now).unwrap();
        assert_eq!(window, Maintenance::Weekly { weekday: 6, start_minute: 23 * 60, minutes: 90 });
        assert_eq!(note, "Patch night");
        assert_eq!(window.describe(), "Every Sunday from 23:00 for 1 h 30 min (UTC)");
        assert!(!window.is_over(i64::MAX / 2));
        assert_eq!(
            field_of(validate_maintenance(&MaintenanceForm { weekday: "7".into(), ..weekly.clone() }, now)),
            "weekday"
        );
        assert_eq!(
            field_of(validate_maintenance(&MaintenanceForm { start_time: "25:00".into(), ..weekly.clone() }, now)),
            "start_time"
        );
        assert_eq!(
            field_of(validate_maintenance(&MaintenanceForm { minutes: "0".into(), ..weekly.clone() }, now)),
            "minutes"
        );
        assert_eq!(field_of(validate_maintenance(&MaintenanceForm { kind: "".into(), ..weekly }, now)), "kind");
    }

    #[test]
    fn notices_read_as_one_line() {
        let notice = Notice {
            event: "trigger".into(),
            incident_id: Some(1),
            service_slug: "payments".into(),
            service_name: "Payments API".into(),
            probe_id: Some(2),
            probe_name: "Health endpoint".into(),
            rule_kind: "down".into(),
            rule: RuleKind::Down.describe(),
            value: 1.0,
            at: 0,
        };
        assert_eq!(notice.headline(), "Firing: Probe down on Payments API (Health endpoint)");
        let recovered = Notice { event: "recovery".into(), ..notice };
        assert!(recovered.headline().starts_with("Recovered: "));
        assert_eq!(
            Notice::test("Pager", "Payments", 0).headline(),
            "Test: Preflight reaches “Pager” of Payments; nothing is wrong"
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn webhooks_are_signed_over_the_time_and_the_body() {
        // Computed apart: Python's hmac.new(b"Jefe", b"0.what do ya want
        // for nothing?", hashlib.sha256).hexdigest().
        let value = signature(b"Jefe", 0, b"what do ya want for nothing?");
        assert_eq!(value, "t=0,v1=37f471929915ccd2cbbe79feb84ffcff4f2bb25e15fc41c2506687331ae179cc");
        assert_ne!(value, signature(b"Jefe", 1, b"what do ya want for nothing?"), "the time is signed");
        assert_ne!(value, signature(b"other", 0, b"what do ya want for nothing?"));
    }
}
