//! Campaigns: a goal, the services it covers (fixed when it starts) and a
//! deadline. Progress is read from the stored figures (a level goal) or
//! the stored item facts (an items goal), so a campaign over 1,000
//! services is a couple of statements; `campaign_days` keeps one count per
//! day for the burn-up chart, kept current by [`sweep`].

use std::collections::HashMap;

use sqlx::{AnyConnection, FromRow, Row};

use super::audit::{self, Actor};
use super::db::{bind_all, decode_word, Bind};
use super::figures::{FactsRow, FACTS_COLUMNS};
use super::Db;
use crate::domain::campaigns::{
    days_left, level_rank, parse_day, BehindService, Burnup, BurnupDay, CampaignDetail, CampaignSummary, Goal,
};
use crate::domain::checklist::{Level, Severity};
use crate::domain::history::day_of;
use crate::domain::readiness::{standing, ItemFacts};
use crate::error::AppError;

/// Services behind shown per page of the campaign page.
pub const BEHIND_PAGE: usize = 50;
/// What a service lacks, at most, in the list (the rest is "and N more").
const LACKS_SHOWN: usize = 4;

/// The new-campaign form as sent.
#[derive(Debug, Clone, Default)]
pub struct CampaignForm {
    pub name: String,
    /// "level" or "items".
    pub goal: String,
    pub level: String,
    pub items: Vec<String>,
    /// A team id, or "" for every team the caller may cover.
    pub team: String,
    /// "1", "2", "3" or "" for every tier.
    pub tier: String,
    /// Hand-picked service slugs; when any, they replace team and tier.
    pub services: Vec<String>,
    pub deadline: String,
}

/// A checked campaign, ready to start.
#[derive(Debug, Clone)]
pub struct ValidCampaign {
    pub name: String,
    pub goal: Goal,
    pub team_id: Option<i64>,
    pub tier: Option<u8>,
    pub services: Vec<String>,
    pub deadline: String,
}

/// Checks the form against `today` (a day number), naming the field of
/// every problem.
pub fn validate(form: &CampaignForm, today: i64) -> Result<ValidCampaign, AppError> {
    let name = form.name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "Give the campaign a name."));
    }
    if name.chars().count() > 100 {
        return Err(AppError::invalid("name", "Keep the name to 100 characters."));
    }
    let goal = match form.goal.as_str() {
        "level" => Goal::Level(
            Level::parse(form.level.trim())
                .ok_or_else(|| AppError::invalid("level", "Choose the level every service must reach."))?,
        ),
        "items" => {
            let mut items: Vec<String> =
                form.items.iter().map(|i| i.trim().to_string()).filter(|i| !i.is_empty()).collect();
            items.sort();
            items.dedup();
            if items.is_empty() {
                return Err(AppError::invalid("items", "Choose at least one item every service must satisfy."));
            }
            if items.iter().any(|i| i.split_once('/').is_none_or(|(t, k)| t.is_empty() || k.is_empty())) {
                return Err(AppError::invalid("items", "Choose items from the list."));
            }
            Goal::Items(items)
        }
        _ => return Err(AppError::invalid("goal", "Choose a level or items as the goal.")),
    };
    let deadline = form.deadline.trim();
    let day = parse_day(deadline).ok_or_else(|| AppError::invalid("deadline", "Give the deadline as a date."))?;
    if day < today {
        return Err(AppError::invalid("deadline", "The deadline is in the past; choose today or a later day."));
    }
    let team_id = match form.team.trim() {
        "" => None,
        t => Some(t.parse().map_err(|_| AppError::invalid("team", "Choose a team from the list."))?),
    };
    let tier = match form.tier.trim() {
        "" => None,
        t @ ("1" | "2" | "3") => Some(t.parse().unwrap_or(1)),
        _ => return Err(AppError::invalid("tier", "Choose tier 1, 2 or 3.")),
    };
    let mut services: Vec<String> =
        form.services.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    services.sort();
    services.dedup();
    Ok(ValidCampaign { name: name.to_string(), goal, team_id, tier, services, deadline: deadline.to_string() })
}

