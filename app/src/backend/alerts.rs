//! Alerts as stored: channels, rules and maintenance windows people set up
//! (each with its audit entry), and [`evaluate`], which reads every rule
//! against its probes once a minute (from the upkeep task), opens, reminds
//! and closes incidents, and queues a delivery per channel in the same
//! transaction. The rules themselves are `domain::probes::alerts`;
//! `alert_send` sends what is queued. The alert pages read
//! [`team_alerts`] and [`service_alerts`].

use std::collections::HashMap;

use sqlx::{AnyConnection, FromRow};

use super::audit::{self, Actor};
use super::outbox;
use super::Db;
use crate::domain::probes::alert_views::{ChannelLine, Choice, DeliveryLine, DeliveryState, MaintenanceLine, RuleLine};
use crate::domain::probes::alerts::{
    breach, shown_target, step, Maintenance, Notice, OpenIncident, Reading, Rule, Step,
};
use crate::domain::probes::blocks::CheckRecord;
use crate::domain::probes::rollup::Rollup;
use crate::domain::probes::summary::IncidentLine;
use crate::error::AppError;

pub use crate::domain::probes::alerts::ChannelKind;

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
    // A write first: on SQLite a transaction that reads and then writes
    // fails at once when another writer holds the lock.
    if !super::figures::lock_service(&mut tx, service_id).await? {
        return Err(AppError::NotFound);
    }
    let team_id: i64 = sqlx::query_scalar("SELECT team_id FROM services WHERE id = $1")
        .bind(service_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(probe_id) = probe_id {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM probes WHERE id = $1 AND service_id = $2 AND deleted_at IS NULL")
                .bind(probe_id)
                .bind(service_id)
                .fetch_optional(&mut *tx)
                .await?;
        if found.is_none() {
            return Err(AppError::invalid("probe_id", "Choose one of this service's probes, or all of them."));
        }
    }
    if channels.is_empty() {
        return Err(AppError::invalid("channels", "Choose at least one channel to send to."));
    }
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

/// What one [`evaluate`] moved.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Moved {
    /// How many incidents and deliveries.
    pub counts: Evaluated,
    /// The probes whose incidents opened or closed, for live pages.
    pub probes: Vec<super::probe_runs::ProbeUpdate>,
}

/// Reads the rules of the services in `only` (every service when `None`)
/// against their probes at `now` and moves their incidents. The upkeep
/// task reads every rule once a minute; the engine reads a service's as
/// soon as one of its probes goes down or comes back up. Safe on several
/// replicas at once: an incident opens once (a unique index on open
/// incidents), and a reminder or close is written only over the state
/// this call read.
pub async fn evaluate(db: &Db, only: Option<&[i64]>, now: i64) -> Result<Moved, sqlx::Error> {
    let mut moved = Moved::default();
    if only.is_some_and(<[i64]>::is_empty) {
        return Ok(moved);
    }
    // Ids come from the database; `only` narrows every read below.
    let services = only.map_or_else(String::new, |ids| {
        format!(" AND service_id IN ({})", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","))
    });
    let mut conn = db.pool().acquire().await?;
    let rules: Vec<(i64, i64, Option<i64>, String)> = sqlx::query_as(&format!(
        "SELECT id, service_id, probe_id, definition FROM alert_rules WHERE deleted_at IS NULL{services}"
    ))
    .fetch_all(&mut *conn)
    .await?;
    if rules.is_empty() {
        return Ok(moved);
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
    let probes: Vec<ProbeRow> = sqlx::query_as(&format!(
        "SELECT p.id, p.service_id, p.name, p.status, p.tls_not_after, s.slug AS service_slug, s.name AS service_name
         FROM probes p JOIN services s ON s.id = p.service_id
         WHERE p.deleted_at IS NULL AND p.status <> 'paused'
           AND p.service_id IN (SELECT service_id FROM alert_rules WHERE deleted_at IS NULL{services})",
    ))
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
    for (service_id, text) in sqlx::query_as::<_, (i64, String)>(&format!(
        "SELECT service_id, definition FROM maintenance_windows WHERE deleted_at IS NULL{services}"
    ))
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
            let update = super::probe_runs::ProbeUpdate { service_id: *service_id, probe_id: probe.id };
            match next {
                Step::Open { .. } if queued.is_some() => {
                    moved.counts.opened += 1;
                    moved.probes.push(update);
                }
                Step::Close { .. } if queued.is_some() => {
                    moved.counts.closed += 1;
                    moved.probes.push(update);
                }
                _ => {}
            }
            moved.counts.queued += queued.unwrap_or(0);
        }
    }
    Ok(moved)
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
    /// "trigger", "reminder", "recovery" or "test".
    pub event: String,
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
        "SELECT d.id, c.kind, c.target, c.signing_key, d.event, d.body, d.attempts
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
            // A test is someone waiting for an answer, not an alert to
            // get through: it is reported at once and not tried again.
            let give_up = delivery.event == "test" || outbox::gives_up(delivery.attempts);
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

