//! What the probe engine reads and writes: leases on probes, the probes it
//! runs, and batches of results.
//!
//! Leases: every server process (worker) takes a fair share of the live
//! probes (ceil(probes ÷ live workers)), renews its leases on each sync and
//! gives back what is over its share, so a new replica gets work and a dead
//! one's probes move within one lease period. On PostgreSQL claims skip rows
//! another replica is claiming (`FOR UPDATE SKIP LOCKED`); SQLite has one
//! writer anyway.
//!
//! Results: one transaction per batch appends each probe's records to its
//! hourly block (`data || new`; coalesced per block first, since PostgreSQL
//! refuses to update one row twice in a statement) and writes each probe's
//! state, but only over the version the engine loaded (see `probes`).

use std::collections::{BTreeMap, HashMap};

use sqlx::{AnyConnection, Row};

use super::db::{decode_word, Backend};
use super::probes::from_json;
use super::Db;
use crate::domain::probes::blocks::{block_start, encode_by_block, CheckRecord, BLOCK_MS};
use crate::domain::probes::definition::ProbeDef;
use crate::domain::probes::status::{ProbeState, ProbeStatus};

/// "Probe `probe_id` of service `service_id` has new results": what live
/// pages are told (they fetch the figures themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeUpdate {
    pub service_id: i64,
    pub probe_id: i64,
}

/// A probe as the engine runs it.
#[derive(Debug, Clone)]
pub struct Runnable {
    pub id: i64,
    pub service_id: i64,
    pub version: i64,
    pub def: ProbeDef,
    pub state: ProbeState,
    pub last_check_at: Option<i64>,
    pub check_requested_at: Option<i64>,
    /// Metrics probes: the last scrape's totals.
    pub counters: Option<(f64, f64)>,
}

/// Cheap facts about a leased probe, read on every sync to see what changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leased {
    pub id: i64,
    pub version: i64,
    pub check_requested_at: Option<i64>,
}

/// Registers `worker` as alive at `now`, forgets workers silent for three
/// lease periods, and returns how many are alive.
pub async fn heartbeat(db: &Db, worker: &str, now: i64, lease_ms: i64) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO probe_workers (id, started_at, heartbeat_at) VALUES ($1, $2, $2)
         ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
    )
    .bind(worker)
    .bind(now)
    .execute(db.pool())
    .await?;
    sqlx::query("DELETE FROM probe_workers WHERE heartbeat_at < $1")
        .bind(now - 3 * lease_ms)
        .execute(db.pool())
        .await?;
    sqlx::query_scalar("SELECT COUNT(*) FROM probe_workers WHERE heartbeat_at >= $1")
        .bind(now - lease_ms)
        .fetch_one(db.pool())
        .await
}

/// Renews `worker`'s leases, gives back what is over its fair share and
/// claims free probes up to it. Returns the probes it holds afterwards.
pub async fn balance(db: &Db, worker: &str, alive: i64, now: i64, lease_ms: i64) -> Result<Vec<Leased>, sqlx::Error> {
    let until = now + lease_ms;
    let mut tx = db.pool().begin().await?;
    sqlx::query("UPDATE probes SET lease_until = $1 WHERE lease_owner = $2 AND deleted_at IS NULL")
        .bind(until)
        .bind(worker)
        .execute(&mut *tx)
        .await?;
    let total: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM probes WHERE deleted_at IS NULL").fetch_one(&mut *tx).await?;
    let share = (total + alive.max(1) - 1) / alive.max(1);
    let mine: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM probes WHERE lease_owner = $1 AND deleted_at IS NULL")
        .bind(worker)
        .fetch_one(&mut *tx)
        .await?;
    let skip_locked = if db.backend() == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    if mine > share {
        sqlx::query(&format!(
            "UPDATE probes SET lease_owner = NULL, lease_until = NULL
             WHERE id IN (SELECT id FROM probes WHERE lease_owner = $1 ORDER BY id DESC LIMIT {}{skip_locked})",
            mine - share
        ))
        .bind(worker)
        .execute(&mut *tx)
        .await?;
    } else if mine < share {
        sqlx::query(&format!(
            "UPDATE probes SET lease_owner = $1, lease_until = $2
             WHERE id IN (SELECT id FROM probes
                          WHERE deleted_at IS NULL AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until < $3)
                          ORDER BY id LIMIT {}{skip_locked})",
            share - mine
        ))
        .bind(worker)
        .bind(until)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    let held: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, version, check_requested_at FROM probes WHERE lease_owner = $1 AND deleted_at IS NULL ORDER BY id",
    )
    .bind(worker)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(held.into_iter().map(|(id, version, check_requested_at)| Leased { id, version, check_requested_at }).collect())
}

