//! Probe definitions, as people change them: create, edit, pause, resume,
//! delete and "check now", each with its audit entry in one transaction.
//!
//! The engine (`server::probes`) runs what is defined here and writes the
//! results through `probe_results`. People and the engine share the row:
//! every change people make bumps `version`, and the engine writes state
//! only over the version it loaded, so a pause is never undone by a check
//! that was in flight.

use sqlx::FromRow;

use super::audit::{self, Actor};
use super::db::decode_word;
use super::Db;
use crate::domain::probes::definition::{keep_secrets, ProbeDef, ProbeKind, ProbeSpec};
use crate::domain::probes::status::{self, Outcome, ProbeState, ProbeStatus};
use crate::domain::probes::summary::{status_rank, OrgProbe, ProbeSummary, Uptime};
use crate::error::AppError;

/// The columns of [`SummaryRow`], over `probes p`.
pub(crate) const SUMMARY_COLUMNS: &str =
    "p.id, p.service_id, p.name, p.kind, p.target, p.interval_s, p.version, p.status, p.status_since, \
     p.last_check_at, p.last_duration_us, p.last_outcome, p.last_status_code, p.last_message, p.tls_not_after, \
     p.error_rate";

#[derive(FromRow)]
pub(crate) struct SummaryRow {
    id: i64,
    service_id: i64,
    name: String,
    kind: String,
    target: String,
    interval_s: i64,
    version: i64,
    status: String,
    status_since: i64,
    last_check_at: Option<i64>,
    last_duration_us: Option<i64>,
    last_outcome: Option<i64>,
    last_status_code: Option<i64>,
    last_message: Option<String>,
    tls_not_after: Option<i64>,
    error_rate: Option<f64>,
}

impl SummaryRow {
    pub(crate) fn into_summary(self) -> Result<ProbeSummary, sqlx::Error> {
        Ok(ProbeSummary {
            id: self.id,
            service_id: self.service_id,
            name: self.name,
            kind: decode_word::<ProbeKind>(self.kind)?,
            target: self.target,
            interval_secs: self.interval_s.max(0) as u32,
            version: self.version,
            status: decode_word::<ProbeStatus>(self.status)?,
            status_since: self.status_since,
            last_check_at: self.last_check_at,
            last_duration_us: self.last_duration_us.map(|d| d.max(0) as u64),
            last_outcome: self.last_outcome.and_then(|c| u8::try_from(c).ok()).and_then(Outcome::from_code),
            last_status_code: self.last_status_code.and_then(|c| u16::try_from(c).ok()),
            last_message: self.last_message,
            tls_not_after: self.tls_not_after,
            error_rate: self.error_rate,
            // Filled by `probe_rollups::uptime` where pages show it.
            uptime: Uptime::default(),
        })
    }
}

/// What a list shows of the probe's target: its URL or host:port.
fn target_text(def: &ProbeDef) -> String {
    match &def.spec {
        ProbeSpec::Http(http) => http.url.clone(),
        ProbeSpec::Metrics(metrics) => metrics.url.clone(),
        ProbeSpec::Tcp(tcp) => tcp.target.to_string(),
        ProbeSpec::Tls(tls) => tls.target.to_string(),
    }
}

fn to_json(def: &ProbeDef) -> Result<String, AppError> {
    serde_json::to_string(def).map_err(|e| AppError::internal("probe definition", e))
}

/// Reads a stored definition; a row this version cannot read is our fault.
pub(crate) fn from_json(text: &str) -> Result<ProbeDef, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn name_taken() -> AppError {
    AppError::invalid("name", "This service already has a probe with this name; choose another.")
}

fn unique_name(e: sqlx::Error) -> AppError {
    if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
        name_taken()
    } else {
        e.into()
    }
}

/// The service's probes (not deleted), by name.
pub async fn for_service(db: &Db, service_id: i64) -> Result<Vec<ProbeSummary>, sqlx::Error> {
    let rows: Vec<SummaryRow> = sqlx::query_as(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM probes p WHERE p.service_id = $1 AND p.deleted_at IS NULL ORDER BY p.name_key"
    ))
    .bind(service_id)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter().map(SummaryRow::into_summary).collect()
}

/// `column` (a probe's stored status) as its [`status_rank`], in SQL.
fn rank_sql(column: &str) -> String {
    let arms: Vec<String> =
        ProbeStatus::ALL.iter().map(|s| format!("WHEN '{}' THEN {}", s.as_str(), status_rank(*s))).collect();
    format!("CASE {column} {} ELSE 9 END", arms.join(" "))
}

