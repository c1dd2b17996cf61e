//! Checklist templates in the database: publishing a version (rows for its
//! sections and items, plus its TOML text for export), the built-in
//! templates loaded at start-up, and reading a version back.
//!
//! A published version never changes. Services point at the version they
//! applied; `service_items` point at that version's item definitions.

use sqlx::{Any, Transaction};

use super::audit::{self, AuditEntry};
use super::db::decode_word;
use super::template_format::{self, BUILT_IN};
use super::Db;
use crate::domain::checklist::{ItemDef, SectionDef, TemplateFile, TemplateHeader};
use crate::domain::templates::TemplateSummary;

/// Publishes `file` as version `file.template.version` of template
/// `template_id`, inside the caller's transaction; returns the version's id.
pub async fn publish_version(
    tx: &mut Transaction<'_, Any>,
    template_id: i64,
    file: &TemplateFile,
    created_by: Option<i64>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let header = &file.template;
    let version_id: i64 = sqlx::query_scalar(
        "INSERT INTO template_versions (template_id, version, name, summary, source, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(template_id)
    .bind(i64::from(header.version))
    .bind(&header.name)
    .bind(&header.summary)
    .bind(template_format::export(file))
    .bind(created_by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    for (position, section) in file.sections.iter().enumerate() {
        sqlx::query("INSERT INTO template_sections (template_version_id, position, key, name) VALUES ($1, $2, $3, $4)")
            .bind(version_id)
            .bind(position as i64)
            .bind(&section.id)
            .bind(&section.name)
            .execute(&mut **tx)
            .await?;
    }
    for (position, item) in file.items.iter().enumerate() {
        sqlx::query(
            "INSERT INTO template_items (template_version_id, position, key, section_key, title, guidance, severity,
                                         level, evidence, approvals, valid_days, auto_signal, tiers)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(version_id)
        .bind(position as i64)
        .bind(&item.id)
        .bind(item.section_id())
        .bind(&item.title)
        .bind(&item.guidance)
        .bind(item.severity.as_str())
        .bind(item.level.as_str())
        .bind(item.evidence.as_str())
        .bind(i64::from(item.approvals))
        .bind(i64::from(item.valid_days))
        .bind(item.auto.map(auto_word))
        .bind(item.tiers.as_ref().map(|tiers| tiers.iter().map(u8::to_string).collect::<Vec<_>>().join(",")))
        .execute(&mut **tx)
        .await?;
    }
    Ok(version_id)
}

fn auto_word(signal: crate::domain::checklist::AutoSignal) -> &'static str {
    use crate::domain::checklist::AutoSignal::*;
    match signal {
        Uptime => "probe.uptime",
        ErrorRate => "probe.error_rate",
        Latency => "probe.latency",
    }
}

/// Reads an `auto` word as stored.
pub fn parse_auto(word: &str) -> Option<crate::domain::checklist::AutoSignal> {
    use crate::domain::checklist::AutoSignal::*;
    [Uptime, ErrorRate, Latency].into_iter().find(|s| auto_word(*s) == word)
}

/// Reads stored tiers ('1,2').
pub fn parse_tiers(text: Option<&str>) -> Option<Vec<u8>> {
    text.map(|t| t.split(',').filter_map(|n| n.trim().parse().ok()).collect())
}

/// Loads the built-in templates: each one the database lacks, and each
/// newer version of one it has (services keep the version they applied, so
/// no progress changes). Run at start-up; a no-op once loaded.
pub async fn load_built_in(db: &Db, now: i64) -> Result<Vec<String>, LoadError> {
    let mut loaded = Vec::new();
    for (file_name, text) in BUILT_IN {
        let file = template_format::parse(text).map_err(|problems| {
            LoadError::Invalid(file_name, problems.first().map(ToString::to_string).unwrap_or_default())
        })?;
        let mut tx = db.pool().begin().await?;
        let known: Option<(i64, i64)> = sqlx::query_as("SELECT id, latest_version FROM templates WHERE key = $1")
            .bind(&file.template.id)
            .fetch_optional(&mut *tx)
            .await?;
        let version = i64::from(file.template.version);
        let template_id = match known {
            Some((_, latest)) if latest >= version => continue,
            Some((id, _)) => {
                sqlx::query("UPDATE templates SET name = $1, latest_version = $2, updated_at = $3 WHERE id = $4")
                    .bind(&file.template.name)
                    .bind(version)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                id
            }
            None => {
                sqlx::query_scalar(
                    "INSERT INTO templates (key, name, built_in, latest_version, created_at, updated_at)
                     VALUES ($1, $2, 1, $3, $4, $4) RETURNING id",
                )
                .bind(&file.template.id)
                .bind(&file.template.name)
                .bind(version)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        publish_version(&mut tx, template_id, &file, None, now).await?;
        let entry = AuditEntry {
            actor_label: "Preflight",
            action: "template.published",
            subject_type: Some("template"),
            subject_id: Some(template_id.to_string()),
            detail: Some(format!("built-in {} version {}", file.template.id, version)),
            ..AuditEntry::default()
        };
        audit::record(&mut *tx, now, entry).await?;
        tx.commit().await?;
        loaded.push(format!("{} v{}", file.template.id, version));
    }
    Ok(loaded)
}

/// Creates a custom template from `file` (version 1 is what `file` says)
/// and records it, in one transaction; returns the template's id. A key
/// another template has is refused on the `template.id` field.
pub async fn create_custom(
    db: &Db,
    actor: super::audit::Actor<'_>,
    file: &TemplateFile,
    now: i64,
) -> Result<i64, crate::error::AppError> {
    let mut tx = db.pool().begin().await?;
    let created: Result<i64, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO templates (key, name, built_in, latest_version, created_at, updated_at)
         VALUES ($1, $2, 0, $3, $4, $4) RETURNING id",
    )
    .bind(&file.template.id)
    .bind(&file.template.name)
    .bind(i64::from(file.template.version))
    .bind(now)
    .fetch_one(&mut *tx)
    .await;
    let template_id = created.map_err(|e| {
        if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
            crate::error::AppError::invalid("template.id", "Another template already has this id.")
        } else {
            e.into()
        }
    })?;
    publish_version(&mut tx, template_id, file, Some(actor.id), now).await?;
    let detail = format!("{} version {}", file.template.id, file.template.version);
    audit::record(&mut *tx, now, actor.entry("template.created", "template", template_id, Some(detail))).await?;
    tx.commit().await?;
    Ok(template_id)
}

/// Why the built-in templates could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the built-in template {0} is invalid: {1}")]
    Invalid(&'static str, String),
    #[error("cannot store the built-in templates: {0}")]
    Db(#[from] sqlx::Error),
}

/// Every template that is not archived, built-in ones first.
pub async fn list(db: &Db) -> Result<Vec<TemplateSummary>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        key: String,
        name: String,
        built_in: i64,
        latest_version: i64,
        summary: String,
        items: i64,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT t.id, t.key, t.name, t.built_in, t.latest_version, v.summary,
                (SELECT COUNT(*) FROM template_items i WHERE i.template_version_id = v.id) AS items
         FROM templates t JOIN template_versions v ON v.template_id = t.id AND v.version = t.latest_version
         WHERE t.archived_at IS NULL ORDER BY t.built_in DESC, t.name",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TemplateSummary {
            id: r.id,
            key: r.key,
            name: r.name,
            built_in: r.built_in != 0,
            latest_version: r.latest_version as u32,
            summary: r.summary,
            items: r.items as u32,
        })
        .collect())
}

