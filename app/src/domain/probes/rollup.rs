//! Hourly and daily sums of a probe's checks ([`Rollup`]), with a
//! mergeable latency histogram ([`Sketch`]).
//!
//! The sketch is an HDR histogram (the `hdrhistogram` crate) with 2
//! significant digits: every percentile it reports is at most 1 % above the
//! exact nearest-rank percentile of the recorded values (below it only for
//! the 0th). Merging two sketches gives exactly the sketch of all their
//! values, so hours add up to days without error.
//!
//! Stored form: hdrhistogram's V2 format, or its V2 + DEFLATE form when
//! that is smaller (the reader tells them apart). Measured sizes, log-normal
//! latencies around 50 ms: 3 checks ≈ 49 B, 180 checks (an hour at 20 s)
//! ≈ 130–190 B, 4,320 checks (a day) ≈ 300–600 B, depending on spread (see
//! the `sketch_sizes` test). Stored bytes are checked before hdrhistogram
//! reads them, since its reader trusts the lengths it is given.
//!
//! Latency is recorded for successful checks only (up or degraded): a
//! timeout's duration is the timeout, not the service's latency.

use std::io::Read;

use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer, V2Serializer};
use hdrhistogram::Histogram;

use super::blocks::CheckRecord;
use super::status::Outcome;

/// Significant digits of the histogram: relative error below 1 %.
pub const SIGNIFICANT_DIGITS: u8 = 2;
/// The largest latency recorded, in µs (about 12.7 days); larger values
/// are recorded as this. It bounds the histogram a stored one can claim.
pub const MAX_TRACKABLE_US: u64 = 1 << 40;

const V2_COOKIE: u32 = 0x1c84_9313;
const V2_DEFLATE_COOKIE: u32 = 0x1c84_9314;
const V2_HEADER_BYTES: usize = 40;
/// More than the V2 form of any histogram within [`MAX_TRACKABLE_US`] at
/// two digits can take (about 4,400 counts of at most 9 bytes).
const MAX_V2_BYTES: usize = 64 * 1024;

/// Stored bytes that cannot be read as a rollup or sketch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("corrupt probe rollup: {problem}")]
pub struct CorruptRollup {
    /// What is wrong with them.
    pub problem: &'static str,
}

pub(super) fn corrupt(problem: &'static str) -> CorruptRollup {
    CorruptRollup { problem }
}

/// A mergeable histogram of latencies in µs.
#[derive(Debug, Clone)]
pub struct Sketch {
    histogram: Histogram<u64>,
}

impl Default for Sketch {
    fn default() -> Sketch {
        Sketch::new()
    }
}

impl PartialEq for Sketch {
    /// Same recorded values (bucket by bucket), whatever the histograms'
    /// allocated sizes.
    fn eq(&self, other: &Sketch) -> bool {
        let buckets = |h: &Histogram<u64>| -> Vec<(u64, u64)> {
            h.iter_recorded().map(|v| (v.value_iterated_to(), v.count_at_value())).collect()
        };
        self.len() == other.len() && buckets(&self.histogram) == buckets(&other.histogram)
    }
}

impl Sketch {
    /// An empty sketch.
    pub fn new() -> Sketch {
        // Two digits is within the range hdrhistogram accepts (0..=5).
        let mut histogram = Histogram::new(SIGNIFICANT_DIGITS).unwrap_or_else(|_| unreachable!());
        histogram.auto(true);
        Sketch { histogram }
    }

    /// Records one latency (µs); values above [`MAX_TRACKABLE_US`] count as it.
    pub fn record(&mut self, value_us: u64) {
        // Auto-resizing histograms accept any value up to u64::MAX / 2.
        let _ = self.histogram.record(value_us.min(MAX_TRACKABLE_US));
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Sketch) {
        // Cannot fail: this histogram resizes to take any value of `other`.
        let _ = self.histogram.add(&other.histogram);
    }

    /// How many values were recorded.
    pub fn len(&self) -> u64 {
        self.histogram.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.histogram.is_empty()
    }

    /// The value (µs) at quantile `q` (0.5 for the median, 0.99 for p99;
    /// clamped to 0..=1) by nearest rank, within 1 %; `None` when empty or
    /// `q` is NaN.
    pub fn percentile(&self, q: f64) -> Option<u64> {
        if self.is_empty() || q.is_nan() {
            return None;
        }
        Some(self.histogram.value_at_quantile(q.clamp(0.0, 1.0)))
    }

