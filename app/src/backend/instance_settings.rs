//! Settings an administrator changes at run time, stored as rows in
//! `instance_settings` so every replica sees the same value.

use super::audit::AuditEntry;
use super::Db;
use crate::domain::access::Policy;

/// Administrators must have a second factor; without one they are sent to
/// enrolment and can do nothing else.
pub const REQUIRE_ADMIN_MFA: &str = "security.require_admin_mfa";
/// Viewers may download evidence files ([`Policy::viewers_may_download_evidence`]).
pub const VIEWERS_DOWNLOAD_EVIDENCE: &str = "access.viewers_download_evidence";
/// The private addresses probes and webhooks may reach: the outbound
/// guard's allow-list, as the administrator wrote it (comments kept).
pub const OUTBOUND_ALLOW: &str = "probes.outbound_allow";

/// What every request needs to know: the access policy, and whether
/// administrators must use MFA. One query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccessSettings {
    pub policy: Policy,
    pub require_admin_mfa: bool,
}

pub async fn access(db: &Db) -> Result<AccessSettings, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM instance_settings WHERE key IN ($1, $2)")
        .bind(REQUIRE_ADMIN_MFA)
        .bind(VIEWERS_DOWNLOAD_EVIDENCE)
        .fetch_all(db.pool())
        .await?;
    let on = |key: &str| rows.iter().any(|(k, v)| k == key && v == "true");
    Ok(AccessSettings {
        policy: Policy { viewers_may_download_evidence: on(VIEWERS_DOWNLOAD_EVIDENCE) },
        require_admin_mfa: on(REQUIRE_ADMIN_MFA),
    })
}

/// Sets one on/off setting and records `entry` in the same transaction.
pub async fn set_bool(db: &Db, key: &str, value: bool, now: i64, entry: AuditEntry<'_>) -> Result<(), sqlx::Error> {
    set_text(db, key, if value { "true" } else { "false" }, now, entry).await
}

/// Sets one setting to `value` and records `entry` in the same transaction.
pub async fn set_text(db: &Db, key: &str, value: &str, now: i64, entry: AuditEntry<'_>) -> Result<(), sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    sqlx::query(
        "INSERT INTO instance_settings (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = $2, updated_at = $3",
    )
    .bind(key)
    .bind(value)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    super::audit::record(&mut *tx, now, entry).await?;
    tx.commit().await
}

/// A setting's stored text, if it was ever set.
pub async fn text(db: &Db, key: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT value FROM instance_settings WHERE key = $1").bind(key).fetch_optional(db.pool()).await
}

/// Puts the stored allow-list in force in `guard` (at start-up, after an
/// administrator changes it here, and on every replica's probe sync).
/// Stored text was checked when saved; should it not parse (edited by
/// hand), nothing extra is allowed and the problem is logged.
pub async fn apply_outbound_allow(db: &Db, guard: &outbound::Guard) -> Result<(), sqlx::Error> {
    let text = text(db, OUTBOUND_ALLOW).await?.unwrap_or_default();
    let policy = outbound::Policy::parse(&text).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the stored outbound allow-list does not parse; allowing nothing private");
        outbound::Policy::default()
    });
    if *guard.policy() != policy {
        guard.set_policy(policy);
    }
    Ok(())
}
