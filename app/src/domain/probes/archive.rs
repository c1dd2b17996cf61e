//! A probe's hourly rollups of one day packed into one stored value: what
//! hourly rows become once they are older than the windows that sum them
//! in SQL (`backend::probe_rollups`).
//!
//! Why: a year of hourly rows is most of a probe's storage, and much of a
//! row is overhead (on PostgreSQL a 24-byte tuple header, a line pointer,
//! a key entry, and its fixed columns). One value per probe-day keeps the
//! same figures for a fraction of that, and compressing the day's hours
//! together shares what their latency histograms have in common (the V2
//! header of each, the shape of the distribution), which compressing each
//! hour alone cannot.
//!
//! Form: a version byte (1), then a zlib stream of the hours in order, each
//! as its index in the day (0–23), the length of its rollup as a varint,
//! and the rollup ([`Rollup::to_bytes`]). Reading checks the order, the
//! lengths and each rollup, and inflates at most what 24 of the largest
//! histograms could take.

use std::io::{Read, Write};

use super::blocks::BLOCK_MS as HOUR_MS;
use super::rollup::{corrupt, read_leb128, write_leb128, CorruptRollup, Rollup};

const VERSION: u8 = 1;
const HOURS: i64 = 24;
/// More than 24 rollups can take inflated: a rollup is a few varints and a
/// V2 histogram of at most 64 KiB (see `rollup`).
const MAX_INFLATED: u64 = HOURS as u64 * (64 * 1024 + 64);

/// Packs the rollups of the hours starting at `starts` (each an hour of the
/// day starting at `day`, in increasing order).
///
/// # Panics
/// When an hour is not an hour of that day or the hours are out of order:
/// the caller read them by that day, ordered, so this is a bug.
pub fn pack(day: i64, hours: &[(i64, Rollup)]) -> Vec<u8> {
    let mut plain = Vec::new();
    let mut last = -1;
    for (start, rollup) in hours {
        let offset = start - day;
        let index = offset / HOUR_MS;
        assert!(
            offset.rem_euclid(HOUR_MS) == 0 && (0..HOURS).contains(&index) && index > last,
            "hour {start} of day {day} out of place"
        );
        last = index;
        let bytes = rollup.to_bytes();
        plain.push(index as u8);
        write_leb128(&mut plain, bytes.len() as u64);
        plain.extend(bytes);
    }
    let mut encoder = flate2::write::ZlibEncoder::new(vec![VERSION], flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(&plain);
    encoder.finish().unwrap_or_default()
}

/// The hours packed in `bytes` for the day starting at `day`, as (start,
/// rollup) in increasing order.
pub fn unpack(day: i64, bytes: &[u8]) -> Result<Vec<(i64, Rollup)>, CorruptRollup> {
    let (&version, compressed) = bytes.split_first().ok_or(corrupt("archive cut short"))?;
    if version != VERSION {
        return Err(corrupt("unknown archive version"));
    }
    let mut plain = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut plain)
        .map_err(|_| corrupt("bad compressed archive"))?;
    if plain.len() as u64 > MAX_INFLATED {
        return Err(corrupt("archive too large"));
    }
    let mut hours = Vec::new();
    let mut rest = &plain[..];
    let mut last = -1;
    while let Some((&index, tail)) = rest.split_first() {
        let index = i64::from(index);
        if index >= HOURS || index <= last {
            return Err(corrupt("archive hours out of order"));
        }
        last = index;
        let (length, used) = read_leb128(tail).ok_or(corrupt("archive cut short"))?;
        let body = usize::try_from(length)
            .ok()
            .and_then(|length| tail.get(used..used.checked_add(length)?))
            .ok_or(corrupt("archive cut short"))?;
        hours.push((day + index * HOUR_MS, Rollup::from_bytes(body)?));
        rest = &tail[used + body.len()..];
    }
    Ok(hours)
}

#[cfg(test)]
mod tests {
    use super::super::blocks::{CheckRecord, Traffic};
    use super::super::fixtures::Rng;
    use super::super::status::{ErrorClass, Outcome};
    use super::*;

    const DAY: i64 = 20_000 * HOUR_MS;

