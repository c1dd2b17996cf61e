//! The `sessions` table: one row per signed-in browser (or per browser
//! between password and second factor).
//!
//! The cookie holds a random 256-bit token; the table keeps only its SHA-256
//! (`id_hash`), so a copy of the table hands out no live session.
//!
//! Writes never bring a session back: the only statements that touch an
//! existing row are `UPDATE ... WHERE id_hash = ...` and `DELETE`, so a
//! request that read a session just before it was ended cannot write it
//! back when it finishes. `users.sessions_valid_from` ends every older
//! session of a user at once (checked with every lookup), whatever rows
//! are left.

use sqlx::{Any, Executor};

use super::{instance_settings, secrets, Backend, Db};
use crate::domain::sessions::SessionSummary;

/// A session's token, as the cookie carries it. Only [`token_hash`] of it is
/// stored.
pub fn new_token() -> String {
    secrets::random_token()
}

/// Digest under which a session token is stored. Anything that is not a
/// well-formed token (64 hex characters) has no digest, so a forged cookie
/// costs no database work.
pub fn token_hash(token: &str) -> Option<String> {
    (token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())).then(|| secrets::sha256_hex(token))
}

/// What one statement learns about a session and its user, for
/// `caller::resolve`. Columns of the user are `None` when no user row
/// matches (the session then ends).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Lookup {
    /// The session's current digest (the cookie may carry the one before).
    pub id_hash: String,
    /// When the cookie's token is the one a rotation replaced: when that was.
    pub replaced_at: Option<i64>,
    pub user_id: Option<i64>,
    pub pending_user_id: Option<i64>,
    pub privileges_at: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub ends_at: i64,
    pub email: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub password_hash: Option<String>,
    pub disabled_at: Option<i64>,
    pub privileges_changed_at: Option<i64>,
    pub sessions_valid_from: Option<i64>,
    pub mfa_enrolled: i64,
    pub require_admin_mfa: Option<String>,
    pub viewers_download_evidence: Option<String>,
    /// The user's team roles as `"<team id>:<lead|member>"`, comma-separated.
    pub team_roles: Option<String>,
}

/// The session named by `id_hash` with its (signed-in or pending) user, the
/// user's team roles and second-factor state and the instance's access
/// settings: everything a request needs to know about its caller, in one
/// statement. Expiry and revocation are judged by the caller, so this reads
/// and never writes.
pub async fn lookup(db: &Db, id_hash: &str) -> Result<Option<Lookup>, sqlx::Error> {
    // The one place the dialects differ: aggregating the team roles.
    let team_roles = match db.backend() {
        Backend::Sqlite => "SELECT group_concat(m.team_id || ':' || m.role, ',')",
        Backend::Postgres => "SELECT string_agg(m.team_id::text || ':' || m.role, ',')",
    };
    let sql = format!(
        "SELECT s.id_hash, CASE WHEN s.id_hash = $1 THEN NULL ELSE s.rotated_at END AS replaced_at,
                s.user_id, s.pending_user_id, s.privileges_at, s.created_at, s.last_seen_at, s.expires_at, s.ends_at,
                u.email, u.name, u.role, u.password_hash, u.disabled_at, u.privileges_changed_at,
                u.sessions_valid_from,
                (SELECT COUNT(*) FROM user_mfa f WHERE f.user_id = u.id AND f.confirmed_at IS NOT NULL)
                    AS mfa_enrolled,
                (SELECT value FROM instance_settings WHERE key = $2) AS require_admin_mfa,
                (SELECT value FROM instance_settings WHERE key = $3) AS viewers_download_evidence,
                ({team_roles} FROM team_members m WHERE m.user_id = s.user_id) AS team_roles
         FROM sessions s LEFT JOIN users u ON u.id = COALESCE(s.user_id, s.pending_user_id)
         WHERE s.id_hash = $1 OR s.previous_id_hash = $1"
    );
    sqlx::query_as(&sql)
        .bind(id_hash)
        .bind(instance_settings::REQUIRE_ADMIN_MFA)
        .bind(instance_settings::VIEWERS_DOWNLOAD_EVIDENCE)
        .fetch_optional(db.pool())
        .await
}

/// A new session row. `user_id` is set for a signed-in session,
/// `pending_user_id` for one that waits for the second factor.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub user_id: Option<i64>,
    pub pending_user_id: Option<i64>,
    pub device: &'a str,
    pub client_ip: &'a str,
    pub privileges_at: i64,
    pub now: i64,
    /// Idle expiry of the first request.
    pub expires_at: i64,
    /// Absolute end, however active.
    pub ends_at: i64,
}

