//! What one check found ([`Outcome`]), why a check failed ([`ErrorClass`]),
//! and how a run of outcomes moves a probe between statuses
//! ([`next_state`]).
//!
//! The rules, in one place:
//!
//! - A check *succeeds* when its outcome is [`Outcome::Up`] or
//!   [`Outcome::Degraded`], and *fails* when it is [`Outcome::Down`].
//! - A probe goes down after `failure_threshold` failures in a row, and comes
//!   back after `recovery_threshold` successes in a row, so one lost packet
//!   neither pages anyone nor hides an outage.
//! - A new (or resumed) probe is [`ProbeStatus::Pending`]: its first success
//!   makes it up at once (there is no outage to recover from), while its
//!   first failures count toward down as usual.
//! - Up and degraded follow the latest successful check without thresholds:
//!   both are "up" (degraded is never downtime), so switching between them
//!   raises no alarm, and a slow answer should show as soon as it happens.
//! - A paused probe ignores outcomes (a check that was in flight when the
//!   probe was paused must not change anything).

use serde::{Deserialize, Serialize};

/// Why a check failed. Stored as its word; also part of the compact code
/// of an [`Outcome`] in check blocks (see [`Outcome::code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorClass {
    /// The name did not resolve.
    Dns,
    /// No connection: refused by the target, unreachable, reset.
    Connect,
    /// TLS handshake failed, or the certificate is invalid or expired.
    Tls,
    /// No complete answer within the probe's timeout.
    Timeout,
    /// An HTTP status outside the accepted set.
    Status,
    /// A body or JSON assertion did not hold, or a metrics probe's
    /// requests series is missing.
    Assertion,
    /// The outbound guard refused the address (private range, metadata
    /// address, a redirect elsewhere): the target was never contacted.
    Refused,
    /// The response body was larger than Preflight reads.
    Body,
    /// Anything else: a malformed answer, unreadable metrics, an HTTP
    /// protocol error.
    Protocol,
}

impl ErrorClass {
    /// Every class, in the order of their outcome codes.
    pub const ALL: [ErrorClass; 9] = [
        ErrorClass::Dns,
        ErrorClass::Connect,
        ErrorClass::Tls,
        ErrorClass::Timeout,
        ErrorClass::Status,
        ErrorClass::Assertion,
        ErrorClass::Refused,
        ErrorClass::Body,
        ErrorClass::Protocol,
    ];

    /// The stored word: "dns", "connect", …
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Dns => "dns",
            ErrorClass::Connect => "connect",
            ErrorClass::Tls => "tls",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Status => "status",
            ErrorClass::Assertion => "assertion",
            ErrorClass::Refused => "refused",
            ErrorClass::Body => "body",
            ErrorClass::Protocol => "protocol",
        }
    }

    /// For people: "DNS lookup failed".
    pub fn label(self) -> &'static str {
        match self {
            ErrorClass::Dns => "DNS lookup failed",
            ErrorClass::Connect => "Could not connect",
            ErrorClass::Tls => "TLS or certificate problem",
            ErrorClass::Timeout => "Timed out",
            ErrorClass::Status => "Unexpected status code",
            ErrorClass::Assertion => "Assertion failed",
            ErrorClass::Refused => "Refused by the outbound policy",
            ErrorClass::Body => "Response too large",
            ErrorClass::Protocol => "Protocol error",
        }
    }

    /// The class stored as this word, if any.
    pub fn parse(text: &str) -> Option<ErrorClass> {
        ErrorClass::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

crate::domain::stored_word!(ErrorClass, "probe error class");

/// Why a successful check counts as degraded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Warning {
    /// An HTTP probe's `latency < N ms` assertion did not hold (every other
    /// assertion did, and the status was accepted).
    Slow,
    /// The certificate is valid but expires within the probe's warning days
    /// (an expired certificate is [`ErrorClass::Tls`]).
    CertExpiring,
    /// A metrics probe's error rate over the last interval is above its
    /// warning threshold.
    ErrorRate,
}

