//! Score history through the real server on both databases: a change is
//! recorded with the change that moves the figures, housekeeping gives every
//! live service and team a row for each day, single changes are forgotten
//! after 30 days while days stay, and the charts read it all back.

mod support;

use std::time::Duration;

use app::backend::{history, housekeeping, Backend};
use app::domain::history::day_of;
use serde_json::Value;
use support::readiness::*;
use support::TestServer;

both_backends!(history_is_recorded_on_change_daily_and_compacted, the_org_scorecard_totals_teams_and_trends);

const DAY: Duration = Duration::from_secs(86_400);

async fn count(server: &TestServer, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(server.db.pool()).await.unwrap()
}

async fn history_is_recorded_on_change_daily_and_compacted(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let org = org(server).await;
    assert!(register(server, &org.lead, "Pay", "pay", "1", "2").await.status().is_success());
    assert!(register(server, &org.lead, "Ledger", "ledger", "1", "2").await.status().is_success());
    let pay = service_id(server, "pay").await;
    let mini = org.mini.to_string();
    let applied = server
        .post_with(
            &org.lead,
            "/api/services/apply-template",
            &[("service_id", &pay.to_string()), ("template_id", &mini)],
        )
        .await;
    assert_eq!(applied.status(), 200);
    let today = day_of(server.clock.now_millis());

    // Applying scored the service (0 of 12): one change, today's row, and
    // today's totals for its team and the organisation.
    assert_eq!(count(server, "SELECT COUNT(*) FROM score_changes").await, 1);
    let crit = item_by_key(server, "pay", "a.crit").await;
    assert_eq!(set_status(server, &org.member, crit, "done", "").await.status(), 200);
    assert_eq!(count(server, "SELECT COUNT(*) FROM score_changes").await, 2);
    // A change the chart does not show (in progress) records nothing.
    let high = item_by_key(server, "pay", "a.high").await;
    assert_eq!(set_status(server, &org.member, high, "in-progress", "").await.status(), 200);
    assert_eq!(count(server, "SELECT COUNT(*) FROM score_changes").await, 2);
    let (score, day): (Option<i64>, i64) = sqlx::query_as("SELECT score, day FROM score_days WHERE service_id = $1")
        .bind(pay)
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    assert_eq!((score, day), (Some(66), today), "one row for the day, with its latest figures");
    let (services, scored, score_sum): (i64, i64, i64) =
        sqlx::query_as("SELECT services, scored, score_sum FROM scope_days WHERE team_id = 0 AND day = $1")
            .bind(today)
            .fetch_one(server.db.pool())
            .await
            .unwrap();
    assert_eq!((services, scored, score_sum), (2, 1, 66), "Ledger has no checklist, so no score");

    // Days without a change still get their row.
    server.clock.advance(DAY);
    housekeeping::sweep(&server.db, &server.clock, &Default::default()).await.unwrap();
    let days: Vec<i64> = sqlx::query_scalar("SELECT day FROM score_days WHERE service_id = $1 ORDER BY day")
        .bind(pay)
        .fetch_all(server.db.pool())
        .await
        .unwrap();
    assert_eq!(days, [today, today + 1]);
    assert_eq!(count(server, "SELECT COUNT(*) FROM score_days").await, 3, "Ledger joins on the first sweep");
    assert_eq!(count(server, "SELECT COUNT(*) FROM scope_days WHERE day = (SELECT MAX(day) FROM scope_days)").await, 2);

    // Forty days on: single changes older than 30 days are gone, days stay,
    // and a housekeeping run on every replica at once is harmless.
    server.clock.advance(DAY * 40);
    let policy = Default::default();
    let (a, b) = tokio::join!(
        housekeeping::sweep(&server.db, &server.clock, &policy),
        history::sweep(&server.db, server.clock.now_millis())
    );
    a.unwrap();
    b.unwrap();
    assert_eq!(count(server, "SELECT COUNT(*) FROM score_changes").await, 0);
    assert_eq!(
        count(
            server,
            "SELECT COUNT(*) FROM score_days WHERE service_id = (SELECT id FROM services WHERE slug = 'pay')"
        )
        .await,
        3
    );

    // The charts: 90 days of the service, its team and the organisation,
    // the days between rows carried forward. (Forty days ended every
    // session: a viewer signs in afresh.)
    let viewer = server.client_signed_in_as("viewer@example.com", PASSWORD).await;
    let chart = |scope: String| {
        let viewer = viewer.clone();
        async move { server.post_with(&viewer, "/api/history", &[("scope", &scope), ("days", "90")]).await }
    };
    let service: Value = chart("service:pay".into()).await.json().await.unwrap();
    assert!(service["points"].is_array(), "{service}");
    let points = service["points"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    assert_eq!(points[0]["score"], 66);
    assert_eq!(service["to_day"].as_i64().unwrap() - service["from_day"].as_i64().unwrap(), 89);
    let team: Value = chart("team:1".into()).await.json().await.unwrap();
    assert_eq!(team["points"][0]["note"], "0 of 2 services ready");
    let whole: Value = chart("org".into()).await.json().await.unwrap();
    assert_eq!(whole["points"][0]["score"], 66);
    assert_eq!(chart("service:nothing-here".into()).await.status(), 404);
    assert_eq!(chart("team:x".into()).await.status(), 404);
    let anonymous =
        server.post_with(&support::cookieless_browser(), "/api/history", &[("scope", "org"), ("days", "90")]).await;
    assert_eq!(anonymous.status(), 401);
}

async fn the_org_scorecard_totals_teams_and_trends(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let org = org(server).await;
    let scorecard = |client: &reqwest::Client, query: &'static str| {
        let client = client.clone();
        async move {
            let response = server.post_with(&client, "/api/scorecard", &[("query", query)]).await;
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    // Before any service: empty totals, so the page introduces Preflight.
    assert_eq!(scorecard(&org.viewer, "").await["org"]["services"], 0);

    assert!(register(server, &org.lead, "Pay", "pay", "1", "2").await.status().is_success());
    assert!(register(server, &org.lead, "Ledger", "ledger", "1", "2").await.status().is_success());
    assert!(register(server, &org.other_lead, "Find", "find", "2", "2").await.status().is_success());
    let pay = service_id(server, "pay").await.to_string();
    let mini = org.mini.to_string();
    let applied = server
        .post_with(&org.lead, "/api/services/apply-template", &[("service_id", &pay), ("template_id", &mini)])
        .await;
    assert_eq!(applied.status(), 200);
    history::sweep(&server.db, server.clock.now_millis()).await.unwrap();

    // A month later the critical item is done: 0 % then, 66 % now.
    server.clock.advance(DAY * 31);
    let member = server.client_signed_in_as("dev@example.com", PASSWORD).await;
    let viewer = server.client_signed_in_as("viewer@example.com", PASSWORD).await;
    let crit = item_by_key(server, "pay", "a.crit").await;
    assert_eq!(set_status(server, &member, crit, "done", "").await.status(), 200);

    let card = scorecard(&viewer, "sort=score").await;
    assert_eq!(card["org"]["services"], 3);
    assert_eq!(card["org"]["scored"], 1);
    assert_eq!(card["org"]["score_sum"], 66);
    let teams: Vec<(&str, u64)> = card["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["totals"]["services"].as_u64().unwrap()))
        .collect();
    assert_eq!(teams, [("Payments", 2), ("Search", 1)]);
    let pay_id = pay.parse::<i64>().unwrap();
    let trend = card["trends"].as_array().unwrap().iter().find(|t| t[0] == pay_id).unwrap()[1].clone();
    assert_eq!(trend, 66, "0 % a month ago, 66 % now");
    // The services list's filters apply: team 2 only.
    let card = scorecard(&viewer, "team=2").await;
    let slugs: Vec<&str> = card["services"].as_array().unwrap().iter().map(|s| s["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["find"]);
    assert_eq!(card["org"]["services"], 3, "totals are the whole organisation's");

    // The team's scorecard: its services lowest score first, its totals.
    let team = server.post_with(&viewer, "/api/scorecard/team", &[("team_id", "1")]).await;
    assert_eq!(team.status(), 200);
    let team: Value = team.json().await.unwrap();
    assert_eq!(team["totals"]["services"], 2);
    let slugs: Vec<&str> = team["services"].as_array().unwrap().iter().map(|s| s["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["ledger", "pay"], "unscored first, then by score");
    assert_eq!(team["services"][1]["figures"]["blocking"], 1);
    assert_eq!(server.post_with(&viewer, "/api/scorecard/team", &[("team_id", "99")]).await.status(), 404);
}
