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
    /// The client address and request id of the request that made the
    /// change (see [`super::caller::Client`]), when there was one.
    pub client_ip: Option<&'a str>,
    pub request_id: Option<&'a str>,
    /// The service the entry concerns, so a service's activity is one read.
    pub service_id: Option<i64>,
}

/// Who is acting, for the audit trail: a signed-in user, and the request
/// they acted through (when there is one).
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub id: i64,
    pub name: &'a str,
    pub client: Option<&'a super::caller::Client>,
}

impl<'a> Actor<'a> {
    /// An entry of this actor's about `subject_type` `subject_id`.
    pub fn entry(
        self,
        action: &'a str,
        subject_type: &'a str,
        subject_id: impl ToString,
        detail: Option<String>,
    ) -> AuditEntry<'a> {
        AuditEntry {
            actor_user_id: Some(self.id),
            actor_label: self.name,
            action,
            subject_type: Some(subject_type),
            subject_id: Some(subject_id.to_string()),
            detail,
            client_ip: self.client.map(|c| c.ip.as_str()),
            request_id: self.client.map(|c| c.request_id.as_str()),
            service_id: None,
        }
    }
}

impl<'a> AuditEntry<'a> {
    /// This entry, filed under service `service_id`.
    pub fn for_service(self, service_id: i64) -> Self {
        AuditEntry { service_id: Some(service_id), ..self }
    }

    /// This entry, stamped with the request that caused it.
    pub fn from_client(self, client: &'a super::caller::Client) -> Self {
        AuditEntry { client_ip: Some(&client.ip), request_id: Some(&client.request_id), ..self }
    }
}

pub async fn record<'e, E>(executor: E, at_millis: i64, entry: AuditEntry<'_>) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query(
        "INSERT INTO audit_events (occurred_at, actor_user_id, actor_label, action, subject_type, subject_id, detail,
                                   client_ip, request_id, service_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(at_millis)
    .bind(entry.actor_user_id)
    .bind(entry.actor_label)
    .bind(entry.action)
    .bind(entry.subject_type)
    .bind(entry.subject_id)
    .bind(entry.detail)
    .bind(entry.client_ip)
    .bind(entry.request_id)
    .bind(entry.service_id)
    .execute(executor)
    .await?;
    Ok(())
}

/// The newest `limit` entries filed under a service, newest first.
pub async fn for_service(
    db: &super::Db,
    service_id: i64,
    limit: i64,
) -> Result<Vec<crate::domain::services::ActivityEntry>, sqlx::Error> {
    let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT occurred_at, actor_label, action, detail FROM audit_events WHERE service_id = $1
         ORDER BY id DESC LIMIT $2",
    )
    .bind(service_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, actor, action, detail)| crate::domain::services::ActivityEntry { at, actor, action, detail })
        .collect())
}
