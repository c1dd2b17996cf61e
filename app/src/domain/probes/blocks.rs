//! Raw checks as compact byte blocks: one block per probe per hour.
//!
//! The storage layer appends to a block with `data = data || new`, so the
//! encoding has two duties: every record delimits itself, and the
//! concatenation of encoded batches decodes as all their records, in order.
//!
//! # Format
//!
//! A record is one little-endian `u64` (8 bytes), optionally followed by an
//! 8-byte traffic word:
//!
//! | bits   | field |
//! |--------|-------|
//! | 0–21   | milliseconds since the block start (0 ..= 3,599,999) |
//! | 22–47  | duration in µs, saturated at [`MAX_DURATION_US`] (≈ 67 s, above the longest timeout) |
//! | 48–57  | HTTP status code, 0 for none (100 ..= 999 otherwise) |
//! | 58–62  | [`Outcome::code`] |
//! | 63     | a traffic word follows |
//!
//! The traffic word (metrics probes only) holds the interval's request
//! increase in its low 32 bits and the error increase in its high 32 bits.
//!
//! Why fixed 8 bytes rather than varints: a typical check is 8 bytes either
//! way (a varint offset within the hour takes 3 bytes, a duration 3–4, the
//! rest 2), while fixed records keep a block's length a multiple of 8, so a
//! truncated append is caught, every field can be range-checked on the way
//! out, and the record count is known without decoding. Failure messages are
//! not in blocks: the storage layer keeps the last one on the probe's row.

use serde::{Deserialize, Serialize};

use super::status::Outcome;

/// The length of a block: one hour.
pub const BLOCK_MS: i64 = 3_600_000;

/// The longest duration a record holds (2^26 − 1 µs, about 67 s); longer
/// ones are stored as this.
pub const MAX_DURATION_US: u32 = (1 << 26) - 1;

const RECORD_BYTES: usize = 8;
const OFFSET_BITS: u32 = 22;
const DURATION_BITS: u32 = 26;
const STATUS_BITS: u32 = 10;
const OUTCOME_BITS: u32 = 5;
const DURATION_SHIFT: u32 = OFFSET_BITS;
const STATUS_SHIFT: u32 = DURATION_SHIFT + DURATION_BITS;
const OUTCOME_SHIFT: u32 = STATUS_SHIFT + STATUS_BITS;
const TRAFFIC_FLAG: u64 = 1 << 63;

/// The start (epoch ms) of the hour block holding `at_ms`.
pub fn block_start(at_ms: i64) -> i64 {
    at_ms.div_euclid(BLOCK_MS) * BLOCK_MS
}

/// Requests and errors a metrics probe counted over one interval (the
/// increase of its counters since the previous check).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Traffic {
    /// Requests the service served in the interval.
    pub requests: u32,
    /// Of those, the ones counted as errors.
    pub errors: u32,
}

impl Traffic {
    /// From counter increases (see `metrics::increase`): rounded to whole
    /// requests, negative or NaN as 0, saturated at `u32::MAX`.
    pub fn from_increase(requests: f64, errors: f64) -> Traffic {
        Traffic { requests: whole(requests), errors: whole(errors) }
    }
}

fn whole(value: f64) -> u32 {
    // `as` saturates and maps NaN to 0.
    value.round().max(0.0) as u32
}

/// One check, as kept in blocks and added to rollups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRecord {
    /// When the check started (epoch ms).
    pub at_ms: i64,
    /// How long it took, in µs.
    pub duration_us: u32,
    /// What the check found.
    pub outcome: Outcome,
    /// The HTTP status code, when there was an HTTP answer.
    pub status_code: Option<u16>,
    /// Metrics probes: what the interval counted (None for other kinds, and
    /// for a metrics probe's first check, which has no previous reading).
    pub traffic: Option<Traffic>,
}

/// A record given to [`encode`] does not belong to the block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a check at {at_ms} ms is not in the block starting at {block_start} ms")]
pub struct OutsideBlock {
    /// The record's time (epoch ms).
    pub at_ms: i64,
    /// The block it was given for.
    pub block_start: i64,
}

/// A block that cannot be read: cut short, or holding a value no encoder
/// writes. `offset` is the byte where the bad record starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("corrupt check block at byte {offset}: {problem}")]
pub struct CorruptBlock {
    /// Byte offset of the bad record.
    pub offset: usize,
    /// What is wrong with it.
    pub problem: &'static str,
}

