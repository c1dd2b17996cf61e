//! Notification mail through a transactional outbox.
//!
//! A mail is a row of `mail_outbox`, written in the transaction of the
//! change that causes it (a gate regression) or of the weekly round that
//! composes it (the expiry digest, campaign reminders; `mail_rounds` makes
//! each round happen once across restarts and replicas). [`deliver_due`]
//! sends due rows with retries and backoff; a row is claimed for a minute
//! first, so two replicas never send the same mail. People turn kinds off
//! on their account page (`mail_optouts`), checked when mail is queued.
//!
//! Bodies hold links as `{base}/services/…`; the public URL is filled in
//! when the mail is sent, since the change that queues it does not know it.

use sqlx::{AnyConnection, Row};

use super::campaigns;
use super::mail::Mailer;
use super::outbox;
use super::Db;
use crate::domain::history::{day_label, day_of};
use crate::domain::notifications::{iso_week, MailKind};
use crate::domain::readiness::DAY_MS;

/// Expiries within this many days go into the weekly digest.
pub const DIGEST_DAYS: i64 = 14;
/// Mails claimed and sent per pass.
const BATCH: i64 = 20;
/// Attempts before a mail is given up (with its last error kept).
pub use super::outbox::MAX_ATTEMPTS;
/// Unsent mail older than this is dropped (SMTP was not configured, or
/// the server was down for days): a stale alert helps nobody.
const KEEP_UNSENT_MS: i64 = 3 * DAY_MS;
/// Sent and failed mail is kept this long for the record.
const KEEP_DONE_MS: i64 = 30 * DAY_MS;

/// Who a queued mail goes to.
#[derive(Debug, Clone, Copy)]
enum To {
    User(i64),
    LeadsOf { team_id: i64 },
}

/// Queues `subject`/`body` of `kind` for `to`: active accounts only, and
/// only those who have not turned `kind` off. Returns how many were queued.
async fn queue(
    conn: &mut AnyConnection,
    kind: MailKind,
    to: To,
    subject: &str,
    body: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let (recipients, id) = match to {
        To::User(user_id) => ("FROM users u WHERE u.id = $5", user_id),
        To::LeadsOf { team_id } => (
            "FROM team_members tm JOIN users u ON u.id = tm.user_id WHERE tm.team_id = $5 AND tm.role = 'lead'",
            team_id,
        ),
    };
    let sql = format!(
        "INSERT INTO mail_outbox (user_id, kind, subject, body, created_at, next_attempt_at)
         SELECT u.id, $1, $2, $3, $4, $4 {recipients} AND u.disabled_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM mail_optouts o WHERE o.user_id = u.id AND o.kind = $1)"
    );
    let done =
        sqlx::query(&sql).bind(kind.as_str()).bind(subject).bind(body).bind(now).bind(id).execute(&mut *conn).await?;
    Ok(done.rows_affected())
}

/// The service's gate just went from ready to not ready: tell its team's
/// leads why. `blocking` is each blocking item's title and reason, most
/// severe first. Runs in the transaction of the change.
pub async fn gate_regressed(
    conn: &mut AnyConnection,
    service_id: i64,
    blocking: &[(String, String)],
    now: i64,
) -> Result<(), sqlx::Error> {
    let (name, slug, team_id): (String, String, i64) =
        sqlx::query_as("SELECT name, slug, team_id FROM services WHERE id = $1")
            .bind(service_id)
            .fetch_one(&mut *conn)
            .await?;
    let subject = format!("{name} is no longer ready to launch");
    let mut body = format!(
        "{name} was ready to launch and is not any more ({} UTC).\n\nWhat stands in the way now:\n",
        chrono::DateTime::from_timestamp_millis(now)
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    );
    for (title, reason) in blocking.iter().take(10) {
        body.push_str(&format!("  - {title}: {reason}\n"));
    }
    if blocking.len() > 10 {
        body.push_str(&format!("  - and {} more\n", blocking.len() - 10));
    }
    body.push_str(&format!("\nThe service: {{base}}/services/{slug}\n"));
    body.push_str(FOOTER);
    queue(conn, MailKind::GateRegression, To::LeadsOf { team_id }, &subject, &body, now).await?;
    Ok(())
}

