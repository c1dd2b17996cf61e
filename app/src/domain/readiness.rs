//! Whether a service may launch: each item's standing, the score, the level
//! and the gate, as pure functions of the items' facts and the time.
//!
//! The server stores the result with every change that moves it (so lists
//! never recompute thousands of items) and `preflight scores check`
//! recomputes it from the items; the browser can compute the same answer.
//!
//! The rules:
//! * An item is **satisfied** when it is done, its evidence requirement is
//!   met, its required distinct approvals are present and fresh; or when it
//!   is not applicable and an auditor accepted that; or when a granted waiver
//!   has not expired (the standing says so). An item with a live signal
//!   (`auto`) is satisfied only while live data proves it.
//! * Items outside the service's tier, and accepted not-applicable items,
//!   leave the score's denominator.
//! * **Score** = satisfied weight ÷ applicable weight (critical 8, high 4,
//!   medium 2, low 1), with and without waivers.
//! * **Level**: bronze when every bronze item is satisfied, silver when
//!   bronze and silver are, gold when all are.
//! * **Gate**: ready when every critical item and every bronze item is
//!   satisfied; otherwise the blocking items, each with its reason.

use serde::{Deserialize, Serialize};

use super::checklist::{AutoSignal, EvidenceRule, Level, Severity};
use super::probes::proof::Proof;

pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Where the team says an item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemStatus {
    NotStarted,
    InProgress,
    Done,
    NotApplicable,
    Blocked,
}

impl ItemStatus {
    pub const ALL: [ItemStatus; 5] = [
        ItemStatus::NotStarted,
        ItemStatus::InProgress,
        ItemStatus::Done,
        ItemStatus::NotApplicable,
        ItemStatus::Blocked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::NotStarted => "not-started",
            ItemStatus::InProgress => "in-progress",
            ItemStatus::Done => "done",
            ItemStatus::NotApplicable => "not-applicable",
            ItemStatus::Blocked => "blocked",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemStatus::NotStarted => "Not started",
            ItemStatus::InProgress => "In progress",
            ItemStatus::Done => "Done",
            ItemStatus::NotApplicable => "Not applicable",
            ItemStatus::Blocked => "Blocked",
        }
    }

    pub fn parse(text: &str) -> Option<ItemStatus> {
        ItemStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

super::stored_word!(ItemStatus, "item status");

/// Everything the rules need to know about one item of one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemFacts {
    pub severity: Severity,
    pub level: Level,
    pub evidence: EvidenceRule,
    /// Distinct approvals the item needs.
    pub approvals_required: u8,
    /// Approved evidence goes stale this many days after approval (0: never).
    pub valid_days: u32,
    pub auto: Option<AutoSignal>,
    /// For an `auto` item: whether live data proves it, as last judged
    /// (`domain::probes::proof`); `None` until first judged.
    pub live: Option<Proof>,
    /// False when the item's tiers leave out the service's tier.
    pub applies: bool,
    pub status: ItemStatus,
    /// A not-applicable claim that an auditor accepted.
    pub not_applicable_accepted: bool,
    /// Current (not withdrawn) evidence, by kind.
    pub has_link: bool,
    pub has_file: bool,
    /// Distinct reviewers who approved the current evidence.
    pub approvals: u8,
    /// When the item last became complete (the approval that reached the
    /// count, or, for items that need none, when it was marked done):
    /// freshness counts from here.
    pub complete_since: Option<i64>,
    /// The comment of a rejection the team has not answered yet.
    pub rejection: Option<String>,
    /// Expiry of the granted waiver, if there is one (expired or not).
    pub waiver_expires_at: Option<i64>,
}

/// What stands between an item and being satisfied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Blocker {
    /// Not marked done (or marked blocked).
    NotDone(ItemStatus),
    /// Not applicable, until an auditor accepts the justification.
    NotApplicableUnaccepted,
    /// Done, but without the evidence the item asks for.
    NoEvidence(EvidenceRule),
    /// Done with evidence, waiting for this many more approvals.
    AwaitingApprovals(u8),
    /// Sent back by a reviewer, with their comment.
    Rejected(String),
    /// Approved, but the approval is older than the item's freshness.
    Stale { since: i64 },
    /// Waived until this moment; now it blocks again.
    WaiverExpired { at: i64 },
    /// Satisfied by a live signal, which is not measured yet.
    WaitingForLiveData(AutoSignal),
    /// Satisfied by a live signal, which does not prove it now: why.
    NoLiveProof(String),
}