    /// An hour of checks every 20 s: log-normal latencies around 50 ms
    /// (σ `sigma`), some failures, traffic figures for a metrics probe.
    fn hour(seed: u64, sigma: f64, metrics: bool) -> Rollup {
        let mut rng = Rng(seed);
        let records: Vec<CheckRecord> = (0..180)
            .map(|i| CheckRecord {
                at_ms: i * 20_000,
                duration_us: (50_000.0 * (sigma * rng.normal()).exp()) as u32,
                outcome: if rng.unit() < 0.01 { Outcome::Down(ErrorClass::Timeout) } else { Outcome::Up },
                status_code: Some(200),
                traffic: metrics.then_some(Traffic { requests: 1_000, errors: (rng.unit() * 5.0) as u32 }),
            })
            .collect();
        Rollup::of(&records)
    }

    fn day_of(sigma: f64, metrics: bool, hours: impl Iterator<Item = i64>) -> Vec<(i64, Rollup)> {
        hours.map(|h| (DAY + h * HOUR_MS, hour(h as u64 + 1, sigma, metrics))).collect()
    }

    #[test]
    fn a_day_round_trips() {
        for (sigma, metrics) in [(0.3, false), (1.0, true)] {
            let hours = day_of(sigma, metrics, 0..24);
            assert_eq!(unpack(DAY, &pack(DAY, &hours)).unwrap(), hours);
        }
        // Hours with no checks are simply absent; an empty day is valid.
        let some = day_of(0.3, false, [0, 5, 23].into_iter());
        assert_eq!(unpack(DAY, &pack(DAY, &some)).unwrap(), some);
        assert_eq!(unpack(DAY, &pack(DAY, &[])).unwrap(), vec![]);
    }

    #[test]
    fn a_packed_day_is_smaller_than_its_hours_stored_alone() {
        // Reported, and bounded so a change of format is noticed: hours
        // stored alone take their counts and a sketch compressed on its own.
        for (sigma, metrics) in [(0.3, false), (0.6, false), (1.0, true)] {
            let hours = day_of(sigma, metrics, 0..24);
            let alone: usize = hours.iter().map(|(_, r)| 8 + r.latency.to_bytes().len()).sum();
            let packed = pack(DAY, &hours).len();
            println!("a day's hours, σ {sigma}: {alone} B alone, {packed} B packed");
            assert!(packed * 10 < alone * 8, "σ {sigma}: packed {packed} B against {alone} B alone");
        }
    }

    #[test]
    #[should_panic(expected = "out of place")]
    fn packing_refuses_an_hour_of_another_day() {
        pack(DAY, &day_of(0.3, false, [24].into_iter()));
    }

    #[test]
    fn damaged_archives_are_reported_not_panicked_on() {
        let bytes = pack(DAY, &day_of(0.6, true, 0..24));
        for len in 0..bytes.len() {
            assert!(unpack(DAY, &bytes[..len]).is_err(), "cut to {len}");
        }
        assert_eq!(unpack(DAY, &[2]), Err(corrupt("unknown archive version")));
        let repacked = |plain: &[u8]| {
            let mut encoder = flate2::write::ZlibEncoder::new(vec![VERSION], flate2::Compression::default());
            encoder.write_all(plain).unwrap();
            encoder.finish().unwrap()
        };
        let one = Rollup::default().to_bytes();
        let entry = |index: u8| [&[index, one.len() as u8][..], &one].concat();
        assert!(unpack(DAY, &repacked(&[entry(3), entry(4)].concat())).is_ok());
        assert_eq!(unpack(DAY, &repacked(&[entry(4), entry(3)].concat())), Err(corrupt("archive hours out of order")));
        assert_eq!(unpack(DAY, &repacked(&entry(24))), Err(corrupt("archive hours out of order")));
        assert_eq!(unpack(DAY, &repacked(&[0, 200, 1])), Err(corrupt("archive cut short")));
        assert_eq!(unpack(DAY, &repacked(&vec![0; MAX_INFLATED as usize + 1])), Err(corrupt("archive too large")));
        // Random bytes in the stream.
        let mut rng = Rng(7);
        for _ in 0..2000 {
            let plain: Vec<u8> = (0..rng.next() % 90).map(|_| rng.next() as u8).collect();
            let _ = unpack(DAY, &repacked(&plain));
        }
    }
}