/// Starts `campaign` over the live services it selects among `teams`
/// (every team when `None`, as for an administrator); returns its id.
pub async fn start(
    db: &Db,
    actor: Actor<'_>,
    campaign: &ValidCampaign,
    teams: Option<&[i64]>,
    now: i64,
) -> Result<i64, AppError> {
    if let (Some(team), Some(allowed)) = (campaign.team_id, teams) {
        if !allowed.contains(&team) {
            return Err(AppError::invalid("team", "You can cover only the teams you lead."));
        }
    }
    let mut tx = db.pool().begin().await?;
    let ids = select_services(&mut tx, campaign, teams).await?;
    if ids.is_empty() {
        let field = if campaign.services.is_empty() { "team" } else { "services" };
        return Err(AppError::invalid(field, "No live service matches this selection; choose other services."));
    }
    let (goal_kind, goal_level, goal_items) = match &campaign.goal {
        Goal::Level(level) => ("level", Some(level.as_str()), None),
        Goal::Items(items) => ("items", None, Some(items.join("\n"))),
    };
    let selection = describe_selection(&mut tx, campaign, ids.len()).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO campaigns (name, goal_kind, goal_level, goal_items, selection, deadline, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&campaign.name)
    .bind(goal_kind)
    .bind(goal_level)
    .bind(goal_items)
    .bind(&selection)
    .bind(&campaign.deadline)
    .bind(actor.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    // Ids come from the database, not from the caller.
    let values: Vec<String> = ids.iter().map(|s| format!("({id}, {s})")).collect();
    for chunk in values.chunks(500) {
        sqlx::query(&format!("INSERT INTO campaign_services (campaign_id, service_id) VALUES {}", chunk.join(",")))
            .execute(&mut *tx)
            .await?;
    }
    let record = find_in(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    record_day(&mut tx, &record, now).await?;
    let detail = serde_json::json!({
        "name": campaign.name, "goal": campaign.goal.describe(), "deadline": campaign.deadline,
        "selection": selection, "services": ids.len(),
    });
    audit::record(&mut *tx, now, actor.entry("campaign.started", "campaign", id, Some(detail.to_string()))).await?;
    tx.commit().await?;
    Ok(id)
}

/// The live services a campaign selects, within `teams`.
async fn select_services(
    conn: &mut AnyConnection,
    campaign: &ValidCampaign,
    teams: Option<&[i64]>,
) -> Result<Vec<i64>, sqlx::Error> {
    let mut sql = String::from("SELECT id FROM services WHERE archived_at IS NULL");
    if let Some(teams) = teams {
        if teams.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = teams.iter().map(i64::to_string).collect();
        sql.push_str(&format!(" AND team_id IN ({})", list.join(",")));
    }
    if campaign.services.is_empty() {
        if let Some(team) = campaign.team_id {
            sql.push_str(&format!(" AND team_id = {team}"));
        }
        if let Some(tier) = campaign.tier {
            sql.push_str(&format!(" AND tier = {tier}"));
        }
        sql.push_str(" ORDER BY id");
        return sqlx::query_scalar(&sql).fetch_all(&mut *conn).await;
    }
    let marks: Vec<String> = (1..=campaign.services.len()).map(|i| format!("${i}")).collect();
    sql.push_str(&format!(" AND slug IN ({}) ORDER BY id", marks.join(",")));
    let mut query = sqlx::query_scalar(&sql);
    for slug in &campaign.services {
        query = query.bind(slug);
    }
    query.fetch_all(&mut *conn).await
}

/// "Tier 1 services of Payments (12)", "3 hand-picked services".
async fn describe_selection(
    conn: &mut AnyConnection,
    campaign: &ValidCampaign,
    count: usize,
) -> Result<String, sqlx::Error> {
    if !campaign.services.is_empty() {
        return Ok(format!("{count} hand-picked service{}", if count == 1 { "" } else { "s" }));
    }
    let team = match campaign.team_id {
        Some(id) => Some(
            sqlx::query_scalar::<_, String>("SELECT name FROM teams WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *conn)
                .await?,
        ),
        None => None,
    };
    let what = match campaign.tier {
        Some(tier) => format!("Tier {tier} services"),
        None => "Services".to_string(),
    };
    Ok(match team {
        Some(team) => format!("{what} of {team} ({count})"),
        None => format!("{what} of every team ({count})"),
    })
}

/// A stored campaign.
#[derive(Debug, Clone)]
pub struct CampaignRecord {
    pub id: i64,
    pub name: String,
    pub goal: Goal,
    pub selection: String,
    pub deadline: String,
    pub created_by: String,
    pub created_by_id: Option<i64>,
    pub created_at: i64,
    pub ended: bool,
}

#[derive(FromRow)]
struct CampaignRow {
    id: i64,
    name: String,
    goal_kind: String,
    goal_level: Option<String>,
    goal_items: Option<String>,
    selection: String,
    deadline: String,
    created_by: Option<String>,
    created_by_id: Option<i64>,
    created_at: i64,
    ended_at: Option<i64>,
}

impl CampaignRow {
    fn into_record(self) -> Result<CampaignRecord, sqlx::Error> {
        let goal = match self.goal_kind.as_str() {
            "level" => Goal::Level(decode_word(self.goal_level.unwrap_or_default())?),
            _ => Goal::Items(self.goal_items.unwrap_or_default().lines().map(str::to_string).collect()),
        };
        Ok(CampaignRecord {
            id: self.id,
            name: self.name,
            goal,
            selection: self.selection,
            deadline: self.deadline,
            created_by: self.created_by.unwrap_or_else(|| "a removed account".into()),
            created_by_id: self.created_by_id,
            created_at: self.created_at,
            ended: self.ended_at.is_some(),
        })
    }
}

const CAMPAIGN_COLUMNS: &str = "c.id, c.name, c.goal_kind, c.goal_level, c.goal_items, c.selection, c.deadline,
       u.name AS created_by, c.created_by AS created_by_id, c.created_at, c.ended_at
     FROM campaigns c LEFT JOIN users u ON u.id = c.created_by";

pub async fn find_in(conn: &mut AnyConnection, id: i64) -> Result<Option<CampaignRecord>, sqlx::Error> {
    let row: Option<CampaignRow> = sqlx::query_as(&format!("SELECT {CAMPAIGN_COLUMNS} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(CampaignRow::into_record).transpose()
}

pub async fn find(db: &Db, id: i64) -> Result<Option<CampaignRecord>, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    find_in(&mut conn, id).await
}

/// One covered, live service and whether it meets the goal.
#[derive(Debug, Clone)]
pub struct ServiceProgress {
    pub service_id: i64,
    pub slug: String,
    pub name: String,
    pub team_id: i64,
    pub team_name: String,
    pub score: Option<u32>,
    pub level: Option<Level>,
    pub met: bool,
    /// For an items goal, what is missing (already known from the facts).
    pub lacks: Vec<String>,
}

/// Where a campaign stands now.
pub struct Progress {
    /// Every live covered service with whether it meets the goal, by name.
    pub services: Vec<ServiceProgress>,
    /// For an items goal, "Checklist: item title" of each goal item, in
    /// the goal's order (empty for a level goal).
    pub goal_items: Vec<String>,
}

/// Every live service of the campaign with whether it meets the goal now.
pub async fn progress(conn: &mut AnyConnection, campaign: &CampaignRecord, now: i64) -> Result<Progress, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT s.id, s.slug, s.name, s.team_id, t.name AS team_name, s.score, s.level
         FROM campaign_services cs JOIN services s ON s.id = cs.service_id JOIN teams t ON t.id = s.team_id
         WHERE cs.campaign_id = $1 AND s.archived_at IS NULL ORDER BY s.name_key, s.slug",
    )
    .bind(campaign.id)
    .fetch_all(&mut *conn)
    .await?;
    let mut services = Vec::with_capacity(rows.len());
    for row in rows {
        let level: Option<String> = row.try_get("level")?;
        let level = level.map(decode_word::<Level>).transpose()?;
        services.push(ServiceProgress {
            service_id: row.try_get("id")?,
            slug: row.try_get("slug")?,
            name: row.try_get("name")?,
            team_id: row.try_get("team_id")?,
            team_name: row.try_get("team_name")?,
            score: row.try_get::<Option<i64>, _>("score")?.map(|s| s.clamp(0, 100) as u32),
            level,
            met: false,
            lacks: Vec::new(),
        });
    }
    let mut goal_items = Vec::new();
    match &campaign.goal {
        Goal::Level(goal) => {
            for s in &mut services {
                s.met = level_rank(s.level) >= level_rank(Some(*goal));
            }
        }
        Goal::Items(keys) => {
            // One indexed lookup per goal item and service: the service's
            // template (service_id, template_id), then its item
            // (service_template_id, key); never a scan of every item.
            let mut facts = Vec::new();
            for key in keys {
                let Some((template, item)) = key.split_once('/') else { continue };
                let source = "FROM campaign_services cs
                     JOIN services s ON s.id = cs.service_id
                     JOIN templates t ON t.key = $2
                     JOIN service_templates st ON st.service_id = cs.service_id AND st.template_id = t.id
                     JOIN service_items si ON si.service_template_id = st.id AND si.key = $3
                     JOIN template_items ti ON ti.id = si.template_item_id
                     WHERE cs.campaign_id = $1 AND s.archived_at IS NULL AND si.removed_at IS NULL";
                let binds = [Bind::Int(campaign.id), Bind::Text(template.into()), Bind::Text(item.into())];
                facts.extend(item_facts(conn, source, &binds, now).await?);
            }
            let mut by_service: HashMap<i64, HashMap<&str, &CampaignItem>> = HashMap::new();
            for item in &facts {
                by_service.entry(item.service_id).or_default().insert(item.goal_key.as_str(), item);
            }
            let titles = goal_titles(conn, keys).await?;
            for s in &mut services {
                let found = by_service.get(&s.service_id);
                for key in keys {
                    let title = titles.get(key).cloned().unwrap_or_else(|| key.clone());
                    match found.and_then(|items| items.get(key.as_str())) {
                        Some(item) if item.lack.is_none() => {}
                        Some(item) => s.lacks.push(format!("{title}: {}", item.lack.clone().unwrap_or_default())),
                        None => s.lacks.push(format!("{title}: its checklist is not applied")),
                    }
                }
                s.met = s.lacks.is_empty();
            }
            goal_items = keys.iter().map(|k| titles.get(k).cloned().unwrap_or_else(|| k.clone())).collect();
        }
    }
    Ok(Progress { services, goal_items })
}

/// An item of a covered service, with what it lacks (`None` when it
/// passes or does not apply).
struct CampaignItem {
    service_id: i64,
    goal_key: String,
    title: String,
    severity: Severity,
    level: Level,
    lack: Option<String>,
}

/// Items with their standing at `now`, from `source`: the SQL after the
/// SELECT list, over `si`, `s`, `t` and `ti`, with `binds` for its
/// parameters. One statement.
async fn item_facts(
    conn: &mut AnyConnection,
    source: &str,
    binds: &[Bind],
    now: i64,
) -> Result<Vec<CampaignItem>, sqlx::Error> {
    let sql = format!(
        "SELECT {FACTS_COLUMNS}, si.has_link, si.has_file, si.approvals, si.waiver_expires_at,
                si.service_id, s.tier, ti.title, t.key || '/' || si.key AS goal_key
         {source}"
    );
    let rows = bind_all(sqlx::query(&sql), binds).fetch_all(&mut *conn).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let tier: i64 = row.try_get("tier")?;
        let (_, facts): (i64, ItemFacts) = FactsRow::from_row(row)?.into_facts(tier as u8)?;
        let standing = standing(&facts, now);
        let lack = (standing.counts() && !standing.passes()).then(|| standing.describe());
        items.push(CampaignItem {
            service_id: row.try_get("service_id")?,
            goal_key: row.try_get("goal_key")?,
            title: row.try_get("title")?,
            severity: facts.severity,
            level: facts.level,
            lack,
        });
    }
    Ok(items)
}

/// "Checklist: item title" for each goal key, from the latest template
/// versions.
async fn goal_titles(conn: &mut AnyConnection, keys: &[String]) -> Result<HashMap<String, String>, sqlx::Error> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let marks: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT t.key || '/' || ti.key AS goal_key, t.name AS checklist, ti.title
         FROM templates t
         JOIN template_versions tv ON tv.template_id = t.id AND tv.version = t.latest_version
         JOIN template_items ti ON ti.template_version_id = tv.id
         WHERE t.key || '/' || ti.key IN ({})",
        marks.join(",")
    );
    let mut query = sqlx::query_as::<_, (String, String, String)>(&sql);
    for k in keys {
        query = query.bind(k.as_str());
    }
    let rows = query.fetch_all(&mut *conn).await?;
    Ok(rows.into_iter().map(|(key, checklist, title)| (key, format!("{checklist}: {title}"))).collect())
}

