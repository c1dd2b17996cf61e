//! Rolling raw checks up: hourly rows from each finished hour's blocks,
//! daily rows from a finished day's hours, and each probe's uptime windows
//! (checks and failures over 24 h, 7, 30 and 365 days) stored on its row,
//! so pages read figures instead of results.
//!
//! [`roll`] runs once a minute in the engine of every replica. Progress is
//! one mark per span (`probe_rollup_marks`): an hour is rolled once it is
//! [`GRACE_MS`] old (checks still in flight land in it meanwhile), a day
//! once its last hour is. A replica advances a mark only from the value it
//! read, and rows are inserted `ON CONFLICT DO NOTHING`, so replicas racing
//! on the same hour write it once. Work is done in chunks of
//! [`CHUNK`] probes, each its own statement, so no write holds the database
//! for long.
//!
//! Uptime read by pages is the stored windows plus the raw checks since
//! `windows_until` ([`uptime`]): exact to the last check, and never more
//! than one hour of raw blocks per probe in the normal case.
//!
//! Hourly rows are summed in SQL for the 24-hour and 7-day windows only.
//! Once their day is older than that ([`HOURS_RECENT_MS`]), a day's hours
//! are packed into one archive row per probe (`probe_hour_archive`, see
//! [`crate::domain::probes::archive`]), which the 30-day chart reads: a
//! year of hours takes a third of the room 24 rows a day took.

use std::collections::{BTreeMap, HashMap};

use sqlx::{AnyConnection, Connection};

use super::Db;
use crate::domain::probes::alerts::Maintenance;
use crate::domain::probes::archive;
use crate::domain::probes::blocks::{block_start, decode, BLOCK_MS};
use crate::domain::probes::chart::{Bucket, ChartWindow, Series};
use crate::domain::probes::rollup::{Rollup, Sketch};
use crate::domain::probes::summary::{ProbeSummary, Tally, Uptime, UPTIME_WINDOWS_MS};

const HOUR_MS: i64 = BLOCK_MS;
const DAY_MS: i64 = 24 * HOUR_MS;
/// How long after its end an hour is rolled up: a check that started in it
/// may still be running or waiting for the engine's next write.
pub const GRACE_MS: i64 = 5 * 60_000;
/// Hourly rollups are kept this long (as rows, then archived); daily ones
/// for good.
pub const HOURS_KEPT_MS: i64 = 400 * DAY_MS;
/// Hourly rows are archived once their day ended this long before the hour
/// mark: the 7-day window summed from them, and a day more, so a replica
/// refreshing windows at a slightly older mark still finds its hours.
pub const HOURS_RECENT_MS: i64 = 8 * DAY_MS;
/// Probes per statement.
const CHUNK: i64 = 500;
/// Rows per INSERT. sqlx looks each SQLite parameter up by name, which costs
/// time linear in the statement's parameters, so a statement's binding
/// grows with the square of its rows: 64 rows (576 parameters) saves most
/// round trips and spends little on that.
const INSERT_ROWS: usize = 64;
/// Hours rolled per call at most, so one call stays short after a long
/// stop (the next minute's call goes on).
const HOURS_PER_CALL: usize = 48;
/// Days archived per call at most (after an upgrade, a year of hourly rows
/// is archived a week a minute).
const DAYS_PER_CALL: u32 = 7;

/// What one [`roll`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rolled {
    /// Hours rolled up.
    pub hours: u32,
    /// Days rolled up.
    pub days: u32,
    /// Days whose hourly rows were archived.
    pub archived: u32,
    /// Archived days deleted after the hours' keeping.
    pub pruned: u64,
}

/// Rolls up every hour and day that has finished by `now`, refreshes the
/// stored uptime windows when anything was rolled, archives hourly rows
/// past [`HOURS_RECENT_MS`], and deletes archived hours past their keeping.
pub async fn roll(db: &Db, now: i64) -> Result<Rolled, sqlx::Error> {
    let mut rolled = Rolled::default();
    let mut conn = db.pool().acquire().await?;
    for _ in 0..HOURS_PER_CALL {
        match roll_hour(&mut conn, now).await? {
            Some(_) => rolled.hours += 1,
            None => break,
        }
    }
    while roll_day(&mut conn).await?.is_some() {
        rolled.days += 1;
    }
    if rolled.hours > 0 || rolled.days > 0 {
        if let Some(until) = mark(&mut conn, "hour").await? {
            refresh_windows(&mut conn, until).await?;
        }
    }
    rolled.archived = archive_hours(&mut conn).await?;
    rolled.pruned = prune_archive(&mut conn, now - HOURS_KEPT_MS).await?;
    Ok(rolled)
}

