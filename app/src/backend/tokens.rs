//! Single-use link tokens in the database (see [`LinkKind`]).
//!
//! The link carries a random token; the database stores only its SHA-256.
//! Using a token is one UPDATE that succeeds only while the token is unused
//! and unexpired, so two tabs racing with one link cannot both use it.
//! Issuing a new link for the same purpose withdraws the older ones.

use sqlx::{Any, Executor};

use super::secrets::{random_token, sha256_hex};
use super::Db;
use crate::domain::links::LinkKind;

/// A new link token for `user_id`; earlier unused ones of that purpose stop
/// working. Takes a transaction so it can commit with the user it is for.
pub async fn issue(
    tx: &mut sqlx::Transaction<'_, Any>,
    user_id: i64,
    kind: LinkKind,
    created_by: Option<i64>,
    now: i64,
) -> Result<String, sqlx::Error> {
    sqlx::query("DELETE FROM user_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL")
        .bind(user_id)
        .bind(kind.as_str())
        .execute(&mut **tx)
        .await?;
    let token = random_token();
    sqlx::query(
        "INSERT INTO user_tokens (token_hash, user_id, purpose, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(sha256_hex(&token))
    .bind(user_id)
    .bind(kind.as_str())
    .bind(created_by)
    .bind(now)
    .bind(now + kind.lifetime().as_millis() as i64)
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

/// The user a live (unused, unexpired) token belongs to, without using it.
pub async fn peek(db: &Db, token: &str, kind: LinkKind, now: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT user_id FROM user_tokens
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(sha256_hex(token))
    .bind(kind.as_str())
    .bind(now)
    .fetch_optional(db.pool())
    .await
}

/// Uses a live token: marks it used and returns its user, or `None` when it
/// is unknown, used or expired.
pub async fn consume<'e, E>(executor: E, token: &str, kind: LinkKind, now: i64) -> Result<Option<i64>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar(
        "UPDATE user_tokens SET used_at = $4
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
         RETURNING user_id",
    )
    .bind(sha256_hex(token))
    .bind(kind.as_str())
    .bind(now)
    .bind(now)
    .fetch_optional(executor)
    .await
}

/// Forgets tokens that can no longer be used (housekeeping).
pub async fn sweep(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM user_tokens WHERE expires_at <= $1 OR used_at IS NOT NULL")
        .bind(now)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}