/// What each of `service_ids` lacks for a level goal: its counting items
/// at `goal` or below that do not pass, most severe first.
async fn level_lacks(
    conn: &mut AnyConnection,
    goal: Level,
    service_ids: &[i64],
    now: i64,
) -> Result<HashMap<i64, Vec<String>>, sqlx::Error> {
    if service_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<String> = service_ids.iter().map(i64::to_string).collect();
    let levels: Vec<String> = Level::ALL.iter().filter(|l| **l <= goal).map(|l| format!("'{}'", l.as_str())).collect();
    // From the page's services' own items (by the service index), not
    // from the whole campaign's.
    let source = format!(
        "FROM service_items si
         JOIN services s ON s.id = si.service_id
         JOIN service_templates st ON st.id = si.service_template_id
         JOIN templates t ON t.id = st.template_id
         JOIN template_items ti ON ti.id = si.template_item_id
         WHERE si.service_id IN ({}) AND si.removed_at IS NULL AND ti.level IN ({})",
        ids.join(","),
        levels.join(",")
    );
    let mut items = item_facts(conn, &source, &[], now).await?;
    items.retain(|i| i.lack.is_some());
    items.sort_by_key(|i| (i.severity, i.level));
    let mut lacks: HashMap<i64, Vec<String>> = HashMap::new();
    for item in items {
        lacks.entry(item.service_id).or_default().push(format!("{}: {}", item.title, item.lack.unwrap_or_default()));
    }
    Ok(lacks)
}