/// Gives back every lease of `worker` (on shutdown), so other replicas
/// take its probes at once rather than after a lease period.
pub async fn release_all(db: &Db, worker: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE probes SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1")
        .bind(worker)
        .execute(db.pool())
        .await?;
    sqlx::query("DELETE FROM probe_workers WHERE id = $1").bind(worker).execute(db.pool()).await?;
    Ok(())
}

/// The full rows of probes `ids`, for the engine to (re)load.
pub async fn load(db: &Db, ids: &[i64]) -> Result<Vec<Runnable>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(ids.len());
    // Ids come from the database, so they can be written into the statement;
    // chunks keep statements short.
    for chunk in ids.chunks(500) {
        let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let rows = sqlx::query(&format!(
            "SELECT id, service_id, version, definition, status, status_since, successes_in_row, failures_in_row,
                    last_check_at, check_requested_at, requests_total, errors_total
             FROM probes WHERE id IN ({list}) AND deleted_at IS NULL"
        ))
        .fetch_all(db.pool())
        .await?;
        for row in rows {
            let definition: String = row.try_get("definition")?;
            let requests: Option<f64> = row.try_get("requests_total")?;
            let errors: Option<f64> = row.try_get("errors_total")?;
            out.push(Runnable {
                id: row.try_get("id")?,
                service_id: row.try_get("service_id")?,
                version: row.try_get("version")?,
                def: from_json(&definition)?,
                state: ProbeState {
                    status: decode_word::<ProbeStatus>(row.try_get("status")?)?,
                    successes_in_row: row.try_get::<i64, _>("successes_in_row")?.clamp(0, i64::from(u32::MAX)) as u32,
                    failures_in_row: row.try_get::<i64, _>("failures_in_row")?.clamp(0, i64::from(u32::MAX)) as u32,
                    since: row.try_get("status_since")?,
                },
                last_check_at: row.try_get("last_check_at")?,
                check_requested_at: row.try_get("check_requested_at")?,
                counters: requests.zip(errors),
            });
        }
    }
    Ok(out)
}

/// One finished check and the probe's state after it.
#[derive(Debug, Clone)]
pub struct CheckDone {
    pub probe_id: i64,
    pub service_id: i64,
    /// The version the engine ran; state is written only over it.
    pub version: i64,
    pub record: CheckRecord,
    pub state: ProbeState,
    pub message: Option<String>,
    pub tls_not_after: Option<i64>,
    /// Metrics probes: the totals read, and the error rate since the last read.
    pub counters: Option<(f64, f64)>,
    pub error_rate: Option<f64>,
}

/// Writes a batch of checks in one transaction: blocks first, then each
/// probe's latest state. Returns how many state rows were written (a probe
/// changed by a person meanwhile keeps their change).
pub async fn record(db: &Db, batch: &[CheckDone]) -> Result<u64, sqlx::Error> {
    if batch.is_empty() {
        return Ok(0);
    }
    let mut tx = db.pool().begin().await?;
    append_blocks(&mut tx, db.backend(), batch).await?;
    // The latest check of each probe carries its state.
    let mut latest: BTreeMap<i64, &CheckDone> = BTreeMap::new();
    for done in batch {
        let keep = latest.get(&done.probe_id).is_none_or(|seen| seen.record.at_ms <= done.record.at_ms);
        if keep {
            latest.insert(done.probe_id, done);
        }
    }
    let mut written = 0;
    for done in latest.values() {
        written += write_state(&mut tx, done).await?;
    }
    tx.commit().await?;
    Ok(written)
}