/// A page of the organisation's probes (services not archived), worst
/// status first, then by service and name; only `status` when given; after
/// probe `after` (the last of the previous page). Uptime is left for the
/// caller to fill.
pub async fn org_page(
    db: &Db,
    status: Option<ProbeStatus>,
    after: Option<i64>,
    limit: usize,
) -> Result<(Vec<OrgProbe>, Option<i64>), sqlx::Error> {
    let rank = rank_sql("p.status");
    let mut filter = String::new();
    if status.is_some() {
        filter.push_str(" AND p.status = $1");
    }
    if after.is_some() {
        filter.push_str(&format!(
            " AND ({rank}, s.slug, p.name_key) > (SELECT {}, s2.slug, p2.name_key FROM probes p2
               JOIN services s2 ON s2.id = p2.service_id WHERE p2.id = {})",
            rank_sql("p2.status"),
            if status.is_some() { "$2" } else { "$1" }
        ));
    }
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, s.slug AS service_slug, s.name AS service_name
         FROM probes p JOIN services s ON s.id = p.service_id
         WHERE p.deleted_at IS NULL AND s.archived_at IS NULL{filter}
         ORDER BY {rank}, s.slug, p.name_key LIMIT {}",
        limit + 1
    );
    let mut query = sqlx::query(&sql);
    if let Some(status) = status {
        query = query.bind(status.as_str());
    }
    if let Some(after) = after {
        query = query.bind(after);
    }
    use sqlx::Row;
    let mut probes = Vec::new();
    for row in query.fetch_all(db.pool()).await? {
        probes.push(OrgProbe {
            summary: SummaryRow::from_row(&row)?.into_summary()?,
            service_slug: row.try_get("service_slug")?,
            service_name: row.try_get("service_name")?,
        });
    }
    let next = if probes.len() > limit {
        probes.truncate(limit);
        probes.last().map(|p| p.summary.id)
    } else {
        None
    };
    Ok((probes, next))
}

/// How many probes of services not archived have each status, in
/// [`ProbeStatus::ALL`] order.
pub async fn status_counts(db: &Db) -> Result<Vec<(ProbeStatus, u64)>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT p.status, COUNT(*) FROM probes p JOIN services s ON s.id = p.service_id
         WHERE p.deleted_at IS NULL AND s.archived_at IS NULL GROUP BY p.status",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(ProbeStatus::ALL
        .iter()
        .map(|status| {
            let n = rows.iter().find(|(s, _)| s == status.as_str()).map_or(0, |(_, n)| *n);
            (*status, n.max(0) as u64)
        })
        .collect())
}

/// Probe `probe_id` of service `service_id` with its definition (secret
/// header values included: redact before it leaves the server).
pub async fn one(db: &Db, service_id: i64, probe_id: i64) -> Result<Option<(ProbeSummary, ProbeDef)>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {SUMMARY_COLUMNS}, p.definition FROM probes p
         WHERE p.id = $1 AND p.service_id = $2 AND p.deleted_at IS NULL"
    ))
    .bind(probe_id)
    .bind(service_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    use sqlx::Row;
    let definition: String = row.try_get("definition")?;
    let summary = SummaryRow::from_row(&row)?.into_summary()?;
    Ok(Some((summary, from_json(&definition)?)))
}

/// Adds a probe to service `service_id`; returns its id. Secret headers
/// must carry their values (nothing is stored to keep yet).
pub async fn create(db: &Db, actor: Actor<'_>, service_id: i64, def: ProbeDef, now: i64) -> Result<i64, AppError> {
    let def = keep_secrets(def, None)?;
    let mut tx = db.pool().begin().await?;
    // A write first: on SQLite a read that later upgrades to a write fails
    // when another writer committed in between.
    if !super::figures::lock_service(&mut tx, service_id).await? {
        return Err(AppError::NotFound);
    }
    let archived: Option<Option<i64>> = sqlx::query_scalar("SELECT archived_at FROM services WHERE id = $1")
        .bind(service_id)
        .fetch_optional(&mut *tx)
        .await?;
    match archived {
        None => return Err(AppError::NotFound),
        Some(Some(_)) => {
            return Err(AppError::invalid("name", "This service is archived: restore it before adding probes."))
        }
        Some(None) => {}
    }
    let id = insert(&mut tx, service_id, &def, actor.id, now).await?;
    let detail = serde_json::json!({ "probe": id, "definition": def.redacted() });
    let entry = actor.entry("probe.created", "probe", id, Some(detail.to_string())).for_service(service_id);
    audit::record(&mut *tx, now, entry).await?;
    tx.commit().await?;
    Ok(id)
}

