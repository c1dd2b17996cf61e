//! When a probe's checks run.
//!
//! A probe's checks fall on the slots `phase + k × interval` (epoch ms, any
//! integer k). The phase comes from the probe's id alone, so:
//!
//! - probes created together, or restarted together, do not all fire at the
//!   same instant: phases spread evenly over the interval;
//! - a restart (or another replica taking the probe over) finds the same
//!   slots, and resumes at the first slot after the last recorded check,
//!   neither repeating nor skipping one.
//!
//! Changing a probe's interval moves its slots; that is expected.

/// A good 64-bit mix (splitmix64's finaliser): consecutive ids land far
/// apart, so phases of ids 1, 2, 3, … look random.
fn mix(id: i64) -> u64 {
    let mut z = (id as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The probe's offset into its interval, in `0..interval_ms`; the same on
/// every run. An interval below 1 ms is read as 1 ms.
pub fn phase_ms(probe_id: i64, interval_ms: i64) -> i64 {
    let interval = interval_ms.max(1) as u64;
    (mix(probe_id) % interval) as i64
}

/// The first slot `phase + k × interval` strictly after `after_ms`.
///
/// Call it with the time of the last check (or of now, for a new probe) to
/// find the next one. An interval below 1 ms is read as 1 ms; the phase may
/// be any value (it is reduced modulo the interval).
pub fn next_due(after_ms: i64, interval_ms: i64, phase_ms: i64) -> i64 {
    let interval = interval_ms.max(1);
    let phase = phase_ms.rem_euclid(interval);
    // Slots are phase + k × interval; the one at or before `after_ms` has
    // k = floor((after - phase) / interval), and the next one follows it.
    let k = after_ms.saturating_sub(phase).div_euclid(interval);
    phase.saturating_add(k.saturating_add(1).saturating_mul(interval))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_lie_in_the_interval_and_are_stable() {
        for id in [-5, 0, 1, 2, 3, 1_000_000, i64::MAX, i64::MIN] {
            for interval in [1, 7, 10_000, 60_000, 3_600_000] {
                let phase = phase_ms(id, interval);
                assert!((0..interval).contains(&phase), "id {id} interval {interval}: {phase}");
                assert_eq!(phase, phase_ms(id, interval));
            }
        }
        // Pinned: a change here would move every probe's checks.
        assert_eq!(phase_ms(1, 60_000), (mix(1) % 60_000) as i64);
        assert_eq!(mix(0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(phase_ms(1, 0), 0);
    }

    #[test]
    fn five_thousand_probes_spread_evenly_over_ten_second_buckets() {
        for interval in [60_000, 300_000, 3_600_000] {
            let buckets = (interval / 10_000) as usize;
            let mut counts = vec![0u32; buckets];
            for id in 1..=5000 {
                counts[(phase_ms(id, interval) / 10_000) as usize] += 1;
            }
            let mean = 5000.0 / buckets as f64;
            let max = *counts.iter().max().unwrap() as f64;
            assert!(max <= 2.0 * mean.max(2.0), "interval {interval}: max bucket {max}, mean {mean}");
            // Chi-square against the uniform: for `buckets - 1` degrees of
            // freedom the statistic stays well below 2 × buckets + 30 unless
            // the spread is lumpy.
            let chi: f64 = counts.iter().map(|c| (*c as f64 - mean).powi(2) / mean).sum();
            assert!(chi < 2.0 * buckets as f64 + 30.0, "interval {interval}: chi-square {chi}");
        }
    }

    #[test]
    fn next_due_is_the_first_slot_strictly_after() {
        let cases = [
            // (after, interval, phase, expected)
            (0, 60_000, 5_000, 5_000),
            (4_999, 60_000, 5_000, 5_000),
            (5_000, 60_000, 5_000, 65_000),
            (5_001, 60_000, 5_000, 65_000),
            (64_999, 60_000, 5_000, 65_000),
            (-1, 60_000, 0, 0),
            (-60_001, 60_000, 0, -60_000),
            (1_700_000_000_123, 20_000, 777, 1_700_000_000_777),
            (1_700_000_000_777, 20_000, 777, 1_700_000_020_777),
            // A phase outside the interval is reduced.
            (0, 60_000, 65_000, 5_000),
            (0, 60_000, -55_000, 5_000),
            // Degenerate interval.
            (10, 0, 0, 11),
        ];
        for (after, interval, phase, expected) in cases {
            assert_eq!(next_due(after, interval, phase), expected, "after {after}, every {interval} from {phase}");
        }
    }

    #[test]
    fn near_the_end_of_time_it_saturates_instead_of_overflowing() {
        let due = next_due(i64::MAX - 10, 60_000, 5);
        assert!(due >= i64::MAX - 60_000);
    }

    #[test]
    fn restarts_neither_skip_nor_repeat_slots() {
        let interval = 20_000;
        for id in 1..50 {
            let phase = phase_ms(id, interval);
            let start = 1_700_000_000_000 + id * 37;
            // An uninterrupted run.
            let mut expected = Vec::new();
            let mut t = start;
            for _ in 0..30 {
                t = next_due(t, interval, phase);
                expected.push(t);
            }
            // The same span with restarts after some checks: each restart
            // only knows the last recorded check (the slot itself, or a
            // moment a little after it when the check ran late).
            let mut seen = Vec::new();
            let mut last = start;
            for (i, _) in expected.iter().enumerate() {
                let due = next_due(last, interval, phase);
                seen.push(due);
                let late = if i % 3 == 0 { (id * 13 + i as i64) % interval } else { 0 };
                last = due + late;
            }
            assert_eq!(seen, expected, "probe {id}");
            for pair in seen.windows(2) {
                assert_eq!(pair[1] - pair[0], interval);
            }
            assert!(seen.iter().all(|t| (t - phase).rem_euclid(interval) == 0));
        }
    }
}