async fn append_blocks(conn: &mut AnyConnection, backend: Backend, batch: &[CheckDone]) -> Result<(), sqlx::Error> {
    let mut by_probe: BTreeMap<i64, Vec<CheckRecord>> = BTreeMap::new();
    for done in batch {
        by_probe.entry(done.probe_id).or_default().push(done.record);
    }
    // SQLite's || makes text of blobs; the cast keeps the bytes.
    let joined = match backend {
        Backend::Sqlite => "CAST(probe_blocks.data || excluded.data AS BLOB)",
        Backend::Postgres => "probe_blocks.data || excluded.data",
    };
    let sql = format!(
        "INSERT INTO probe_blocks (probe_id, start_at, checks, data) VALUES ($1, $2, $3, $4)
         ON CONFLICT (probe_id, start_at) DO UPDATE SET checks = probe_blocks.checks + excluded.checks, data = {joined}"
    );
    for (probe_id, records) in by_probe {
        for (start, bytes) in encode_by_block(&records) {
            let checks = records.iter().filter(|r| block_start(r.at_ms) == start).count() as i64;
            sqlx::query(&sql).bind(probe_id).bind(start).bind(checks).bind(bytes).execute(&mut *conn).await?;
        }
    }
    Ok(())
}

async fn write_state(conn: &mut AnyConnection, done: &CheckDone) -> Result<u64, sqlx::Error> {
    let r = &done.record;
    let (requests, errors) = done.counters.unzip();
    let result = sqlx::query(
        "UPDATE probes SET status = $1, status_since = $2, successes_in_row = $3, failures_in_row = $4,
                last_check_at = $5, last_duration_us = $6, last_outcome = $7, last_status_code = $8,
                last_message = $9, tls_not_after = COALESCE($10, tls_not_after),
                requests_total = COALESCE($11, requests_total), errors_total = COALESCE($12, errors_total),
                error_rate = CASE WHEN $11 IS NULL THEN error_rate ELSE $13 END,
                error_rate_at = CASE WHEN $11 IS NULL THEN error_rate_at ELSE $5 END
         WHERE id = $14 AND version = $15",
    )
    .bind(done.state.status.as_str())
    .bind(done.state.since)
    .bind(i64::from(done.state.successes_in_row))
    .bind(i64::from(done.state.failures_in_row))
    .bind(r.at_ms)
    .bind(i64::from(r.duration_us))
    .bind(i64::from(r.outcome.code()))
    .bind(r.status_code.map(i64::from))
    .bind(done.message.as_deref())
    .bind(done.tls_not_after)
    .bind(requests)
    .bind(errors)
    .bind(done.error_rate)
    .bind(done.probe_id)
    .bind(done.version)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected())
}

/// The checks of probes `ids` from `from` (inclusive) to `to` (exclusive),
/// oldest first, per probe, in one statement. A damaged block is skipped
/// with a warning.
pub async fn checks_of(
    conn: &mut AnyConnection,
    ids: &[i64],
    from: i64,
    to: i64,
) -> Result<HashMap<i64, Vec<CheckRecord>>, sqlx::Error> {
    let mut out: HashMap<i64, Vec<CheckRecord>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    // Ids are the caller's integers, never text from a request.
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let blocks: Vec<(i64, i64, Vec<u8>)> = sqlx::query_as(&format!(
        "SELECT probe_id, start_at, data FROM probe_blocks
         WHERE probe_id IN ({list}) AND start_at >= $1 AND start_at < $2 ORDER BY probe_id, start_at"
    ))
    .bind(block_start(from))
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    for (probe_id, start, data) in blocks {
        match crate::domain::probes::blocks::decode(start, &data) {
            Ok(records) => {
                out.entry(probe_id).or_default().extend(records.into_iter().filter(|r| r.at_ms >= from && r.at_ms < to))
            }
            Err(e) => tracing::warn!(probe_id, start, error = %e, "skipping a damaged check block"),
        }
    }
    for records in out.values_mut() {
        records.sort_by_key(|r| r.at_ms);
    }
    Ok(out)
}

/// The checks of probe `probe_id` from `from` (inclusive) to `to`
/// (exclusive), oldest first.
pub async fn checks(db: &Db, probe_id: i64, from: i64, to: i64) -> Result<Vec<CheckRecord>, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    Ok(checks_of(&mut conn, &[probe_id], from, to).await?.remove(&probe_id).unwrap_or_default())
}

/// Deletes up to `limit` hourly blocks that ended before `before` (epoch
/// ms); returns how many went.
pub async fn prune_blocks(db: &Db, before: i64, limit: u64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(&format!(
        "DELETE FROM probe_blocks WHERE (probe_id, start_at) IN
           (SELECT probe_id, start_at FROM probe_blocks WHERE start_at + {BLOCK_MS} <= $1 LIMIT {limit})"
    ))
    .bind(before)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}
