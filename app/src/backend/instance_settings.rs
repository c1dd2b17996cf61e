//! Settings an administrator changes at run time, stored as rows in
//! `instance_settings` so every replica sees the same value.

use super::Db;

/// Administrators must have a second factor; without one they are sent to
/// enrolment and can do nothing else.
pub const REQUIRE_ADMIN_MFA: &str = "security.require_admin_mfa";

pub async fn get_bool(db: &Db, key: &str) -> Result<bool, sqlx::Error> {
    let value: Option<String> = sqlx::query_scalar("SELECT value FROM instance_settings WHERE key = $1")
        .bind(key)
        .fetch_optional(db.pool())
        .await?;
    Ok(value.as_deref() == Some("true"))
}

pub async fn set_bool(db: &Db, key: &str, value: bool, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO instance_settings (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = $2, updated_at = $3",
    )
    .bind(key)
    .bind(if value { "true" } else { "false" })
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}
