//! The audit trail: one append-only row per security-relevant event.

use sqlx::{Any, Executor};

/// One event. `actor_label` is copied at the time so the entry still reads
/// correctly after the actor is renamed or removed.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry<'a> {
    pub actor_user_id: Option<i64>,
    pub actor_label: &'a str,
    /// Dotted name, e.g. `login.succeeded`, `setup.admin_created`.
    pub action: &'a str,
    pub subject_type: Option<&'a str>,
    pub subject_id: Option<String>,
    /// Free text or JSON; never a secret.
    pub detail: Option<String>,
}

pub async fn record<'e, E>(executor: E, at_millis: i64, entry: AuditEntry<'_>) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query(
        "INSERT INTO audit_events (occurred_at, actor_user_id, actor_label, action, subject_type, subject_id, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(at_millis)
    .bind(entry.actor_user_id)
    .bind(entry.actor_label)
    .bind(entry.action)
    .bind(entry.subject_type)
    .bind(entry.subject_id)
    .bind(entry.detail)
    .execute(executor)
    .await?;
    Ok(())
}