impl Blocker {
    /// The reason in a sentence for the gate panel. Dates are left to the
    /// page (it shows them in the reader's time zone).
    pub fn describe(&self) -> String {
        match self {
            Blocker::NotDone(ItemStatus::Blocked) => "blocked".into(),
            Blocker::NotDone(ItemStatus::InProgress) => "in progress".into(),
            Blocker::NotDone(_) => "not started".into(),
            Blocker::NotApplicableUnaccepted => "not applicable, awaiting an auditor's acceptance".into(),
            Blocker::NoEvidence(rule) => format!("no evidence: needs {}", rule.wanted()),
            Blocker::AwaitingApprovals(1) => "awaiting 1 more approval".into(),
            Blocker::AwaitingApprovals(n) => format!("awaiting {n} more approvals"),
            Blocker::Rejected(comment) => format!("rejected: {comment}"),
            Blocker::Stale { .. } => "stale: the approval has expired".into(),
            Blocker::WaiverExpired { .. } => "waiver expired".into(),
            Blocker::WaitingForLiveData(_) => "waiting for live data".into(),
            Blocker::NoLiveProof(why) => format!("not proven by live data: {why}"),
        }
    }
}

/// Where an item stands, all rules applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Standing {
    /// Outside the service's tier: not counted at all.
    Excluded,
    /// Not applicable, accepted by an auditor: not counted.
    NotApplicable,
    Satisfied,
    /// Passes by exception until the waiver expires.
    Waived {
        expires_at: i64,
    },
    Unmet(Blocker),
}

impl Standing {
    /// Counts towards the score's denominator.
    pub fn counts(&self) -> bool {
        !matches!(self, Standing::Excluded | Standing::NotApplicable)
    }

    /// Passes the gate (a waiver counts).
    pub fn passes(&self) -> bool {
        matches!(self, Standing::Satisfied | Standing::Waived { .. })
    }

    /// In words, dates in UTC (for exports; pages show the reader's zone).
    pub fn describe(&self) -> String {
        use super::history::{day_label, day_of};
        let day = |millis: i64| day_label(day_of(millis));
        match self {
            Standing::Excluded => "not required for this tier".into(),
            Standing::NotApplicable => "not applicable (accepted)".into(),
            Standing::Satisfied => "satisfied".into(),
            Standing::Waived { expires_at } => format!("waived until {}", day(*expires_at)),
            Standing::Unmet(Blocker::Stale { since }) => format!("stale since {}", day(*since)),
            Standing::Unmet(Blocker::WaiverExpired { at }) => format!("waiver expired {}", day(*at)),
            Standing::Unmet(blocker) => blocker.describe(),
        }
    }
}

/// The standing of one item at `now` (milliseconds since the epoch).
pub fn standing(item: &ItemFacts, now: i64) -> Standing {
    if !item.applies {
        return Standing::Excluded;
    }
    if item.status == ItemStatus::NotApplicable && item.not_applicable_accepted {
        return Standing::NotApplicable;
    }
    let unmet = match own_blocker(item, now) {
        None => return Standing::Satisfied,
        Some(blocker) => blocker,
    };
    match item.waiver_expires_at {
        Some(expires_at) if now < expires_at => Standing::Waived { expires_at },
        Some(at) => Standing::Unmet(Blocker::WaiverExpired { at }),
        None => Standing::Unmet(unmet),
    }
}

/// Why the item, on its own merits (waivers aside), is not satisfied.
fn own_blocker(item: &ItemFacts, now: i64) -> Option<Blocker> {
    if let Some(signal) = item.auto {
        // Only live data satisfies it: ticks and evidence do not.
        return match &item.live {
            Some(proof) if proof.proven => None,
            Some(proof) => Some(Blocker::NoLiveProof(proof.note.clone())),
            None => Some(Blocker::WaitingForLiveData(signal)),
        };
    }
    if item.status == ItemStatus::NotApplicable {
        return Some(Blocker::NotApplicableUnaccepted);
    }
    if item.status != ItemStatus::Done {
        return Some(match &item.rejection {
            Some(comment) => Blocker::Rejected(comment.clone()),
            None => Blocker::NotDone(item.status),
        });
    }
    if !item.evidence.is_met(item.has_link, item.has_file) {
        return Some(Blocker::NoEvidence(item.evidence));
    }
    if item.approvals < item.approvals_required {
        return Some(Blocker::AwaitingApprovals(item.approvals_required - item.approvals));
    }
    if item.valid_days > 0 {
        if let Some(since) = item.complete_since {
            let stale_at = since.saturating_add(i64::from(item.valid_days) * DAY_MS);
            if now >= stale_at {
                return Some(Blocker::Stale { since: stale_at });
            }
        }
    }
    None
}