/// Stores how many services meet the goal today (one row per day, the
/// latest count wins).
async fn record_day(conn: &mut AnyConnection, campaign: &CampaignRecord, now: i64) -> Result<(u32, u32), sqlx::Error> {
    let services = progress(conn, campaign, now).await?.services;
    let met = services.iter().filter(|s| s.met).count() as u32;
    let total = services.len() as u32;
    sqlx::query(
        "INSERT INTO campaign_days (campaign_id, day, met, total) VALUES ($1, $2, $3, $4)
         ON CONFLICT (campaign_id, day) DO UPDATE SET met = excluded.met, total = excluded.total",
    )
    .bind(campaign.id)
    .bind(day_of(now))
    .bind(i64::from(met))
    .bind(i64::from(total))
    .execute(&mut *conn)
    .await?;
    Ok((met, total))
}

/// Brings today's burn-up row of every running campaign up to date (from
/// housekeeping). Returns how many campaigns it counted.
pub async fn sweep(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let rows: Vec<CampaignRow> =
        sqlx::query_as(&format!("SELECT {CAMPAIGN_COLUMNS} WHERE c.ended_at IS NULL ORDER BY c.id"))
            .fetch_all(&mut *conn)
            .await?;
    let mut counted = 0;
    for row in rows {
        record_day(&mut conn, &row.into_record()?, now).await?;
        counted += 1;
    }
    Ok(counted)
}