    /// The stored form: V2, or V2 + DEFLATE when smaller.
    pub fn to_bytes(&self) -> Vec<u8> {
        let plain = self.to_plain_bytes();
        let mut deflated = Vec::new();
        match V2DeflateSerializer::new().serialize(&self.histogram, &mut deflated) {
            Ok(_) if deflated.len() < plain.len() => deflated,
            _ => plain,
        }
    }

    /// The V2 form alone, for packing with others that are compressed
    /// together ([`super::archive`]); [`Sketch::from_bytes`] reads it too.
    pub fn to_plain_bytes(&self) -> Vec<u8> {
        // Serialising into a Vec fails only for counts above i64::MAX.
        let mut plain = Vec::new();
        let _ = V2Serializer::new().serialize(&self.histogram, &mut plain);
        plain
    }

    /// Reads the stored form, checking it first.
    pub fn from_bytes(bytes: &[u8]) -> Result<Sketch, CorruptRollup> {
        let cookie = read_u32(bytes, 0).ok_or(corrupt("sketch cut short"))?;
        let inflated;
        let v2 = match cookie {
            V2_COOKIE => bytes,
            V2_DEFLATE_COOKIE => {
                inflated = inflate(bytes)?;
                &inflated
            }
            _ => return Err(corrupt("not a histogram")),
        };
        check_v2(v2)?;
        let mut histogram: Histogram<u64> =
            Deserializer::new().deserialize(&mut &v2[..]).map_err(|_| corrupt("unreadable histogram"))?;
        histogram.auto(true);
        Ok(Sketch { histogram })
    }
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// The V2 form inside a V2 + DEFLATE one, at most [`MAX_V2_BYTES`].
fn inflate(bytes: &[u8]) -> Result<Vec<u8>, CorruptRollup> {
    let length = read_u32(bytes, 4).ok_or(corrupt("sketch cut short"))? as usize;
    if length != bytes.len() - 8 {
        return Err(corrupt("compressed length does not match"));
    }
    let mut inflated = Vec::new();
    flate2::read::ZlibDecoder::new(&bytes[8..])
        .take(MAX_V2_BYTES as u64 + 1)
        .read_to_end(&mut inflated)
        .map_err(|_| corrupt("bad compressed data"))?;
    if inflated.len() > MAX_V2_BYTES {
        return Err(corrupt("histogram too large"));
    }
    Ok(inflated)
}

/// Checks what hdrhistogram's reader trusts: the header (our precision,
/// a bounded range, the payload length) and that no count decodes to the
/// one value whose negation overflows.
fn check_v2(bytes: &[u8]) -> Result<(), CorruptRollup> {
    if bytes.len() < V2_HEADER_BYTES {
        return Err(corrupt("histogram header cut short"));
    }
    let field32 = |at| read_u32(bytes, at).unwrap_or_default();
    let field64 = |at| read_u64(bytes, at).unwrap_or_default();
    let payload = field32(4) as usize;
    if field32(0) != V2_COOKIE || payload != bytes.len() - V2_HEADER_BYTES {
        return Err(corrupt("histogram length does not match"));
    }
    if field32(8) != 0 || field32(12) != u32::from(SIGNIFICANT_DIGITS) || field64(16) != 1 {
        return Err(corrupt("histogram of another shape"));
    }
    if !(2..=2 * MAX_TRACKABLE_US).contains(&field64(24)) || f64::from_bits(field64(32)) != 1.0 {
        return Err(corrupt("histogram of another shape"));
    }
    let mut rest = &bytes[V2_HEADER_BYTES..];
    while !rest.is_empty() {
        let (value, used) = read_varint(rest).ok_or(corrupt("histogram counts cut short"))?;
        if value == u64::MAX {
            return Err(corrupt("impossible histogram count"));
        }
        rest = &rest[used..];
    }
    Ok(())
}

/// hdrhistogram's varint: seven bits a byte for eight bytes, then a ninth
/// byte of eight bits.
fn read_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, byte) in bytes.iter().enumerate().take(9) {
        if i == 8 {
            return Some((value | u64::from(*byte) << 56, 9));
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// The sums of a probe's checks over an hour or a day.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rollup {
    /// Checks.
    pub count: u64,
    /// Failed checks (down).
    pub failures: u64,
    /// Degraded checks (they count as up).
    pub degraded: u64,
    /// Latencies of the successful checks (up and degraded), µs.
    pub latency: Sketch,
    /// Metrics probes: (errors, requests) summed over the checks that had
    /// traffic figures; `None` when none had.
    pub err_requests: Option<(u64, u64)>,
}

impl Rollup {
    /// The rollup of these checks.
    pub fn of<'a>(records: impl IntoIterator<Item = &'a CheckRecord>) -> Rollup {
        let mut rollup = Rollup::default();
        for record in records {
            rollup.add(record);
        }
        rollup
    }

    /// Counts one more check.
    pub fn add(&mut self, record: &CheckRecord) {
        self.count += 1;
        match record.outcome {
            Outcome::Down(_) => self.failures += 1,
            Outcome::Degraded(_) => {
                self.degraded += 1;
                self.latency.record(u64::from(record.duration_us));
            }
            Outcome::Up => self.latency.record(u64::from(record.duration_us)),
        }
        if let Some(traffic) = record.traffic {
            let (errors, requests) = self.err_requests.unwrap_or_default();
            self.err_requests = Some((
                errors.saturating_add(u64::from(traffic.errors)),
                requests.saturating_add(u64::from(traffic.requests)),
            ));
        }
    }

    /// Adds another rollup (the next hour, another replica's share).
    pub fn merge(&mut self, other: &Rollup) {
        self.count = self.count.saturating_add(other.count);
        self.failures = self.failures.saturating_add(other.failures);
        self.degraded = self.degraded.saturating_add(other.degraded);
        self.latency.merge(&other.latency);
        self.err_requests = match (self.err_requests, other.err_requests) {
            (Some((e1, r1)), Some((e2, r2))) => Some((e1.saturating_add(e2), r1.saturating_add(r2))),
            (mine, theirs) => mine.or(theirs),
        };
    }

    /// The share of checks that succeeded (up or degraded), 0 to 1; `None`
    /// without checks.
    pub fn uptime(&self) -> Option<f64> {
        (self.count > 0).then(|| (self.count - self.failures.min(self.count)) as f64 / self.count as f64)
    }

    /// Errors per request over the period (metrics probes), 0 to 1; `None`
    /// without traffic figures or requests.
    pub fn error_rate(&self) -> Option<f64> {
        match self.err_requests {
            Some((errors, requests)) if requests > 0 => Some((errors as f64 / requests as f64).min(1.0)),
            _ => None,
        }
    }

    /// The latency (µs) at quantile `q` (see [`Sketch::percentile`]).
    pub fn percentile(&self, q: f64) -> Option<u64> {
        self.latency.percentile(q)
    }

    /// The packed form: a version byte, the counts as varints, a flag and
    /// the traffic figures, then the sketch in its plain V2 form (a day's
    /// hours are compressed together, see [`super::archive`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = vec![1];
        for number in [self.count, self.failures, self.degraded] {
            write_leb128(&mut bytes, number);
        }
        match self.err_requests {
            None => bytes.push(0),
            Some((errors, requests)) => {
                bytes.push(1);
                write_leb128(&mut bytes, errors);
                write_leb128(&mut bytes, requests);
            }
        }
        bytes.extend(self.latency.to_plain_bytes());
        bytes
    }

    /// Reads the packed form (with either form of sketch), checking that
    /// its figures agree.
    pub fn from_bytes(bytes: &[u8]) -> Result<Rollup, CorruptRollup> {
        let (&version, mut rest) = bytes.split_first().ok_or(corrupt("rollup cut short"))?;
        if version != 1 {
            return Err(corrupt("unknown rollup version"));
        }
        let mut next = || -> Result<u64, CorruptRollup> {
            let (value, used) = read_leb128(rest).ok_or(corrupt("rollup cut short"))?;
            rest = &rest[used..];
            Ok(value)
        };
        let (count, failures, degraded) = (next()?, next()?, next()?);
        let (&flag, tail) = rest.split_first().ok_or(corrupt("rollup cut short"))?;
        rest = tail;
        let err_requests = match flag {
            0 => None,
            1 => {
                let mut next = || -> Result<u64, CorruptRollup> {
                    let (value, used) = read_leb128(rest).ok_or(corrupt("rollup cut short"))?;
                    rest = &rest[used..];
                    Ok(value)
                };
                Some((next()?, next()?))
            }
            _ => return Err(corrupt("bad traffic flag")),
        };
        let latency = Sketch::from_bytes(rest)?;
        let successes = count.checked_sub(failures).ok_or(corrupt("more failures than checks"))?;
        if degraded > successes || latency.len() != successes {
            return Err(corrupt("figures do not agree"));
        }
        Ok(Rollup { count, failures, degraded, latency, err_requests })
    }
}