/// When a satisfied item turns stale by itself, if it does.
pub fn stale_at(item: &ItemFacts) -> Option<i64> {
    (item.valid_days > 0)
        .then_some(item.complete_since?)
        .map(|since| since.saturating_add(i64::from(item.valid_days) * DAY_MS))
}

/// Whether the service may launch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Gate {
    /// Ready; `waivers` of the gating items pass by exception.
    Ready { waivers: u32 },
    /// Not ready: the indexes of the items in the way, in the order given.
    NotReady { blocking: Vec<usize> },
}

impl Gate {
    pub fn is_ready(&self) -> bool {
        matches!(self, Gate::Ready { .. })
    }
}

/// A service's figures, all from one pass over its items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scorecard {
    /// Weight of the items that count.
    pub applicable_weight: u32,
    /// Weight of the satisfied items, waived ones included.
    pub satisfied_weight: u32,
    /// The same without waivers.
    pub satisfied_weight_without_waivers: u32,
    /// Highest level whose items (and those of the levels below) all pass;
    /// `None` below bronze.
    pub level: Option<Level>,
    pub gate: Gate,
    /// Granted, unexpired waivers among the items.
    pub waivers: u32,
    /// Items that count, and those of them that pass (waived ones included).
    pub counted: u32,
    pub passing: u32,
    /// The earliest moment the figures change by themselves (a waiver
    /// expires, an approval goes stale), so a sweep knows when to look.
    pub changes_at: Option<i64>,
}

impl Scorecard {
    /// Score in whole percent (rounded down), with waivers; `None` when no
    /// item counts.
    pub fn percent(&self) -> Option<u32> {
        percent(self.satisfied_weight, self.applicable_weight)
    }

    /// Score in whole percent without waivers.
    pub fn percent_without_waivers(&self) -> Option<u32> {
        percent(self.satisfied_weight_without_waivers, self.applicable_weight)
    }
}

fn percent(part: u32, whole: u32) -> Option<u32> {
    (whole > 0).then(|| part * 100 / whole)
}

