//! Moving a service's checklist to the latest version of its template.
//! A lead first sees what changes (`preview`); the upgrade then keeps the
//! progress, evidence and approvals of unchanged items, keeps status and
//! evidence of changed ones but asks for their review again (what was
//! approved was another claim), adds new items not started, and marks
//! dropped items removed (their history stays).

use super::audit::Actor;
use super::figures::{self, lock_service};
use super::reviews::supersede_approvals;
use super::templates::version_file;
use super::Db;
use crate::domain::templates::{diff, UpgradePreview};
use crate::error::AppError;

/// The applied and the latest version of `template_id` on the service:
/// (service_template id, applied version id, latest version id).
async fn versions(
    conn: &mut sqlx::AnyConnection,
    service_id: i64,
    template_id: i64,
) -> Result<Option<(i64, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT st.id, st.template_version_id, v.id FROM service_templates st
         JOIN templates t ON t.id = st.template_id
         JOIN template_versions v ON v.template_id = t.id AND v.version = t.latest_version
         WHERE st.service_id = $1 AND st.template_id = $2",
    )
    .bind(service_id)
    .bind(template_id)
    .fetch_optional(conn)
    .await
}

/// What upgrading the service's checklist of `template_id` would change,
/// or `None` when the template is not applied.
pub async fn preview(db: &Db, service_id: i64, template_id: i64) -> Result<Option<UpgradePreview>, AppError> {
    let mut conn = db.pool().acquire().await?;
    let Some((_, from_id, to_id)) = versions(&mut conn, service_id, template_id).await? else { return Ok(None) };
    let from = version_file(&mut conn, from_id).await?.ok_or(AppError::NotFound)?;
    let to = version_file(&mut conn, to_id).await?.ok_or(AppError::NotFound)?;
    let (slug, name): (String, String) =
        sqlx::query_as("SELECT slug, name FROM services WHERE id = $1").bind(service_id).fetch_one(&mut *conn).await?;
    Ok(Some(UpgradePreview {
        service_slug: slug,
        service_name: name,
        template_id,
        template_name: to.template.name.clone(),
        from_version: from.template.version,
        to_version: to.template.version,
        diff: diff(&from, &to),
    }))
}

/// Upgrades the service's checklist of `template_id` to version
/// `to_version` (the one the lead previewed: a newer one published since
/// is a conflict), in one transaction, and records it.
pub async fn upgrade(
    db: &Db,
    actor: Actor<'_>,
    service_id: i64,
    template_id: i64,
    to_version: u32,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = db.pool().begin().await?;
    if !lock_service(&mut tx, service_id).await? {
        return Err(AppError::NotFound);
    }
    let (applied_id, from_id, to_id) = versions(&mut tx, service_id, template_id).await?.ok_or(AppError::NotFound)?;
    let from = version_file(&mut tx, from_id).await?.ok_or(AppError::NotFound)?;
    let to = version_file(&mut tx, to_id).await?.ok_or(AppError::NotFound)?;
    if to.template.version != to_version {
        return Err(AppError::Conflict);
    }
    if from_id == to_id {
        return Err(AppError::invalid("template_id", "This checklist is already on the latest version."));
    }
    let changes = diff(&from, &to);
    let new_items: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, key FROM template_items WHERE template_version_id = $1")
            .bind(to_id)
            .fetch_all(&mut *tx)
            .await?;
    let definition = |key: &str| new_items.iter().find(|(_, k)| k == key).map(|(id, _)| *id);
    let mut touched = Vec::new();
    for item in &to.items {
        let new_definition = definition(&item.id).ok_or(AppError::Internal)?;
        let row: Option<(i64, Option<i64>)> =
            sqlx::query_as("SELECT id, removed_at FROM service_items WHERE service_template_id = $1 AND key = $2")
                .bind(applied_id)
                .bind(&item.id)
                .fetch_optional(&mut *tx)
                .await?;
        let changed = changes.changed.iter().any(|(_, new)| new.id == item.id);
        match row {
            // Unchanged: only the definition it points at moves.
            Some((id, None)) if !changed => {
                sqlx::query("UPDATE service_items SET template_item_id = $1 WHERE id = $2")
                    .bind(new_definition)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            // Changed: status and evidence stay, the review starts over.
            Some((id, None)) => {
                sqlx::query(
                    "UPDATE service_items SET template_item_id = $1, na_accepted_by = NULL, na_accepted_at = NULL,
                            version = version + 1 WHERE id = $2",
                )
                .bind(new_definition)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                supersede_approvals(&mut tx, id, now).await?;
                touched.push(id);
            }
            // Dropped by an earlier version and back now: it starts again.
            Some((id, Some(_))) => {
                sqlx::query(
                    "UPDATE service_items SET template_item_id = $1, removed_at = NULL, status = 'not-started',
                            status_by = NULL, status_at = NULL, done_by = NULL, done_at = NULL,
                            na_justification = NULL, na_accepted_by = NULL, na_accepted_at = NULL, rejection = NULL,
                            version = version + 1 WHERE id = $2",
                )
                .bind(new_definition)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                supersede_approvals(&mut tx, id, now).await?;
                touched.push(id);
            }
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO service_items (service_id, service_template_id, template_item_id, key)
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(service_id)
                .bind(applied_id)
                .bind(new_definition)
                .bind(&item.id)
                .fetch_one(&mut *tx)
                .await?;
                touched.push(id);
            }
        }
    }
    for removed in &changes.removed {
        sqlx::query(
            "UPDATE service_items SET removed_at = $1, version = version + 1
             WHERE service_template_id = $2 AND key = $3 AND removed_at IS NULL",
        )
        .bind(now)
        .bind(applied_id)
        .bind(&removed.id)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("UPDATE service_templates SET template_version_id = $1, upgraded_at = $2 WHERE id = $3")
        .bind(to_id)
        .bind(now)
        .bind(applied_id)
        .execute(&mut *tx)
        .await?;
    for id in touched {
        figures::settle_item(&mut tx, id, now).await?;
    }
    figures::refresh_service(&mut tx, service_id, now).await?;
    let detail = serde_json::json!({
        "template": template_id, "from": from.template.version, "to": to.template.version,
        "added": changes.added.iter().map(|i| &i.id).collect::<Vec<_>>(),
        "removed": changes.removed.iter().map(|i| &i.id).collect::<Vec<_>>(),
        "changed": changes.changed.iter().map(|(_, i)| &i.id).collect::<Vec<_>>(),
    });
    let entry = actor.entry("service.template_upgraded", "service", service_id, Some(detail.to_string()));
    super::audit::record(&mut *tx, now, entry.for_service(service_id)).await?;
    tx.commit().await?;
    Ok(())
}
