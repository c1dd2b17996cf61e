//! Scoring one service that applies all three built-in templates (73 items),
//! with a realistic mix of progress: the cost of the pure rules that run on
//! every change to an item (the figures are stored, not recomputed by
//! lists). Prints one line for `make bench`:
//!
//!     scoring one service (73 items): median 3.1 µs, p99 4.0 µs
//!
//! Target (issue 8): at most 50 µs.

use std::hint::black_box;
use std::time::Instant;

use app::backend::template_format::{parse, BUILT_IN};
use app::domain::checklist::EvidenceRule;
use app::domain::readiness::{score, ItemFacts, ItemStatus, DAY_MS};

const NOW: i64 = 20_000 * DAY_MS;

/// Every item of the built-in templates, in a state that varies with its
/// position: most done and approved, some waiting, some waived, stale,
/// rejected or not applicable.
fn service() -> Vec<ItemFacts> {
    let items = BUILT_IN.iter().flat_map(|(_, text)| parse(text).expect("built-in template").items);
    items
        .enumerate()
        .map(|(n, def)| {
            let mut facts = ItemFacts {
                severity: def.severity,
                level: def.level,
                evidence: def.evidence,
                approvals_required: def.approvals,
                valid_days: def.valid_days,
                auto: def.auto,
                live: None,
                applies: def.applies_to_tier(1),
                status: ItemStatus::Done,
                not_applicable_accepted: false,
                has_link: matches!(def.evidence, EvidenceRule::Link | EvidenceRule::LinkOrFile),
                has_file: matches!(def.evidence, EvidenceRule::File),
                approvals: def.approvals,
                complete_since: Some(NOW - (n as i64 % 400) * DAY_MS),
                rejection: None,
                waiver_expires_at: None,
            };
            match n % 10 {
                0 => facts.status = ItemStatus::InProgress,
                1 => facts.approvals = facts.approvals.saturating_sub(1),
                2 => facts.waiver_expires_at = Some(NOW + 30 * DAY_MS),
                3 => {
                    facts.status = ItemStatus::InProgress;
                    facts.rejection = Some("The linked dashboard is empty".into());
                }
                4 => {
                    facts.status = ItemStatus::NotApplicable;
                    facts.not_applicable_accepted = true;
                }
                _ => {}
            }
            facts
        })
        .collect()
}

fn main() {
    let items = service();
    const ROUNDS: usize = 2_000;
    const PER_ROUND: u32 = 50;
    let mut samples: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..PER_ROUND {
                black_box(score(black_box(&items), black_box(NOW)));
            }
            started.elapsed().as_secs_f64() * 1e6 / f64::from(PER_ROUND)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    let median = samples[ROUNDS / 2];
    let p99 = samples[ROUNDS * 99 / 100];
    println!("scoring one service ({} items): median {median:.1} µs, p99 {p99:.1} µs", items.len());
}