/// Scores a service's items at `now`. A service without items is not ready
/// and has no score.
pub fn score(items: &[ItemFacts], now: i64) -> Scorecard {
    let mut card = Scorecard {
        applicable_weight: 0,
        satisfied_weight: 0,
        satisfied_weight_without_waivers: 0,
        level: None,
        gate: Gate::Ready { waivers: 0 },
        waivers: 0,
        counted: 0,
        passing: 0,
        changes_at: None,
    };
    // The lowest level with an item that does not pass (Gold+1 = none).
    let mut first_failing_level: Option<Level> = None;
    let mut blocking = Vec::new();
    let mut gating_waivers = 0;
    for (index, item) in items.iter().enumerate() {
        let standing = standing(item, now);
        if !standing.counts() {
            continue;
        }
        card.counted += 1;
        card.passing += u32::from(standing.passes());
        let weight = item.severity.weight();
        card.applicable_weight += weight;
        let gating = item.severity == Severity::Critical || item.level == Level::Bronze;
        match &standing {
            Standing::Satisfied => {
                card.satisfied_weight += weight;
                card.satisfied_weight_without_waivers += weight;
                if let Some(at) = stale_at(item) {
                    card.changes_at = Some(card.changes_at.map_or(at, |c| c.min(at)));
                }
            }
            Standing::Waived { expires_at } => {
                card.satisfied_weight += weight;
                card.waivers += 1;
                gating_waivers += u32::from(gating);
                card.changes_at = Some(card.changes_at.map_or(*expires_at, |c| c.min(*expires_at)));
            }
            _ => {
                first_failing_level = Some(first_failing_level.map_or(item.level, |l| l.min(item.level)));
                if gating {
                    blocking.push(index);
                }
            }
        }
    }
    card.level = match first_failing_level {
        None => Some(Level::Gold),
        Some(Level::Bronze) => None,
        Some(Level::Silver) => Some(Level::Bronze),
        Some(Level::Gold) => Some(Level::Silver),
    };
    if card.counted == 0 {
        // Nothing to judge: no checklist, or every item left out.
        card.level = None;
    }
    card.gate = if card.counted == 0 || !blocking.is_empty() {
        Gate::NotReady { blocking }
    } else {
        Gate::Ready { waivers: gating_waivers }
    };
    card
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000 * DAY_MS;

    /// A done, evidenced, approved, fresh high/bronze item.
    fn ok() -> ItemFacts {
        ItemFacts {
            severity: Severity::High,
            level: Level::Bronze,
            evidence: EvidenceRule::Link,
            approvals_required: 1,
            valid_days: 365,
            auto: None,
            live: None,
            applies: true,
            status: ItemStatus::Done,
            not_applicable_accepted: false,
            has_link: true,
            has_file: false,
            approvals: 1,
            complete_since: Some(NOW - DAY_MS),
            rejection: None,
            waiver_expires_at: None,
        }
    }

    /// `item`, changed.
    fn changed(item: &ItemFacts, change: impl FnOnce(&mut ItemFacts)) -> ItemFacts {
        let mut item = item.clone();
        change(&mut item);
        item
    }

    /// [`ok`], changed.
    fn with(change: impl FnOnce(&mut ItemFacts)) -> ItemFacts {
        changed(&ok(), change)
    }

    #[test]
    fn a_complete_item_is_satisfied() {
        assert_eq!(standing(&ok(), NOW), Standing::Satisfied);
        // Needing nothing at all: done is enough.
        let bare = with(|i| {
            i.evidence = EvidenceRule::None;
            i.approvals_required = 0;
            i.approvals = 0;
            i.has_link = false;
        });
        assert_eq!(standing(&bare, NOW), Standing::Satisfied);
    }

    #[test]
    fn each_missing_part_is_named() {
        for status in [ItemStatus::NotStarted, ItemStatus::InProgress, ItemStatus::Blocked] {
            assert_eq!(standing(&with(|i| i.status = status), NOW), Standing::Unmet(Blocker::NotDone(status)));
        }
        assert_eq!(
            standing(&with(|i| i.has_link = false), NOW),
            Standing::Unmet(Blocker::NoEvidence(EvidenceRule::Link))
        );
        // A file does not meet a link rule, nor a link a file rule.
        assert_eq!(
            standing(
                &with(|i| {
                    i.has_file = true;
                    i.has_link = false;
                }),
                NOW
            ),
            Standing::Unmet(Blocker::NoEvidence(EvidenceRule::Link))
        );
        assert_eq!(
            standing(&with(|i| i.evidence = EvidenceRule::File), NOW),
            Standing::Unmet(Blocker::NoEvidence(EvidenceRule::File))
        );
        assert_eq!(standing(&with(|i| i.approvals = 0), NOW), Standing::Unmet(Blocker::AwaitingApprovals(1)));
    }

    #[test]
    fn multi_approval_counts_distinct_reviewers() {
        let two = with(|i| i.approvals_required = 2);
        assert_eq!(standing(&two, NOW), Standing::Unmet(Blocker::AwaitingApprovals(1)));
        assert_eq!(Blocker::AwaitingApprovals(1).describe(), "awaiting 1 more approval");
        let none = changed(&two, |i| i.approvals = 0);
        assert_eq!(standing(&none, NOW), Standing::Unmet(Blocker::AwaitingApprovals(2)));
        assert_eq!(Blocker::AwaitingApprovals(2).describe(), "awaiting 2 more approvals");
        assert_eq!(standing(&changed(&two, |i| i.approvals = 2), NOW), Standing::Satisfied);
    }

    #[test]
    fn self_approval_is_no_approval() {
        // The facts carry only approvals by reviewers other than the people
        // who ticked the item or attached its evidence (the backend filters
        // them); an item whose only approval was its author's has none.
        let self_approved_only = with(|i| i.approvals = 0);
        assert_eq!(standing(&self_approved_only, NOW), Standing::Unmet(Blocker::AwaitingApprovals(1)));
    }

    #[test]
    fn a_rejection_shows_its_comment_until_the_item_is_done_again() {
        let rejected = with(|i| {
            i.status = ItemStatus::InProgress;
            i.rejection = Some("The link is a 404".into());
        });
        let blocker = Blocker::Rejected("The link is a 404".into());
        assert_eq!(standing(&rejected, NOW), Standing::Unmet(blocker.clone()));
        assert_eq!(blocker.describe(), "rejected: The link is a 404");
        // Marked done again, it waits for review like any other.
        let resubmitted = changed(&rejected, |i| {
            i.status = ItemStatus::Done;
            i.approvals = 0;
        });
        assert_eq!(standing(&resubmitted, NOW), Standing::Unmet(Blocker::AwaitingApprovals(1)));
    }

    #[test]
    fn approvals_go_stale_after_valid_days() {
        let approved_at = NOW - 365 * DAY_MS;
        let item = with(|i| i.complete_since = Some(approved_at));
        assert_eq!(standing(&item, NOW), Standing::Unmet(Blocker::Stale { since: NOW }), "stale on the day");
        assert_eq!(standing(&item, NOW - 1), Standing::Satisfied, "fresh until then");
        assert_eq!(stale_at(&item), Some(NOW));
        let never = changed(&item, |i| i.valid_days = 0);
        assert_eq!(standing(&never, NOW + 100 * 365 * DAY_MS), Standing::Satisfied);
        assert_eq!(stale_at(&never), None);
    }

    #[test]
    fn not_applicable_counts_only_once_accepted() {
        let claimed = with(|i| i.status = ItemStatus::NotApplicable);
        assert_eq!(standing(&claimed, NOW), Standing::Unmet(Blocker::NotApplicableUnaccepted));
        let accepted = changed(&claimed, |i| i.not_applicable_accepted = true);
        assert_eq!(standing(&accepted, NOW), Standing::NotApplicable);
        // It leaves the denominator: one other satisfied item makes 100 %.
        let card = score(&[accepted, ok()], NOW);
        assert_eq!((card.applicable_weight, card.percent()), (4, Some(100)));
    }

    #[test]
    fn items_outside_the_tier_leave_the_score() {
        let other_tier = with(|i| {
            i.applies = false;
            i.status = ItemStatus::NotStarted;
            i.severity = Severity::Critical;
        });
        assert_eq!(standing(&other_tier, NOW), Standing::Excluded);
        let card = score(&[other_tier, ok()], NOW);
        assert_eq!(card.applicable_weight, 4);
        assert_eq!(card.gate, Gate::Ready { waivers: 0 }, "an excluded critical item blocks nothing");
    }

    #[test]
    fn waivers_pass_until_they_expire() {
        let waived = with(|i| {
            i.status = ItemStatus::InProgress;
            i.waiver_expires_at = Some(NOW + DAY_MS);
        });
        assert_eq!(standing(&waived, NOW), Standing::Waived { expires_at: NOW + DAY_MS });
        assert_eq!(
            standing(&waived, NOW + DAY_MS),
            Standing::Unmet(Blocker::WaiverExpired { at: NOW + DAY_MS }),
            "blocks again by itself"
        );
        // An item satisfied on its own merits needs no waiver.
        assert_eq!(standing(&with(|i| i.waiver_expires_at = Some(NOW - 1)), NOW), Standing::Satisfied);

        let card = score(&[waived.clone(), ok()], NOW);
        assert_eq!(card.gate, Gate::Ready { waivers: 1 });
        assert_eq!((card.percent(), card.percent_without_waivers()), (Some(100), Some(50)));
        assert_eq!(card.waivers, 1);
        assert_eq!(card.changes_at, Some(NOW + DAY_MS), "the sweep looks when the waiver ends");
        let later = score(&[waived, ok()], NOW + DAY_MS);
        assert_eq!(later.gate, Gate::NotReady { blocking: vec![0] });
    }

    #[test]
    fn auto_items_count_only_while_live_data_proves_them() {
        let probe = with(|i| i.auto = Some(AutoSignal::Uptime));
        assert_eq!(standing(&probe, NOW), Standing::Unmet(Blocker::WaitingForLiveData(AutoSignal::Uptime)));
        assert_eq!(Blocker::WaitingForLiveData(AutoSignal::Uptime).describe(), "waiting for live data");
        let proven = changed(&probe, |i| i.live = Some(Proof { proven: true, note: "“Health” is checked".into() }));
        assert_eq!(standing(&proven, NOW), Standing::Satisfied);
        // Ticks and evidence do not stand in for the data.
        let lost = changed(&proven, |i| i.live = Some(Proof { proven: false, note: "No recent result.".into() }));
        assert_eq!(standing(&lost, NOW), Standing::Unmet(Blocker::NoLiveProof("No recent result.".into())));
        assert_eq!(standing(&lost, NOW).describe(), "not proven by live data: No recent result.");
        let card = score(&[proven.clone(), ok()], NOW);
        assert!(card.gate.is_ready());
        assert!(!score(&[lost, ok()], NOW).gate.is_ready());
    }

    #[test]
    fn score_weighs_by_severity() {
        let items = [
            with(|i| i.severity = Severity::Critical), // 8, satisfied
            with(|i| i.has_link = false),              // 4, unmet
            with(|i| i.severity = Severity::Medium),   // 2, satisfied
            with(|i| {
                i.severity = Severity::Low;
                i.approvals = 0;
            }), // 1, unmet
        ];
        let card = score(&items, NOW);
        assert_eq!((card.satisfied_weight, card.applicable_weight), (10, 15));
        assert_eq!(card.percent(), Some(66), "10/15 rounded down");
    }

    #[test]
    fn levels_need_every_item_of_their_level_and_below() {
        let at = |level: Level, satisfied: bool| {
            with(|i| {
                i.level = level;
                i.severity = Severity::Medium;
                if !satisfied {
                    i.status = ItemStatus::InProgress;
                }
            })
        };
        use Level::*;
        /// (level, satisfied) of each item, and the level the service reaches.
        type Case = (&'static [(Level, bool)], Option<Level>);
        let cases: [Case; 6] = [
            (&[(Bronze, true), (Silver, true), (Gold, true)], Some(Gold)),
            (&[(Bronze, true), (Silver, true), (Gold, false)], Some(Silver)),
            (&[(Bronze, true), (Silver, false), (Gold, true)], Some(Bronze)),
            (&[(Bronze, false), (Silver, true), (Gold, true)], None),
            (&[(Bronze, true)], Some(Gold)),
            (&[(Silver, false)], Some(Bronze)),
        ];
        for (spec, level) in cases {
            let items: Vec<ItemFacts> = spec.iter().map(|(l, s)| at(*l, *s)).collect();
            assert_eq!(score(&items, NOW).level, level, "{spec:?}");
        }
    }

    #[test]
    fn the_gate_needs_every_critical_and_every_bronze_item() {
        let silver_high_unmet = with(|i| {
            i.level = Level::Silver;
            i.status = ItemStatus::NotStarted;
        });
        let silver_critical_unmet = changed(&silver_high_unmet, |i| i.severity = Severity::Critical);
        let bronze_low_unmet = with(|i| {
            i.severity = Severity::Low;
            i.has_link = false;
        });
        // A silver high item does not gate; a silver critical and a bronze low do.
        let card = score(&[ok(), silver_high_unmet.clone()], NOW);
        assert_eq!(card.gate, Gate::Ready { waivers: 0 });
        assert_eq!(card.level, Some(Level::Bronze));
        let card = score(&[silver_critical_unmet, ok(), bronze_low_unmet, silver_high_unmet], NOW);
        assert_eq!(card.gate, Gate::NotReady { blocking: vec![0, 2] });
        assert!(!card.gate.is_ready());
    }

    #[test]
    fn no_items_no_launch() {
        let card = score(&[], NOW);
        assert_eq!(card.gate, Gate::NotReady { blocking: vec![] });
        assert_eq!((card.level, card.percent()), (None, None));
        let excluded = with(|i| i.applies = false);
        assert_eq!(score(&[excluded], NOW).gate, Gate::NotReady { blocking: vec![] });
    }

    #[test]
    fn statuses_round_trip() {
        for s in ItemStatus::ALL {
            assert_eq!(ItemStatus::parse(s.as_str()), Some(s));
        }
    }
}