const FOOTER: &str =
    "\n--\nYou get this because you lead the service's team. Turn this kind of mail off on your account page: {base}/account\n";

/// Claims the round `kind`/`period` for this replica; false when it was
/// already done (here or elsewhere).
async fn claim_round(conn: &mut AnyConnection, kind: &str, period: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO mail_rounds (kind, period, created_at) VALUES ($1, $2, $3) ON CONFLICT (kind, period) DO NOTHING",
    )
    .bind(kind)
    .bind(period)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What the weekly rounds queued.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    pub digests: u64,
    pub reminders: u64,
}

/// Queues this week's expiry digest and campaign reminders, once per ISO
/// week (from housekeeping; safe on every replica).
pub async fn queue_weekly(db: &Db, now: i64) -> Result<Queued, sqlx::Error> {
    let period = iso_week(day_of(now));
    let digests = queue_digest(db, &period, now).await?;
    let mut reminders = 0;
    let running: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM campaigns WHERE ended_at IS NULL ORDER BY id").fetch_all(db.pool()).await?;
    for id in running {
        reminders += queue_reminder(db, id, &period, now).await?;
    }
    Ok(Queued { digests, reminders })
}

/// One expiring thing of the digest: (team, line).
async fn expiring(conn: &mut AnyConnection, now: i64) -> Result<Vec<(i64, i64, String)>, sqlx::Error> {
    let until = now + DIGEST_DAYS * DAY_MS;
    let sql = format!(
        "SELECT s.team_id, si.complete_since + ti.valid_days * {DAY_MS} AS at, 'approval' AS what,
                s.name, s.slug, ti.title
         FROM service_items si
         JOIN services s ON s.id = si.service_id
         JOIN template_items ti ON ti.id = si.template_item_id
         WHERE si.removed_at IS NULL AND s.archived_at IS NULL AND si.complete_since IS NOT NULL
           AND ti.valid_days > 0 AND si.complete_since + ti.valid_days * {DAY_MS} > $1
           AND si.complete_since + ti.valid_days * {DAY_MS} <= $2
         UNION ALL
         SELECT s.team_id, w.expires_at AS at, 'waiver' AS what, s.name, s.slug, ti.title
         FROM waivers w
         JOIN service_items si ON si.id = w.service_item_id
         JOIN services s ON s.id = si.service_id
         JOIN template_items ti ON ti.id = si.template_item_id
         WHERE w.state = 'granted' AND si.removed_at IS NULL AND s.archived_at IS NULL
           AND w.expires_at > $1 AND w.expires_at <= $2
         ORDER BY 2, 4"
    );
    let rows = sqlx::query(&sql).bind(now).bind(until).fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let (team_id, at, what): (i64, i64, String) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let (name, slug, title): (String, String, String) = (row.try_get(3)?, row.try_get(4)?, row.try_get(5)?);
        // A waiver holds through the day the auditor chose and ends at the
        // midnight after it: show that last day.
        let (day, verb) =
            if what == "waiver" { (day_of(at - 1), "waiver ends") } else { (day_of(at), "approval goes stale") };
        let line = format!("  - {}: {name}: {title} — {verb} ({{base}}/services/{slug})", day_label(day));
        out.push((team_id, at, line));
    }
    Ok(out)
}