pub(super) fn write_leb128(bytes: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        bytes.push((value as u8) | 0x80);
        value >>= 7;
    }
    bytes.push(value as u8);
}

pub(super) fn read_leb128(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, byte) in bytes.iter().enumerate().take(10) {
        let bits = u64::from(byte & 0x7f);
        if i == 9 && bits > 1 {
            return None;
        }
        value |= bits << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::blocks::{CheckRecord, Traffic};
    use super::super::fixtures::Rng;
    use super::super::status::{ErrorClass, Warning};
    use super::*;

    /// Draws one latency (µs).
    type Draw = Box<dyn Fn(&mut Rng) -> u64>;

    /// Latencies in µs: uniform, log-normal, bimodal (cache hits and
    /// misses), a tight cluster, and tiny values.
    fn distributions() -> Vec<(&'static str, Draw)> {
        vec![
            ("uniform", Box::new(|r: &mut Rng| 1_000 + (r.unit() * 99_000.0) as u64)),
            ("log-normal", Box::new(|r: &mut Rng| (50_000.0 * (0.6 * r.normal()).exp()) as u64)),
            (
                "bimodal",
                Box::new(|r: &mut Rng| {
                    if r.unit() < 0.8 {
                        (2_000.0 * (0.1 * r.normal()).exp()) as u64
                    } else {
                        (400_000.0 * (0.2 * r.normal()).exp()) as u64
                    }
                }),
            ),
            ("tight", Box::new(|r: &mut Rng| 7_000 + r.next() % 50)),
            ("tiny", Box::new(|r: &mut Rng| r.next() % 20)),
        ]
    }

    fn exact(sorted: &[u64], q: f64) -> u64 {
        let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
        sorted[rank - 1]
    }

    #[test]
    fn percentiles_are_within_one_percent() {
        for (name, draw) in distributions() {
            for n in [1usize, 3, 180, 4320] {
                let mut rng = Rng(n as u64);
                let values: Vec<u64> = (0..n).map(|_| draw(&mut rng)).collect();
                let mut sketch = Sketch::new();
                values.iter().for_each(|v| sketch.record(*v));
                let mut sorted = values.clone();
                sorted.sort_unstable();
                for q in [0.0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0] {
                    let want = exact(&sorted, q);
                    let got = sketch.percentile(q).unwrap();
                    let error = got.abs_diff(want) as f64;
                    assert!(error <= want as f64 * 0.01 + 1.0, "{name} n={n} q={q}: got {got}, exact {want}");
                    if q > 0.0 {
                        assert!(got >= want, "{name} n={n} q={q}: {got} below {want}");
                    }
                }
            }
        }
    }

    #[test]
    fn empty_sketches_and_odd_quantiles() {
        let mut sketch = Sketch::new();
        assert_eq!(sketch.percentile(0.5), None);
        assert!(sketch.is_empty());
        sketch.record(1000);
        sketch.record(u64::MAX);
        assert_eq!(sketch.len(), 2);
        assert_eq!(sketch.percentile(f64::NAN), None);
        assert_eq!(sketch.percentile(-1.0), sketch.percentile(0.0));
        assert_eq!(sketch.percentile(2.0), sketch.percentile(1.0));
        let top = sketch.percentile(1.0).unwrap();
        assert!((MAX_TRACKABLE_US..=MAX_TRACKABLE_US / 100 * 101).contains(&top), "{top}");
    }

    fn record(i: u64, duration_us: u32, outcome: Outcome, traffic: Option<Traffic>) -> CheckRecord {
        CheckRecord { at_ms: i as i64 * 20_000, duration_us, outcome, status_code: Some(200), traffic }
    }

    fn random_records(seed: u64, n: usize) -> Vec<CheckRecord> {
        let mut rng = Rng(seed);
        (0..n as u64)
            .map(|i| {
                let outcome = match rng.next() % 10 {
                    0 => Outcome::Down(ErrorClass::Timeout),
                    1 => Outcome::Degraded(Warning::Slow),
                    _ => Outcome::Up,
                };
                let traffic = (!rng.next().is_multiple_of(3))
                    .then(|| Traffic { requests: (rng.next() % 1000) as u32, errors: (rng.next() % 10) as u32 });
                record(i, (20_000.0 * (0.5 * rng.normal()).exp()) as u32, outcome, traffic)
            })
            .collect()
    }

    #[test]
    fn rollups_count_checks() {
        let records = vec![
            record(0, 10_000, Outcome::Up, None),
            record(1, 20_000, Outcome::Degraded(Warning::Slow), None),
            record(2, 30_000, Outcome::Down(ErrorClass::Dns), None),
            record(3, 40_000, Outcome::Up, Some(Traffic { requests: 100, errors: 5 })),
        ];
        let rollup = Rollup::of(&records);
        assert_eq!((rollup.count, rollup.failures, rollup.degraded), (4, 1, 1));
        assert_eq!(rollup.latency.len(), 3, "failures have no latency");
        assert_eq!(rollup.uptime(), Some(0.75));
        assert_eq!(rollup.err_requests, Some((5, 100)));
        assert_eq!(rollup.error_rate(), Some(0.05));
        let p100 = rollup.percentile(1.0).unwrap();
        assert!((40_000..=40_400).contains(&p100), "{p100}");
        assert_eq!(Rollup::default().uptime(), None);
        assert_eq!(Rollup::default().error_rate(), None);
        assert_eq!(Rollup::default().percentile(0.5), None);
    }

    #[test]
    fn merging_equals_the_rollup_of_the_union() {
        for seed in 0..20 {
            let records = random_records(seed, 200 + seed as usize * 37);
            let split = (seed as usize * 53) % records.len();
            let mut merged = Rollup::of(&records[..split]);
            merged.merge(&Rollup::of(&records[split..]));
            let whole = Rollup::of(&records);
            assert_eq!(merged, whole, "seed {seed}");
            // In the other order too, and through storage.
            let mut other_way = Rollup::of(&records[split..]);
            other_way.merge(&Rollup::from_bytes(&Rollup::of(&records[..split]).to_bytes()).unwrap());
            assert_eq!(other_way, whole, "seed {seed}, reversed");
        }
        let mut none = Rollup::of(&[record(0, 5, Outcome::Up, None)]);
        none.merge(&Rollup::default());
        assert_eq!(none.err_requests, None);
    }

    #[test]
    fn rollups_round_trip_through_bytes() {
        for (seed, n) in [(1, 0), (2, 1), (3, 180), (4, 4320)] {
            let rollup = Rollup::of(&random_records(seed, n));
            let bytes = rollup.to_bytes();
            assert_eq!(Rollup::from_bytes(&bytes).unwrap(), rollup, "{n} checks");
            let sketch_bytes = rollup.latency.to_bytes();
            assert_eq!(Sketch::from_bytes(&sketch_bytes).unwrap(), rollup.latency);
        }
        // A read sketch keeps growing past its stored range.
        let mut read = Sketch::from_bytes(&Rollup::of(&random_records(9, 10)).latency.to_bytes()).unwrap();
        read.record(50_000_000);
        assert_eq!(read.len(), 10 - Rollup::of(&random_records(9, 10)).failures + 1);
    }

    #[test]
    fn sketch_sizes() {
        // Reported, and bounded so a change of format is noticed.
        // Log-normal latencies around 50 ms, narrow (σ 0.3) and wide (σ 1).
        let size = |sigma: f64, n: usize| {
            let mut rng = Rng(11);
            let mut sketch = Sketch::new();
            (0..n).for_each(|_| sketch.record((50_000.0 * (sigma * rng.normal()).exp()) as u64));
            let mut plain = Vec::new();
            V2Serializer::new().serialize(&sketch.histogram, &mut plain).unwrap();
            (n, plain.len(), sketch.to_bytes().len())
        };
        for sigma in [0.3, 1.0] {
            let sizes: Vec<_> = [3, 180, 4320].into_iter().map(|n| size(sigma, n)).collect();
            println!("sketch sizes, σ {sigma} (checks, V2 bytes, stored bytes): {sizes:?}");
        }
        for (n, limit) in [(3, 60), (180, 200), (4320, 400)] {
            let (_, _, stored) = size(0.3, n);
            assert!(stored <= limit, "{n} checks take {stored} bytes");
        }
    }

    #[test]
    fn damaged_bytes_are_reported_not_panicked_on() {
        let rollup = Rollup::of(&random_records(5, 500));
        let bytes = rollup.to_bytes();
        for len in 0..bytes.len() {
            assert!(Rollup::from_bytes(&bytes[..len]).is_err(), "cut to {len}");
        }
        assert_eq!(Rollup::from_bytes(&[2, 0, 0, 0, 0]), Err(corrupt("unknown rollup version")));
        let mut bad_counts = Rollup::of(&random_records(6, 10));
        bad_counts.failures = bad_counts.count + 1;
        assert_eq!(Rollup::from_bytes(&bad_counts.to_bytes()), Err(corrupt("more failures than checks")));
        let mut bad_degraded = Rollup::of(&random_records(6, 10));
        bad_degraded.degraded = bad_degraded.count + 1;
        assert_eq!(Rollup::from_bytes(&bad_degraded.to_bytes()), Err(corrupt("figures do not agree")));

        // A plain V2 histogram claiming a huge payload, another precision,
        // a huge range, or the count whose negation overflows.
        let mut sketch = Sketch::new();
        sketch.record(100);
        let mut plain = Vec::new();
        V2Serializer::new().serialize(&sketch.histogram, &mut plain).unwrap();
        assert!(Sketch::from_bytes(&plain).is_ok());
        let patched = |at: usize, value: &[u8]| {
            let mut copy = plain.clone();
            copy[at..at + value.len()].copy_from_slice(value);
            Sketch::from_bytes(&copy)
        };
        assert!(patched(4, &u32::MAX.to_be_bytes()).is_err());
        assert!(patched(12, &5u32.to_be_bytes()).is_err());
        assert!(patched(24, &u64::MAX.to_be_bytes()).is_err());
        let mut overflow = plain[..V2_HEADER_BYTES].to_vec();
        overflow.extend([0xff; 9]);
        overflow[4..8].copy_from_slice(&9u32.to_be_bytes());
        assert_eq!(Sketch::from_bytes(&overflow).unwrap_err(), corrupt("impossible histogram count"));
        // A compressed one that inflates to too much.
        let mut bomb = V2_DEFLATE_COOKIE.to_be_bytes().to_vec();
        let zeros = vec![0u8; 1 << 20];
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut encoder, &zeros).unwrap();
        let compressed = encoder.finish().unwrap();
        bomb.extend((compressed.len() as u32).to_be_bytes());
        bomb.extend(compressed);
        assert_eq!(Sketch::from_bytes(&bomb).unwrap_err(), corrupt("histogram too large"));

        // Random bytes after a valid prefix, and random bytes alone.
        let mut rng = Rng(17);
        for round in 0..3000 {
            let mut data = if round % 2 == 0 { bytes[..(rng.next() as usize % bytes.len())].to_vec() } else { vec![1] };
            let extra = rng.next() as usize % 80;
            data.extend((0..extra).map(|_| rng.next() as u8));
            let _ = Rollup::from_bytes(&data);
            let _ = Sketch::from_bytes(&data);
            let mut header = plain.clone();
            header.truncate(V2_HEADER_BYTES);
            let payload: Vec<u8> = (0..extra).map(|_| rng.next() as u8).collect();
            header[4..8].copy_from_slice(&(payload.len() as u32).to_be_bytes());
            header.extend(payload);
            let _ = Sketch::from_bytes(&header);
        }
    }

    #[test]
    fn varints() {
        for value in [0, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut bytes = Vec::new();
            write_leb128(&mut bytes, value);
            assert_eq!(read_leb128(&bytes), Some((value, bytes.len())));
        }
        assert_eq!(read_leb128(&[0x80]), None);
        assert_eq!(read_leb128(&[0xff; 10]), None);
        assert_eq!(read_varint(&[0x05]), Some((5, 1)));
        assert_eq!(read_varint(&[0xff; 9]), Some((u64::MAX, 9)));
        assert_eq!(read_varint(&[0x80, 0x80]), None);
    }
}
