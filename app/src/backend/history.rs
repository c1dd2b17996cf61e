//! Score history: written in the transaction that moves a service's
//! figures (`figures::refresh_service`), topped up by housekeeping so every
//! live service and team has a row for every day, and compacted: changes
//! are kept 30 days, days for ever. See migrations/*/0009_history.sql.

use sqlx::{AnyConnection, FromRow};

use super::db::decode_word;
use super::Db;
use crate::domain::checklist::Level;
use crate::domain::history::{day_of, DayPoint, History, MILLIS_PER_DAY};
use crate::domain::services::Figures;

/// How long every single change is kept; days are kept for ever.
pub const CHANGES_KEPT_DAYS: i64 = 30;
/// Rows deleted per statement when compacting, so no lock is held long.
const COMPACT_BATCH: i64 = 5_000;

/// The figures a history row keeps.
fn same(a: &Figures, b: &Figures) -> bool {
    (a.score, a.level, a.ready, a.blocking, a.waivers) == (b.score, b.level, b.ready, b.blocking, b.waivers)
}

/// Records that service `service_id` (of team `team_id`) moved from
/// `before` to `after` at `now`: a change row, today's day row, and today's
/// totals of its team and the organisation. Nothing when the figures a chart
/// shows did not move.
pub async fn record(
    conn: &mut AnyConnection,
    service_id: i64,
    team_id: i64,
    before: &Figures,
    after: &Figures,
    now: i64,
) -> Result<(), sqlx::Error> {
    if same(before, after) {
        return Ok(());
    }
    let level = after.level.map(Level::as_str);
    sqlx::query(
        "INSERT INTO score_changes (service_id, at, score, level, ready, blocking, waivers)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(service_id)
    .bind(now)
    .bind(after.score.map(i64::from))
    .bind(level)
    .bind(i64::from(after.ready))
    .bind(i64::from(after.blocking))
    .bind(i64::from(after.waivers))
    .execute(&mut *conn)
    .await?;
    let day = day_of(now);
    sqlx::query(
        "INSERT INTO score_days (service_id, day, score, level, ready, blocking, waivers)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (service_id, day) DO UPDATE SET score = excluded.score, level = excluded.level,
             ready = excluded.ready, blocking = excluded.blocking, waivers = excluded.waivers",
    )
    .bind(service_id)
    .bind(day)
    .bind(after.score.map(i64::from))
    .bind(level)
    .bind(i64::from(after.ready))
    .bind(i64::from(after.blocking))
    .bind(i64::from(after.waivers))
    .execute(&mut *conn)
    .await?;
    record_scope(conn, team_id, day).await?;
    record_scope(conn, 0, day).await
}

/// Today's totals of team `team_id` (0: the organisation), from the stored
/// figures of its live services.
async fn record_scope(conn: &mut AnyConnection, team_id: i64, day: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO scope_days (team_id, day, services, ready, waivers, scored, score_sum, bronze, silver, gold)
         SELECT $1, $2, COUNT(*), COALESCE(SUM(ready), 0), COALESCE(SUM(CASE WHEN ready = 1 AND waivers > 0 THEN 1 ELSE 0 END), 0),
                COUNT(score), COALESCE(SUM(score), 0),
                COALESCE(SUM(CASE WHEN level = 'bronze' THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN level = 'silver' THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN level = 'gold' THEN 1 ELSE 0 END), 0)
         FROM services WHERE archived_at IS NULL AND ($1 = 0 OR team_id = $1)
         ON CONFLICT (team_id, day) DO UPDATE SET services = excluded.services, ready = excluded.ready,
             waivers = excluded.waivers, scored = excluded.scored, score_sum = excluded.score_sum,
             bronze = excluded.bronze, silver = excluded.silver, gold = excluded.gold",
    )
    .bind(team_id)
    .bind(day)
    .execute(conn)
    .await?;
    Ok(())
}