/// Stores a new session and returns its token (for the cookie).
pub async fn create<'e, E>(executor: E, new: NewSession<'_>) -> Result<String, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let token = new_token();
    let id_hash = secrets::sha256_hex(&token);
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, pending_user_id, device, client_ip, privileges_at,
                               created_at, last_seen_at, expires_at, ends_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9)",
    )
    .bind(&id_hash)
    .bind(new.user_id)
    .bind(new.pending_user_id)
    .bind(new.device)
    .bind(new.client_ip)
    .bind(new.privileges_at)
    .bind(new.now)
    .bind(new.expires_at)
    .bind(new.ends_at)
    .execute(executor)
    .await?;
    Ok(token)
}

/// How long a token replaced by a rotation still works.
pub const ROTATION_GRACE_MS: i64 = 30_000;

/// Records activity: the idle expiry moves to `expires_at`. Never creates a
/// row; false when the session has ended meanwhile.
pub async fn touch(db: &Db, id_hash: &str, now: i64, expires_at: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3")
        .bind(now)
        .bind(expires_at)
        .bind(id_hash)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the session a new token (after the user's powers changed, so a
/// token captured before is worth nothing once the grace below is over).
/// The old token keeps working for [`ROTATION_GRACE_MS`], for requests that
/// were already on their way with it. Returns the new token, or `None` when
/// the session has ended (or was rotated by another request) meanwhile.
pub async fn rotate(
    db: &Db,
    id_hash: &str,
    privileges_at: i64,
    now: i64,
    expires_at: i64,
) -> Result<Option<String>, sqlx::Error> {
    let token = new_token();
    let done = sqlx::query(
        "UPDATE sessions SET previous_id_hash = id_hash, rotated_at = $3, id_hash = $1, privileges_at = $2,
                last_seen_at = $3, expires_at = $4
         WHERE id_hash = $5",
    )
    .bind(secrets::sha256_hex(&token))
    .bind(privileges_at)
    .bind(now)
    .bind(expires_at)
    .bind(id_hash)
    .execute(db.pool())
    .await?;
    Ok((done.rows_affected() == 1).then_some(token))
}

/// Ends one session.
pub async fn delete<'e, E>(executor: E, id_hash: &str) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(executor).await?;
    Ok(())
}

/// Ends every session of `user_id` that started before `now`, at once and
/// for good: the stamp is checked with every lookup, and the rows go too.
/// Returns how many sessions ended.
pub async fn end_all<'c>(tx: &mut sqlx::Transaction<'c, Any>, user_id: i64, now: i64) -> Result<u64, sqlx::Error> {
    sqlx::query("UPDATE users SET sessions_valid_from = $1 WHERE id = $2")
        .bind(now)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 OR pending_user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id_hash: String,
    device: String,
    created_at: i64,
    last_seen_at: i64,
}

/// Live sessions of `user_id`, most recently used first. `current` is the
/// stored digest of the caller's own session.
pub async fn list(db: &Db, user_id: i64, now: i64, current: Option<&str>) -> Result<Vec<SessionSummary>, sqlx::Error> {
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT s.id_hash, s.device, s.created_at, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.user_id = $1 AND s.expires_at > $2 AND s.created_at >= u.sessions_valid_from
         ORDER BY s.last_seen_at DESC",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| SessionSummary {
            current: current == Some(row.id_hash.as_str()),
            id: row.id_hash,
            device: row.device,
            started_at_ms: row.created_at,
            last_seen_at_ms: row.last_seen_at,
        })
        .collect())
}

/// Ends one of `user_id`'s sessions; false when it is not theirs or gone.
pub async fn end<'e, E>(executor: E, user_id: i64, id_hash: &str) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash = $2")
        .bind(user_id)
        .bind(id_hash)
        .execute(executor)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every session of `user_id` except `keep`; returns how many ended.
pub async fn end_others<'e, E>(executor: E, user_id: i64, keep: &str) -> Result<u64, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let done = sqlx::query("DELETE FROM sessions WHERE (user_id = $1 OR pending_user_id = $1) AND id_hash <> $2")
        .bind(user_id)
        .bind(keep)
        .execute(executor)
        .await?;
    Ok(done.rows_affected())
}
