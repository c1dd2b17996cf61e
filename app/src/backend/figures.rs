//! Stored figures: each item's derived facts (current evidence by kind,
//! distinct approvals, granted waiver, when it became complete) and each
//! service's score, level and gate, written in the transaction of the
//! change that moves them. The rules themselves are `domain::readiness`;
//! this module only feeds them and stores what they say.
//!
//! * [`settle_item`] after any change to an item, its evidence, reviews or
//!   waivers; then [`refresh_service`] once for the service.
//! * [`sweep`] refreshes services whose figures change by themselves (a
//!   waiver expires, an approval goes stale) at `figures_change_at`.
//! * [`check`] recomputes everything from the raw rows and names every
//!   stored figure that disagrees (`preflight scores check`).

use sqlx::{Any, AnyConnection, FromRow};

use super::clock::Clock;
use super::db::decode_word;
use super::templates::{parse_auto, parse_tiers};
use super::Db;
use crate::domain::checklist::{EvidenceRule, Level, Severity};
use crate::domain::probes::proof::Proof;
use crate::domain::readiness::{score, ItemFacts, ItemStatus, Scorecard};
use crate::domain::services::Figures;

/// The derived facts of item `si`, from the raw rows. One definition, used
/// by [`settle_item`] to store them and by [`check`] to verify them.
const RAW_HAS_LINK: &str =
    "(SELECT COUNT(*) FROM evidence e LEFT JOIN document_versions dv ON dv.id = e.document_version_id
      WHERE e.service_item_id = si.id AND e.withdrawn_at IS NULL
        AND (e.kind = 'link' OR (e.kind = 'document' AND dv.url IS NOT NULL)))";
const RAW_HAS_FILE: &str =
    "(SELECT COUNT(*) FROM evidence e LEFT JOIN document_versions dv ON dv.id = e.document_version_id
      WHERE e.service_item_id = si.id AND e.withdrawn_at IS NULL
        AND (e.kind = 'file' OR (e.kind = 'document' AND dv.blob_sha256 IS NOT NULL)))";
const RAW_APPROVALS: &str = "(SELECT COUNT(DISTINCT r.reviewer_id) FROM reviews r
      WHERE r.service_item_id = si.id AND r.decision = 'approve' AND r.superseded_at IS NULL)";
const RAW_WAIVER: &str =
    "(SELECT MAX(w.expires_at) FROM waivers w WHERE w.service_item_id = si.id AND w.state = 'granted')";

/// One item of a service with everything scoring needs: the columns of
/// [`FACTS_COLUMNS`] plus `has_link`, `has_file`, `approvals` and
/// `waiver_expires_at` (stored, or computed from the raw rows).
#[derive(FromRow)]
pub struct FactsRow {
    id: i64,
    status: String,
    na_accepted_at: Option<i64>,
    has_link: i64,
    has_file: i64,
    approvals: i64,
    complete_since: Option<i64>,
    rejection: Option<String>,
    waiver_expires_at: Option<i64>,
    severity: String,
    level: String,
    evidence: String,
    approvals_required: i64,
    valid_days: i64,
    auto_signal: Option<String>,
    tiers: Option<String>,
    live_proven: Option<i64>,
    live_note: Option<String>,
}

impl FactsRow {
    pub fn into_facts(self, tier: u8) -> Result<(i64, ItemFacts), sqlx::Error> {
        let applies = parse_tiers(self.tiers.as_deref()).is_none_or(|tiers| tiers.contains(&tier));
        Ok((
            self.id,
            ItemFacts {
                severity: decode_word::<Severity>(self.severity)?,
                level: decode_word::<Level>(self.level)?,
                evidence: decode_word::<EvidenceRule>(self.evidence)?,
                approvals_required: self.approvals_required as u8,
                valid_days: self.valid_days as u32,
                auto: self.auto_signal.as_deref().and_then(parse_auto),
                live: self
                    .live_proven
                    .map(|proven| Proof { proven: proven != 0, note: self.live_note.unwrap_or_default() }),
                applies,
                status: decode_word::<ItemStatus>(self.status)?,
                not_applicable_accepted: self.na_accepted_at.is_some(),
                has_link: self.has_link > 0,
                has_file: self.has_file > 0,
                approvals: self.approvals.clamp(0, 255) as u8,
                complete_since: self.complete_since,
                rejection: self.rejection,
                waiver_expires_at: self.waiver_expires_at,
            },
        ))
    }
}