/// Every campaign, running ones first (soonest deadline first), with its
/// progress now.
pub async fn list(db: &Db, now: i64) -> Result<Vec<CampaignSummary>, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let rows: Vec<CampaignRow> = sqlx::query_as(&format!(
        "SELECT {CAMPAIGN_COLUMNS} ORDER BY CASE WHEN c.ended_at IS NULL THEN 0 ELSE 1 END, c.deadline, c.id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let record = row.into_record()?;
        let services = progress(&mut conn, &record, now).await?.services;
        out.push(summary(&record, &services, now));
    }
    Ok(out)
}

fn summary(record: &CampaignRecord, services: &[ServiceProgress], now: i64) -> CampaignSummary {
    CampaignSummary {
        id: record.id,
        name: record.name.clone(),
        goal: record.goal.describe(),
        deadline: record.deadline.clone(),
        ended: record.ended,
        met: services.iter().filter(|s| s.met).count() as u32,
        total: services.len() as u32,
        days_left: days_left(&record.deadline, now),
    }
}

/// The campaign page: progress, the burn-up and one page of the services
/// behind (by name, after the slug `after`).
pub async fn detail(
    db: &Db,
    record: &CampaignRecord,
    after: Option<&str>,
    can_manage: bool,
    now: i64,
) -> Result<CampaignDetail, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let Progress { services, goal_items } = progress(&mut conn, record, now).await?;
    let summary = summary(record, &services, now);
    let behind_all: Vec<&ServiceProgress> = services.iter().filter(|s| !s.met).collect();
    let start = match after {
        Some(slug) => behind_all.iter().position(|s| s.slug == slug).map_or(0, |i| i + 1),
        None => 0,
    };
    let page: Vec<&ServiceProgress> = behind_all.iter().skip(start).take(BEHIND_PAGE).copied().collect();
    let next = (start + page.len() < behind_all.len()).then(|| page.last().map(|s| s.slug.clone())).flatten();
    let mut level_lacks = match &record.goal {
        Goal::Level(goal) => {
            let ids: Vec<i64> = page.iter().map(|s| s.service_id).collect();
            level_lacks(&mut conn, *goal, &ids, now).await?
        }
        Goal::Items(_) => HashMap::new(),
    };
    let behind = page
        .into_iter()
        .map(|s| {
            let mut lacks = match &record.goal {
                Goal::Level(goal) => {
                    let mut lacks = level_lacks.remove(&s.service_id).unwrap_or_default();
                    if lacks.is_empty() {
                        // Nothing counts yet: no checklist with items at that level.
                        lacks.push(format!("no items at {} or below are counted yet", goal.label()));
                    }
                    lacks
                }
                Goal::Items(_) => s.lacks.clone(),
            };
            if lacks.len() > LACKS_SHOWN {
                let more = lacks.len() - (LACKS_SHOWN - 1);
                lacks.truncate(LACKS_SHOWN - 1);
                lacks.push(format!("and {more} more"));
            }
            BehindService {
                slug: s.slug.clone(),
                name: s.name.clone(),
                team_name: s.team_name.clone(),
                score: s.score,
                level: s.level,
                lacks,
            }
        })
        .collect();
    let days: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT day, met, total FROM campaign_days WHERE campaign_id = $1 ORDER BY day")
            .bind(record.id)
            .fetch_all(&mut *conn)
            .await?;
    let mut days: Vec<BurnupDay> =
        days.into_iter().map(|(day, met, total)| BurnupDay { day, met: met as u32, total: total as u32 }).collect();
    let start_met = days.first().map_or(0, |d| d.met);
    // Today as it stands now, not as the last sweep counted it.
    let today = day_of(now);
    if !record.ended {
        days.retain(|d| d.day != today);
        days.push(BurnupDay { day: today, met: summary.met, total: summary.total });
    }
    let start_day = day_of(record.created_at);
    Ok(CampaignDetail {
        burnup: Burnup {
            start_day,
            start_met,
            deadline_day: parse_day(&record.deadline).unwrap_or(start_day),
            today,
            days,
        },
        summary,
        goal: record.goal.clone(),
        goal_items,
        selection: record.selection.clone(),
        started_by: record.created_by.clone(),
        started_at: record.created_at,
        behind,
        next,
        can_manage,
    })
}

