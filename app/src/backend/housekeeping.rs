//! Periodic clean-up of rows that have outlived their purpose: expired
//! sessions, stale sign-in throttling state, used or expired links and
//! single score changes past their keeping (plus today's history rows). Safe to run on every
//! replica at once: each statement is an idempotent DELETE.

use super::clock::Clock;
use super::throttle::LoginPolicy;
use super::Db;

/// Rows removed by one sweep.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub throttle: u64,
    pub tokens: u64,
    /// Single score changes older than the history keeps them.
    pub score_changes: u64,
    /// Notification mail removed after its keeping.
    pub mail_pruned: u64,
}

pub async fn sweep(db: &Db, clock: &Clock, policy: &LoginPolicy) -> Result<Swept, sqlx::Error> {
    let now = clock.now_millis();
    let sessions =
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(db.pool()).await?.rows_affected();
    // Failure counts older than a lockout window are forgotten; locks are
    // kept until they end.
    let counts = sqlx::query(
        "DELETE FROM login_throttle WHERE (locked_until IS NULL OR locked_until <= $1) AND updated_at <= $2",
    )
    .bind(now)
    .bind(now - policy.lockout.as_millis() as i64)
    .execute(db.pool())
    .await?
    .rows_affected();
    // A bucket untouched for a whole window is full again: same as no row.
    let buckets = sqlx::query("DELETE FROM login_ip_buckets WHERE updated_at <= $1")
        .bind(now - policy.ip_window.as_millis() as i64)
        .execute(db.pool())
        .await?
        .rows_affected();
    let tokens = super::tokens::sweep(db, now).await?;
    // Every live service and team gets today's history row (at least daily).
    let score_changes = super::history::sweep(db, now).await?;
    // Today's burn-up count of every running campaign.
    super::campaigns::sweep(db, now).await?;
    // Mail past its keeping. (The weekly mail is queued by the server's
    // housekeeping loop, and only when SMTP is configured.)
    let mail = super::notifications::prune(db, now).await?;
    Ok(Swept { sessions, throttle: counts + buckets, tokens, score_changes, mail_pruned: mail })
}
