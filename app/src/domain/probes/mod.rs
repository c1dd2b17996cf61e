//! Live probes, the pure part: nothing here does I/O, so the rules are the
//! same wherever they run and tests are cheap. The storage layer, the
//! engine (scheduler, checkers, writer) and the pages build on it.
//!
//! | module | what it holds | sides |
//! |---|---|---|
//! | [`definition`] | [`ProbeDef`], its kinds and specs, the HTML form ([`ProbeForm`]) and [`validate`], [`keep_secrets`] | both |
//! | [`target`], [`headers`], [`status_codes`], [`assertions`], [`selector`] | the pieces a definition is made of, each parsed from and printed as text | both |
//! | [`status`] | [`Outcome`] of a check, [`ErrorClass`], [`ProbeStatus`], and [`next_state`]: thresholds for down and up | both |
//! | [`schedule`] | [`phase_ms`] and [`next_due`]: when checks run | both |
//! | [`blocks`] | [`CheckRecord`] and the 8-byte record encoding of hourly blocks | both |
//! | [`metrics`] | reading Prometheus text, counter deltas and error rates across resets | both |
//! | `verdict` | judging an answer: status, assertions, certificate expiry, error rate → outcome and message | server |
//! | `rollup` | hourly and daily sums with a mergeable latency histogram | server |
//! | `archive` | a probe's hourly rollups of one day packed into one value, once they are a week old | server |
//! | `toml_file` | a service's probes as a TOML file: export and import | server |
//! | [`summary`] | a probe as pages show it: status, last check, uptime | both |
//! | [`alerts`] | alert rules and their forms, when a rule is breached, how an incident moves, maintenance windows; webhook signatures (server) | both |
//! | [`alert_views`] | what the alert pages show: channels, deliveries, rules, maintenance windows | both |
//! | [`proof`] | whether probes and alert rules prove a checklist item's live signal (`probe.uptime`, …), and the figures it shows | both |
//! | [`chart`] | chart windows, buckets and the SVG geometry of latency and error-rate charts | both |
//!
//! A check's life, in these terms: the engine finds the next slot with
//! [`next_due`], runs the check, classes transport failures itself
//! (an [`ErrorClass`]) or judges the answer with `verdict`, and hands the
//! writer a [`CheckRecord`]. The writer appends it to the hour's block
//! ([`blocks::encode_by_block`]), adds it to the hour's `rollup::Rollup`,
//! and moves the probe's [`ProbeState`] with [`next_state`], recording any
//! [`Transition`].
#![warn(missing_docs)]

pub mod alert_views;
pub mod alerts;
#[cfg(feature = "ssr")]
pub mod archive;
pub mod assertions;
pub mod blocks;
pub mod chart;
pub mod definition;
pub mod headers;
pub mod metrics;
pub mod proof;
#[cfg(feature = "ssr")]
pub mod rollup;
pub mod schedule;
pub mod selector;
pub mod status;
pub mod status_codes;
pub mod summary;
pub mod target;
#[cfg(feature = "ssr")]
pub mod toml_file;
#[cfg(feature = "ssr")]
pub mod verdict;

#[cfg(test)]
mod fixtures;

pub use blocks::CheckRecord;
pub use definition::{keep_secrets, validate, ProbeDef, ProbeForm, ProbeKind, ProbeSpec};
pub use schedule::{next_due, phase_ms};
pub use status::{next_state, ErrorClass, Outcome, ProbeState, ProbeStatus, Transition};

/// `text` cut to `max_chars` characters, with "…" when something was cut:
/// what messages quote of a person's input or a target's answer.
pub(crate) fn shorten(text: &str, max_chars: usize) -> String {
    let short: String = text.chars().take(max_chars).collect();
    if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    }
}