/// Encodes records of one block (all with `block_start(at_ms) ==
/// block_start`), in the order given. Durations above
/// [`MAX_DURATION_US`] are stored as it, and status codes outside
/// 100..=999 (which no HTTP client reports) as none.
pub fn encode(records: &[CheckRecord], block_start: i64) -> Result<Vec<u8>, OutsideBlock> {
    let mut bytes = Vec::with_capacity(records.len() * RECORD_BYTES);
    for record in records {
        let offset = match record.at_ms.checked_sub(block_start) {
            Some(offset) if (0..BLOCK_MS).contains(&offset) => offset,
            _ => return Err(OutsideBlock { at_ms: record.at_ms, block_start }),
        };
        let status = record.status_code.filter(|code| (100..=999).contains(code)).unwrap_or(0);
        let mut word = offset as u64
            | u64::from(record.duration_us.min(MAX_DURATION_US)) << DURATION_SHIFT
            | u64::from(status) << STATUS_SHIFT
            | u64::from(record.outcome.code()) << OUTCOME_SHIFT;
        if record.traffic.is_some() {
            word |= TRAFFIC_FLAG;
        }
        bytes.extend_from_slice(&word.to_le_bytes());
        if let Some(traffic) = record.traffic {
            let extra = u64::from(traffic.requests) | u64::from(traffic.errors) << 32;
            bytes.extend_from_slice(&extra.to_le_bytes());
        }
    }
    Ok(bytes)
}

/// Encodes records of any times, one byte string per hour block, blocks in
/// time order and records in the order given: what a writer appends for
/// one probe.
pub fn encode_by_block(records: &[CheckRecord]) -> Vec<(i64, Vec<u8>)> {
    let mut starts: Vec<i64> = records.iter().map(|r| block_start(r.at_ms)).collect();
    starts.sort_unstable();
    starts.dedup();
    starts
        .into_iter()
        .map(|start| {
            let mine: Vec<CheckRecord> = records.iter().filter(|r| block_start(r.at_ms) == start).copied().collect();
            // Every record was chosen for this block, so it fits.
            let bytes = encode(&mine, start).unwrap_or_default();
            (start, bytes)
        })
        .collect()
}

/// Decodes a block (possibly several appended batches), in stored order.
pub fn decode(block_start: i64, bytes: &[u8]) -> Result<Vec<CheckRecord>, CorruptBlock> {
    let mut records = Vec::with_capacity(bytes.len() / RECORD_BYTES);
    let mut offset = 0;
    while offset < bytes.len() {
        let word = read_word(bytes, offset)?;
        let mut record = decode_word(block_start, word).map_err(|problem| CorruptBlock { offset, problem })?;
        if word & TRAFFIC_FLAG != 0 {
            let extra = read_word(bytes, offset + RECORD_BYTES)
                .map_err(|_| CorruptBlock { offset, problem: "traffic word missing" })?;
            record.traffic = Some(Traffic { requests: extra as u32, errors: (extra >> 32) as u32 });
            offset += RECORD_BYTES;
        }
        records.push(record);
        offset += RECORD_BYTES;
    }
    Ok(records)
}

/// The number of checks in a block, without decoding it fully (a traffic
/// word is not a check). Corrupt blocks count what precedes the damage.
pub fn count(bytes: &[u8]) -> usize {
    let mut checks = 0;
    let mut offset = 0;
    while let Ok(word) = read_word(bytes, offset) {
        checks += 1;
        offset += if word & TRAFFIC_FLAG != 0 { 2 * RECORD_BYTES } else { RECORD_BYTES };
    }
    checks
}

fn read_word(bytes: &[u8], offset: usize) -> Result<u64, CorruptBlock> {
    let end = offset.checked_add(RECORD_BYTES).filter(|end| *end <= bytes.len());
    match end.and_then(|end| bytes[offset..end].try_into().ok()) {
        Some(chunk) => Ok(u64::from_le_bytes(chunk)),
        None => Err(CorruptBlock { offset, problem: "record cut short" }),
    }
}

fn field(word: u64, shift: u32, bits: u32) -> u64 {
    (word >> shift) & ((1 << bits) - 1)
}

