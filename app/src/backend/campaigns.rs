//! Campaigns: a goal, the services it covers (fixed when it starts) and a
//! deadline. Each covered service's standing (meets the goal or not, and
//! what it lacks) is stored in `campaign_services`: judged for every
//! service when the campaign starts, then again for one service by
//! [`restate`] in the transaction that re-scores it. The pages read one
//! page of stored rows and two counts, whatever the campaign's size;
//! `campaign_days` keeps one count per day for the burn-up chart, kept
//! current by [`sweep`]. The rule itself is `domain::campaigns::judge`.

use std::collections::HashMap;

use sqlx::{AnyConnection, FromRow, Row};

use super::audit::{self, Actor};
use super::db::{bind_all, decode_word, Bind};
use super::figures::{FactsRow, FACTS_COLUMNS};
use super::Db;
use crate::domain::campaigns::{
    days_left, judge, parse_day, BehindService, Burnup, BurnupDay, CampaignDetail, CampaignSummary, Goal, GoalItem,
};
use crate::domain::checklist::Level;
use crate::domain::history::day_of;
use crate::domain::readiness::ItemFacts;
use crate::error::AppError;

/// Services behind shown per page of the campaign page.
pub const BEHIND_PAGE: usize = 50;

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
    judge_campaign(&mut tx, &record, now).await?;
    record_day(&mut tx, id, now).await?;
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
        let goal = goal_of(&self.goal_kind, self.goal_level, self.goal_items)?;
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

