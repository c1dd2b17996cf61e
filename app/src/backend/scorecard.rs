//! The organisation scorecard's figures: team totals in one grouped read
//! of the stored figures, and the trend of a page of services.

use super::Db;
use crate::domain::history::day_of;
use crate::domain::scorecard::{TeamTotals, Totals, TREND_DAYS};
use crate::domain::services::ServiceSummary;

/// Totals of every team with live services, by team name.
pub async fn team_totals(db: &Db) -> Result<Vec<TeamTotals>, sqlx::Error> {
    type Row = (i64, String, i64, i64, i64, i64, i64, i64, i64, i64);
    // PostgreSQL sums BIGINT as NUMERIC: each sum is cast back.
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT t.id, t.name, COUNT(*), CAST(COALESCE(SUM(s.ready), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN s.ready = 1 AND s.waivers > 0 THEN 1 ELSE 0 END), 0) AS BIGINT),
                COUNT(s.score), CAST(COALESCE(SUM(s.score), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN s.level = 'bronze' THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN s.level = 'silver' THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN s.level = 'gold' THEN 1 ELSE 0 END), 0) AS BIGINT)
         FROM services s JOIN teams t ON t.id = s.team_id
         WHERE s.archived_at IS NULL
         GROUP BY t.id, t.name ORDER BY t.name",
    )
    .fetch_all(db.pool())
    .await?;
    let count = |n: i64| n.max(0) as u32;
    Ok(rows
        .into_iter()
        .map(|(team_id, name, services, ready, waived, scored, score_sum, bronze, silver, gold)| TeamTotals {
            team_id,
            name,
            totals: Totals {
                services: count(services),
                ready: count(ready),
                ready_with_waivers: count(waived),
                scored: count(scored),
                score_sum: score_sum.max(0) as u64,
                bronze: count(bronze),
                silver: count(silver),
                gold: count(gold),
            },
        })
        .collect())
}

/// Each service's score change over the last [`TREND_DAYS`] days.
pub async fn trends(db: &Db, services: &[ServiceSummary], now: i64) -> Result<Vec<(i64, Option<i64>)>, sqlx::Error> {
    let ids: Vec<i64> = services.iter().map(|s| s.id).collect();
    let then = super::history::scores_on(db, &ids, day_of(now) - TREND_DAYS).await?;
    Ok(services
        .iter()
        .map(|s| {
            let before = then.iter().find(|(id, _)| *id == s.id).and_then(|(_, score)| *score);
            (s.id, before.zip(s.figures.score).map(|(b, now)| i64::from(now) - b))
        })
        .collect())
}