/// Removes channel `channel_id` of team `team_id`: nothing more is sent to
/// it (rules keep their other channels); its deliveries stay listed.
pub async fn remove_channel(
    db: &Db,
    actor: Actor<'_>,
    team_id: i64,
    channel_id: i64,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = db.pool().begin().await?;
    mark_deleted(&mut tx, "alert_channels", "team_id", team_id, channel_id, now).await?;
    // Deliveries not yet sent would go nowhere.
    sqlx::query(
        "UPDATE alert_deliveries SET failed_at = $1, last_error = 'The channel was removed.'
         WHERE channel_id = $2 AND delivered_at IS NULL AND failed_at IS NULL",
    )
    .bind(now)
    .bind(channel_id)
    .execute(&mut *tx)
    .await?;
    audit::record(&mut *tx, now, actor.entry("alert.channel_removed", "alert_channel", channel_id, None)).await?;
    tx.commit().await?;
    Ok(())
}

/// Queues a test notification to channel `channel_id` of team `team_id`,
/// already claimed by the caller, who sends it at once (`alert_send`) and
/// settles it: the person who asked sees the answer.
pub async fn queue_test(
    db: &Db,
    actor: Actor<'_>,
    team_id: i64,
    channel_id: i64,
    now: i64,
) -> Result<DueDelivery, AppError> {
    // Read before the transaction, which then starts with its write (see
    // `create_rule`).
    let channel: Option<(String, String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT c.name, c.kind, c.target, c.signing_key, t.name FROM alert_channels c JOIN teams t ON t.id = c.team_id
         WHERE c.id = $1 AND c.team_id = $2 AND c.deleted_at IS NULL",
    )
    .bind(channel_id)
    .bind(team_id)
    .fetch_optional(db.pool())
    .await?;
    let (name, kind, target, signing_key, team_name) = channel.ok_or(AppError::NotFound)?;
    let notice = Notice::test(&name, &team_name, now);
    let body = serde_json::to_string(&notice).map_err(|_| AppError::Internal)?;
    let mut tx = db.pool().begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO alert_deliveries (channel_id, event, body, created_at, next_attempt_at, claimed_until, attempts)
         VALUES ($1, 'test', $2, $3, $3, $4, 1) RETURNING id",
    )
    .bind(channel_id)
    .bind(&body)
    .bind(now)
    .bind(now + outbox::CLAIM_MS)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(&mut *tx, now, actor.entry("alert.channel_tested", "alert_channel", channel_id, None)).await?;
    tx.commit().await?;
    Ok(DueDelivery { id, kind, target, signing_key, event: "test".into(), body, attempts: 1 })
}

/// Deliveries listed on a team's page.
pub const DELIVERIES_SHOWN: i64 = 30;