/// The teams owning the campaign's services, for who may manage it.
pub async fn team_ids(db: &Db, campaign_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT s.team_id FROM campaign_services cs JOIN services s ON s.id = cs.service_id
         WHERE cs.campaign_id = $1",
    )
    .bind(campaign_id)
    .fetch_all(db.pool())
    .await
}

/// Ends a running campaign (it stays, read-only, with its history).
pub async fn end(db: &Db, actor: Actor<'_>, campaign_id: i64, now: i64) -> Result<(), AppError> {
    let mut tx = db.pool().begin().await?;
    let record = find_in(&mut tx, campaign_id).await?.ok_or(AppError::NotFound)?;
    if record.ended {
        return Err(AppError::Conflict);
    }
    record_day(&mut tx, &record, now).await?;
    sqlx::query("UPDATE campaigns SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
        .bind(now)
        .bind(campaign_id)
        .execute(&mut *tx)
        .await?;
    audit::record(&mut *tx, now, actor.entry("campaign.ended", "campaign", campaign_id, None)).await?;
    tx.commit().await?;
    Ok(())
}

/// The campaign's running services behind, grouped by the leads of their
/// teams: (lead user id, [(service name, slug, what it lacks)]), for the
/// weekly reminder.
pub async fn behind_by_lead(
    conn: &mut AnyConnection,
    campaign: &CampaignRecord,
    now: i64,
) -> Result<Vec<(i64, Vec<(String, String)>)>, sqlx::Error> {
    let services = progress(conn, campaign, now).await?.services;
    let behind: Vec<&ServiceProgress> = services.iter().filter(|s| !s.met).collect();
    if behind.is_empty() {
        return Ok(Vec::new());
    }
    let teams: Vec<String> = {
        let mut t: Vec<i64> = behind.iter().map(|s| s.team_id).collect();
        t.sort_unstable();
        t.dedup();
        t.iter().map(i64::to_string).collect()
    };
    let leads: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "SELECT tm.team_id, tm.user_id FROM team_members tm JOIN users u ON u.id = tm.user_id
         WHERE tm.role = 'lead' AND u.disabled_at IS NULL AND tm.team_id IN ({}) ORDER BY tm.user_id",
        teams.join(",")
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut by_lead: Vec<(i64, Vec<(String, String)>)> = Vec::new();
    for (team_id, user_id) in leads {
        let lines = behind.iter().filter(|s| s.team_id == team_id).map(|s| {
            let what = match (&campaign.goal, s.lacks.is_empty()) {
                (Goal::Level(goal), _) => {
                    format!("at {} now, needs {}", s.level.map_or("no level", |l| l.label()), goal.label())
                }
                (Goal::Items(_), false) => s.lacks.join("; "),
                (Goal::Items(_), true) => String::new(),
            };
            (format!("{} ({})", s.name, s.slug), what)
        });
        match by_lead.iter_mut().find(|(id, _)| *id == user_id) {
            Some((_, list)) => list.extend(lines),
            None => by_lead.push((user_id, lines.collect())),
        }
    }
    Ok(by_lead)
}

/// "Web application" → its items (`template-key/item-key`, title), from
/// the latest version of every live template, for the form.
pub async fn item_choices(db: &Db) -> Result<Vec<(String, Vec<(String, String)>)>, sqlx::Error> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT t.name, t.key || '/' || ti.key, ti.title
         FROM templates t
         JOIN template_versions tv ON tv.template_id = t.id AND tv.version = t.latest_version
         JOIN template_items ti ON ti.template_version_id = tv.id
         WHERE t.archived_at IS NULL ORDER BY t.name, ti.position",
    )
    .fetch_all(db.pool())
    .await?;
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (template, key, title) in rows {
        match out.last_mut() {
            Some((name, items)) if *name == template => items.push((key, title)),
            _ => out.push((template, vec![(key, title)])),
        }
    }
    Ok(out)
}

/// Live services of `teams` (all when `None`) for hand-picking:
/// (slug, "Name — Team").
pub async fn service_choices(db: &Db, teams: Option<&[i64]>) -> Result<Vec<(String, String)>, sqlx::Error> {
    let filter = match teams {
        None => String::new(),
        Some([]) => return Ok(Vec::new()),
        Some(ids) => format!(" AND s.team_id IN ({})", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")),
    };
    let rows: Vec<(String, String, String)> = sqlx::query_as(&format!(
        "SELECT s.slug, s.name, t.name FROM services s JOIN teams t ON t.id = s.team_id
         WHERE s.archived_at IS NULL{filter} ORDER BY s.name_key, s.slug"
    ))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(slug, name, team)| (slug, format!("{name} — {team}"))).collect())
}