async fn queue_digest(db: &Db, period: &str, now: i64) -> Result<u64, sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    if !claim_round(&mut tx, MailKind::ExpiryDigest.as_str(), period, now).await? {
        return Ok(0);
    }
    let lines = expiring(&mut tx, now).await?;
    let leads: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT tm.user_id, tm.team_id FROM team_members tm JOIN teams t ON t.id = tm.team_id
         WHERE tm.role = 'lead' AND t.archived_at IS NULL ORDER BY tm.user_id, tm.team_id",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut queued = 0;
    let mut users: Vec<i64> = leads.iter().map(|(u, _)| *u).collect();
    users.dedup();
    for user in users {
        let teams: Vec<i64> = leads.iter().filter(|(u, _)| *u == user).map(|(_, t)| *t).collect();
        let mine: Vec<&str> = lines.iter().filter(|(t, _, _)| teams.contains(t)).map(|(_, _, l)| l.as_str()).collect();
        if mine.is_empty() {
            continue;
        }
        let subject = match mine.len() {
            1 => format!("1 approval or waiver expiring within {DIGEST_DAYS} days"),
            n => format!("{n} approvals and waivers expiring within {DIGEST_DAYS} days"),
        };
        let body = format!(
            "These approvals and waivers of your teams' services expire within the next {DIGEST_DAYS} days \
             (dates in UTC). Renew them before they do, or the items stop counting.\n\n{}\n{FOOTER}",
            mine.join("\n")
        );
        queued += queue(&mut tx, MailKind::ExpiryDigest, To::User(user), &subject, &body, now).await?;
    }
    tx.commit().await?;
    Ok(queued)
}

async fn queue_reminder(db: &Db, campaign_id: i64, period: &str, now: i64) -> Result<u64, sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    if !claim_round(&mut tx, &format!("campaign:{campaign_id}"), period, now).await? {
        return Ok(0);
    }
    let Some(campaign) = campaigns::find_in(&mut tx, campaign_id).await? else {
        return Ok(0);
    };
    let by_lead = campaigns::behind_by_lead(&mut tx, &campaign).await?;
    let days_left = crate::domain::campaigns::days_left(&campaign.deadline, now);
    let when = match days_left {
        d if d > 1 => format!("{d} days left, until {}", campaign.deadline),
        1 => format!("1 day left, until {}", campaign.deadline),
        0 => "due today".to_string(),
        d => format!("{} days past its deadline of {}", -d, campaign.deadline),
    };
    let mut queued = 0;
    for (user, services) in by_lead {
        let subject = format!("{}: {} of your services still behind", campaign.name, services.len());
        let mut body = format!(
            "The campaign \"{}\" ({}; {when}) still waits for these services of your teams:\n\n",
            campaign.name,
            campaign.goal.describe()
        );
        for (service, what) in &services {
            body.push_str(&format!(
                "  - {service}{}\n",
                if what.is_empty() { String::new() } else { format!(": {what}") }
            ));
        }
        body.push_str(&format!("\nThe campaign: {{base}}/campaigns/{campaign_id}\n{FOOTER}"));
        queued += queue(&mut tx, MailKind::CampaignReminder, To::User(user), &subject, &body, now).await?;
    }
    tx.commit().await?;
    Ok(queued)
}

/// What one delivery pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub sent: u64,
    pub retrying: u64,
    pub failed: u64,
}

/// Sends the mail that is due, `BATCH` at a time, until none is left.
pub async fn deliver_due(db: &Db, mailer: &Mailer, public_url: &str, now: i64) -> Result<Delivered, sqlx::Error> {
    let base = public_url.trim_end_matches('/');
    let mut total = Delivered::default();
    loop {
        let claimed = claim(db, now).await?;
        if claimed.is_empty() {
            return Ok(total);
        }
        for mail in claimed {
            let body = mail.body.replace("{base}", base);
            match mailer.send(&mail.name, &mail.email, &mail.subject, body).await {
                Ok(()) => {
                    sqlx::query("UPDATE mail_outbox SET sent_at = $1, claimed_until = NULL WHERE id = $2")
                        .bind(now)
                        .bind(mail.id)
                        .execute(db.pool())
                        .await?;
                    total.sent += 1;
                }
                Err(e) => {
                    let give_up = outbox::gives_up(mail.attempts);
                    let backoff = outbox::backoff_ms(mail.attempts);
                    sqlx::query(
                        "UPDATE mail_outbox SET last_error = $1, claimed_until = NULL, next_attempt_at = $2,
                                failed_at = $3 WHERE id = $4",
                    )
                    .bind(e.to_string())
                    .bind(now + backoff)
                    .bind(give_up.then_some(now))
                    .bind(mail.id)
                    .execute(db.pool())
                    .await?;
                    tracing::warn!(mail = mail.id, attempts = mail.attempts, give_up, error = %e, "a notification mail was not sent");
                    if give_up {
                        total.failed += 1;
                    } else {
                        total.retrying += 1;
                    }
                }
            }
        }
    }
}