impl Warning {
    /// Every warning, in the order of their outcome codes.
    pub const ALL: [Warning; 3] = [Warning::Slow, Warning::CertExpiring, Warning::ErrorRate];

    /// The stored word: "slow", "cert-expiring", "error-rate".
    pub fn as_str(self) -> &'static str {
        match self {
            Warning::Slow => "slow",
            Warning::CertExpiring => "cert-expiring",
            Warning::ErrorRate => "error-rate",
        }
    }

    /// For people: "Slow response".
    pub fn label(self) -> &'static str {
        match self {
            Warning::Slow => "Slow response",
            Warning::CertExpiring => "Certificate expires soon",
            Warning::ErrorRate => "High error rate",
        }
    }

    /// The warning stored as this word, if any.
    pub fn parse(text: &str) -> Option<Warning> {
        Warning::ALL.into_iter().find(|w| w.as_str() == text)
    }
}

crate::domain::stored_word!(Warning, "probe warning");

/// What one check found.
///
/// Degraded means: the target answered and every hard condition held
/// (accepted status, body and JSON assertions, valid certificate, metrics
/// read), but a soft limit was crossed (see [`Warning`]). When several
/// warnings apply, the checker reports the first in the order slow,
/// certificate, error rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Everything held.
    Up,
    /// Succeeded, but a soft limit was crossed.
    Degraded(Warning),
    /// Failed, for this reason.
    Down(ErrorClass),
}

impl Outcome {
    /// Up or degraded: the check succeeded and counts as uptime.
    pub fn is_success(self) -> bool {
        !matches!(self, Outcome::Down(_))
    }

    /// The error class of a failed check.
    pub fn error(self) -> Option<ErrorClass> {
        match self {
            Outcome::Down(class) => Some(class),
            _ => None,
        }
    }

    /// The outcome's number in check blocks (five bits, 0..=31). These
    /// numbers are stored: never change or reuse one.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Up => 0,
            Outcome::Degraded(Warning::Slow) => 1,
            Outcome::Degraded(Warning::CertExpiring) => 2,
            Outcome::Degraded(Warning::ErrorRate) => 3,
            Outcome::Down(ErrorClass::Dns) => 8,
            Outcome::Down(ErrorClass::Connect) => 9,
            Outcome::Down(ErrorClass::Tls) => 10,
            Outcome::Down(ErrorClass::Timeout) => 11,
            Outcome::Down(ErrorClass::Status) => 12,
            Outcome::Down(ErrorClass::Assertion) => 13,
            Outcome::Down(ErrorClass::Refused) => 14,
            Outcome::Down(ErrorClass::Body) => 15,
            Outcome::Down(ErrorClass::Protocol) => 16,
        }
    }

    /// The outcome with this [`code`](Outcome::code), if any.
    pub fn from_code(code: u8) -> Option<Outcome> {
        Outcome::all().find(|o| o.code() == code)
    }

    /// Every outcome, in code order.
    pub fn all() -> impl Iterator<Item = Outcome> {
        std::iter::once(Outcome::Up)
            .chain(Warning::ALL.into_iter().map(Outcome::Degraded))
            .chain(ErrorClass::ALL.into_iter().map(Outcome::Down))
    }

    /// For people: "Up", "Degraded: Slow response", "Down: Timed out".
    pub fn label(self) -> String {
        match self {
            Outcome::Up => "Up".into(),
            Outcome::Degraded(warning) => format!("Degraded: {}", warning.label()),
            Outcome::Down(class) => format!("Down: {}", class.label()),
        }
    }
}

/// Where a probe stands. Stored as its word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProbeStatus {
    /// New or resumed: no success yet, and not yet enough failures for down.
    Pending,
    /// Checks succeed (the latest success was not degraded); failures
    /// short of the threshold leave it up.
    Up,
    /// Up, with a warning (see [`Warning`]). Counts as up for uptime.
    Degraded,
    /// Failed enough checks in a row; not yet recovered.
    Down,
    /// Not checked until someone resumes it.
    Paused,
}

