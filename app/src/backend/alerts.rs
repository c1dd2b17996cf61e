//! Alerts as stored: channels, rules and maintenance windows people set up
//! (each with its audit entry), and [`evaluate`], which reads every rule
//! against its probes once a minute (from the upkeep task), opens, reminds
//! and closes incidents, and queues a delivery per channel in the same
//! transaction. The rules themselves are `domain::probes::alerts`;
//! sending the queued deliveries comes next (docs/probes.md).

use std::collections::HashMap;

use sqlx::{AnyConnection, FromRow};

use super::audit::{self, Actor};
use super::outbox;
use super::Db;
use crate::domain::probes::alerts::{breach, step, Maintenance, Notice, OpenIncident, Reading, Rule, Step};
use crate::domain::probes::blocks::CheckRecord;
use crate::domain::probes::rollup::Rollup;
use crate::domain::probes::summary::IncidentLine;
use crate::error::AppError;

/// Where a channel sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    Webhook,
    Slack,
    Email,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Slack => "slack",
            ChannelKind::Email => "email",
        }
    }
}

/// Adds a channel to team `team_id`; returns its id and, for a webhook,
/// the signing key (shown to the person once, stored for signing).
pub async fn create_channel(
    db: &Db,
    actor: Actor<'_>,
    team_id: i64,
    kind: ChannelKind,
    name: &str,
    target: &str,
    now: i64,
) -> Result<(i64, Option<String>), AppError> {
    let key = (kind == ChannelKind::Webhook).then(super::secrets::random_token);
    let mut tx = db.pool().begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO alert_channels (team_id, name, kind, target, signing_key, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(team_id)
    .bind(name)
    .bind(kind.as_str())
    .bind(target)
    .bind(key.as_deref())
    .bind(actor.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let detail = serde_json::json!({ "team_id": team_id, "name": name, "kind": kind.as_str() });
    audit::record(&mut *tx, now, actor.entry("alert.channel_created", "alert_channel", id, Some(detail.to_string())))
        .await?;
    tx.commit().await?;
    Ok((id, key))
}

/// Adds a rule to service `service_id` (for one probe, or all of them),
/// sending to `channels` (ids of channels of the service's team).
pub async fn create_rule(
    db: &Db,
    actor: Actor<'_>,
    service_id: i64,
    probe_id: Option<i64>,
    rule: &Rule,
    channels: &[i64],
    now: i64,
) -> Result<i64, AppError> {
    let mut tx = db.pool().begin().await?;
    let team_id: i64 = sqlx::query_scalar("SELECT team_id FROM services WHERE id = $1")
        .bind(service_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    for channel in channels {
        let owner: Option<i64> =
            sqlx::query_scalar("SELECT team_id FROM alert_channels WHERE id = $1 AND deleted_at IS NULL")
                .bind(channel)
                .fetch_optional(&mut *tx)
                .await?;
        if owner != Some(team_id) {
            return Err(AppError::invalid("channels", "Choose channels of the service's own team."));
        }
    }
    let definition = serde_json::to_string(rule).map_err(|_| AppError::Internal)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO alert_rules (service_id, probe_id, definition, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(service_id)
    .bind(probe_id)
    .bind(&definition)
    .bind(actor.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for channel in channels {
        sqlx::query("INSERT INTO alert_rule_channels (rule_id, channel_id) VALUES ($1, $2)")
            .bind(id)
            .bind(channel)
            .execute(&mut *tx)
            .await?;
    }
    let detail = serde_json::json!({ "rule": rule.kind.describe(), "probe_id": probe_id, "channels": channels });
    audit::record(&mut *tx, now, actor.entry("alert.rule_created", "service", service_id, Some(detail.to_string())))
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Adds a maintenance window to service `service_id`.
pub async fn add_maintenance(
    db: &Db,
    actor: Actor<'_>,
    service_id: i64,
    window: &Maintenance,
    note: &str,
    now: i64,
) -> Result<i64, AppError> {
    let definition = serde_json::to_string(window).map_err(|_| AppError::Internal)?;
    let mut tx = db.pool().begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO maintenance_windows (service_id, definition, note, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(service_id)
    .bind(&definition)
    .bind(note)
    .bind(actor.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(&mut *tx, now, actor.entry("alert.maintenance_added", "service", service_id, Some(definition)))
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// What one [`evaluate`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Evaluated {
    pub opened: u32,
    pub closed: u32,
    /// Deliveries queued (one per channel and notification).
    pub queued: u32,
}

/// A live probe a rule reads.
#[derive(FromRow)]
struct ProbeRow {
    id: i64,
    service_id: i64,
    name: String,
    status: String,
    tls_not_after: Option<i64>,
    service_slug: String,
    service_name: String,
}

#[derive(FromRow)]
struct OpenRow {
    id: i64,
    rule_id: i64,
    probe_id: i64,
    started_at: i64,
    peak: f64,
    notified_at: Option<i64>,
}

/// Reads every rule against its probes at `now` and moves their incidents.
/// Safe on several replicas at once: an incident opens once (a unique
/// index on open incidents), and a reminder or close is written only over
/// the state this call read.
pub async fn evaluate(db: &Db, now: i64) -> Result<Evaluated, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let rules: Vec<(i64, i64, Option<i64>, String)> =
        sqlx::query_as("SELECT id, service_id, probe_id, definition FROM alert_rules WHERE deleted_at IS NULL")
            .fetch_all(&mut *conn)
            .await?;
    let mut evaluated = Evaluated::default();
    if rules.is_empty() {
        return Ok(evaluated);
    }
    let rules: Vec<(i64, i64, Option<i64>, Rule)> = rules
        .into_iter()
        .filter_map(|(id, service, probe, text)| match serde_json::from_str::<Rule>(&text) {
            Ok(rule) => Some((id, service, probe, rule)),
            Err(e) => {
                tracing::warn!(rule_id = id, error = %e, "alerts: skipping a rule that cannot be read");
                None
            }
        })
        .collect();
    // Paused probes are not judged: their incidents stay as they were.
    let probes: Vec<ProbeRow> = sqlx::query_as(
        "SELECT p.id, p.service_id, p.name, p.status, p.tls_not_after, s.slug AS service_slug, s.name AS service_name
         FROM probes p JOIN services s ON s.id = p.service_id
         WHERE p.deleted_at IS NULL AND p.status <> 'paused'
           AND p.service_id IN (SELECT service_id FROM alert_rules WHERE deleted_at IS NULL)",
    )
    .fetch_all(&mut *conn)
    .await?;
    let window = rules.iter().filter_map(|(.., rule)| rule.kind.window_ms()).max();
    let records = match window {
        Some(window) => {
            let ids: Vec<i64> = probes.iter().map(|p| p.id).collect();
            super::probe_runs::checks_of(&mut conn, &ids, now - window, now + 1).await?
        }
        None => HashMap::new(),
    };
    let open: HashMap<(i64, i64), OpenRow> = sqlx::query_as::<_, OpenRow>(
        "SELECT id, rule_id, probe_id, started_at, peak, notified_at FROM incidents WHERE ended_at IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|row| ((row.rule_id, row.probe_id), row))
    .collect();
    let mut silenced: HashMap<i64, bool> = HashMap::new();
    for (service_id, text) in sqlx::query_as::<_, (i64, String)>(
        "SELECT service_id, definition FROM maintenance_windows WHERE deleted_at IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        if serde_json::from_str::<Maintenance>(&text).is_ok_and(|w| w.covers(now)) {
            silenced.insert(service_id, true);
        }
    }
    let mut channels: HashMap<i64, Vec<i64>> = HashMap::new();
    for (rule_id, channel_id) in sqlx::query_as::<_, (i64, i64)>(
        "SELECT rc.rule_id, rc.channel_id FROM alert_rule_channels rc
         JOIN alert_channels c ON c.id = rc.channel_id WHERE c.deleted_at IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        channels.entry(rule_id).or_default().push(channel_id);
    }
    drop(conn);

    for (rule_id, service_id, only, rule) in &rules {
        for probe in probes.iter().filter(|p| p.service_id == *service_id && only.is_none_or(|id| id == p.id)) {
            let reading = reading(&rule.kind, probe, records.get(&probe.id).map_or(&[][..], Vec::as_slice), now);
            let breached = breach(&rule.kind, &reading, now);
            let incident = open.get(&(*rule_id, probe.id));
            let state =
                incident.map(|i| OpenIncident { started_at: i.started_at, peak: i.peak, notified_at: i.notified_at });
            let maintenance = silenced.get(service_id).copied().unwrap_or(false);
            let next = step(rule, state.as_ref(), breached, now, maintenance);
            if next == Step::Hold {
                continue;
            }
            let to = channels.get(rule_id).map_or(&[][..], Vec::as_slice);
            let mut tx = db.pool().begin().await?;
            let queued = apply(&mut tx, *rule_id, rule, probe, incident, next, to, now).await?;
            tx.commit().await?;
            match next {
                Step::Open { .. } if queued.is_some() => evaluated.opened += 1,
                Step::Close { .. } if queued.is_some() => evaluated.closed += 1,
                _ => {}
            }
            evaluated.queued += queued.unwrap_or(0);
        }
    }
    Ok(evaluated)
}

/// What `kind` reads of `probe` and its checks (already cut to the
/// longest window) at `now`.
fn reading(
    kind: &crate::domain::probes::alerts::RuleKind,
    probe: &ProbeRow,
    records: &[CheckRecord],
    now: i64,
) -> Reading {
    let mut reading =
        Reading { down: probe.status == "down", tls_not_after: probe.tls_not_after, ..Reading::default() };
    if let Some(window) = kind.window_ms() {
        let rollup = Rollup::of(records.iter().filter(|r| r.at_ms >= now - window));
        reading.p95_us = rollup.percentile(0.95);
        reading.error_rate = match rollup.err_requests {
            Some(_) => rollup.error_rate(),
            None => (rollup.count > 0).then(|| rollup.failures as f64 / rollup.count as f64),
        };
    }
    reading
}

/// Writes one step; returns how many deliveries were queued, or `None`
/// when another replica had already taken the step.
#[allow(clippy::too_many_arguments)]
async fn apply(
    conn: &mut AnyConnection,
    rule_id: i64,
    rule: &Rule,
    probe: &ProbeRow,
    incident: Option<&OpenRow>,
    next: Step,
    channels: &[i64],
    now: i64,
) -> Result<Option<u32>, sqlx::Error> {
    let (incident_id, event, value, notify) = match (next, incident) {
        (Step::Open { value, notify }, _) => {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO incidents (rule_id, service_id, probe_id, started_at, peak, notified_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (rule_id, probe_id) WHERE ended_at IS NULL DO NOTHING RETURNING id",
            )
            .bind(rule_id)
            .bind(probe.service_id)
            .bind(probe.id)
            .bind(now)
            .bind(value)
            .bind(notify.then_some(now))
            .fetch_optional(&mut *conn)
            .await?;
            let Some(id) = id else { return Ok(None) };
            (id, "trigger", value, notify)
        }
        (Step::Firing { peak, notify }, Some(open)) => {
            let done = sqlx::query(
                "UPDATE incidents SET peak = $1, notified_at = $2
                 WHERE id = $3 AND ended_at IS NULL AND notified_at IS NOT DISTINCT FROM $4",
            )
            .bind(peak)
            .bind(if notify { Some(now) } else { open.notified_at })
            .bind(open.id)
            .bind(open.notified_at)
            .execute(&mut *conn)
            .await?;
            if done.rows_affected() == 0 {
                return Ok(None);
            }
            (open.id, "reminder", peak, notify)
        }
        (Step::Close { notify }, Some(open)) => {
            let done = sqlx::query("UPDATE incidents SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
                .bind(now)
                .bind(open.id)
                .execute(&mut *conn)
                .await?;
            if done.rows_affected() == 0 {
                return Ok(None);
            }
            (open.id, "recovery", open.peak, notify)
        }
        _ => return Ok(Some(0)),
    };
    if !notify {
        return Ok(Some(0));
    }
    let notice = Notice {
        event: event.to_string(),
        incident_id: Some(incident_id),
        service_slug: probe.service_slug.clone(),
        service_name: probe.service_name.clone(),
        probe_id: Some(probe.id),
        probe_name: probe.name.clone(),
        rule_kind: rule.kind.key().to_string(),
        rule: rule.kind.describe(),
        value,
        at: now,
    };
    let body = serde_json::to_string(&notice).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    for channel in channels {
        sqlx::query(
            "INSERT INTO alert_deliveries (incident_id, channel_id, event, body, created_at, next_attempt_at)
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(incident_id)
        .bind(channel)
        .bind(event)
        .bind(&body)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(Some(channels.len() as u32))
}

/// A delivery claimed for sending, with its channel.
#[derive(Debug, FromRow)]
pub struct DueDelivery {
    pub id: i64,
    /// The channel's kind ("webhook", "slack", "email") and target.
    pub kind: String,
    pub target: String,
    pub signing_key: Option<String>,
    /// A [`Notice`] as JSON.
    pub body: String,
    pub attempts: i64,
}

/// Deliveries are tried this many times (over about five hours) before
/// they are given up and shown as failed.
pub use super::outbox::MAX_ATTEMPTS;
/// Deliveries claimed and sent per pass.
const BATCH: i64 = 50;

/// Claims up to a batch of due deliveries for this replica.
pub async fn claim_deliveries(db: &Db, now: i64) -> Result<Vec<DueDelivery>, sqlx::Error> {
    let ids = outbox::claim(db, "alert_deliveries", "delivered_at", BATCH, now).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Ids come from the database.
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let mut due: Vec<DueDelivery> = sqlx::query_as(&format!(
        "SELECT d.id, c.kind, c.target, c.signing_key, d.body, d.attempts
         FROM alert_deliveries d JOIN alert_channels c ON c.id = d.channel_id WHERE d.id IN ({list})"
    ))
    .fetch_all(db.pool())
    .await?;
    due.sort_by_key(|d| d.id);
    Ok(due)
}

/// Records how sending `delivery` went: delivered, or the error with the
/// next attempt after a backoff (`outbox::backoff_ms`), or given up.
pub async fn settle_delivery(
    db: &Db,
    delivery: &DueDelivery,
    outcome: Result<(), String>,
    now: i64,
) -> Result<(), sqlx::Error> {
    match outcome {
        Ok(()) => {
            sqlx::query(
                "UPDATE alert_deliveries SET delivered_at = $1, claimed_until = NULL, last_error = NULL WHERE id = $2",
            )
            .bind(now)
            .bind(delivery.id)
            .execute(db.pool())
            .await?;
        }
        Err(error) => {
            let give_up = outbox::gives_up(delivery.attempts);
            let backoff = outbox::backoff_ms(delivery.attempts);
            sqlx::query(
                "UPDATE alert_deliveries SET last_error = $1, claimed_until = NULL, next_attempt_at = $2, failed_at = $3
                 WHERE id = $4",
            )
            .bind(&error)
            .bind(now + backoff)
            .bind(give_up.then_some(now))
            .bind(delivery.id)
            .execute(db.pool())
            .await?;
        }
    }
    Ok(())
}

/// Incidents shown on a service's page.
pub const INCIDENTS_SHOWN: i64 = 20;

/// Service `service_id`'s latest incidents, newest first.
pub async fn incidents(db: &Db, service_id: i64) -> Result<Vec<IncidentLine>, sqlx::Error> {
    let rows: Vec<(i64, String, String, i64, Option<i64>, f64)> = sqlx::query_as(&format!(
        "SELECT i.id, p.name, r.definition, i.started_at, i.ended_at, i.peak
         FROM incidents i JOIN probes p ON p.id = i.probe_id JOIN alert_rules r ON r.id = i.rule_id
         WHERE i.service_id = $1 ORDER BY i.started_at DESC, i.id DESC LIMIT {INCIDENTS_SHOWN}"
    ))
    .bind(service_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, probe_name, definition, started_at, ended_at, peak)| {
            let kind = serde_json::from_str::<Rule>(&definition).ok().map(|r| r.kind);
            IncidentLine {
                id,
                probe_name,
                rule: kind.map_or_else(|| "A rule".to_string(), |k| k.describe()),
                started_at,
                ended_at,
                peak: kind.map_or_else(String::new, |k| k.value_label(peak)),
            }
        })
        .collect())
}