/// Stores a new probe of `service_id`, pending from `now`; returns its id.
/// A name the service already uses is a field error.
async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    service_id: i64,
    def: &ProbeDef,
    created_by: i64,
    now: i64,
) -> Result<i64, AppError> {
    let state = ProbeState::new(now);
    sqlx::query_scalar(
        "INSERT INTO probes (service_id, name, name_key, kind, target, definition, interval_s, created_by,
                             created_at, updated_at, status, status_since)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $9) RETURNING id",
    )
    .bind(service_id)
    .bind(&def.name)
    .bind(def.name.to_lowercase())
    .bind(def.kind().as_str())
    .bind(target_text(def))
    .bind(to_json(def)?)
    .bind(i64::from(def.interval_secs))
    .bind(created_by)
    .bind(now)
    .bind(state.status.as_str())
    .fetch_one(&mut **tx)
    .await
    .map_err(unique_name)
}

/// The stored definition and version of a live probe of the service, locked
/// for the transaction on PostgreSQL.
async fn load_for_change(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    service_id: i64,
    probe_id: i64,
) -> Result<(ProbeDef, i64, ProbeState), AppError> {
    // Bumping the version first takes the row lock on both backends, so two
    // changes to one probe take turns.
    let row: Option<(String, i64, String, i64, i64, i64)> = sqlx::query_as(
        "UPDATE probes SET version = version + 1 WHERE id = $1 AND service_id = $2 AND deleted_at IS NULL
         RETURNING definition, version - 1, status, status_since, successes_in_row, failures_in_row",
    )
    .bind(probe_id)
    .bind(service_id)
    .fetch_optional(&mut **tx)
    .await?;
    let (definition, version, status, since, successes, failures) = row.ok_or(AppError::NotFound)?;
    let state = ProbeState {
        status: decode_word::<ProbeStatus>(status)?,
        successes_in_row: successes.clamp(0, i64::from(u32::MAX)) as u32,
        failures_in_row: failures.clamp(0, i64::from(u32::MAX)) as u32,
        since,
    };
    Ok((from_json(&definition)?, version, state))
}