impl ProbeStatus {
    /// Every status.
    pub const ALL: [ProbeStatus; 5] =
        [ProbeStatus::Pending, ProbeStatus::Up, ProbeStatus::Degraded, ProbeStatus::Down, ProbeStatus::Paused];

    /// The stored word: "pending", "up", …
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeStatus::Pending => "pending",
            ProbeStatus::Up => "up",
            ProbeStatus::Degraded => "degraded",
            ProbeStatus::Down => "down",
            ProbeStatus::Paused => "paused",
        }
    }

    /// For people: "Up".
    pub fn label(self) -> &'static str {
        match self {
            ProbeStatus::Pending => "Pending",
            ProbeStatus::Up => "Up",
            ProbeStatus::Degraded => "Degraded",
            ProbeStatus::Down => "Down",
            ProbeStatus::Paused => "Paused",
        }
    }

    /// The status stored as this word, if any.
    pub fn parse(text: &str) -> Option<ProbeStatus> {
        ProbeStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Up or degraded.
    pub fn is_up(self) -> bool {
        matches!(self, ProbeStatus::Up | ProbeStatus::Degraded)
    }
}

crate::domain::stored_word!(ProbeStatus, "probe status");

/// The stored state of a probe between checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeState {
    /// Where the probe stands now.
    pub status: ProbeStatus,
    /// Consecutive successful checks (up or degraded), ending with the latest.
    pub successes_in_row: u32,
    /// Consecutive failed checks, ending with the latest.
    pub failures_in_row: u32,
    /// When the current status began (epoch ms).
    pub since: i64,
}

impl ProbeState {
    /// The state of a probe created (or resumed) at `now`.
    pub fn new(now: i64) -> ProbeState {
        ProbeState { status: ProbeStatus::Pending, successes_in_row: 0, failures_in_row: 0, since: now }
    }
}

/// A change of status, for the incident list, alerts and live pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The status before.
    pub from: ProbeStatus,
    /// The status after.
    pub to: ProbeStatus,
    /// The time of the check that caused it (epoch ms).
    pub at: i64,
}

impl Transition {
    /// Whether this change starts an outage (anything to down).
    pub fn went_down(&self) -> bool {
        self.to == ProbeStatus::Down && self.from != ProbeStatus::Down
    }

    /// Whether this change ends an outage (down to up or degraded).
    pub fn recovered(&self) -> bool {
        self.from == ProbeStatus::Down && self.to.is_up()
    }
}

/// The state after one more check, and the change of status it caused.
///
/// Thresholds below 1 are read as 1. `now` is the check's time; it becomes
/// `since` when the status changes.
pub fn next_state(
    state: ProbeState,
    outcome: Outcome,
    failure_threshold: u32,
    recovery_threshold: u32,
    now: i64,
) -> (ProbeState, Option<Transition>) {
    if state.status == ProbeStatus::Paused {
        return (state, None);
    }
    let mut next = state;
    if outcome.is_success() {
        next.successes_in_row = state.successes_in_row.saturating_add(1);
        next.failures_in_row = 0;
    } else {
        next.failures_in_row = state.failures_in_row.saturating_add(1);
        next.successes_in_row = 0;
    }
    let status = status_after(&next, state.status, outcome, failure_threshold.max(1), recovery_threshold.max(1));
    change_status(next, status, now)
}