/// A goal as the campaigns table stores it.
fn goal_of(kind: &str, level: Option<String>, items: Option<String>) -> Result<Goal, sqlx::Error> {
    Ok(match kind {
        "level" => Goal::Level(decode_word(level.unwrap_or_default())?),
        _ => Goal::Items(items.unwrap_or_default().lines().map(str::to_string).collect()),
    })
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

/// A covered service's stored standing, `lacks` one per line.
fn encode_lacks(lacks: &[String]) -> String {
    lacks.iter().map(|l| l.replace('\n', " ")).collect::<Vec<_>>().join("\n")
}

fn decode_lacks(text: &str) -> Vec<String> {
    text.lines().filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// An item of a covered service, as judging reads it.
struct CampaignItem {
    service_id: i64,
    goal_key: String,
    title: String,
    facts: ItemFacts,
}

/// Items with their stored facts, from `source`: the SQL after the SELECT
/// list, over `si`, `s`, `t` and `ti`, with `binds` for its parameters.
/// One statement.
async fn item_facts(conn: &mut AnyConnection, source: &str, binds: &[Bind]) -> Result<Vec<CampaignItem>, sqlx::Error> {
    let sql = format!(
        "SELECT {FACTS_COLUMNS}, si.has_link, si.has_file, si.approvals, si.waiver_expires_at,
                si.service_id, s.tier, ti.title, t.key || '/' || si.key AS goal_key
         {source}"
    );
    let rows = bind_all(sqlx::query(&sql), binds).fetch_all(&mut *conn).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let tier: i64 = row.try_get("tier")?;
        let (_, facts) = FactsRow::from_row(row)?.into_facts(tier as u8)?;
        items.push(CampaignItem {
            service_id: row.try_get("service_id")?,
            goal_key: row.try_get("goal_key")?,
            title: row.try_get("title")?,
            facts,
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

/// The goal items' titles, falling back to the key for an item no live
/// template has any more.
fn title_of(titles: &HashMap<String, String>) -> impl Fn(&str) -> String + '_ {
    |key| titles.get(key).cloned().unwrap_or_else(|| key.to_string())
}

/// Every covered service of `campaign` (archived ones too, so a restored
/// service reads right at once) with its standing at `now`, judged from
/// the stored levels and item facts: (service id, met, lacks).
async fn judge_services(
    conn: &mut AnyConnection,
    campaign: &CampaignRecord,
    now: i64,
) -> Result<Vec<(i64, bool, Vec<String>)>, sqlx::Error> {
    let covered: Vec<(i64, Option<String>)> = sqlx::query_as(
        "SELECT cs.service_id, s.level FROM campaign_services cs JOIN services s ON s.id = cs.service_id
         WHERE cs.campaign_id = $1 ORDER BY cs.service_id",
    )
    .bind(campaign.id)
    .fetch_all(&mut *conn)
    .await?;
    let (items, titles) = match &campaign.goal {
        Goal::Level(goal) => {
            // Only services below the goal lack anything, and only their
            // items at the goal's level or below.
            let quoted = |levels: &mut dyn Iterator<Item = &Level>| {
                levels.map(|l| format!("'{}'", l.as_str())).collect::<Vec<_>>().join(",")
            };
            let below = quoted(&mut Level::ALL.iter().filter(|l| **l < *goal));
            let up_to = quoted(&mut Level::ALL.iter().filter(|l| **l <= *goal));
            let level_below = if below.is_empty() {
                "s.level IS NULL".to_string()
            } else {
                format!("(s.level IS NULL OR s.level IN ({below}))")
            };
            let source = format!(
                "FROM campaign_services cs
                 JOIN services s ON s.id = cs.service_id
                 JOIN service_items si ON si.service_id = cs.service_id
                 JOIN service_templates st ON st.id = si.service_template_id
                 JOIN templates t ON t.id = st.template_id
                 JOIN template_items ti ON ti.id = si.template_item_id
                 WHERE cs.campaign_id = $1 AND {level_below} AND si.removed_at IS NULL AND ti.level IN ({up_to})"
            );
            (item_facts(conn, &source, &[Bind::Int(campaign.id)]).await?, HashMap::new())
        }
        Goal::Items(keys) => {
            // One indexed lookup per goal item and service: the service's
            // template (service_id, template_id), then its item
            // (service_template_id, key); never a scan of every item.
            let mut items = Vec::new();
            for key in keys {
                let Some((template, item)) = key.split_once('/') else { continue };
                let source = "FROM campaign_services cs
                     JOIN services s ON s.id = cs.service_id
                     JOIN templates t ON t.key = $2
                     JOIN service_templates st ON st.service_id = cs.service_id AND st.template_id = t.id
                     JOIN service_items si ON si.service_template_id = st.id AND si.key = $3
                     JOIN template_items ti ON ti.id = si.template_item_id
                     WHERE cs.campaign_id = $1 AND si.removed_at IS NULL";
                let binds = [Bind::Int(campaign.id), Bind::Text(template.into()), Bind::Text(item.into())];
                items.extend(item_facts(conn, source, &binds).await?);
            }
            (items, goal_titles(conn, keys).await?)
        }
    };
    let mut by_service: HashMap<i64, Vec<GoalItem>> = HashMap::new();
    for item in &items {
        by_service.entry(item.service_id).or_default().push(GoalItem {
            key: &item.goal_key,
            title: &item.title,
            facts: &item.facts,
        });
    }
    let titles = title_of(&titles);
    let mut judged = Vec::with_capacity(covered.len());
    for (service_id, level) in covered {
        let level = level.map(decode_word::<Level>).transpose()?;
        let items = by_service.get(&service_id).map_or(&[][..], Vec::as_slice);
        let (met, lacks) = judge(&campaign.goal, level, items, &titles, now);
        judged.push((service_id, met, lacks));
    }
    Ok(judged)
}

async fn store_standing(
    conn: &mut AnyConnection,
    campaign_id: i64,
    service_id: i64,
    met: bool,
    lacks: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE campaign_services SET met = $1, lacks = $2 WHERE campaign_id = $3 AND service_id = $4")
        .bind(i64::from(met))
        .bind(encode_lacks(lacks))
        .bind(campaign_id)
        .bind(service_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Judges and stores every covered service's standing (when a campaign
/// starts).
async fn judge_campaign(conn: &mut AnyConnection, campaign: &CampaignRecord, now: i64) -> Result<(), sqlx::Error> {
    for (service_id, met, lacks) in judge_services(conn, campaign, now).await? {
        store_standing(conn, campaign.id, service_id, met, &lacks).await?;
    }
    Ok(())
}

/// Judges every campaign's services afresh (the migration that added the
/// stored standings).
pub async fn judge_all(conn: &mut AnyConnection, now: i64) -> Result<(), sqlx::Error> {
    let rows: Vec<CampaignRow> =
        sqlx::query_as(&format!("SELECT {CAMPAIGN_COLUMNS} ORDER BY c.id")).fetch_all(&mut *conn).await?;
    for row in rows {
        judge_campaign(conn, &row.into_record()?, now).await?;
    }
    Ok(())
}

/// Re-judges service `service_id` for every running campaign that covers
/// it, from the items just scored (`ids` with their `facts`) and its new
/// `level`, and stores the standings that changed. Called by
/// `figures::refresh_service` in the transaction of the change, so the
/// campaign pages read stored rows; a service in no running campaign
/// costs one indexed lookup.
pub async fn restate(
    conn: &mut AnyConnection,
    service_id: i64,
    level: Option<Level>,
    ids: &[i64],
    facts: &[ItemFacts],
    now: i64,
) -> Result<(), sqlx::Error> {
    #[derive(FromRow)]
    struct Covering {
        id: i64,
        goal_kind: String,
        goal_level: Option<String>,
        goal_items: Option<String>,
        met: i64,
        lacks: String,
    }
    let covering: Vec<Covering> = sqlx::query_as(
        "SELECT c.id, c.goal_kind, c.goal_level, c.goal_items, cs.met, cs.lacks
         FROM campaign_services cs JOIN campaigns c ON c.id = cs.campaign_id
         WHERE cs.service_id = $1 AND c.ended_at IS NULL ORDER BY c.id",
    )
    .bind(service_id)
    .fetch_all(&mut *conn)
    .await?;
    if covering.is_empty() {
        return Ok(());
    }
    let names: HashMap<i64, (String, String)> = sqlx::query_as::<_, (i64, String, String)>(
        "SELECT si.id, t.key || '/' || si.key, ti.title
         FROM service_items si
         JOIN service_templates st ON st.id = si.service_template_id
         JOIN templates t ON t.id = st.template_id
         JOIN template_items ti ON ti.id = si.template_item_id
         WHERE si.service_id = $1 AND si.removed_at IS NULL",
    )
    .bind(service_id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|(id, key, title)| (id, (key, title)))
    .collect();
    let items: Vec<GoalItem> = ids
        .iter()
        .zip(facts)
        .filter_map(|(id, facts)| names.get(id).map(|(key, title)| GoalItem { key, title, facts }))
        .collect();
    let goals: Vec<Goal> = covering
        .iter()
        .map(|c| goal_of(&c.goal_kind, c.goal_level.clone(), c.goal_items.clone()))
        .collect::<Result<_, _>>()?;
    let mut keys: Vec<String> =
        goals.iter().flat_map(|g| if let Goal::Items(keys) = g { keys.clone() } else { Vec::new() }).collect();
    keys.sort();
    keys.dedup();
    let titles = goal_titles(conn, &keys).await?;
    let titles = title_of(&titles);
    for (campaign, goal) in covering.iter().zip(&goals) {
        let (met, lacks) = judge(goal, level, &items, &titles, now);
        if i64::from(met) != campaign.met || encode_lacks(&lacks) != campaign.lacks {
            store_standing(conn, campaign.id, service_id, met, &lacks).await?;
        }
    }
    Ok(())
}

/// Each running campaign's stored "meets the goal" that disagrees with
/// judging the stored figures now: (service slug, what, stored, computed),
/// for `preflight scores check`. The lacks are display text (titles can
/// be renamed by a later template version) and are not compared.
pub async fn check(conn: &mut AnyConnection, now: i64) -> Result<Vec<(String, String, String, String)>, sqlx::Error> {
    let rows: Vec<CampaignRow> =
        sqlx::query_as(&format!("SELECT {CAMPAIGN_COLUMNS} WHERE c.ended_at IS NULL ORDER BY c.id"))
            .fetch_all(&mut *conn)
            .await?;
    let mut found = Vec::new();
    for row in rows {
        let campaign = row.into_record()?;
        let stored: HashMap<i64, (String, i64)> = sqlx::query_as::<_, (i64, String, i64)>(
            "SELECT cs.service_id, s.slug, cs.met FROM campaign_services cs
             JOIN services s ON s.id = cs.service_id WHERE cs.campaign_id = $1",
        )
        .bind(campaign.id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(id, slug, met)| (id, (slug, met)))
        .collect();
        for (service_id, met, _) in judge_services(conn, &campaign, now).await? {
            let Some((slug, stored_met)) = stored.get(&service_id) else { continue };
            if (*stored_met != 0) != met {
                let what = format!("meets the goal of campaign {}", campaign.id);
                found.push((slug.clone(), what, (*stored_met != 0).to_string(), met.to_string()));
            }
        }
    }
    Ok(found)
}

/// How many covered live services meet the goal, and how many there are.
async fn counts(conn: &mut AnyConnection, campaign_id: i64) -> Result<(u32, u32), sqlx::Error> {
    let (met, total): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(CASE WHEN cs.met = 1 THEN 1 END), COUNT(*)
         FROM campaign_services cs JOIN services s ON s.id = cs.service_id
         WHERE cs.campaign_id = $1 AND s.archived_at IS NULL",
    )
    .bind(campaign_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok((met as u32, total as u32))
}

/// A covered live service behind the goal, as stored.
#[derive(FromRow)]
struct BehindRow {
    slug: String,
    name: String,
    team_id: i64,
    team_name: String,
    score: Option<i64>,
    level: Option<String>,
    lacks: String,
}

/// The covered live services behind the goal, by name: after `after`
/// (a slug) and at most `limit` of them, when given.
async fn behind_rows(
    conn: &mut AnyConnection,
    campaign_id: i64,
    after: Option<&str>,
    limit: Option<usize>,
) -> Result<Vec<BehindRow>, sqlx::Error> {
    let mut binds = vec![Bind::Int(campaign_id)];
    let mut sql = String::from(
        "SELECT s.slug, s.name, s.team_id, t.name AS team_name, s.score, s.level, cs.lacks
         FROM campaign_services cs JOIN services s ON s.id = cs.service_id JOIN teams t ON t.id = s.team_id
         WHERE cs.campaign_id = $1 AND cs.met = 0 AND s.archived_at IS NULL",
    );
    let position: Option<String> = match after {
        Some(slug) => {
            sqlx::query_scalar("SELECT name_key FROM services WHERE slug = $1")
                .bind(slug)
                .fetch_optional(&mut *conn)
                .await?
        }
        None => None,
    };
    if let (Some(name_key), Some(slug)) = (position, after) {
        sql.push_str(" AND (s.name_key > $2 OR (s.name_key = $2 AND s.slug > $3))");
        binds.extend([Bind::Text(name_key), Bind::Text(slug.to_string())]);
    }
    sql.push_str(" ORDER BY s.name_key, s.slug");
    if let Some(limit) = limit {
        sql.push_str(&format!(" LIMIT {limit}"));
    }
    bind_all(sqlx::query_as(&sql), &binds).fetch_all(&mut *conn).await
}

/// Stores how many services meet the goal today (one row per day, the
/// latest count wins).
async fn record_day(conn: &mut AnyConnection, campaign_id: i64, now: i64) -> Result<(), sqlx::Error> {
    let (met, total) = counts(conn, campaign_id).await?;
    sqlx::query(
        "INSERT INTO campaign_days (campaign_id, day, met, total) VALUES ($1, $2, $3, $4)
         ON CONFLICT (campaign_id, day) DO UPDATE SET met = excluded.met, total = excluded.total",
    )
    .bind(campaign_id)
    .bind(day_of(now))
    .bind(i64::from(met))
    .bind(i64::from(total))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Brings today's burn-up row of every running campaign up to date (from
/// housekeeping). Returns how many campaigns it counted.
pub async fn sweep(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM campaigns WHERE ended_at IS NULL ORDER BY id").fetch_all(&mut *conn).await?;
    for id in &ids {
        record_day(&mut conn, *id, now).await?;
    }
    Ok(ids.len() as u64)
}

/// Every campaign, running ones first (soonest deadline first), with its
/// progress now. Two statements, however many campaigns.
pub async fn list(db: &Db, now: i64) -> Result<Vec<CampaignSummary>, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let rows: Vec<CampaignRow> = sqlx::query_as(&format!(
        "SELECT {CAMPAIGN_COLUMNS} ORDER BY CASE WHEN c.ended_at IS NULL THEN 0 ELSE 1 END, c.deadline, c.id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let counts: HashMap<i64, (i64, i64)> = sqlx::query_as::<_, (i64, i64, i64)>(
        "SELECT cs.campaign_id, COUNT(CASE WHEN cs.met = 1 THEN 1 END), COUNT(*)
         FROM campaign_services cs JOIN services s ON s.id = cs.service_id
         WHERE s.archived_at IS NULL GROUP BY cs.campaign_id",
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|(id, met, total)| (id, (met, total)))
    .collect();
    rows.into_iter()
        .map(|row| {
            let record = row.into_record()?;
            let (met, total) = counts.get(&record.id).copied().unwrap_or((0, 0));
            Ok(summary(&record, met as u32, total as u32, now))
        })
        .collect()
}

fn summary(record: &CampaignRecord, met: u32, total: u32, now: i64) -> CampaignSummary {
    CampaignSummary {
        id: record.id,
        name: record.name.clone(),
        goal: record.goal.describe(),
        deadline: record.deadline.clone(),
        ended: record.ended,
        met,
        total,
        days_left: days_left(&record.deadline, now),
    }
}

/// The campaign page: progress, the burn-up and one page of the services
/// behind (by name, after the slug `after`), read from the stored
/// standings.
pub async fn detail(
    db: &Db,
    record: &CampaignRecord,
    after: Option<&str>,
    can_manage: bool,
    now: i64,
) -> Result<CampaignDetail, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let (met, total) = counts(&mut conn, record.id).await?;
    let summary = summary(record, met, total, now);
    let mut rows = behind_rows(&mut conn, record.id, after, Some(BEHIND_PAGE + 1)).await?;
    // One row more than a page says whether there is a next page.
    let next = if rows.len() > BEHIND_PAGE {
        rows.truncate(BEHIND_PAGE);
        rows.last().map(|r| r.slug.clone())
    } else {
        None
    };
    let behind = rows
        .into_iter()
        .map(|row| {
            Ok(BehindService {
                slug: row.slug,
                name: row.name,
                team_name: row.team_name,
                score: row.score.map(|s| s.clamp(0, 100) as u32),
                level: row.level.map(decode_word::<Level>).transpose()?,
                lacks: decode_lacks(&row.lacks),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let goal_items = match &record.goal {
        Goal::Items(keys) => {
            let titles = goal_titles(&mut conn, keys).await?;
            let title = title_of(&titles);
            keys.iter().map(|k| title(k)).collect()
        }
        Goal::Level(_) => Vec::new(),
    };
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
    record_day(&mut tx, record.id, now).await?;
    sqlx::query("UPDATE campaigns SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
        .bind(now)
        .bind(campaign_id)
        .execute(&mut *tx)
        .await?;
    audit::record(&mut *tx, now, actor.entry("campaign.ended", "campaign", campaign_id, None)).await?;
    tx.commit().await?;
    Ok(())
}

/// The campaign's services behind, grouped by the leads of their teams:
/// (lead user id, [(service name and slug, what it lacks)]), for the
/// weekly reminder.
pub async fn behind_by_lead(
    conn: &mut AnyConnection,
    campaign: &CampaignRecord,
) -> Result<Vec<(i64, Vec<(String, String)>)>, sqlx::Error> {
    let behind = behind_rows(conn, campaign.id, None, None).await?;
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
        let mut lines = Vec::new();
        for s in behind.iter().filter(|s| s.team_id == team_id) {
            let what = match &campaign.goal {
                Goal::Level(goal) => {
                    let level = s.level.clone().map(decode_word::<Level>).transpose()?;
                    format!("at {} now, needs {}", level.map_or("no level", |l| l.label()), goal.label())
                }
                Goal::Items(_) => decode_lacks(&s.lacks).join("; "),
            };
            lines.push((format!("{} ({})", s.name, s.slug), what));
        }
        match by_lead.iter_mut().find(|(id, _)| *id == user_id) {
            Some((_, list)) => list.extend(lines),
            None => by_lead.push((user_id, lines)),
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
