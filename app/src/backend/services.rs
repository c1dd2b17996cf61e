//! The service catalogue in the database: registering, editing, archiving
//! and listing services (a page at a time, by key), and applying templates.
//!
//! Every change and its audit entry commit in one transaction. Edits carry
//! the version the editor saw; a stale version is refused with
//! [`AppError::Conflict`] instead of overwriting someone else's change.

use sqlx::{Any, FromRow};

use super::audit::{self, Actor};
use super::db::{bind_all, decode_word, Bind};
use super::figures;
use super::Db;
use crate::domain::checklist::{is_key, Level, TIERS};
use crate::domain::services::{
    Environment, Figures, LevelFilter, ServiceForm, ServiceQuery, ServiceSort, ServiceSummary,
};
use crate::error::AppError;

/// Services per page of the list.
pub const PAGE_SIZE: usize = 50;

/// A service's own fields, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidService {
    pub name: String,
    pub slug: String,
    pub team_id: i64,
    pub tier: u8,
    pub environment: Environment,
    pub description: String,
    pub repository_url: Option<String>,
    pub docs_url: Option<String>,
    pub launch_date: Option<String>,
}

/// Checks a service form, naming the field of the first problem.
pub fn validate(form: &ServiceForm) -> Result<ValidService, AppError> {
    let name = form.name.trim();
    match name.chars().count() {
        0 => return Err(AppError::invalid("name", "Enter the service's name.")),
        81.. => return Err(AppError::invalid("name", "Use at most 80 characters.")),
        _ => {}
    }
    let slug = form.slug.trim();
    if slug.is_empty() {
        return Err(AppError::invalid("slug", "Enter a short name for links, e.g. payments-api."));
    }
    if !is_key(slug) || slug.len() > 60 {
        return Err(AppError::invalid(
            "slug",
            "Use at most 60 lower-case letters, digits and dashes, starting with a letter or digit.",
        ));
    }
    let team_id = form.team_id.trim().parse().map_err(|_| AppError::invalid("team_id", "Choose the owning team."))?;
    let tier = form
        .tier
        .trim()
        .parse()
        .ok()
        .filter(|t| TIERS.contains(t))
        .ok_or_else(|| AppError::invalid("tier", "Choose tier 1, 2 or 3."))?;
    let environment = Environment::parse(form.environment.trim())
        .ok_or_else(|| AppError::invalid("environment", "Choose an environment."))?;
    let description = form.description.trim().to_string();
    if description.chars().count() > 2000 {
        return Err(AppError::invalid("description", "Use at most 2,000 characters."));
    }
    let repository_url = optional_link(&form.repository_url, "repository_url")?;
    let docs_url = optional_link(&form.docs_url, "docs_url")?;
    let launch_date = match form.launch_date.trim() {
        "" => None,
        text => Some(
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| AppError::invalid("launch_date", "Enter a date as YYYY-MM-DD."))?
                .format("%Y-%m-%d")
                .to_string(),
        ),
    };
    Ok(ValidService {
        name: name.to_string(),
        slug: slug.to_string(),
        team_id,
        tier,
        environment,
        description,
        repository_url,
        docs_url,
        launch_date,
    })
}

/// An optional http(s) link, or a field error.
pub fn optional_link(text: &str, field: &'static str) -> Result<Option<String>, AppError> {
    match text.trim() {
        "" => Ok(None),
        link => http_link(link, field).map(Some),
    }
}

/// An absolute http or https URL (the only links Preflight stores, so
/// `javascript:` and `data:` never reach a page), or a field error.
pub fn http_link(text: &str, field: &'static str) -> Result<String, AppError> {
    let text = text.trim();
    if text.len() > 2000 {
        return Err(AppError::invalid(field, "Use a link of at most 2,000 characters."));
    }
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url.to_string()),
        _ => Err(AppError::invalid(field, crate::domain::uploads::LINK_PROBLEM)),
    }
}

fn slug_taken(err: sqlx::Error) -> AppError {
    if err.as_database_error().is_some_and(|e| e.is_unique_violation()) {
        AppError::invalid("slug", "Another service already uses this short name.")
    } else {
        err.into()
    }
}