/// The status once the counters of `next` include the latest check.
fn status_after(
    next: &ProbeState,
    before: ProbeStatus,
    outcome: Outcome,
    failures: u32,
    recoveries: u32,
) -> ProbeStatus {
    let up_status = match outcome {
        Outcome::Degraded(_) => ProbeStatus::Degraded,
        _ => ProbeStatus::Up,
    };
    match (before, outcome.is_success()) {
        // Pending has no outage to recover from; up or degraded follow the
        // latest success.
        (ProbeStatus::Pending | ProbeStatus::Up | ProbeStatus::Degraded, true) => up_status,
        (ProbeStatus::Down, true) if next.successes_in_row >= recoveries => up_status,
        (ProbeStatus::Down, true) => ProbeStatus::Down,
        (_, false) if next.failures_in_row >= failures => ProbeStatus::Down,
        (other, false) => other,
        (ProbeStatus::Paused, true) => ProbeStatus::Paused,
    }
}

fn change_status(mut next: ProbeState, status: ProbeStatus, now: i64) -> (ProbeState, Option<Transition>) {
    if status == next.status {
        return (next, None);
    }
    let transition = Transition { from: next.status, to: status, at: now };
    next.status = status;
    next.since = now;
    (next, Some(transition))
}

/// Pauses a probe: it is not checked and ignores outcomes until resumed.
/// Pausing a paused probe changes nothing.
pub fn pause(state: ProbeState, now: i64) -> (ProbeState, Option<Transition>) {
    let paused = ProbeState { status: ProbeStatus::Paused, successes_in_row: 0, failures_in_row: 0, since: now };
    match state.status {
        ProbeStatus::Paused => (state, None),
        from => (paused, Some(Transition { from, to: ProbeStatus::Paused, at: now })),
    }
}