fn decode_word(block_start: i64, word: u64) -> Result<CheckRecord, &'static str> {
    let offset = field(word, 0, OFFSET_BITS) as i64;
    if offset >= BLOCK_MS {
        return Err("time beyond the hour");
    }
    let status = field(word, STATUS_SHIFT, STATUS_BITS) as u16;
    let status_code = match status {
        0 => None,
        100..=999 => Some(status),
        _ => return Err("impossible status code"),
    };
    let outcome = Outcome::from_code(field(word, OUTCOME_SHIFT, OUTCOME_BITS) as u8).ok_or("unknown outcome")?;
    Ok(CheckRecord {
        at_ms: block_start + offset,
        duration_us: field(word, DURATION_SHIFT, DURATION_BITS) as u32,
        outcome,
        status_code,
        traffic: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::status::{ErrorClass, Warning};
    use super::*;

    const HOUR: i64 = 1_700_002_800_000; // hour-aligned

    fn record(offset_ms: i64, duration_us: u32, outcome: Outcome, status_code: Option<u16>) -> CheckRecord {
        CheckRecord { at_ms: HOUR + offset_ms, duration_us, outcome, status_code, traffic: None }
    }

    fn sample() -> Vec<CheckRecord> {
        vec![
            record(0, 0, Outcome::Up, Some(200)),
            record(20_000, 48_211, Outcome::Up, Some(204)),
            record(40_000, 1_250_000, Outcome::Degraded(Warning::Slow), Some(200)),
            record(60_000, 10_000_000, Outcome::Down(ErrorClass::Timeout), None),
            record(80_000, 3_100, Outcome::Down(ErrorClass::Status), Some(503)),
            record(100_000, 900, Outcome::Down(ErrorClass::Dns), None),
            CheckRecord {
                traffic: Some(Traffic { requests: 1200, errors: 3 }),
                ..record(120_000, 4_000, Outcome::Up, Some(200))
            },
            CheckRecord {
                traffic: Some(Traffic { requests: u32::MAX, errors: u32::MAX }),
                ..record(BLOCK_MS - 1, MAX_DURATION_US, Outcome::Degraded(Warning::ErrorRate), Some(999))
            },
        ]
    }

    #[test]
    fn block_starts_are_hour_aligned() {
        assert_eq!(block_start(HOUR), HOUR);
        assert_eq!(block_start(HOUR + 1), HOUR);
        assert_eq!(block_start(HOUR + BLOCK_MS - 1), HOUR);
        assert_eq!(block_start(HOUR + BLOCK_MS), HOUR + BLOCK_MS);
        assert_eq!(block_start(-1), -BLOCK_MS);
        assert_eq!(block_start(0), 0);
    }

    #[test]
    fn records_round_trip() {
        let records = sample();
        let bytes = encode(&records, HOUR).unwrap();
        assert_eq!(bytes.len(), 8 * records.len() + 16);
        assert_eq!(decode(HOUR, &bytes).unwrap(), records);
        assert_eq!(count(&bytes), records.len());
    }

    #[test]
    fn every_outcome_round_trips() {
        let records: Vec<CheckRecord> =
            Outcome::all().enumerate().map(|(i, o)| record(i as i64 * 1000, 5, o, Some(100 + i as u16))).collect();
        assert_eq!(decode(HOUR, &encode(&records, HOUR).unwrap()).unwrap(), records);
    }

    #[test]
    fn a_typical_check_is_eight_bytes() {
        let bytes = encode(&[record(12_345, 48_000, Outcome::Up, Some(200))], HOUR).unwrap();
        assert_eq!(bytes.len(), 8);
    }

    #[test]
    fn appended_batches_decode_as_their_union() {
        let records = sample();
        for split in 0..=records.len() {
            let mut data = encode(&records[..split], HOUR).unwrap();
            data.extend(encode(&records[split..], HOUR).unwrap());
            assert_eq!(decode(HOUR, &data).unwrap(), records, "split at {split}");
        }
        let mut data = Vec::new();
        for r in &records {
            data.extend(encode(std::slice::from_ref(r), HOUR).unwrap());
        }
        assert_eq!(decode(HOUR, &data).unwrap(), records);
        assert_eq!(decode(HOUR, &[]).unwrap(), vec![]);
    }

    #[test]
    fn out_of_range_values_are_clamped() {
        let long = record(5, u32::MAX, Outcome::Up, Some(1000));
        let decoded = decode(HOUR, &encode(&[long], HOUR).unwrap()).unwrap();
        assert_eq!(decoded, vec![CheckRecord { duration_us: MAX_DURATION_US, status_code: None, ..long }]);
        let odd = record(5, 1, Outcome::Up, Some(42));
        assert_eq!(decode(HOUR, &encode(&[odd], HOUR).unwrap()).unwrap()[0].status_code, None);
    }

    #[test]
    fn records_outside_the_block_are_refused() {
        for offset in [-1, BLOCK_MS, BLOCK_MS * 5, i64::MIN / 2] {
            let r = CheckRecord { at_ms: HOUR.wrapping_add(offset), ..record(0, 1, Outcome::Up, None) };
            assert_eq!(encode(&[r], HOUR), Err(OutsideBlock { at_ms: r.at_ms, block_start: HOUR }));
        }
        let far = CheckRecord { at_ms: i64::MIN, ..record(0, 1, Outcome::Up, None) };
        assert!(encode(&[far], i64::MAX - 10).is_err());
    }

    #[test]
    fn records_are_grouped_by_hour() {
        let records = vec![
            record(-1, 1, Outcome::Up, None),
            record(0, 2, Outcome::Up, None),
            record(BLOCK_MS + 7, 3, Outcome::Up, None),
            record(10, 4, Outcome::Up, None),
            record(-BLOCK_MS, 5, Outcome::Up, None),
        ];
        let blocks = encode_by_block(&records);
        let starts: Vec<i64> = blocks.iter().map(|(s, _)| *s).collect();
        assert_eq!(starts, vec![HOUR - BLOCK_MS, HOUR, HOUR + BLOCK_MS]);
        let durations: Vec<Vec<u32>> = blocks
            .iter()
            .map(|(start, bytes)| decode(*start, bytes).unwrap().iter().map(|r| r.duration_us).collect())
            .collect();
        assert_eq!(durations, vec![vec![1, 5], vec![2, 4], vec![3]]);
    }

    #[test]
    fn damage_is_reported_not_panicked_on() {
        let bytes = encode(&sample(), HOUR).unwrap();
        // Every truncation that cuts a record is caught.
        // (Records 6 and 7 carry traffic words: bytes 48..64 and 64..80.)
        for len in 0..bytes.len() {
            let cuts_a_record = len % 8 != 0 || len == 56 || len == 72;
            assert_eq!(decode(HOUR, &bytes[..len]).is_err(), cuts_a_record, "truncated to {len}");
        }
        assert_eq!(decode(HOUR, &bytes[..7]), Err(CorruptBlock { offset: 0, problem: "record cut short" }));
        // A traffic flag without its word.
        let traffic = encode(&sample()[6..7], HOUR).unwrap();
        assert_eq!(decode(HOUR, &traffic[..8]), Err(CorruptBlock { offset: 0, problem: "traffic word missing" }));
        // Values no encoder writes.
        let bad_offset = (BLOCK_MS as u64).to_le_bytes();
        assert_eq!(decode(HOUR, &bad_offset).unwrap_err().problem, "time beyond the hour");
        let bad_status = (42u64 << STATUS_SHIFT).to_le_bytes();
        assert_eq!(decode(HOUR, &bad_status).unwrap_err().problem, "impossible status code");
        let bad_outcome = (31u64 << OUTCOME_SHIFT).to_le_bytes();
        assert_eq!(decode(HOUR, &bad_outcome).unwrap_err().problem, "unknown outcome");
        let mut late = encode(&sample(), HOUR).unwrap();
        late.extend(bad_outcome);
        assert_eq!(decode(HOUR, &late).unwrap_err().offset, bytes.len());
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut seed = 99u64;
        let mut next = || {
            seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let mut decoded = 0;
        for _ in 0..5000 {
            let len = (next() % 64) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if let Ok(records) = decode(HOUR, &bytes) {
                decoded += 1;
                // Whatever decodes re-encodes to the same bytes.
                assert_eq!(encode(&records, HOUR).unwrap(), bytes);
            }
            let _ = count(&bytes);
        }
        assert!(decoded > 0, "some random blocks should happen to be valid");
    }
}