/// Team `team_id`'s channels (by name) and their latest deliveries.
pub async fn team_alerts(
    db: &Db,
    team_id: i64,
    now: i64,
) -> Result<(Vec<ChannelLine>, Vec<DeliveryLine>), sqlx::Error> {
    let week_ago = now - 7 * 24 * 3_600_000;
    // (id, name, kind, target, created, last delivered, failed this week)
    type ChannelRow = (i64, String, String, String, i64, Option<i64>, i64);
    let channels: Vec<ChannelRow> = sqlx::query_as(
        "SELECT c.id, c.name, c.kind, c.target, c.created_at,
                (SELECT MAX(d.delivered_at) FROM alert_deliveries d WHERE d.channel_id = c.id),
                (SELECT COUNT(*) FROM alert_deliveries d WHERE d.channel_id = c.id AND d.failed_at >= $2)
         FROM alert_channels c WHERE c.team_id = $1 AND c.deleted_at IS NULL ORDER BY c.name, c.id",
    )
    .bind(team_id)
    .bind(week_ago)
    .fetch_all(db.pool())
    .await?;
    let channels = channels
        .into_iter()
        .filter_map(|(id, name, kind, target, created_at, last_delivered_at, failed_recently)| {
            let kind = ChannelKind::parse(&kind)?;
            Some(ChannelLine {
                id,
                name,
                kind,
                target: shown_target(kind, &target),
                created_at,
                last_delivered_at,
                failed_recently,
            })
        })
        .collect();
    #[derive(FromRow)]
    struct Row {
        id: i64,
        channel_name: String,
        body: String,
        created_at: i64,
        next_attempt_at: i64,
        attempts: i64,
        last_error: Option<String>,
        delivered_at: Option<i64>,
        failed_at: Option<i64>,
    }
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT d.id, c.name AS channel_name, d.body, d.created_at, d.next_attempt_at, d.attempts, d.last_error,
                d.delivered_at, d.failed_at
         FROM alert_deliveries d JOIN alert_channels c ON c.id = d.channel_id
         WHERE c.team_id = $1 ORDER BY d.id DESC LIMIT {DELIVERIES_SHOWN}"
    ))
    .bind(team_id)
    .fetch_all(db.pool())
    .await?;
    let deliveries = rows
        .into_iter()
        .map(|row| {
            let state = match (row.delivered_at, row.failed_at) {
                (Some(at), _) => DeliveryState::Delivered { at },
                (None, Some(at)) => DeliveryState::Failed { at, error: row.last_error.unwrap_or_default() },
                (None, None) => DeliveryState::Waiting {
                    attempts: row.attempts,
                    next_attempt_at: row.next_attempt_at,
                    last_error: row.last_error,
                },
            };
            let headline = serde_json::from_str::<Notice>(&row.body)
                .map_or_else(|_| "A notification".to_string(), |n| n.headline());
            DeliveryLine { id: row.id, channel_name: row.channel_name, headline, created_at: row.created_at, state }
        })
        .collect();
    Ok((channels, deliveries))
}

/// What a service's alerts page lists.
pub struct ServiceAlertLists {
    pub rules: Vec<RuleLine>,
    pub windows: Vec<MaintenanceLine>,
    pub probes: Vec<Choice>,
    pub channels: Vec<Choice>,
}