#[derive(sqlx::FromRow)]
struct Claimed {
    id: i64,
    subject: String,
    body: String,
    attempts: i64,
    name: String,
    email: String,
}

/// Claims up to `BATCH` due mails for this replica.
async fn claim(db: &Db, now: i64) -> Result<Vec<Claimed>, sqlx::Error> {
    let ids = outbox::claim(db, "mail_outbox", "sent_at", BATCH, now).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Ids come from the database, so they can be written into the statement.
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let mut claimed: Vec<Claimed> = sqlx::query_as(&format!(
        "SELECT o.id, o.subject, o.body, o.attempts, u.name, u.email
         FROM mail_outbox o JOIN users u ON u.id = o.user_id WHERE o.id IN ({list})"
    ))
    .fetch_all(db.pool())
    .await?;
    claimed.sort_by_key(|c| c.id);
    Ok(claimed)
}

/// Drops mail that is done with or too old to send (from housekeeping).
pub async fn prune(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM mail_outbox WHERE (sent_at IS NOT NULL AND sent_at <= $1) OR (failed_at IS NOT NULL AND failed_at <= $1)
            OR (sent_at IS NULL AND failed_at IS NULL AND created_at <= $2)",
    )
    .bind(now - KEEP_DONE_MS)
    .bind(now - KEEP_UNSENT_MS)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// The kinds `user_id` turned off.
pub async fn opted_out(db: &Db, user_id: i64) -> Result<Vec<MailKind>, sqlx::Error> {
    let kinds: Vec<String> = sqlx::query_scalar("SELECT kind FROM mail_optouts WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(db.pool())
        .await?;
    Ok(kinds.iter().filter_map(|k| MailKind::parse(k)).collect())
}

/// Keeps exactly the kinds in `on` turned on for `user_id`, recording the
/// change.
pub async fn set_preferences(
    db: &Db,
    actor: super::audit::Actor<'_>,
    on: &[MailKind],
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    sqlx::query("DELETE FROM mail_optouts WHERE user_id = $1").bind(actor.id).execute(&mut *tx).await?;
    let off: Vec<MailKind> = MailKind::ALL.into_iter().filter(|k| !on.contains(k)).collect();
    for kind in &off {
        sqlx::query("INSERT INTO mail_optouts (user_id, kind) VALUES ($1, $2)")
            .bind(actor.id)
            .bind(kind.as_str())
            .execute(&mut *tx)
            .await?;
    }
    let detail = serde_json::json!({ "off": off.iter().map(|k| k.as_str()).collect::<Vec<_>>() }).to_string();
    let entry = actor.entry("account.mail_preferences_changed", "user", actor.id, Some(detail));
    super::audit::record(&mut *tx, now, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Mail waiting and given up, for the administrator's view of mail health.
pub async fn outbox_counts(db: &Db) -> Result<(i64, i64, Option<String>), sqlx::Error> {
    let (waiting, failed): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) FROM mail_outbox",
    )
    .fetch_one(db.pool())
    .await?;
    let last_error: Option<String> =
        sqlx::query_scalar("SELECT last_error FROM mail_outbox WHERE last_error IS NOT NULL ORDER BY id DESC LIMIT 1")
            .fetch_optional(db.pool())
            .await?
            .flatten();
    Ok((waiting, failed, last_error))
}