/// Replaces the definition of probe `probe_id` as read at `version`.
/// Secret headers left blank keep their stored values. A changed probe
/// starts over as pending: its old status may not hold for the new target.
pub async fn update(
    db: &Db,
    actor: Actor<'_>,
    service_id: i64,
    probe_id: i64,
    version: i64,
    def: ProbeDef,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = db.pool().begin().await?;
    let (stored, stored_version, state) = load_for_change(&mut tx, service_id, probe_id).await?;
    if stored_version != version {
        return Err(AppError::Conflict);
    }
    let def = keep_secrets(def, Some(&stored))?;
    let state = if state.status == ProbeStatus::Paused { state } else { ProbeState::new(now) };
    sqlx::query(
        "UPDATE probes SET name = $1, name_key = $2, kind = $3, target = $4, definition = $5, interval_s = $6,
                updated_at = $7, status = $8, status_since = $9, successes_in_row = 0, failures_in_row = 0
         WHERE id = $10",
    )
    .bind(&def.name)
    .bind(def.name.to_lowercase())
    .bind(def.kind().as_str())
    .bind(target_text(&def))
    .bind(to_json(&def)?)
    .bind(i64::from(def.interval_secs))
    .bind(now)
    .bind(state.status.as_str())
    .bind(state.since)
    .bind(probe_id)
    .execute(&mut *tx)
    .await
    .map_err(unique_name)?;
    let detail = serde_json::json!({ "probe": probe_id, "before": stored.redacted(), "after": def.redacted() });
    let entry = actor.entry("probe.changed", "probe", probe_id, Some(detail.to_string())).for_service(service_id);
    audit::record(&mut *tx, now, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Pauses (`paused`) or resumes probe `probe_id`. Doing what is already
/// done changes nothing and records nothing.
pub async fn set_paused(
    db: &Db,
    actor: Actor<'_>,
    service_id: i64,
    probe_id: i64,
    paused: bool,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = db.pool().begin().await?;
    let (_, _, state) = load_for_change(&mut tx, service_id, probe_id).await?;
    let (next, transition) = if paused { status::pause(state, now) } else { status::resume(state, now) };
    if transition.is_none() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE probes SET status = $1, status_since = $2, successes_in_row = $3, failures_in_row = $4, updated_at = $2
         WHERE id = $5",
    )
    .bind(next.status.as_str())
    .bind(next.since)
    .bind(i64::from(next.successes_in_row))
    .bind(i64::from(next.failures_in_row))
    .bind(probe_id)
    .execute(&mut *tx)
    .await?;
    let action = if paused { "probe.paused" } else { "probe.resumed" };
    let entry = actor.entry(action, "probe", probe_id, None).for_service(service_id);
    audit::record(&mut *tx, now, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes probe `probe_id`: it stops running and leaves lists; its
/// results stay until retention removes them.
pub async fn delete(db: &Db, actor: Actor<'_>, service_id: i64, probe_id: i64, now: i64) -> Result<(), AppError> {
    let mut tx = db.pool().begin().await?;
    let (stored, _, _) = load_for_change(&mut tx, service_id, probe_id).await?;
    sqlx::query(
        "UPDATE probes SET deleted_at = $1, updated_at = $1, lease_owner = NULL, lease_until = NULL WHERE id = $2",
    )
    .bind(now)
    .bind(probe_id)
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({ "probe": probe_id, "definition": stored.redacted() });
    let entry = actor.entry("probe.deleted", "probe", probe_id, Some(detail.to_string())).for_service(service_id);
    audit::record(&mut *tx, now, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Asks the engine to check probe `probe_id` now rather than at its next
/// slot. Not a change of anything people rely on, so not audited.
pub async fn request_check(db: &Db, service_id: i64, probe_id: i64, now: i64) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE probes SET check_requested_at = $1 WHERE id = $2 AND service_id = $3 AND deleted_at IS NULL",
    )
    .bind(now)
    .bind(probe_id)
    .bind(service_id)
    .execute(db.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// The definitions of the service's probes, by name (secret values
/// included: export through `toml_file::export`, which leaves them out).
pub async fn definitions(db: &Db, service_id: i64) -> Result<Vec<ProbeDef>, sqlx::Error> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT definition FROM probes WHERE service_id = $1 AND deleted_at IS NULL ORDER BY name_key",
    )
    .bind(service_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|text| from_json(text)).collect()
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imported {
    pub added: u32,
    pub replaced: u32,
}

/// Adds the imported probes to service `service_id`, replacing the
/// definition of a probe with the same name (which starts over as
/// pending); probes the file does not name stay as they are. All or
/// nothing, with one audit entry. Secret values must already be filled in
/// (`toml_file::import_keeping_secrets`).
pub async fn import(
    db: &Db,
    actor: Actor<'_>,
    service_id: i64,
    defs: &[ProbeDef],
    now: i64,
) -> Result<Imported, AppError> {
    let mut tx = db.pool().begin().await?;
    if !super::figures::lock_service(&mut tx, service_id).await? {
        return Err(AppError::NotFound);
    }
    let mut done = Imported::default();
    for def in defs {
        let state = ProbeState::new(now);
        let replaced = sqlx::query(
            "UPDATE probes SET name = $1, kind = $2, target = $3, definition = $4, interval_s = $5, updated_at = $6,
                    version = version + 1, status = CASE WHEN status = 'paused' THEN status ELSE $7 END,
                    status_since = CASE WHEN status = 'paused' THEN status_since ELSE $6 END,
                    successes_in_row = 0, failures_in_row = 0
             WHERE service_id = $8 AND name_key = $9 AND deleted_at IS NULL",
        )
        .bind(&def.name)
        .bind(def.kind().as_str())
        .bind(target_text(def))
        .bind(to_json(def)?)
        .bind(i64::from(def.interval_secs))
        .bind(now)
        .bind(state.status.as_str())
        .bind(service_id)
        .bind(def.name.to_lowercase())
        .execute(&mut *tx)
        .await?;
        if replaced.rows_affected() > 0 {
            done.replaced += 1;
            continue;
        }
        insert(&mut tx, service_id, def, actor.id, now).await?;
        done.added += 1;
    }
    let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
    let detail = serde_json::json!({ "added": done.added, "replaced": done.replaced, "probes": names });
    let entry = actor.entry("probe.imported", "service", service_id, Some(detail.to_string())).for_service(service_id);
    audit::record(&mut *tx, now, entry).await?;
    tx.commit().await?;
    Ok(done)
}
