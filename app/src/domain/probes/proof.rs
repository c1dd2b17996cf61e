//! Proof for checklist items that live data satisfies (`auto =
//! "probe.…"` in a template): whether a service's probes and alert rules
//! show, right now, that its uptime, error rate or latency is watched. The
//! upkeep task judges every such item once a minute and stores the answer
//! on the item (`backend::live_proofs`), so scores and gates follow within
//! a minute and every page reads the same answer.
//!
//! - `probe.uptime`: an active HTTP or TCP probe, covered by a "probe
//!   down" rule that sends to at least one channel, with a result within
//!   its last 3 intervals.
//! - `probe.error_rate`: an error-rate rule, and data for one of the
//!   probes it watches from the last 15 minutes.
//! - `probe.latency`: latency data (an HTTP or TCP check) from the last
//!   15 minutes.

use serde::{Deserialize, Serialize};

use super::alerts::RuleKind;
use super::definition::ProbeKind;
use super::status::ProbeStatus;
use super::summary::{latency_label, percent_label, ProbeSummary};
use crate::domain::checklist::AutoSignal;

/// Uptime data counts while it is this many intervals old at most.
pub const UPTIME_INTERVALS: i64 = 3;
/// Error-rate and latency data count while they are this old at most.
pub const FRESH_MS: i64 = 15 * 60_000;

/// A probe as the proof reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeFacts {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What it checks.
    pub kind: ProbeKind,
    /// Paused probes prove nothing.
    pub paused: bool,
    /// How often it runs.
    pub interval_secs: u32,
    /// Its latest result (epoch ms).
    pub last_check_at: Option<i64>,
}

/// An alert rule as the proof reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleFacts {
    /// The one probe it watches; all of the service's when `None`.
    pub probe_id: Option<i64>,
    /// What it watches.
    pub kind: RuleKind,
    /// Channels it sends to that still exist.
    pub channels: u32,
}

impl RuleFacts {
    fn covers(&self, probe: &ProbeFacts) -> bool {
        self.probe_id.is_none_or(|id| id == probe.id)
    }
}

/// The answer for one item: proven or not, and why, in a sentence the
/// item shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// The live data satisfies the item.
    pub proven: bool,
    /// What proves it, or what is missing.
    pub note: String,
}

impl Proof {
    fn yes(note: String) -> Proof {
        Proof { proven: true, note }
    }

    fn no(note: impl Into<String>) -> Proof {
        Proof { proven: false, note: note.into() }
    }
}

