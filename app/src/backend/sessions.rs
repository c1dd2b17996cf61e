//! A user's own sessions: list them, end one, end all but the current one.

use sqlx::Row;

use super::auth::DEVICE_KEY;
use super::Db;
use crate::api::sessions::SessionSummary;

/// Live sessions of `user_id`, most recently used first. `current` is the
/// stored digest of the caller's own session id.
pub async fn list(db: &Db, user_id: i64, now: i64, current: Option<&str>) -> Result<Vec<SessionSummary>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id_hash, data, created_at, last_seen_at FROM sessions
         WHERE user_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get(0)?;
            let data: String = row.try_get(1)?;
            let device = serde_json::from_str::<serde_json::Value>(&data)
                .ok()
                .and_then(|v| v.get(DEVICE_KEY)?.as_str().map(str::to_string))
                .unwrap_or_else(|| "Unknown device".into());
            Ok(SessionSummary {
                current: current == Some(id.as_str()),
                id,
                device,
                started_at_ms: row.try_get(2)?,
                last_seen_at_ms: row.try_get(3)?,
            })
        })
        .collect()
}

/// Ends one of `user_id`'s sessions; false when it is not theirs or gone.
pub async fn end(db: &Db, user_id: i64, id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash = $2")
        .bind(user_id)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every session of `user_id` except `keep`; returns how many ended.
pub async fn end_others(db: &Db, user_id: i64, keep: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id)
        .bind(keep)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}