/// Housekeeping: gives every live service a row for today (its figures have
/// not moved today, so they are yesterday's), refreshes today's totals of
/// every team and the organisation (services come, go and move teams), and
/// forgets single changes older than [`CHANGES_KEPT_DAYS`]. Safe on every
/// replica at once. Returns the change rows removed.
pub async fn sweep(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let day = day_of(now);
    sqlx::query(
        "INSERT INTO score_days (service_id, day, score, level, ready, blocking, waivers)
         SELECT s.id, $1, s.score, s.level, s.ready, s.blocking, s.waivers FROM services s
         WHERE s.archived_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM score_days d WHERE d.service_id = s.id AND d.day = $1)
         ON CONFLICT (service_id, day) DO NOTHING",
    )
    .bind(day)
    .execute(db.pool())
    .await?;
    let teams: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT team_id FROM services").fetch_all(db.pool()).await?;
    let mut conn = db.pool().acquire().await?;
    for team_id in teams.into_iter().chain([0]) {
        record_scope(&mut conn, team_id, day).await?;
    }
    drop(conn);
    let mut removed = 0;
    loop {
        let done = sqlx::query(
            "DELETE FROM score_changes WHERE id IN (SELECT id FROM score_changes WHERE at < $1 ORDER BY id LIMIT $2)",
        )
        .bind(now - CHANGES_KEPT_DAYS * MILLIS_PER_DAY)
        .bind(COMPACT_BATCH)
        .execute(db.pool())
        .await?
        .rows_affected();
        removed += done;
        if done < COMPACT_BATCH as u64 {
            return Ok(removed);
        }
    }
}

#[derive(FromRow)]
struct ServiceDay {
    day: i64,
    score: Option<i64>,
    level: Option<String>,
    ready: i64,
}

/// A service's daily history over the last `days` days up to `now`.
pub async fn for_service(db: &Db, service_id: i64, days: i64, now: i64) -> Result<History, sqlx::Error> {
    let to_day = day_of(now);
    let from_day = to_day - days + 1;
    // The last row before the window too, so its first days are drawn.
    let rows: Vec<ServiceDay> = sqlx::query_as(
        "SELECT day, score, level, ready FROM score_days
         WHERE service_id = $1 AND day >= COALESCE((SELECT MAX(day) FROM score_days WHERE service_id = $1 AND day <= $2), $2)
         ORDER BY day",
    )
    .bind(service_id)
    .bind(from_day)
    .fetch_all(db.pool())
    .await?;
    let points = rows
        .into_iter()
        .map(|r| {
            Ok(DayPoint {
                day: r.day,
                score: r.score.map(|s| s.clamp(0, 100) as u32),
                ready: r.ready != 0,
                level: r.level.map(decode_word::<Level>).transpose()?,
                note: String::new(),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(History { from_day, to_day, points })
}

#[derive(FromRow)]
struct ScopeDay {
    day: i64,
    services: i64,
    ready: i64,
    scored: i64,
    score_sum: i64,
    bronze: i64,
    silver: i64,
    gold: i64,
}

/// A team's (0: the organisation's) daily history over the last `days`
/// days: the average score of its services, and the gate open when every
/// one of them is ready; the level is the one every service has reached.
pub async fn for_scope(db: &Db, team_id: i64, days: i64, now: i64) -> Result<History, sqlx::Error> {
    let to_day = day_of(now);
    let from_day = to_day - days + 1;
    let rows: Vec<ScopeDay> = sqlx::query_as(
        "SELECT day, services, ready, scored, score_sum, bronze, silver, gold FROM scope_days
         WHERE team_id = $1 AND day >= COALESCE((SELECT MAX(day) FROM scope_days WHERE team_id = $1 AND day <= $2), $2)
         ORDER BY day",
    )
    .bind(team_id)
    .bind(from_day)
    .fetch_all(db.pool())
    .await?;
    let points = rows
        .into_iter()
        .map(|r| {
            let level = if r.services == 0 {
                None
            } else if r.gold == r.services {
                Some(Level::Gold)
            } else if r.gold + r.silver == r.services {
                Some(Level::Silver)
            } else if r.gold + r.silver + r.bronze == r.services {
                Some(Level::Bronze)
            } else {
                None
            };
            DayPoint {
                day: r.day,
                score: (r.scored > 0)
                    .then(|| ((r.score_sum as f64 / r.scored as f64).round() as i64).clamp(0, 100) as u32),
                ready: r.services > 0 && r.ready == r.services,
                level,
                note: format!("{} of {} services ready", r.ready, r.services),
            }
        })
        .collect();
    Ok(History { from_day, to_day, points })
}

/// The score of each of `service_ids` on `day` (its last day row on or
/// before then), for trend arrows: (service id, score). One index seek per
/// service.
pub async fn scores_on(db: &Db, service_ids: &[i64], day: i64) -> Result<Vec<(i64, Option<i64>)>, sqlx::Error> {
    if service_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = service_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    // Ids are numbers from our own query, not user text.
    let sql = format!(
        "SELECT s.id, (SELECT d.score FROM score_days d WHERE d.service_id = s.id AND d.day <= $1
                       ORDER BY d.day DESC LIMIT 1)
         FROM services s WHERE s.id IN ({list})"
    );
    sqlx::query_as(&sql).bind(day).fetch_all(db.pool()).await
}