/// A published version read back as a template file (the rows are the
/// truth; the stored TOML is the same template).
pub async fn version_file(
    conn: &mut sqlx::AnyConnection,
    template_version_id: i64,
) -> Result<Option<TemplateFile>, sqlx::Error> {
    let header: Option<(String, i64, String, String)> = sqlx::query_as(
        "SELECT t.key, v.version, v.name, v.summary FROM template_versions v JOIN templates t ON t.id = v.template_id
         WHERE v.id = $1",
    )
    .bind(template_version_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((key, version, name, summary)) = header else { return Ok(None) };
    let sections: Vec<(String, String)> =
        sqlx::query_as("SELECT key, name FROM template_sections WHERE template_version_id = $1 ORDER BY position")
            .bind(template_version_id)
            .fetch_all(&mut *conn)
            .await?;
    let items: Vec<ItemRecord> = sqlx::query_as(
        "SELECT key, title, guidance, severity, level, evidence, approvals, valid_days, auto_signal, tiers
         FROM template_items WHERE template_version_id = $1 ORDER BY position",
    )
    .bind(template_version_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(TemplateFile {
        template: TemplateHeader { id: key, name, version: version as u32, summary },
        sections: sections.into_iter().map(|(id, name)| SectionDef { id, name }).collect(),
        items: items.into_iter().map(ItemRecord::into_def).collect::<Result<_, _>>()?,
    }))
}

/// An item definition as stored.
#[derive(sqlx::FromRow)]
pub struct ItemRecord {
    pub key: String,
    pub title: String,
    pub guidance: String,
    pub severity: String,
    pub level: String,
    pub evidence: String,
    pub approvals: i64,
    pub valid_days: i64,
    pub auto_signal: Option<String>,
    pub tiers: Option<String>,
}

impl ItemRecord {
    pub fn into_def(self) -> Result<ItemDef, sqlx::Error> {
        Ok(ItemDef {
            id: self.key,
            title: self.title,
            guidance: self.guidance,
            severity: decode_word(self.severity)?,
            level: decode_word(self.level)?,
            evidence: decode_word(self.evidence)?,
            approvals: self.approvals as u8,
            valid_days: self.valid_days as u32,
            auto: self.auto_signal.as_deref().and_then(parse_auto),
            tiers: parse_tiers(self.tiers.as_deref()),
        })
    }
}

/// The latest version's id of a template, if the template exists and is
/// not archived.
pub async fn latest_version_id<'e, E>(executor: E, template_id: i64) -> Result<Option<i64>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query_scalar(
        "SELECT v.id FROM templates t JOIN template_versions v ON v.template_id = t.id AND v.version = t.latest_version
         WHERE t.id = $1 AND t.archived_at IS NULL",
    )
    .bind(template_id)
    .fetch_optional(executor)
    .await
}