/// Service `service_id`'s rules and current maintenance windows, with its
/// probes and its team `team_id`'s channels to choose from.
pub async fn service_alerts(
    db: &Db,
    service_id: i64,
    team_id: i64,
    now: i64,
) -> Result<ServiceAlertLists, sqlx::Error> {
    let rules: Vec<(i64, Option<String>, String, i64)> = sqlx::query_as(
        "SELECT r.id, p.name, r.definition,
                (SELECT COUNT(*) FROM incidents i WHERE i.rule_id = r.id AND i.ended_at IS NULL)
         FROM alert_rules r LEFT JOIN probes p ON p.id = r.probe_id
         WHERE r.service_id = $1 AND r.deleted_at IS NULL ORDER BY r.id",
    )
    .bind(service_id)
    .fetch_all(db.pool())
    .await?;
    let mut sends_to: HashMap<i64, Vec<String>> = HashMap::new();
    for (rule_id, name) in sqlx::query_as::<_, (i64, String)>(
        "SELECT rc.rule_id, c.name FROM alert_rule_channels rc
         JOIN alert_rules r ON r.id = rc.rule_id JOIN alert_channels c ON c.id = rc.channel_id
         WHERE r.service_id = $1 AND r.deleted_at IS NULL AND c.deleted_at IS NULL ORDER BY c.name",
    )
    .bind(service_id)
    .fetch_all(db.pool())
    .await?
    {
        sends_to.entry(rule_id).or_default().push(name);
    }
    let rules = rules
        .into_iter()
        .filter_map(|(id, probe_name, definition, open)| {
            let rule = serde_json::from_str::<Rule>(&definition).ok()?;
            Some(RuleLine {
                id,
                rule: rule.kind.describe(),
                probe_name,
                channels: sends_to.remove(&id).unwrap_or_default(),
                resend_minutes: rule.resend_every_ms / 60_000,
                firing: open > 0,
            })
        })
        .collect();
    let windows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, definition, note FROM maintenance_windows WHERE service_id = $1 AND deleted_at IS NULL ORDER BY id",
    )
    .bind(service_id)
    .fetch_all(db.pool())
    .await?;
    let windows = windows
        .into_iter()
        .filter_map(|(id, definition, note)| {
            let window = serde_json::from_str::<Maintenance>(&definition).ok()?;
            (!window.is_over(now)).then(|| MaintenanceLine {
                id,
                when: window.describe(),
                note,
                active: window.covers(now),
            })
        })
        .collect();
    let probes = sqlx::query_as::<_, (i64, String)>(
        "SELECT id, name FROM probes WHERE service_id = $1 AND deleted_at IS NULL ORDER BY name, id",
    )
    .bind(service_id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(|(id, name)| Choice { id, name })
    .collect();
    let channels = sqlx::query_as::<_, (i64, String)>(
        "SELECT id, name FROM alert_channels WHERE team_id = $1 AND deleted_at IS NULL ORDER BY name, id",
    )
    .bind(team_id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(|(id, name)| Choice { id, name })
    .collect();
    Ok(ServiceAlertLists { rules, windows, probes, channels })
}

/// Removes rule `rule_id` of service `service_id`; an incident of it that
/// is still open ends now, without a recovery notice (nothing recovered).
pub async fn remove_rule(db: &Db, actor: Actor<'_>, service_id: i64, rule_id: i64, now: i64) -> Result<(), AppError> {
    let mut tx = db.pool().begin().await?;
    mark_deleted(&mut tx, "alert_rules", "service_id", service_id, rule_id, now).await?;
    sqlx::query("UPDATE incidents SET ended_at = $1 WHERE rule_id = $2 AND ended_at IS NULL")
        .bind(now)
        .bind(rule_id)
        .execute(&mut *tx)
        .await?;
    let detail = serde_json::json!({ "rule_id": rule_id });
    audit::record(&mut *tx, now, actor.entry("alert.rule_removed", "service", service_id, Some(detail.to_string())))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes maintenance window `window_id` of service `service_id`.
pub async fn remove_maintenance(
    db: &Db,
    actor: Actor<'_>,
    service_id: i64,
    window_id: i64,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = db.pool().begin().await?;
    mark_deleted(&mut tx, "maintenance_windows", "service_id", service_id, window_id, now).await?;
    let detail = serde_json::json!({ "window_id": window_id });
    audit::record(
        &mut *tx,
        now,
        actor.entry("alert.maintenance_removed", "service", service_id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks row `id` of `table` (channels, rules, windows) deleted at `now`,
/// if it belongs to `owner` through `owner_column` and is not deleted yet;
/// otherwise it is not found. The row stays for history.
async fn mark_deleted(
    conn: &mut AnyConnection,
    table: &str,
    owner_column: &str,
    owner: i64,
    id: i64,
    now: i64,
) -> Result<(), AppError> {
    // Table and column names are this module's own constants.
    let done = sqlx::query(&format!(
        "UPDATE {table} SET deleted_at = $1 WHERE id = $2 AND {owner_column} = $3 AND deleted_at IS NULL"
    ))
    .bind(now)
    .bind(id)
    .bind(owner)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
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
