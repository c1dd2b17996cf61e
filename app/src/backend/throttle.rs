//! Sign-in throttling, stored in the database so it holds across restarts
//! and replicas.
//!
//! * Per email: after `max_failures` consecutive failures the email is
//!   locked for `lockout`. Counted for any submitted email, with or without
//!   an account, so a lock reveals nothing about who has an account.
//! * Per client address: a token bucket of `ip_attempts` tokens refilled
//!   evenly over `ip_window`; each attempt takes one. IPv6 clients are
//!   bucketed by /64, the block one subscriber or host usually gets (so
//!   hopping through the addresses of one's own /64 buys nothing); IPv4
//!   clients by address, and an IPv4-mapped IPv6 address as its IPv4
//!   address. See [`bucket_key`].

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use super::Db;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    pub max_failures: u32,
    pub lockout: Duration,
    pub ip_attempts: u32,
    pub ip_window: Duration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            max_failures: 5,
            lockout: Duration::from_secs(15 * 60),
            ip_attempts: 20,
            ip_window: Duration::from_secs(10 * 60),
        }
    }
}

fn email_key(email: &str) -> String {
    super::secrets::sha256_hex(email)
}

fn millis(d: Duration) -> i64 {
    d.as_millis() as i64
}

/// How long `email` stays locked, if it is.
pub async fn locked_for(db: &Db, email: &str, now: i64) -> Result<Option<Duration>, sqlx::Error> {
    let until: Option<Option<i64>> = sqlx::query_scalar("SELECT locked_until FROM login_throttle WHERE email_key = $1")
        .bind(email_key(email))
        .fetch_optional(db.pool())
        .await?;
    Ok(until.flatten().filter(|until| *until > now).map(|until| Duration::from_millis((until - now) as u64)))
}

/// Counts a failed sign-in; returns true when this failure locked the email.
pub async fn record_failure(db: &Db, policy: &LoginPolicy, email: &str, now: i64) -> Result<bool, sqlx::Error> {
    let key = email_key(email);
    let failures: i64 = sqlx::query_scalar(
        "INSERT INTO login_throttle (email_key, failures, locked_until, updated_at) VALUES ($1, 1, NULL, $2)
         ON CONFLICT (email_key) DO UPDATE SET failures = login_throttle.failures + 1, updated_at = $2
         RETURNING failures",
    )
    .bind(&key)
    .bind(now)
    .fetch_one(db.pool())
    .await?;
    if failures < i64::from(policy.max_failures) {
        return Ok(false);
    }
    // Lock, and start counting afresh for when the lock ends.
    sqlx::query("UPDATE login_throttle SET failures = 0, locked_until = $1, updated_at = $2 WHERE email_key = $3")
        .bind(now + millis(policy.lockout))
        .bind(now)
        .bind(&key)
        .execute(db.pool())
        .await?;
    Ok(true)
}

/// Clears the failure count after a successful sign-in; returns true when
/// the email had been locked before (the lock has now ended).
pub async fn record_success(db: &Db, email: &str) -> Result<bool, sqlx::Error> {
    let locked_until: Option<Option<i64>> =
        sqlx::query_scalar("DELETE FROM login_throttle WHERE email_key = $1 RETURNING locked_until")
            .bind(email_key(email))
            .fetch_optional(db.pool())
            .await?;
    Ok(locked_until.flatten().is_some())
}

/// The key of the address bucket `client_ip` spends from: the IPv4 address,
/// or the IPv6 /64 as `2001:db8:1:2::/64`. Anything that is not an address
/// (e.g. "unknown" when the server could not tell) is its own bucket.
pub fn bucket_key(client_ip: &str) -> String {
    match client_ip.trim().parse::<IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => {
            let prefix = Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64));
            format!("{prefix}/64")
        }
        Err(_) => client_ip.to_string(),
    }
}

/// Takes one attempt from the bucket of `client_ip` (see [`bucket_key`]),
/// or says how long to wait.
pub async fn take_ip_attempt(
    db: &Db,
    policy: &LoginPolicy,
    client_ip: &str,
    now: i64,
) -> Result<Option<Duration>, sqlx::Error> {
    const ONE: i64 = 1000;
    let capacity = i64::from(policy.ip_attempts) * ONE;
    let window = millis(policy.ip_window).max(1);
    let client_ip = bucket_key(client_ip);
    let client_ip = client_ip.as_str();
    // Optimistic concurrency: retry when another request changed the row
    // between our read and our write.
    loop {
        let bucket: Option<(i64, i64)> =
            sqlx::query_as("SELECT tokens_milli, updated_at FROM login_ip_buckets WHERE client_ip = $1")
                .bind(client_ip)
                .fetch_optional(db.pool())
                .await?;
        let Some((tokens, at)) = bucket else {
            let inserted = sqlx::query(
                "INSERT INTO login_ip_buckets (client_ip, tokens_milli, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (client_ip) DO NOTHING",
            )
            .bind(client_ip)
            .bind(capacity - ONE)
            .bind(now)
            .execute(db.pool())
            .await?;
            if inserted.rows_affected() == 1 {
                return Ok(None);
            }
            continue;
        };
        let refilled = (tokens + (now - at).max(0) * capacity / window).min(capacity);
        if refilled < ONE {
            let wait_ms = (ONE - refilled) * window / capacity + 1;
            return Ok(Some(Duration::from_millis(wait_ms as u64)));
        }
        let updated = sqlx::query(
            "UPDATE login_ip_buckets SET tokens_milli = $1, updated_at = $2
             WHERE client_ip = $3 AND tokens_milli = $4 AND updated_at = $5",
        )
        .bind(refilled - ONE)
        .bind(now.max(at))
        .bind(client_ip)
        .bind(tokens)
        .bind(at)
        .execute(db.pool())
        .await?;
        if updated.rows_affected() == 1 {
            return Ok(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bucket_key;

    #[test]
    fn ipv6_clients_share_a_bucket_per_64() {
        assert_eq!(bucket_key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(bucket_key("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
        assert_eq!(bucket_key("2001:db8:1:3::1"), "2001:db8:1:3::/64");
        assert_eq!(bucket_key("::1"), "::/64");
    }

    #[test]
    fn ipv4_clients_have_a_bucket_each_also_when_mapped() {
        assert_eq!(bucket_key("192.0.2.1"), "192.0.2.1");
        assert_eq!(bucket_key("192.0.2.2"), "192.0.2.2");
        assert_eq!(bucket_key("::ffff:192.0.2.1"), "192.0.2.1");
    }

    #[test]
    fn a_client_without_an_address_is_its_own_bucket() {
        assert_eq!(bucket_key("unknown"), "unknown");
    }
}