pub const FACTS_COLUMNS: &str = "si.id, si.status, si.na_accepted_at, si.complete_since, si.rejection,
       ti.severity, ti.level, ti.evidence, ti.approvals AS approvals_required, ti.valid_days, ti.auto_signal, ti.tiers,
       si.live_proven, si.live_note";

/// The service's current items (in template and item order) with their
/// stored facts.
pub async fn service_items(conn: &mut AnyConnection, service_id: i64) -> Result<Vec<(i64, ItemFacts)>, sqlx::Error> {
    let tier: i64 =
        sqlx::query_scalar("SELECT tier FROM services WHERE id = $1").bind(service_id).fetch_one(&mut *conn).await?;
    let sql = format!(
        "SELECT {FACTS_COLUMNS}, si.has_link, si.has_file, si.approvals, si.waiver_expires_at
         FROM service_items si JOIN template_items ti ON ti.id = si.template_item_id
         WHERE si.service_id = $1 AND si.removed_at IS NULL ORDER BY si.service_template_id, ti.position"
    );
    let rows: Vec<FactsRow> = sqlx::query_as(&sql).bind(service_id).fetch_all(&mut *conn).await?;
    rows.into_iter().map(|r| r.into_facts(tier as u8)).collect()
}

/// Stores item `item_id`'s derived facts from the raw rows: evidence by
/// kind, distinct current approvals, the granted waiver, and since when it
/// is complete (kept while it stays complete, so freshness counts from the
/// approval that completed it).
pub async fn settle_item(conn: &mut AnyConnection, item_id: i64, now: i64) -> Result<(), sqlx::Error> {
    let sql = format!(
        "UPDATE service_items SET has_link = {RAW_HAS_LINK}, has_file = {RAW_HAS_FILE},
                approvals = {RAW_APPROVALS}, waiver_expires_at = {RAW_WAIVER}
         WHERE id = $1"
    )
    .replace("si.id", "service_items.id");
    sqlx::query(&sql).bind(item_id).execute(&mut *conn).await?;
    let (status, has_link, has_file, approvals, evidence, required, since): (
        String,
        i64,
        i64,
        i64,
        String,
        i64,
        Option<i64>,
    ) = sqlx::query_as(
        "SELECT si.status, si.has_link, si.has_file, si.approvals, ti.evidence, ti.approvals, si.complete_since
         FROM service_items si JOIN template_items ti ON ti.id = si.template_item_id WHERE si.id = $1",
    )
    .bind(item_id)
    .fetch_one(&mut *conn)
    .await?;
    let rule: EvidenceRule = decode_word(evidence)?;
    let complete =
        status == ItemStatus::Done.as_str() && rule.is_met(has_link > 0, has_file > 0) && approvals >= required;
    let since = if complete { Some(since.unwrap_or(now)) } else { None };
    sqlx::query("UPDATE service_items SET complete_since = $1 WHERE id = $2")
        .bind(since)
        .bind(item_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The figures of a scorecard as the services table stores them.
pub fn figures_of(card: &Scorecard) -> Figures {
    Figures {
        score: card.percent(),
        score_without_waivers: card.percent_without_waivers(),
        level: card.level,
        ready: card.gate.is_ready(),
        waivers: card.waivers,
        blocking: match &card.gate {
            crate::domain::readiness::Gate::NotReady { blocking } => blocking.len() as u32,
            crate::domain::readiness::Gate::Ready { .. } => 0,
        },
        items_total: card.counted,
        items_satisfied: card.passing,
    }
}

/// Scores service `service_id` from its items' stored facts at `now` and
/// stores the result. Call inside the transaction of the change.
pub async fn refresh_service(conn: &mut AnyConnection, service_id: i64, now: i64) -> Result<Scorecard, sqlx::Error> {
    let items = service_items(conn, service_id).await?;
    let (ids, facts): (Vec<i64>, Vec<ItemFacts>) = items.into_iter().unzip();
    let card = score(&facts, now);
    let figures = figures_of(&card);
    let (team_id, before) = stored(conn, service_id).await?;
    sqlx::query(
        "UPDATE services SET applicable_weight = $1, satisfied_weight = $2, satisfied_weight_without_waivers = $3,
                score = $4, score_without_waivers = $5, level = $6, ready = $7, waivers = $8, blocking = $9,
                items_total = $10, items_satisfied = $11, figures_change_at = $12
         WHERE id = $13",
    )
    .bind(i64::from(card.applicable_weight))
    .bind(i64::from(card.satisfied_weight))
    .bind(i64::from(card.satisfied_weight_without_waivers))
    .bind(figures.score.map(i64::from))
    .bind(figures.score_without_waivers.map(i64::from))
    .bind(figures.level.map(Level::as_str))
    .bind(i64::from(figures.ready))
    .bind(i64::from(figures.waivers))
    .bind(i64::from(figures.blocking))
    .bind(i64::from(figures.items_total))
    .bind(i64::from(figures.items_satisfied))
    .bind(card.changes_at)
    .bind(service_id)
    .execute(&mut *conn)
    .await?;
    super::history::record(conn, service_id, team_id, &before, &figures, now).await?;
    super::campaigns::restate(conn, service_id, figures.level, &ids, &facts, now).await?;
    if before.ready && !figures.ready {
        let reasons = blocking_reasons(conn, &ids, &facts, &card, now).await?;
        super::notifications::gate_regressed(conn, service_id, &reasons, now).await?;
    }
    Ok(card)
}

/// Each item in the way of the gate as (title, reason), in the gate's
/// order (most severe first).
async fn blocking_reasons(
    conn: &mut AnyConnection,
    ids: &[i64],
    facts: &[ItemFacts],
    card: &Scorecard,
    now: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let crate::domain::readiness::Gate::NotReady { blocking } = &card.gate else {
        return Ok(Vec::new());
    };
    if blocking.is_empty() {
        return Ok(vec![("No checklist".into(), "no item counts yet".into())]);
    }
    // Ids are the service's own item ids, read above.
    let list: Vec<String> = blocking.iter().map(|&i| ids[i].to_string()).collect();
    let titles: Vec<(i64, String)> = sqlx::query_as(&format!(
        "SELECT si.id, ti.title FROM service_items si JOIN template_items ti ON ti.id = si.template_item_id
         WHERE si.id IN ({})",
        list.join(",")
    ))
    .fetch_all(&mut *conn)
    .await?;
    Ok(blocking
        .iter()
        .map(|&i| {
            let title = titles.iter().find(|(id, _)| *id == ids[i]).map(|(_, t)| t.clone()).unwrap_or_default();
            (title, crate::domain::readiness::standing(&facts[i], now).describe())
        })
        .collect())
}

/// The service's team and its figures as stored before a change.
async fn stored(conn: &mut AnyConnection, service_id: i64) -> Result<(i64, Figures), sqlx::Error> {
    type Row = (i64, Option<i64>, Option<String>, i64, i64, i64);
    let (team_id, score, level, ready, blocking, waivers): Row =
        sqlx::query_as("SELECT team_id, score, level, ready, blocking, waivers FROM services WHERE id = $1")
            .bind(service_id)
            .fetch_one(&mut *conn)
            .await?;
    let figures = Figures {
        score: score.map(|s| s.clamp(0, 100) as u32),
        level: level.map(decode_word::<Level>).transpose()?,
        ready: ready != 0,
        blocking: blocking.max(0) as u32,
        waivers: waivers.max(0) as u32,
        ..Figures::default()
    };
    Ok((team_id, figures))
}

/// Refreshes every service whose figures were due to change by now (a
/// waiver expired, an approval went stale). Safe on every replica at once.
/// Returns how many services it refreshed.
pub async fn sweep(db: &Db, clock: &Clock) -> Result<u64, sqlx::Error> {
    let now = clock.now_millis();
    let due: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM services WHERE figures_change_at IS NOT NULL AND figures_change_at <= $1")
            .bind(now)
            .fetch_all(db.pool())
            .await?;
    for service_id in &due {
        let mut tx = db.pool().begin().await?;
        lock_service(&mut tx, *service_id).await?;
        refresh_service(&mut tx, *service_id, now).await?;
        tx.commit().await?;
    }
    Ok(due.len() as u64)
}

/// Takes the service's row lock for the rest of the transaction, so changes
/// to one service's items are scored one after another (on SQLite this
/// takes the write lock at once instead of upgrading a read later).
pub async fn lock_service(tx: &mut sqlx::Transaction<'_, Any>, service_id: i64) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE services SET version = version WHERE id = $1").bind(service_id).execute(&mut **tx).await?;
    Ok(done.rows_affected() > 0)
}

/// A stored figure that disagrees with the raw rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    pub service: String,
    pub what: String,
    pub stored: String,
    pub computed: String,
}

impl std::fmt::Display for Disagreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} is stored as {} but computes to {}", self.service, self.what, self.stored, self.computed)
    }
}