/// Whether `probes` and `rules` (one service's) prove `signal` at `now`.
pub fn prove(signal: AutoSignal, probes: &[ProbeFacts], rules: &[RuleFacts], now: i64) -> Proof {
    let active: Vec<&ProbeFacts> = probes.iter().filter(|p| !p.paused).collect();
    let reported_since = |p: &ProbeFacts, since: i64| p.last_check_at.is_some_and(|at| at >= since);
    match signal {
        AutoSignal::Uptime => {
            let uptime: Vec<&ProbeFacts> =
                active.iter().copied().filter(|p| matches!(p.kind, ProbeKind::Http | ProbeKind::Tcp)).collect();
            if uptime.is_empty() {
                return Proof::no("No active HTTP or TCP probe checks this service.");
            }
            let alerted = |p: &ProbeFacts| {
                rules
                    .iter()
                    .filter(|r| r.kind == RuleKind::Down && r.channels > 0 && r.covers(p))
                    .map(|r| r.channels)
                    .max()
            };
            let covered: Vec<(&ProbeFacts, u32)> =
                uptime.iter().filter_map(|p| alerted(p).map(|channels| (*p, channels))).collect();
            let Some((first, _)) = covered.first() else {
                return Proof::no(format!(
                    "No “probe down” alert rule with a channel covers “{}”; add one on the service's alerts page.",
                    uptime[0].name
                ));
            };
            let recent = covered
                .iter()
                .find(|(p, _)| reported_since(p, now - UPTIME_INTERVALS * i64::from(p.interval_secs.max(1)) * 1000));
            match recent {
                Some((p, channels)) => Proof::yes(format!(
                    "“{}” is checked every {} s and a “probe down” alert goes to {}.",
                    p.name,
                    p.interval_secs,
                    plural(*channels, "channel")
                )),
                None => Proof::no(format!(
                    "“{}” has not reported within its last {UPTIME_INTERVALS} intervals.",
                    first.name
                )),
            }
        }
        AutoSignal::ErrorRate => {
            let watched: Vec<&RuleFacts> =
                rules.iter().filter(|r| matches!(r.kind, RuleKind::ErrorRate { .. })).collect();
            if watched.is_empty() {
                return Proof::no("No error-rate alert rule; add one on the service's alerts page.");
            }
            let fresh = watched
                .iter()
                .find_map(|r| active.iter().find(|p| r.covers(p) && reported_since(p, now - FRESH_MS)).map(|p| (r, p)));
            match fresh {
                Some((rule, probe)) => Proof::yes(format!(
                    "“{}” is watched ({}) and reported within the last 15 minutes.",
                    probe.name,
                    rule.kind.describe().to_lowercase()
                )),
                None => Proof::no("No error-rate data from the last 15 minutes."),
            }
        }
        AutoSignal::Latency => {
            let fresh = active
                .iter()
                .find(|p| matches!(p.kind, ProbeKind::Http | ProbeKind::Tcp) && reported_since(p, now - FRESH_MS));
            match fresh {
                Some(p) => Proof::yes(format!("“{}” reported its latency within the last 15 minutes.", p.name)),
                None => Proof::no("No HTTP or TCP probe has reported latency in the last 15 minutes."),
            }
        }
    }
}

/// The live figures an item of `signal` shows beside its proof, one line
/// a probe: uptime and status, error rate, or the last latency.
pub fn figures(signal: AutoSignal, probes: &[ProbeSummary]) -> Vec<String> {
    probes
        .iter()
        .filter(|p| p.status != ProbeStatus::Paused)
        .filter_map(|p| {
            let timed = matches!(p.kind, ProbeKind::Http | ProbeKind::Tcp);
            let figure = match signal {
                AutoSignal::Uptime if timed => {
                    format!("{}, {} up over 24 h", p.status.label(), percent_label(p.uptime.day))
                }
                AutoSignal::ErrorRate if p.kind == ProbeKind::Metrics => {
                    format!("{} errors between the last two scrapes", percent_label(p.error_rate))
                }
                AutoSignal::ErrorRate => {
                    format!("{} failed checks over 24 h", percent_label(p.uptime.day.map(|up| 1.0 - up)))
                }
                AutoSignal::Latency if timed => {
                    format!("{} at the last check", p.last_duration_us.map_or_else(|| "—".to_string(), latency_label))
                }
                AutoSignal::Uptime | AutoSignal::Latency => return None,
            };
            Some(format!("“{}”: {figure}", p.name))
        })
        .collect()
}

