//! The two outboxes (`mail_outbox`, `alert_deliveries`) share how rows are
//! claimed by one replica at a time and when a failed one is tried again.

use super::db::Backend;
use super::Db;

/// A claimed row is another replica's again after this long.
pub const CLAIM_MS: i64 = 60_000;
/// Attempts before a row is given up (with its last error kept).
pub const MAX_ATTEMPTS: i64 = 6;

/// Claims up to `batch` due rows of `table` (not yet `done_column`, not
/// failed, due, not claimed by a live claim) and counts the attempt;
/// returns their ids, oldest first. `table` and `done_column` are names
/// from this crate, never input.
pub async fn claim(db: &Db, table: &str, done_column: &str, batch: i64, now: i64) -> Result<Vec<i64>, sqlx::Error> {
    // PostgreSQL replicas skip rows another one is claiming; SQLite has a
    // single writer anyway.
    let skip_locked = if db.backend() == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE {table} SET claimed_until = $1, attempts = attempts + 1
         WHERE id IN (SELECT id FROM {table}
                      WHERE {done_column} IS NULL AND failed_at IS NULL AND next_attempt_at <= $2
                        AND (claimed_until IS NULL OR claimed_until <= $2)
                      ORDER BY id LIMIT {batch}{skip_locked})
         RETURNING id"
    );
    let mut ids: Vec<i64> = sqlx::query_scalar(&sql).bind(now + CLAIM_MS).bind(now).fetch_all(db.pool()).await?;
    ids.sort_unstable();
    Ok(ids)
}

/// How long after its `attempts`-th failure a row is tried again: 1, 4,
/// 16, 64 and 256 minutes.
pub fn backoff_ms(attempts: i64) -> i64 {
    60_000 * 4_i64.pow((attempts - 1).clamp(0, 5) as u32)
}

/// Whether a row that failed its `attempts`-th time is given up.
pub fn gives_up(attempts: i64) -> bool {
    attempts >= MAX_ATTEMPTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_fourfold_then_give_up() {
        assert_eq!((1..=5).map(backoff_ms).collect::<Vec<_>>(), [60_000, 240_000, 960_000, 3_840_000, 15_360_000]);
        assert!(!gives_up(5) && gives_up(6));
    }
}