/// Resumes a paused probe as pending (its old status may no longer be true).
/// Resuming a probe that is not paused changes nothing.
pub fn resume(state: ProbeState, now: i64) -> (ProbeState, Option<Transition>) {
    match state.status {
        ProbeStatus::Paused => {
            (ProbeState::new(now), Some(Transition { from: ProbeStatus::Paused, to: ProbeStatus::Pending, at: now }))
        }
        _ => (state, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UP: Outcome = Outcome::Up;
    const SLOW: Outcome = Outcome::Degraded(Warning::Slow);
    const DOWN: Outcome = Outcome::Down(ErrorClass::Timeout);

    /// Runs `outcomes` from `start` with thresholds 3 and 2, one check a
    /// second; returns the statuses after each check and the transitions.
    fn run(start: ProbeState, outcomes: &[Outcome]) -> (Vec<ProbeStatus>, Vec<Transition>) {
        let mut state = start;
        let mut statuses = Vec::new();
        let mut transitions = Vec::new();
        for (i, outcome) in outcomes.iter().enumerate() {
            let (next, transition) = next_state(state, *outcome, 3, 2, 1000 * (i as i64 + 1));
            statuses.push(next.status);
            transitions.extend(transition);
            state = next;
        }
        (statuses, transitions)
    }

    fn at(status: ProbeStatus) -> ProbeState {
        ProbeState { status, successes_in_row: 0, failures_in_row: 0, since: 0 }
    }

    use ProbeStatus::{Degraded as G, Down as D, Paused as Z, Pending as P, Up as U};

    #[test]
    fn status_sequences() {
        let cases: Vec<(ProbeStatus, Vec<Outcome>, Vec<ProbeStatus>)> = vec![
            // Pending: the first success is up at once.
            (P, vec![UP], vec![U]),
            (P, vec![SLOW], vec![G]),
            // Pending: failures count toward down.
            (P, vec![DOWN, DOWN, DOWN], vec![P, P, D]),
            (P, vec![DOWN, DOWN, UP], vec![P, P, U]),
            // Up: down only after three failures in a row.
            (U, vec![DOWN, DOWN, UP, DOWN, DOWN, DOWN], vec![U, U, U, U, U, D]),
            // Down: back up only after two successes in a row.
            (D, vec![UP, DOWN, UP, UP], vec![D, D, D, U]),
            (D, vec![UP, SLOW], vec![D, G]),
            (D, vec![SLOW, UP], vec![D, U]),
            // Up and degraded follow the latest success.
            (U, vec![SLOW, UP, SLOW], vec![G, U, G]),
            // A failure does not end degraded by itself.
            (G, vec![DOWN, DOWN, DOWN], vec![G, G, D]),
            // Paused ignores everything.
            (Z, vec![UP, DOWN, DOWN, DOWN, SLOW], vec![Z, Z, Z, Z, Z]),
        ];
        for (start, outcomes, expected) in cases {
            let (statuses, _) = run(at(start), &outcomes);
            assert_eq!(statuses, expected, "from {start:?} through {outcomes:?}");
        }
    }

    #[test]
    fn transitions_carry_the_time_of_the_check() {
        let (_, transitions) = run(ProbeState::new(0), &[UP, DOWN, DOWN, DOWN, UP, UP, SLOW]);
        assert_eq!(
            transitions,
            vec![
                Transition { from: P, to: U, at: 1000 },
                Transition { from: U, to: D, at: 4000 },
                Transition { from: D, to: U, at: 6000 },
                Transition { from: U, to: G, at: 7000 },
            ]
        );
        assert!(transitions[1].went_down());
        assert!(transitions[2].recovered());
        assert!(!transitions[3].went_down() && !transitions[3].recovered());
    }

    #[test]
    fn since_moves_only_with_the_status() {
        let state = ProbeState { status: U, successes_in_row: 5, failures_in_row: 0, since: 42 };
        let (next, transition) = next_state(state, UP, 3, 2, 1000);
        assert_eq!(next, ProbeState { status: U, successes_in_row: 6, failures_in_row: 0, since: 42 });
        assert_eq!(transition, None);
        let (next, _) = next_state(next, DOWN, 3, 2, 2000);
        assert_eq!(next, ProbeState { status: U, successes_in_row: 0, failures_in_row: 1, since: 42 });
    }

    #[test]
    fn thresholds_of_one_and_zero() {
        for threshold in [0, 1] {
            let (next, t) = next_state(at(U), DOWN, threshold, threshold, 5);
            assert_eq!(next.status, D);
            assert_eq!(t, Some(Transition { from: U, to: D, at: 5 }));
            let (next, _) = next_state(next, UP, threshold, threshold, 6);
            assert_eq!(next.status, U);
        }
    }

    #[test]
    fn counters_saturate() {
        let state = ProbeState { status: D, successes_in_row: 0, failures_in_row: u32::MAX, since: 0 };
        let (next, _) = next_state(state, DOWN, 3, 2, 1);
        assert_eq!(next.failures_in_row, u32::MAX);
    }

    /// A small deterministic generator for the property loops.
    fn splitmix(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    #[test]
    fn properties_over_random_sequences() {
        let mut seed = 7;
        for _ in 0..2000 {
            let failure_threshold = 1 + (splitmix(&mut seed) % 5) as u32;
            let recovery_threshold = 1 + (splitmix(&mut seed) % 5) as u32;
            let mut state = ProbeState::new(0);
            let mut history: Vec<Outcome> = Vec::new();
            for step in 1..=60 {
                let outcome = match splitmix(&mut seed) % 3 {
                    0 => UP,
                    1 => SLOW,
                    _ => Outcome::Down(ErrorClass::ALL[(splitmix(&mut seed) % 9) as usize]),
                };
                history.push(outcome);
                let (next, transition) = next_state(state, outcome, failure_threshold, recovery_threshold, step);
                let failures = history.iter().rev().take_while(|o| !o.is_success()).count() as u32;
                let successes = history.iter().rev().take_while(|o| o.is_success()).count() as u32;
                assert_eq!((next.failures_in_row, next.successes_in_row), (failures, successes));
                // Down exactly when it must be.
                if failures >= failure_threshold {
                    assert_eq!(next.status, D);
                }
                if next.status == D && state.status != D {
                    assert_eq!(failures, failure_threshold, "went down early or late");
                }
                // Leaving down takes enough successes.
                if state.status == D && next.status != D {
                    assert_eq!(successes, recovery_threshold);
                }
                // Up and degraded match the latest outcome.
                // A failure short of down changes nothing.
                match (next.status, outcome.is_success()) {
                    (U, true) => assert_eq!(outcome, UP),
                    (G, true) => assert_eq!(outcome, SLOW),
                    (status, false) if status != D => assert_eq!(status, state.status),
                    _ => {}
                }
                // Never back to pending, never paused by a check.
                if state.status != P {
                    assert_ne!(next.status, P);
                }
                assert_ne!(next.status, Z);
                // A transition exactly when the status changes, stamped now.
                assert_eq!(transition.is_some(), next.status != state.status);
                if let Some(t) = transition {
                    assert_eq!((t.from, t.to, t.at, next.since), (state.status, next.status, step, step));
                } else {
                    assert_eq!(next.since, state.since);
                }
                state = next;
            }
        }
    }

    #[test]
    fn pause_and_resume() {
        let up = ProbeState { status: U, successes_in_row: 4, failures_in_row: 0, since: 1 };
        let (paused, t) = pause(up, 10);
        assert_eq!(paused, ProbeState { status: Z, successes_in_row: 0, failures_in_row: 0, since: 10 });
        assert_eq!(t, Some(Transition { from: U, to: Z, at: 10 }));
        assert_eq!(pause(paused, 20), (paused, None));
        let (next, t) = next_state(paused, DOWN, 1, 1, 15);
        assert_eq!((next, t), (paused, None));
        let (resumed, t) = resume(paused, 30);
        assert_eq!(resumed, ProbeState::new(30));
        assert_eq!(t, Some(Transition { from: Z, to: P, at: 30 }));
        assert_eq!(resume(up, 40), (up, None));
    }

    #[test]
    fn outcome_codes_are_distinct_and_fit_five_bits() {
        let codes: Vec<u8> = Outcome::all().map(Outcome::code).collect();
        assert_eq!(codes.len(), 13);
        for (i, code) in codes.iter().enumerate() {
            assert!(*code < 32);
            assert!(!codes[..i].contains(code), "code {code} used twice");
        }
        for outcome in Outcome::all() {
            assert_eq!(Outcome::from_code(outcome.code()), Some(outcome));
        }
        for code in 0..=255u8 {
            if let Some(outcome) = Outcome::from_code(code) {
                assert_eq!(outcome.code(), code);
            }
        }
        assert_eq!(Outcome::from_code(4), None);
    }

    #[test]
    fn words_round_trip() {
        for class in ErrorClass::ALL {
            assert_eq!(ErrorClass::try_from(class.as_str().to_string()), Ok(class));
            assert!(!class.label().is_empty());
        }
        for status in ProbeStatus::ALL {
            assert_eq!(ProbeStatus::try_from(status.as_str().to_string()), Ok(status));
        }
        for warning in Warning::ALL {
            assert_eq!(Warning::try_from(warning.as_str().to_string()), Ok(warning));
        }
        assert!(ProbeStatus::try_from("sideways".to_string()).is_err());
        assert_eq!(Outcome::Down(ErrorClass::Dns).label(), "Down: DNS lookup failed");
        assert_eq!(Outcome::Degraded(Warning::CertExpiring).label(), "Degraded: Certificate expires soon");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn serde_words_match_stored_words() {
        for class in ErrorClass::ALL {
            let json = serde_json::to_string(&class).unwrap();
            assert_eq!(json, format!("\"{}\"", class.as_str()));
        }
        for status in ProbeStatus::ALL {
            assert_eq!(serde_json::to_string(&status).unwrap(), format!("\"{}\"", status.as_str()));
        }
        for warning in Warning::ALL {
            assert_eq!(serde_json::to_string(&warning).unwrap(), format!("\"{}\"", warning.as_str()));
        }
    }
}