/// Recomputes every service's items and figures from the raw rows at `now`
/// and lists every stored value that disagrees (empty when all agree).
/// Reads only.
pub async fn check(db: &Db, now: i64) -> Result<(usize, Vec<Disagreement>), sqlx::Error> {
    #[derive(FromRow)]
    struct Stored {
        id: i64,
        slug: String,
        tier: i64,
        score: Option<i64>,
        score_without_waivers: Option<i64>,
        level: Option<String>,
        ready: i64,
        waivers: i64,
        blocking: i64,
        items_total: i64,
        items_satisfied: i64,
    }
    let services: Vec<Stored> = sqlx::query_as(
        "SELECT id, slug, tier, score, score_without_waivers, level, ready, waivers, blocking, items_total,
                items_satisfied FROM services ORDER BY id",
    )
    .fetch_all(db.pool())
    .await?;
    let mut found = Vec::new();
    let mut conn = db.pool().acquire().await?;
    for service in &services {
        let mut differs = |what: String, stored: String, computed: String| {
            if stored != computed {
                found.push(Disagreement { service: service.slug.clone(), what, stored, computed });
            }
        };
        // Items: the stored derived facts against the raw rows.
        let sql = format!(
            "SELECT {FACTS_COLUMNS}, si.key, si.has_link AS stored_link, si.has_file AS stored_file,
                    si.approvals AS stored_approvals, si.waiver_expires_at AS stored_waiver,
                    {RAW_HAS_LINK} AS has_link, {RAW_HAS_FILE} AS has_file, {RAW_APPROVALS} AS approvals,
                    {RAW_WAIVER} AS waiver_expires_at
             FROM service_items si JOIN template_items ti ON ti.id = si.template_item_id
             WHERE si.service_id = $1 AND si.removed_at IS NULL ORDER BY si.service_template_id, ti.position"
        );
        let rows = sqlx::query(&sql).bind(service.id).fetch_all(&mut *conn).await?;
        let mut facts = Vec::with_capacity(rows.len());
        for row in &rows {
            use sqlx::Row;
            let key: String = row.try_get("key")?;
            let pairs: [(&str, &str); 3] =
                [("has_link", "stored_link"), ("has_file", "stored_file"), ("approvals", "stored_approvals")];
            for (raw, stored) in pairs {
                let (raw_value, stored_value): (i64, i64) = (row.try_get(raw)?, row.try_get(stored)?);
                differs(format!("item {key} {raw}"), stored_value.to_string(), raw_value.to_string());
            }
            let (raw_waiver, stored_waiver): (Option<i64>, Option<i64>) =
                (row.try_get("waiver_expires_at")?, row.try_get("stored_waiver")?);
            differs(format!("item {key} waiver"), format!("{stored_waiver:?}"), format!("{raw_waiver:?}"));
            facts.push(FactsRow::from_row(row)?.into_facts(service.tier as u8)?.1);
        }
        let computed = figures_of(&score(&facts, now));
        let stored = Figures {
            score: service.score.map(|s| s as u32),
            score_without_waivers: service.score_without_waivers.map(|s| s as u32),
            level: service.level.clone().map(decode_word).transpose()?,
            ready: service.ready != 0,
            waivers: service.waivers as u32,
            blocking: service.blocking as u32,
            items_total: service.items_total as u32,
            items_satisfied: service.items_satisfied as u32,
        };
        let show = |f: &Figures| format!("{f:?}");
        differs("figures".into(), show(&stored), show(&computed));
    }
    // Campaign standings against the figures just checked.
    for (service, what, stored, computed) in super::campaigns::check(&mut conn, now).await? {
        found.push(Disagreement { service, what, stored, computed });
    }
    Ok((services.len(), found))
}