/// Probe ids in ranges of [`CHUNK`], `(after, up_to]`, covering every probe
/// there is: the unit of work of each statement over all probes.
async fn probe_id_ranges(conn: &mut AnyConnection) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM probes").fetch_one(conn).await?;
    Ok((0..last).step_by(CHUNK as usize).map(|after| (after, after + CHUNK)).collect())
}

/// Deletes archived days whose hours all started before `before`,
/// [`CHUNK`] probes per statement. Rows are found through the key, one
/// seek per probe (there is no index by time), so a call that finds
/// nothing to delete costs a few milliseconds at thousands of probes.
async fn prune_archive(conn: &mut AnyConnection, before: i64) -> Result<u64, sqlx::Error> {
    let mut pruned = 0;
    for (after, up_to) in probe_id_ranges(conn).await? {
        pruned += sqlx::query(
            "DELETE FROM probe_hour_archive WHERE day_at <= $1
               AND probe_id IN (SELECT id FROM probes WHERE id > $2 AND id <= $3)",
        )
        .bind(before - DAY_MS)
        .bind(after)
        .bind(up_to)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(pruned)
}

/// How far `span` is rolled up, if it has started.
async fn mark(conn: &mut AnyConnection, span: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT done_until FROM probe_rollup_marks WHERE span = $1")
        .bind(span)
        .fetch_optional(conn)
        .await
}

/// Moves `span`'s mark from `from` to `to`; false when another replica
/// moved it first.
async fn advance(conn: &mut AnyConnection, span: &str, from: Option<i64>, to: i64) -> Result<bool, sqlx::Error> {
    let done = match from {
        Some(from) => {
            sqlx::query("UPDATE probe_rollup_marks SET done_until = $1 WHERE span = $2 AND done_until = $3")
                .bind(to)
                .bind(span)
                .bind(from)
                .execute(conn)
                .await?
        }
        None => {
            sqlx::query(
                "INSERT INTO probe_rollup_marks (span, done_until) VALUES ($1, $2) ON CONFLICT (span) DO NOTHING",
            )
            .bind(span)
            .bind(to)
            .execute(conn)
            .await?
        }
    };
    Ok(done.rows_affected() > 0)
}

/// Rolls up the next finished hour that has checks; returns its start, or
/// `None` when none is due.
async fn roll_hour(conn: &mut AnyConnection, now: i64) -> Result<Option<i64>, sqlx::Error> {
    let done = mark(conn, "hour").await?;
    // The first hour with checks at or after the mark: hours without any
    // are skipped in one step, however long the server was stopped.
    let next: Option<i64> = sqlx::query_scalar("SELECT MIN(start_at) FROM probe_blocks WHERE start_at >= $1")
        .bind(done.unwrap_or(i64::MIN))
        .fetch_one(&mut *conn)
        .await?;
    let Some(hour) = next else { return Ok(None) };
    if hour + HOUR_MS + GRACE_MS > now {
        return Ok(None);
    }
    let mut after = i64::MIN;
    loop {
        let blocks: Vec<(i64, Vec<u8>)> = sqlx::query_as(&format!(
            "SELECT probe_id, data FROM probe_blocks WHERE start_at = $1 AND probe_id > $2 ORDER BY probe_id LIMIT {CHUNK}"
        ))
        .bind(hour)
        .bind(after)
        .fetch_all(&mut *conn)
        .await?;
        let Some(&(last, _)) = blocks.last() else { break };
        let mut rollups = Vec::with_capacity(blocks.len());
        for (probe_id, data) in &blocks {
            match decode(hour, data) {
                Ok(records) => rollups.push((*probe_id, Rollup::of(&records))),
                Err(e) => tracing::warn!(probe_id, hour, error = %e, "probe rollup: skipping a damaged check block"),
            }
        }
        insert(conn, "hour", hour, &rollups).await?;
        after = last;
    }
    // Any later hour may have checks; the next call looks from here.
    if !advance(conn, "hour", done, hour + HOUR_MS).await? {
        return Ok(None);
    }
    if mark(conn, "day").await?.is_none() {
        advance(conn, "day", None, hour - hour.rem_euclid(DAY_MS)).await?;
    }
    Ok(Some(hour))
}

/// Rolls up the next day whose hours are all rolled up; returns its start.
async fn roll_day(conn: &mut AnyConnection) -> Result<Option<i64>, sqlx::Error> {
    let (Some(day), Some(hours_done)) = (mark(conn, "day").await?, mark(conn, "hour").await?) else {
        return Ok(None);
    };
    if day + DAY_MS > hours_done {
        return Ok(None);
    }
    for (after, up_to) in probe_id_ranges(conn).await? {
        let days: Vec<(i64, Rollup)> = hours_of_day(conn, day, (after, up_to))
            .await?
            .into_iter()
            .filter_map(|(probe_id, hours)| {
                let day = hours.into_iter().map(|(_, rollup)| rollup).reduce(|mut sum, rollup| {
                    sum.merge(&rollup);
                    sum
                })?;
                Some((probe_id, day))
            })
            .collect();
        insert(conn, "day", day, &days).await?;
    }
    Ok(advance(conn, "day", Some(day), day + DAY_MS).await?.then_some(day))
}

/// The hourly rollups of the day starting at `day`, of the probes whose
/// ids are in `(after, up_to]`: per probe, its hours as (start, rollup) in
/// order (damaged rows left out).
async fn hours_of_day(
    conn: &mut AnyConnection,
    day: i64,
    (after, up_to): (i64, i64),
) -> Result<Vec<(i64, Vec<(i64, Rollup)>)>, sqlx::Error> {
    let rows: Vec<RollupRow> = sqlx::query_as(
        "SELECT probe_id, start_at, checks, failures, degraded, requests, errors, latency FROM probe_rollups
         WHERE span = 'hour' AND start_at >= $1 AND start_at < $2
           AND probe_id IN (SELECT id FROM probes WHERE id > $3 AND id <= $4)
         ORDER BY probe_id, start_at",
    )
    .bind(day)
    .bind(day + DAY_MS)
    .bind(after)
    .bind(up_to)
    .fetch_all(conn)
    .await?;
    let mut probes: Vec<(i64, Vec<(i64, Rollup)>)> = Vec::new();
    for row in rows {
        let (probe_id, start) = (row.probe_id, row.start_at);
        let Some(rollup) = row.into_rollup() else { continue };
        match probes.last_mut() {
            Some((id, hours)) if *id == probe_id => hours.push((start, rollup)),
            _ => probes.push((probe_id, vec![(start, rollup)])),
        }
    }
    Ok(probes)
}

/// Archives the hourly rows of each day that ended [`HOURS_RECENT_MS`]
/// before the hour mark and is rolled into its daily rows: per [`CHUNK`]
/// probes, the day's rows are packed into one archive row per probe and
/// deleted, in one transaction. Returns the days archived.
///
/// Archive rows are written once (`ON CONFLICT DO NOTHING`) and the mark
/// moves only from the value read, so replicas racing on a day archive it
/// once; one that reads a chunk after another deleted it finds no rows.
async fn archive_hours(conn: &mut AnyConnection) -> Result<u32, sqlx::Error> {
    let (Some(hours_done), Some(days_done)) = (mark(conn, "hour").await?, mark(conn, "day").await?) else {
        return Ok(0);
    };
    let limit = days_done.min(hours_done - HOURS_RECENT_MS);
    let mut done = match mark(conn, "archive").await? {
        Some(done) => done,
        None => {
            // The first time (a new instance, or one whose hourly rows
            // predate archiving): from the first hourly row's day. A scan,
            // once.
            let first: Option<i64> = sqlx::query_scalar("SELECT MIN(start_at) FROM probe_rollups WHERE span = 'hour'")
                .fetch_one(&mut *conn)
                .await?;
            let from = first.map_or(days_done, |first| first - first.rem_euclid(DAY_MS)).min(days_done);
            if !advance(conn, "archive", None, from).await? {
                return Ok(0);
            }
            from
        }
    };
    let mut days = 0;
    while done + DAY_MS <= limit && days < DAYS_PER_CALL {
        for (after, up_to) in probe_id_ranges(conn).await? {
            let probes = hours_of_day(conn, done, (after, up_to)).await?;
            if probes.is_empty() {
                continue;
            }
            let packed: Vec<(i64, Vec<u8>)> =
                probes.iter().map(|(probe_id, hours)| (*probe_id, archive::pack(done, hours))).collect();
            let mut tx = conn.begin().await?;
            for chunk in packed.chunks(INSERT_ROWS) {
                let sql = format!(
                    "INSERT INTO probe_hour_archive (probe_id, day_at, data) VALUES {}
                     ON CONFLICT (probe_id, day_at) DO NOTHING",
                    placeholders(chunk.len(), 3)
                );
                let mut query = sqlx::query(&sql);
                for (probe_id, data) in chunk {
                    query = query.bind(*probe_id).bind(done).bind(data.as_slice());
                }
                query.execute(&mut *tx).await?;
            }
            sqlx::query(
                "DELETE FROM probe_rollups WHERE span = 'hour' AND start_at >= $1 AND start_at < $2
                   AND probe_id IN (SELECT id FROM probes WHERE id > $3 AND id <= $4)",
            )
            .bind(done)
            .bind(done + DAY_MS)
            .bind(after)
            .bind(up_to)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        if !advance(conn, "archive", Some(done), done + DAY_MS).await? {
            break;
        }
        done += DAY_MS;
        days += 1;
    }
    Ok(days)
}

/// A stored rollup row.
#[derive(sqlx::FromRow)]
struct RollupRow {
    probe_id: i64,
    start_at: i64,
    checks: i64,
    failures: i64,
    degraded: i64,
    requests: Option<i64>,
    errors: Option<i64>,
    latency: Vec<u8>,
}

impl RollupRow {
    /// The rollup, or `None` (with a warning) when its sketch is damaged.
    fn into_rollup(self) -> Option<Rollup> {
        let latency = match Sketch::from_bytes(&self.latency) {
            Ok(sketch) => sketch,
            Err(e) => {
                tracing::warn!(probe_id = self.probe_id, error = %e, "probe rollup: skipping a damaged rollup");
                return None;
            }
        };
        let count = |n: i64| n.max(0) as u64;
        Some(Rollup {
            count: count(self.checks),
            failures: count(self.failures),
            degraded: count(self.degraded),
            latency,
            err_requests: self.errors.zip(self.requests).map(|(e, r)| (count(e), count(r))),
        })
    }
}

/// Inserts `rollups` of `span` starting at `start`, [`INSERT_ROWS`] rows
/// per statement.
async fn insert(
    conn: &mut AnyConnection,
    span: &str,
    start: i64,
    rollups: &[(i64, Rollup)],
) -> Result<(), sqlx::Error> {
    // Counts beyond i64 cannot happen; saturate rather than wrap.
    let n = |count: u64| i64::try_from(count).unwrap_or(i64::MAX);
    for chunk in rollups.chunks(INSERT_ROWS) {
        let sql = format!(
            "INSERT INTO probe_rollups (probe_id, span, start_at, checks, failures, degraded, requests, errors, latency)
             VALUES {} ON CONFLICT (probe_id, span, start_at) DO NOTHING",
            placeholders(chunk.len(), 9)
        );
        let mut query = sqlx::query(&sql);
        for (probe_id, rollup) in chunk {
            let (errors, requests) = rollup.err_requests.unzip();
            query = query
                .bind(*probe_id)
                .bind(span)
                .bind(start)
                .bind(n(rollup.count))
                .bind(n(rollup.failures))
                .bind(n(rollup.degraded))
                .bind(requests.map(n))
                .bind(errors.map(n))
                .bind(rollup.latency.to_bytes());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The VALUES of a multi-row INSERT: `rows` tuples of `columns`
/// parameters, numbered in order: `($1, $2), ($3, $4)`.
fn placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| {
            let params: Vec<String> = (1..=columns).map(|k| format!("${}", row * columns + k)).collect();
            format!("({})", params.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Stores every live probe's windows as of `until` (the hour mark): 24 h
/// and 7 d from hourly rows, 30 d and 365 d from daily rows plus the hours
/// of `until`'s day.
async fn refresh_windows(conn: &mut AnyConnection, until: i64) -> Result<(), sqlx::Error> {
    let today = until - until.rem_euclid(DAY_MS);
    let hours = |column: &str, from: &str| {
        format!(
            "(SELECT COALESCE(SUM({column}), 0) FROM probe_rollups r
              WHERE r.probe_id = probes.id AND r.span = 'hour' AND r.start_at >= {from} AND r.start_at < $1)"
        )
    };
    let days = |column: &str, from: &str| {
        format!(
            "(SELECT COALESCE(SUM({column}), 0) FROM probe_rollups r
              WHERE r.probe_id = probes.id AND r.span = 'day' AND r.start_at >= {from} AND r.start_at < $2)
             + {}",
            hours(column, "$2")
        )
    };
    let [day, week, month, year] = UPTIME_WINDOWS_MS;
    let (d, w) = (format!("$1 - {day}"), format!("$1 - {week}"));
    let (m, y) = (format!("$2 - {}", month - DAY_MS), format!("$2 - {}", year - DAY_MS));
    let sql = format!(
        "UPDATE probes SET windows_until = $1,
                checks_24h = {}, failures_24h = {}, checks_7d = {}, failures_7d = {},
                checks_30d = {}, failures_30d = {}, checks_365d = {}, failures_365d = {}
         WHERE id > $3 AND id <= $4 AND deleted_at IS NULL",
        hours("checks", &d),
        hours("failures", &d),
        hours("checks", &w),
        hours("failures", &w),
        days("checks", &m),
        days("failures", &m),
        days("checks", &y),
        days("failures", &y),
    );
    for (after, up_to) in probe_id_ranges(conn).await? {
        sqlx::query(&sql).bind(until).bind(today).bind(after).bind(up_to).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Fills each of `probes`' uptime windows (see [`uptime`]) at `now`, in
/// one read for all of them: what every page listing probes does.
pub async fn fill_uptime(db: &Db, probes: Vec<&mut ProbeSummary>, now: i64) -> Result<(), sqlx::Error> {
    let ids: Vec<i64> = probes.iter().map(|p| p.id).collect();
    let mut windows = uptime(db, &ids, now).await?;
    for probe in probes {
        probe.uptime = windows.remove(&probe.id).unwrap_or_default();
    }
    Ok(())
}

/// Uptime of probes `ids` at `now`: the stored windows plus the raw checks
/// since they were stored (two statements).
pub async fn uptime(db: &Db, ids: &[i64], now: i64) -> Result<HashMap<i64, Uptime>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    // Ids are the caller's own integers, never text from a request.
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    type Stored = (i64, Option<i64>, i64, i64, i64, i64, i64, i64, i64, i64);
    let stored: Vec<Stored> = sqlx::query_as(&format!(
        "SELECT id, windows_until, checks_24h, failures_24h, checks_7d, failures_7d, checks_30d, failures_30d,
                checks_365d, failures_365d FROM probes WHERE id IN ({list})"
    ))
    .fetch_all(db.pool())
    .await?;
    let tally = |checks: i64, failures: i64| Tally { checks: checks.max(0) as u64, failures: failures.max(0) as u64 };
    let mut windows: HashMap<i64, (i64, [Tally; 4])> = HashMap::new();
    for (id, until, c1, f1, c7, f7, c30, f30, c365, f365) in stored {
        // Never rolled up yet: everything is in the raw blocks (kept a week).
        let until = until.unwrap_or(i64::MIN);
        windows.insert(id, (until, [tally(c1, f1), tally(c7, f7), tally(c30, f30), tally(c365, f365)]));
    }
    // The raw tail: blocks from each probe's windows_until on, and at
    // most a week back.
    let blocks: Vec<(i64, i64, Vec<u8>)> = sqlx::query_as(&format!(
        "SELECT b.probe_id, b.start_at, b.data FROM probe_blocks b JOIN probes p ON p.id = b.probe_id
         WHERE b.probe_id IN ({list}) AND b.start_at >= $1
           AND (p.windows_until IS NULL OR b.start_at >= p.windows_until)"
    ))
    .bind(block_start(now - UPTIME_WINDOWS_MS[1]))
    .fetch_all(db.pool())
    .await?;
    for (probe_id, start, data) in blocks {
        let Some((until, tallies)) = windows.get_mut(&probe_id) else { continue };
        let Ok(records) = decode(start, &data) else { continue };
        for record in records.iter().filter(|r| r.at_ms >= *until && r.at_ms <= now) {
            let failed = u64::from(!record.outcome.is_success());
            for (tally, span) in tallies.iter_mut().zip(UPTIME_WINDOWS_MS) {
                if record.at_ms >= now - span {
                    tally.add(Tally { checks: 1, failures: failed });
                }
            }
        }
    }
    Ok(windows.into_iter().map(|(id, (_, tallies))| (id, Uptime::from_tallies(tallies))).collect())
}

/// Probe `probe_id`'s charts over `window` at `now`: each bucket from the
/// coarsest stored figures that cover it (daily rows, then archived hours
/// and hourly rows up to their marks) and the raw checks after them.
pub async fn series(db: &Db, probe_id: i64, window: ChartWindow, now: i64) -> Result<Series, sqlx::Error> {
    let from = window.from(now);
    let mut conn = db.pool().acquire().await?;
    let hours_done = mark(&mut conn, "hour").await?.unwrap_or(i64::MIN);
    let days_done = mark(&mut conn, "day").await?.unwrap_or(i64::MIN);
    let archive_done = mark(&mut conn, "archive").await?.unwrap_or(i64::MIN);
    let mut sums: BTreeMap<i64, Rollup> = BTreeMap::new();
    let mut raw_from = from;
    let stored = |rollups: Vec<(i64, Rollup)>, sums: &mut BTreeMap<i64, Rollup>| {
        for (start, rollup) in rollups {
            sums.entry(window.bucket_of(start)).or_default().merge(&rollup);
        }
    };
    if matches!(window, ChartWindow::Year) {
        let until = days_done.max(from);
        stored(stored_rollups(&mut conn, probe_id, "day", from, until).await?, &mut sums);
        raw_from = until;
    }
    if !matches!(window, ChartWindow::Hour | ChartWindow::Day) {
        let until = archive_done.max(raw_from);
        if until > raw_from {
            stored(archived_hours(&mut conn, probe_id, raw_from, until).await?, &mut sums);
        }
        raw_from = until;
        let until = hours_done.max(raw_from);
        stored(stored_rollups(&mut conn, probe_id, "hour", raw_from, until).await?, &mut sums);
        raw_from = until;
    }
    drop(conn);
    for record in super::probe_runs::checks(db, probe_id, raw_from, now + 1).await? {
        sums.entry(window.bucket_of(record.at_ms)).or_default().add(&record);
    }
    // A metrics probe charts its service's errors ÷ requests; others the
    // share of failed checks.
    let traffic = sums.values().any(|r| r.err_requests.is_some());
    let buckets = sums
        .into_iter()
        .filter(|(_, r)| r.count > 0)
        .map(|(start, r)| Bucket {
            start,
            checks: r.count,
            failures: r.failures,
            p50_us: r.percentile(0.5),
            p95_us: r.percentile(0.95),
            error_rate: if traffic { r.error_rate() } else { Some(r.failures as f64 / r.count as f64) },
        })
        .collect();
    // The service's maintenance windows, for shading.
    let mut maintenance = Vec::new();
    for text in sqlx::query_scalar::<_, String>(
        "SELECT m.definition FROM maintenance_windows m JOIN probes p ON p.service_id = m.service_id
         WHERE p.id = $1 AND m.deleted_at IS NULL ORDER BY m.id",
    )
    .bind(probe_id)
    .fetch_all(db.pool())
    .await?
    {
        if let Ok(window) = serde_json::from_str::<Maintenance>(&text) {
            maintenance.extend(window.spans(from, now));
        }
    }
    maintenance.sort_unstable();
    Ok(Series { window, from, to: now, buckets, traffic, maintenance })
}

/// Probe `probe_id`'s archived hours that start in `from..until`.
async fn archived_hours(
    conn: &mut AnyConnection,
    probe_id: i64,
    from: i64,
    until: i64,
) -> Result<Vec<(i64, Rollup)>, sqlx::Error> {
    let days: Vec<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT day_at, data FROM probe_hour_archive
         WHERE probe_id = $1 AND day_at >= $2 AND day_at < $3 ORDER BY day_at",
    )
    .bind(probe_id)
    .bind(from - from.rem_euclid(DAY_MS))
    .bind(until)
    .fetch_all(conn)
    .await?;
    let mut hours = Vec::new();
    for (day, data) in days {
        match archive::unpack(day, &data) {
            Ok(packed) => hours.extend(packed.into_iter().filter(|(start, _)| (from..until).contains(start))),
            Err(e) => tracing::warn!(probe_id, day, error = %e, "probe rollup: skipping a damaged archived day"),
        }
    }
    Ok(hours)
}

/// Probe `probe_id`'s rows of `span` that start in `from..until`, as
/// (start, rollup) in order (damaged rows left out).
async fn stored_rollups(
    conn: &mut AnyConnection,
    probe_id: i64,
    span: &str,
    from: i64,
    until: i64,
) -> Result<Vec<(i64, Rollup)>, sqlx::Error> {
    let rows: Vec<RollupRow> = sqlx::query_as(
        "SELECT probe_id, start_at, checks, failures, degraded, requests, errors, latency FROM probe_rollups
         WHERE probe_id = $1 AND span = $2 AND start_at >= $3 AND start_at < $4 ORDER BY start_at",
    )
    .bind(probe_id)
    .bind(span)
    .bind(from)
    .bind(until)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().filter_map(|row| Some((row.start_at, row.into_rollup()?))).collect())
}