/// Reads template TOML for import or an edit: a parse or rule problem is
/// a field error on `source` naming its line and field.
pub fn read_source(text: &str) -> Result<TemplateFile, crate::error::AppError> {
    template_format::parse(text).map_err(|problems| {
        let message = problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        crate::error::AppError::invalid("source", message)
    })
}

/// Imports a template: a new custom template, or a new version of the
/// custom template with the same id (numbered after its latest; importing
/// what is already the latest changes nothing). Built-in templates are
/// refused: they change only with Preflight. Returns the template's id.
pub async fn import(
    db: &Db,
    actor: super::audit::Actor<'_>,
    text: &str,
    now: i64,
) -> Result<i64, crate::error::AppError> {
    save(db, actor, read_source(text)?, "source", now).await
}

/// Saves a checked template (from the TOML import or the form editor): a
/// new custom template, or the next version of the custom template with
/// its id. `field` names the form field a refusal belongs to.
pub async fn save(
    db: &Db,
    actor: super::audit::Actor<'_>,
    mut file: TemplateFile,
    field: &'static str,
    now: i64,
) -> Result<i64, crate::error::AppError> {
    use crate::error::AppError;
    let known: Option<(i64, i64, i64)> =
        sqlx::query_as("SELECT id, built_in, latest_version FROM templates WHERE key = $1")
            .bind(&file.template.id)
            .fetch_optional(db.pool())
            .await?;
    let Some((template_id, built_in, latest)) = known else {
        file.template.version = 1;
        return create_custom(db, actor, &file, now).await;
    };
    if built_in != 0 {
        return Err(AppError::invalid(
            field,
            "That id belongs to a built-in template, which changes only with Preflight. Give your copy its own id.",
        ));
    }
    let mut tx = db.pool().begin().await?;
    // Locks the template row: two edits at once publish one after the other.
    sqlx::query("UPDATE templates SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(template_id)
        .execute(&mut *tx)
        .await?;
    let latest_id: i64 = sqlx::query_scalar("SELECT id FROM template_versions WHERE template_id = $1 AND version = $2")
        .bind(template_id)
        .bind(latest)
        .fetch_one(&mut *tx)
        .await?;
    let current = version_file(&mut tx, latest_id).await?.ok_or(AppError::NotFound)?;
    file.template.version = current.template.version;
    if file == current {
        return Ok(template_id);
    }
    file.template.version = latest as u32 + 1;
    publish_version(&mut tx, template_id, &file, Some(actor.id), now).await?;
    sqlx::query("UPDATE templates SET name = $1, latest_version = $2 WHERE id = $3")
        .bind(&file.template.name)
        .bind(i64::from(file.template.version))
        .bind(template_id)
        .execute(&mut *tx)
        .await?;
    let detail = format!("{} version {}", file.template.id, file.template.version);
    audit::record(&mut *tx, now, actor.entry("template.published", "template", template_id, Some(detail))).await?;
    tx.commit().await?;
    Ok(template_id)
}

/// The stored TOML of a template's version (the latest when `version` is
/// `None`), and the template's key for the file name.
pub async fn export(db: &Db, template_id: i64, version: Option<u32>) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT t.key, v.source FROM templates t JOIN template_versions v ON v.template_id = t.id
         WHERE t.id = $1 AND v.version = COALESCE($2, t.latest_version)",
    )
    .bind(template_id)
    .bind(version.map(i64::from))
    .fetch_optional(db.pool())
    .await
}

/// One template with its versions and how many services use it.
pub async fn detail(
    db: &Db,
    template_id: i64,
) -> Result<Option<crate::domain::templates::TemplateDetail>, sqlx::Error> {
    let Some(summary) = list(db).await?.into_iter().find(|t| t.id == template_id) else { return Ok(None) };
    let versions: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT version, created_at FROM template_versions WHERE template_id = $1 ORDER BY version DESC",
    )
    .bind(template_id)
    .fetch_all(db.pool())
    .await?;
    let (services, behind): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN v.version < t.latest_version THEN 1 ELSE 0 END), 0)
         FROM service_templates st JOIN template_versions v ON v.id = st.template_version_id
         JOIN templates t ON t.id = st.template_id WHERE st.template_id = $1",
    )
    .bind(template_id)
    .fetch_one(db.pool())
    .await?;
    let source = export(db, template_id, None).await?.map(|(_, source)| source).unwrap_or_default();
    let latest_id = latest_version_id(db.pool(), template_id).await?;
    let file = match latest_id {
        Some(id) => version_file(&mut *db.pool().acquire().await?, id).await?,
        None => None,
    };
    let Some(file) = file else { return Ok(None) };
    Ok(Some(crate::domain::templates::TemplateDetail {
        summary,
        versions: versions.into_iter().map(|(v, at)| (v as u32, at)).collect(),
        source,
        file,
        services: services as u32,
        services_behind: behind as u32,
    }))
}
