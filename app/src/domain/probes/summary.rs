//! A probe as lists and the service page show it: its definition's headline
//! and the state the engine keeps on it.

use serde::{Deserialize, Serialize};

use super::blocks::CheckRecord;
use super::definition::{ProbeForm, ProbeKind};
use super::status::{Outcome, ProbeStatus};

/// Uptime as fractions of checks that succeeded (up or degraded), per
/// window; `None` before the window has any check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Uptime {
    /// The last 24 hours.
    pub day: Option<f64>,
    /// The last 7 days.
    pub week: Option<f64>,
    /// The last 30 days.
    pub month: Option<f64>,
    /// The last 365 days.
    pub year: Option<f64>,
}

/// Checks and failed checks over a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Checks run.
    pub checks: u64,
    /// Checks that failed (down).
    pub failures: u64,
}

impl Tally {
    /// Counts `other` in too.
    pub fn add(&mut self, other: Tally) {
        self.checks = self.checks.saturating_add(other.checks);
        self.failures = self.failures.saturating_add(other.failures);
    }

    /// The share of checks that succeeded; `None` without checks.
    pub fn uptime(self) -> Option<f64> {
        (self.checks > 0).then(|| (self.checks - self.failures.min(self.checks)) as f64 / self.checks as f64)
    }
}

/// The uptime windows, longest last: 24 hours, 7, 30 and 365 days (ms).
pub const UPTIME_WINDOWS_MS: [i64; 4] = [86_400_000, 7 * 86_400_000, 30 * 86_400_000, 365 * 86_400_000];

impl Uptime {
    /// From the tallies of [`UPTIME_WINDOWS_MS`], in that order.
    pub fn from_tallies(tallies: [Tally; 4]) -> Uptime {
        let [day, week, month, year] = tallies.map(Tally::uptime);
        Uptime { day, week, month, year }
    }
}

/// One probe's headline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeSummary {
    /// The probe's id.
    pub id: i64,
    /// The service it watches.
    pub service_id: i64,
    /// Unique within the service.
    pub name: String,
    /// HTTP, TCP, TLS or metrics.
    pub kind: ProbeKind,
    /// The URL or host:port it reaches.
    pub target: String,
    /// Seconds between checks.
    pub interval_secs: u32,
    /// For edits: the version the editor read.
    pub version: i64,
    /// Where it stands now.
    pub status: ProbeStatus,
    /// Since when (epoch ms).
    pub status_since: i64,
    /// The last check's start (epoch ms), once checked.
    pub last_check_at: Option<i64>,
    /// How long the last check took.
    pub last_duration_us: Option<u64>,
    /// What the last check found.
    pub last_outcome: Option<Outcome>,
    /// The last HTTP status code, for HTTP and metrics probes.
    pub last_status_code: Option<u16>,
    /// Why the last check was not plainly up.
    pub last_message: Option<String>,
    /// When the served certificate expires (epoch ms), from the last
    /// HTTPS or TLS check.
    pub tls_not_after: Option<i64>,
    /// Metrics probes: errors ÷ requests between the last two scrapes.
    pub error_rate: Option<f64>,
    /// Share of successful checks per window.
    pub uptime: Uptime,
}

impl ProbeSummary {
    /// Whole days until the certificate expires (negative once expired).
    pub fn tls_days_left(&self, now: i64) -> Option<i64> {
        self.tls_not_after.map(|at| (at - now).div_euclid(86_400_000))
    }
}

/// An incident as the service page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentLine {
    /// The incident's id.
    pub id: i64,
    /// The probe it happened on.
    pub probe_name: String,
    /// The rule in words ("Probe down").
    pub rule: String,
    /// When it started and ended (epoch ms); no end while it lasts.
    pub started_at: i64,
    /// See `started_at`.
    pub ended_at: Option<i64>,
    /// The worst figure, in the rule's unit ("1.5 s", "12.0 %", "3 days").
    pub peak: String,
}

/// A service's probes, for its page and its probes page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeList {
    /// The service.
    pub service_id: i64,
    /// Its name.
    pub service_name: String,
    /// Its slug, for links.
    pub service_slug: String,
    /// Its probes, by name.
    pub probes: Vec<ProbeSummary>,
    /// Its latest incidents, newest first.
    pub incidents: Vec<IncidentLine>,
    /// The caller may add, change, pause and delete them.
    pub can_manage: bool,
    /// The server's time, for "3 minutes ago" and certificate days.
    pub now: i64,
}

/// Every probe of the organisation, a page at a time: the organisation's
/// probes page and the panel on the overview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgProbes {
    /// How many probes have each status (all of them, whatever the filter),
    /// in [`ProbeStatus::ALL`] order.
    pub counts: Vec<(ProbeStatus, u64)>,
    /// One page: down first, then degraded, pending, up and paused; by
    /// service and name within each.
    pub probes: Vec<OrgProbe>,
    /// The key of the next page, when there is one (`?after=`).
    pub next: Option<String>,
    /// The server's time, for certificate days.
    pub now: i64,
}

/// A probe with the service it watches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgProbe {
    /// The probe's headline, uptime filled.
    pub summary: ProbeSummary,
    /// The service's slug, for links.
    pub service_slug: String,
    /// The service's name.
    pub service_name: String,
}

/// Where a status sorts on the organisation's probes page: what needs a
/// person first.
pub fn status_rank(status: ProbeStatus) -> u8 {
    match status {
        ProbeStatus::Down => 0,
        ProbeStatus::Degraded => 1,
        ProbeStatus::Pending => 2,
        ProbeStatus::Up => 3,
        ProbeStatus::Paused => 4,
    }
}

/// One probe's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeDetail {
    /// The service.
    pub service_id: i64,
    /// Its name.
    pub service_name: String,
    /// Its slug, for links.
    pub service_slug: String,
    /// The probe's headline.
    pub summary: ProbeSummary,
    /// The definition as its edit form shows it, secret values blank.
    pub form: ProbeForm,
    /// The latest checks, newest first.
    pub recent: Vec<CheckRecord>,
    /// The caller may change, pause and delete it.
    pub can_manage: bool,
    /// The server's time.
    pub now: i64,
}

/// "99.95 %", "100 %", "—".
pub fn percent_label(fraction: Option<f64>) -> String {
    match fraction {
        None => "—".into(),
        Some(f) if f >= 1.0 => "100 %".into(),
        // Never round a failure up to a perfect 100.
        Some(f) => format!("{:.2} %", (f * 10_000.0).floor() / 100.0),
    }
}

/// "84 ms", "1.2 s", "350 µs".
pub fn latency_label(us: u64) -> String {
    match us {
        0..=999 => format!("{us} µs"),
        1_000..=999_999 => format!("{} ms", us / 1_000),
        _ => format!("{:.1} s", us as f64 / 1_000_000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_never_round_up_to_perfect() {
        assert_eq!(percent_label(None), "—");
        assert_eq!(percent_label(Some(1.0)), "100 %");
        assert_eq!(percent_label(Some(0.99999)), "99.99 %");
        assert_eq!(percent_label(Some(0.5)), "50.00 %");
    }

    #[test]
    fn latencies_read_in_their_unit() {
        assert_eq!(latency_label(350), "350 µs");
        assert_eq!(latency_label(84_200), "84 ms");
        assert_eq!(latency_label(1_250_000), "1.2 s");
    }
}