/// Registers a service and records it, in one transaction; returns its id.
pub async fn create(db: &Db, actor: Actor<'_>, service: &ValidService, now: i64) -> Result<i64, AppError> {
    let mut tx = db.pool().begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO services (slug, name, name_key, team_id, tier, description, repository_url, docs_url,
                               environment, launch_date, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(&service.slug)
    .bind(&service.name)
    .bind(service.name.to_lowercase())
    .bind(service.team_id)
    .bind(i64::from(service.tier))
    .bind(&service.description)
    .bind(&service.repository_url)
    .bind(&service.docs_url)
    .bind(service.environment.as_str())
    .bind(&service.launch_date)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(slug_taken)?;
    let entry = actor.entry("service.created", "service", id, Some(describe(service)));
    audit::record(&mut *tx, now, entry.for_service(id)).await?;
    tx.commit().await?;
    Ok(id)
}

/// The audit detail of a service's fields.
fn describe(s: &ValidService) -> String {
    serde_json::json!({
        "name": s.name, "slug": s.slug, "team_id": s.team_id, "tier": s.tier,
        "environment": s.environment.as_str(), "description": s.description,
        "repository_url": s.repository_url, "docs_url": s.docs_url, "launch_date": s.launch_date,
    })
    .to_string()
}

/// Saves an edit made on `version` of the service, recording before and
/// after, in one transaction. A tier change re-scores the service (items
/// can apply to some tiers only).
pub async fn update(
    db: &Db,
    actor: Actor<'_>,
    service_id: i64,
    version: i64,
    service: &ValidService,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = db.pool().begin().await?;
    let before = fields(&mut *tx, service_id).await?.ok_or(AppError::NotFound)?;
    let done = sqlx::query(
        "UPDATE services SET slug = $1, name = $2, name_key = $3, team_id = $4, tier = $5, description = $6,
                repository_url = $7, docs_url = $8, environment = $9, launch_date = $10, updated_at = $11,
                version = version + 1
         WHERE id = $12 AND version = $13",
    )
    .bind(&service.slug)
    .bind(&service.name)
    .bind(service.name.to_lowercase())
    .bind(service.team_id)
    .bind(i64::from(service.tier))
    .bind(&service.description)
    .bind(&service.repository_url)
    .bind(&service.docs_url)
    .bind(service.environment.as_str())
    .bind(&service.launch_date)
    .bind(now)
    .bind(service_id)
    .bind(version)
    .execute(&mut *tx)
    .await
    .map_err(slug_taken)?;
    if done.rows_affected() == 0 {
        return Err(AppError::Conflict);
    }
    if before.tier != service.tier {
        figures::refresh_service(&mut tx, service_id, now).await?;
    }
    let detail = format!("{{\"before\":{},\"after\":{}}}", describe(&before), describe(service));
    audit::record(
        &mut *tx,
        now,
        actor.entry("service.updated", "service", service_id, Some(detail)).for_service(service_id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The service's own fields as stored.
async fn fields<'e, E>(executor: E, service_id: i64) -> Result<Option<ValidService>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    #[derive(FromRow)]
    struct Row {
        name: String,
        slug: String,
        team_id: i64,
        tier: i64,
        environment: String,
        description: String,
        repository_url: Option<String>,
        docs_url: Option<String>,
        launch_date: Option<String>,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT name, slug, team_id, tier, environment, description, repository_url, docs_url, launch_date
         FROM services WHERE id = $1",
    )
    .bind(service_id)
    .fetch_optional(executor)
    .await?;
    row.map(|r| {
        Ok(ValidService {
            name: r.name,
            slug: r.slug,
            team_id: r.team_id,
            tier: r.tier as u8,
            environment: decode_word(r.environment)?,
            description: r.description,
            repository_url: r.repository_url,
            docs_url: r.docs_url,
            launch_date: r.launch_date,
        })
    })
    .transpose()
}

/// Archives (leaves lists, keeps everything) or restores a service.
pub async fn set_archived(
    db: &Db,
    actor: Actor<'_>,
    service_id: i64,
    archived: bool,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = db.pool().begin().await?;
    let done =
        sqlx::query("UPDATE services SET archived_at = $1, updated_at = $2, version = version + 1 WHERE id = $3")
            .bind(archived.then_some(now))
            .bind(now)
            .bind(service_id)
            .execute(&mut *tx)
            .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    let action = if archived { "service.archived" } else { "service.restored" };
    audit::record(&mut *tx, now, actor.entry(action, "service", service_id, None).for_service(service_id)).await?;
    tx.commit().await?;
    Ok(())
}

/// A service row as lists and pages read it.
#[derive(FromRow)]
pub struct SummaryRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub team_id: i64,
    pub team_name: String,
    pub tier: i64,
    pub environment: String,
    pub launch_date: Option<String>,
    pub archived_at: Option<i64>,
    pub score: Option<i64>,
    pub score_without_waivers: Option<i64>,
    pub level: Option<String>,
    pub ready: i64,
    pub waivers: i64,
    pub blocking: i64,
    pub items_total: i64,
    pub items_satisfied: i64,
}

pub const SUMMARY_COLUMNS: &str = "s.id, s.slug, s.name, s.team_id, t.name AS team_name, s.tier, s.environment,
       s.launch_date, s.archived_at, s.score, s.score_without_waivers, s.level, s.ready, s.waivers, s.blocking,
       s.items_total, s.items_satisfied";

impl SummaryRow {
    pub fn into_summary(self) -> Result<ServiceSummary, sqlx::Error> {
        Ok(ServiceSummary {
            id: self.id,
            slug: self.slug,
            name: self.name,
            team_id: self.team_id,
            team_name: self.team_name,
            tier: self.tier as u8,
            environment: decode_word(self.environment)?,
            launch_date: self.launch_date,
            archived: self.archived_at.is_some(),
            figures: Figures {
                score: self.score.map(|s| s as u32),
                score_without_waivers: self.score_without_waivers.map(|s| s as u32),
                level: self.level.map(decode_word::<Level>).transpose()?,
                ready: self.ready != 0,
                waivers: self.waivers as u32,
                blocking: self.blocking as u32,
                items_total: self.items_total as u32,
                items_satisfied: self.items_satisfied as u32,
            },
        })
    }
}

/// One page of the list for `query`, and the key of the next page. The key
/// is the id of the page's last service: the next page starts after that
/// service's position in the chosen order (an index walk, never OFFSET).
pub async fn list(db: &Db, query: &ServiceQuery) -> Result<(Vec<ServiceSummary>, Option<String>), sqlx::Error> {
    let mut conditions: Vec<String> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    // Binds a value and gives its placeholder.
    let mut param = |value: Bind| {
        binds.push(value);
        format!("${}", binds.len())
    };
    if !query.include_archived {
        conditions.push("s.archived_at IS NULL".into());
    }
    if !query.search.is_empty() {
        let escaped = query.search.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        conditions.push(format!("s.name_key LIKE {} ESCAPE '\\'", param(Bind::Text(format!("%{escaped}%")))));
    }
    if let Some(team) = query.team_id {
        conditions.push(format!("s.team_id = {}", param(Bind::Int(team))));
    }
    if let Some(tier) = query.tier {
        conditions.push(format!("s.tier = {}", param(Bind::Int(i64::from(tier)))));
    }
    match query.level {
        Some(LevelFilter::None) => conditions.push("s.level IS NULL".into()),
        Some(LevelFilter::At(level)) => {
            conditions.push(format!("s.level = {}", param(Bind::Text(level.as_str().into()))))
        }
        None => {}
    }
    if let Some(ready) = query.ready {
        conditions.push(format!("s.ready = {}", param(Bind::Int(i64::from(ready)))));
    }
    if query.waived {
        conditions.push("s.waivers > 0".into());
    }
    // Unscored services sort first by score (they need the most attention),
    // undated ones last by launch date.
    let key = match query.sort {
        ServiceSort::Name => "s.name_key",
        ServiceSort::Score => "COALESCE(s.score, -1)",
        ServiceSort::LaunchDate => "COALESCE(s.launch_date, '9999-12-31')",
    };
    if let Some(after) = query.after.as_deref().and_then(|a| a.parse::<i64>().ok()) {
        let inner = key.replace("s.", "a.");
        let id = param(Bind::Int(after));
        conditions.push(format!("({key}, s.id) > (SELECT {inner}, a.id FROM services a WHERE a.id = {id})"));
    }
    let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM services s JOIN teams t ON t.id = s.team_id {filter}
         ORDER BY {key}, s.id LIMIT {}",
        PAGE_SIZE + 1
    );
    let mut rows: Vec<SummaryRow> = bind_all(sqlx::query_as(&sql), &binds).fetch_all(db.pool()).await?;
    let next = (rows.len() > PAGE_SIZE).then(|| {
        rows.truncate(PAGE_SIZE);
        rows.last().map(|r| r.id.to_string())
    });
    let services = rows.into_iter().map(SummaryRow::into_summary).collect::<Result<_, _>>()?;
    Ok((services, next.flatten()))
}

/// The service with this slug, archived or not.
pub async fn find_by_slug(db: &Db, slug: &str) -> Result<Option<ServiceRecord>, sqlx::Error> {
    find(db, "s.slug = $1", slug.to_string()).await
}

/// The figures a public status badge shows: only for a live service whose
/// lead made its badge public. `None` for every other slug, alike.
pub async fn public_badge(db: &Db, slug: &str) -> Result<Option<crate::domain::services::Figures>, sqlx::Error> {
    let found =
        find(db, "s.slug = $1 AND s.badge_public_at IS NOT NULL AND s.archived_at IS NULL", slug.to_string()).await?;
    Ok(found.map(|record| record.summary.figures))
}

/// Makes the service's status badge public, or withdraws it.
pub async fn set_badge_public(
    db: &Db,
    actor: Actor<'_>,
    service_id: i64,
    public: bool,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = db.pool().begin().await?;
    let sql = if public {
        "UPDATE services SET badge_public_at = $1, updated_at = $1 WHERE id = $2 AND badge_public_at IS NULL"
    } else {
        "UPDATE services SET badge_public_at = NULL, updated_at = $1 WHERE id = $2 AND badge_public_at IS NOT NULL"
    };
    let done = sqlx::query(sql).bind(now).bind(service_id).execute(&mut *tx).await?;
    if done.rows_affected() > 0 {
        let action = if public { "service.badge_published" } else { "service.badge_withdrawn" };
        audit::record(&mut *tx, now, actor.entry(action, "service", service_id, None).for_service(service_id)).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The service with this id, archived or not.
pub async fn find_by_id(db: &Db, service_id: i64) -> Result<Option<ServiceRecord>, sqlx::Error> {
    find(db, "s.id = $1", service_id).await
}

async fn find<T>(db: &Db, condition: &str, value: T) -> Result<Option<ServiceRecord>, sqlx::Error>
where
    T: for<'q> sqlx::Encode<'q, Any> + sqlx::Type<Any> + Send,
{
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, s.description, s.repository_url, s.docs_url, s.version, s.badge_public_at
         FROM services s JOIN teams t ON t.id = s.team_id WHERE {condition}"
    );
    let row: Option<RecordRow> = sqlx::query_as(&sql).bind(value).fetch_optional(db.pool()).await?;
    row.map(|r| {
        Ok(ServiceRecord {
            description: r.description,
            repository_url: r.repository_url,
            docs_url: r.docs_url,
            version: r.version,
            badge_public: r.badge_public_at.is_some(),
            summary: r.summary.into_summary()?,
        })
    })
    .transpose()
}

#[derive(FromRow)]
struct RecordRow {
    #[sqlx(flatten)]
    summary: SummaryRow,
    description: String,
    repository_url: Option<String>,
    docs_url: Option<String>,
    version: i64,
    badge_public_at: Option<i64>,
}

/// A service with everything the service page shows about it.
#[derive(Debug, Clone)]
pub struct ServiceRecord {
    pub summary: ServiceSummary,
    pub description: String,
    pub repository_url: Option<String>,
    pub docs_url: Option<String>,
    pub version: i64,
    /// Its status badge is public (see [`public_badge`]).
    pub badge_public: bool,
}

/// Applies the latest version of a template to a service: one row per
/// item, not started. Refused when the template is already applied.
pub async fn apply_template(
    db: &Db,
    actor: Actor<'_>,
    service_id: i64,
    template_id: i64,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = db.pool().begin().await?;
    if !figures::lock_service(&mut tx, service_id).await? {
        return Err(AppError::NotFound);
    }
    let version_id = super::templates::latest_version_id(&mut *tx, template_id)
        .await?
        .ok_or_else(|| AppError::invalid("template_id", "Choose a template from the list."))?;
    let applied: Result<i64, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO service_templates (service_id, template_id, template_version_id, applied_by, applied_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(service_id)
    .bind(template_id)
    .bind(version_id)
    .bind(actor.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await;
    let applied_id = applied.map_err(|e| {
        if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
            AppError::invalid("template_id", "This template is already applied to the service.")
        } else {
            e.into()
        }
    })?;
    sqlx::query(
        "INSERT INTO service_items (service_id, service_template_id, template_item_id, key)
         SELECT $1, $2, id, key FROM template_items WHERE template_version_id = $3",
    )
    .bind(service_id)
    .bind(applied_id)
    .bind(version_id)
    .execute(&mut *tx)
    .await?;
    figures::refresh_service(&mut tx, service_id, now).await?;
    let detail = format!("template {template_id} (version row {version_id})");
    audit::record(
        &mut *tx,
        now,
        actor.entry("service.template_applied", "service", service_id, Some(detail)).for_service(service_id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