fn plural(n: u32, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000_000_000;

    fn probe(id: i64, kind: ProbeKind, last: Option<i64>) -> ProbeFacts {
        ProbeFacts { id, name: format!("P{id}"), kind, paused: false, interval_secs: 60, last_check_at: last }
    }

    fn down(probe_id: Option<i64>, channels: u32) -> RuleFacts {
        RuleFacts { probe_id, kind: RuleKind::Down, channels }
    }

    #[test]
    fn uptime_needs_an_active_probe_a_down_rule_with_a_channel_and_a_recent_result() {
        let fresh = Some(NOW - 2 * 60_000);
        let http = probe(1, ProbeKind::Http, fresh);
        let yes = prove(AutoSignal::Uptime, std::slice::from_ref(&http), &[down(None, 2)], NOW);
        assert_eq!(yes, Proof::yes("“P1” is checked every 60 s and a “probe down” alert goes to 2 channels.".into()));
        // Each missing piece is named.
        let tls = probe(2, ProbeKind::Tls, fresh);
        assert!(prove(AutoSignal::Uptime, &[tls], &[down(None, 1)], NOW).note.starts_with("No active HTTP or TCP"));
        let paused = ProbeFacts { paused: true, ..http.clone() };
        assert!(!prove(AutoSignal::Uptime, &[paused], &[down(None, 1)], NOW).proven);
        let silent = prove(AutoSignal::Uptime, std::slice::from_ref(&http), &[down(None, 0)], NOW);
        assert!(!silent.proven && silent.note.contains("with a channel covers “P1”"), "{silent:?}");
        let elsewhere = prove(AutoSignal::Uptime, std::slice::from_ref(&http), &[down(Some(9), 1)], NOW);
        assert!(!elsewhere.proven, "a rule for another probe covers nothing here");
        let rate = RuleFacts {
            probe_id: None,
            kind: RuleKind::ErrorRate { above_percent: 5.0, window_minutes: 10 },
            channels: 1,
        };
        assert!(
            !prove(AutoSignal::Uptime, std::slice::from_ref(&http), &[rate], NOW).proven,
            "only a down rule proves uptime"
        );
        // Three intervals, and not a moment more.
        let edge = probe(1, ProbeKind::Tcp, Some(NOW - 3 * 60_000));
        assert!(prove(AutoSignal::Uptime, &[edge], &[down(Some(1), 1)], NOW).proven);
        let stale = probe(1, ProbeKind::Http, Some(NOW - 3 * 60_000 - 1));
        let lost = prove(AutoSignal::Uptime, &[stale], &[down(None, 1)], NOW);
        assert_eq!(lost, Proof::no("“P1” has not reported within its last 3 intervals."));
        let never = probe(1, ProbeKind::Http, None);
        assert!(!prove(AutoSignal::Uptime, &[never], &[down(None, 1)], NOW).proven);
    }

    #[test]
    fn error_rate_needs_a_rule_and_fresh_data_latency_only_fresh_data() {
        let rate = |probe_id| RuleFacts {
            probe_id,
            kind: RuleKind::ErrorRate { above_percent: 5.0, window_minutes: 10 },
            channels: 0,
        };
        let metrics = probe(3, ProbeKind::Metrics, Some(NOW - FRESH_MS));
        let yes = prove(AutoSignal::ErrorRate, std::slice::from_ref(&metrics), &[rate(None)], NOW);
        assert_eq!(
            yes,
            Proof::yes(
                "“P3” is watched (error rate above 5 % over 10 minutes) and reported within the last 15 minutes."
                    .into()
            )
        );
        assert!(prove(AutoSignal::ErrorRate, std::slice::from_ref(&metrics), &[], NOW)
            .note
            .starts_with("No error-rate alert rule"));
        assert!(!prove(AutoSignal::ErrorRate, std::slice::from_ref(&metrics), &[rate(Some(4))], NOW).proven);
        let old = probe(3, ProbeKind::Metrics, Some(NOW - FRESH_MS - 1));
        assert_eq!(
            prove(AutoSignal::ErrorRate, &[old], &[rate(None)], NOW),
            Proof::no("No error-rate data from the last 15 minutes.")
        );
        // Latency: an HTTP or TCP check in the last 15 minutes, no rule needed.
        assert!(prove(AutoSignal::Latency, &[probe(1, ProbeKind::Http, Some(NOW - 60_000))], &[], NOW).proven);
        assert!(
            !prove(AutoSignal::Latency, &[metrics], &[], NOW).proven,
            "a scrape's time is not the service's latency"
        );
        assert!(!prove(AutoSignal::Latency, &[probe(1, ProbeKind::Tcp, Some(NOW - FRESH_MS - 1))], &[], NOW).proven);
    }
}
