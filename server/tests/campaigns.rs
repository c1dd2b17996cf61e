//! Campaigns through the real server on both databases: who may start and
//! end one, the form's field errors, progress towards a level goal and an
//! items goal as services change, what the services behind still lack, and
//! the burn-up counts housekeeping keeps.

mod support;

use app::backend::{campaigns, figures, Backend};
use app::domain::history::day_of;
use serde_json::Value;
use support::readiness::*;
use support::{invalid_field, TestServer};

both_backends!(
    campaign_progress_follows_the_services,
    campaign_forms_and_permissions,
    standings_are_stored_paged_and_checked
);

/// A critical bronze item that needs only "done", and a silver one.
const SIMPLE: &str = r#"
[template]
id = "simple"
name = "Simple checklist"
version = 1

[[sections]]
id = "s"
name = "Basics"

[[items]]
id = "s.crit"
title = "Runbook written"
severity = "critical"
level = "bronze"
evidence = "none"

[[items]]
id = "s.silver"
title = "Load tested"
severity = "medium"
level = "silver"
evidence = "none"
"#;

fn in_days(server: &TestServer, days: i64) -> String {
    let at = chrono::DateTime::from_timestamp_millis(server.clock.now_millis() + days * 86_400_000).unwrap();
    at.format("%Y-%m-%d").to_string()
}

async fn start(server: &TestServer, client: &reqwest::Client, form: &[(&str, &str)]) -> reqwest::Response {
    server.post_with(client, "/api/campaigns/start", form).await
}

async fn latest_campaign(server: &TestServer) -> i64 {
    sqlx::query_scalar("SELECT MAX(id) FROM campaigns").fetch_one(server.db.pool()).await.unwrap()
}

async fn detail(server: &TestServer, client: &reqwest::Client, id: i64) -> Value {
    let response = server.post_with(client, "/api/campaigns/one", &[("id", &id.to_string())]).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn behind(detail: &Value) -> Vec<(String, Vec<String>)> {
    detail["behind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let lacks = s["lacks"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect();
            (s["slug"].as_str().unwrap().to_string(), lacks)
        })
        .collect()
}

async fn campaign_progress_follows_the_services(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let org = org(server).await;
    let simple = create_template(server, SIMPLE).await;
    for slug in ["alpha", "beta"] {
        service_with(server, slug, simple).await;
    }
    // A service of the other team, and an archived one: neither is covered.
    assert!(register(server, &org.other_lead, "Search", "search", "2", "2").await.status().is_success());
    service_with(server, "gone", simple).await;
    let gone = service_id(server, "gone").await.to_string();
    let archived =
        server.post_json("/api/services/archive", &[("service_id", gone.as_str()), ("archived", "true")]).await;
    assert_eq!(archived.status(), 200);

    // The lead drives their team's services to silver.
    let deadline = in_days(server, 30);
    let started = start(
        server,
        &org.lead,
        &[("name", "Silver by spring"), ("goal", "level"), ("level", "silver"), ("team", "1"), ("deadline", &deadline)],
    )
    .await;
    assert_eq!(started.status(), 200, "{}", started.text().await.unwrap());
    let id = latest_campaign(server).await;
    let read = detail(server, &org.viewer, id).await;
    assert_eq!((read["summary"]["met"].as_u64(), read["summary"]["total"].as_u64()), (Some(0), Some(2)));
    assert_eq!(read["selection"], "Services of Payments (2)");
    assert_eq!(read["can_manage"], false, "a viewer cannot end it");
    let lacking = behind(&read);
    assert_eq!(lacking.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(), ["alpha", "beta"]);
    assert!(lacking[0].1.iter().any(|l| l == "Runbook written: not started"), "{lacking:?}");
    assert!(lacking[0].1.iter().any(|l| l == "Load tested: not started"), "{lacking:?}");

    // alpha reaches bronze: still behind, lacking only the silver item.
    let crit = item_by_key(server, "alpha", "s.crit").await;
    assert_eq!(set_status(server, &org.member, crit, "done", "").await.status(), 200);
    let read = detail(server, &org.lead, id).await;
    assert_eq!(read["summary"]["met"].as_u64(), Some(0));
    assert_eq!(behind(&read)[0], ("alpha".to_string(), vec!["Load tested: not started".to_string()]));
    assert_eq!(read["can_manage"], true, "the lead who started it may end it");

    // ...then silver: one of two, and the burn-up's today says so.
    let silver = item_by_key(server, "alpha", "s.silver").await;
    assert_eq!(set_status(server, &org.member, silver, "in-progress", "").await.status(), 200);
    assert_eq!(set_status(server, &org.member, silver, "done", "").await.status(), 200);
    let read = detail(server, &org.lead, id).await;
    assert_eq!(read["summary"]["met"].as_u64(), Some(1));
    assert_eq!(behind(&read).len(), 1);
    let days = read["burnup"]["days"].as_array().unwrap();
    assert_eq!(days.last().unwrap()["met"].as_u64(), Some(1));

    // Housekeeping stores today's count; the list agrees.
    let now = server.clock.now_millis();
    assert_eq!(campaigns::sweep(&server.db, now).await.unwrap(), 1);
    let stored: (i64, i64) = sqlx::query_as("SELECT met, total FROM campaign_days WHERE campaign_id = $1 AND day = $2")
        .bind(id)
        .bind(day_of(now))
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, (1, 2));
    let list: Value = server.post_with(&org.viewer, "/api/campaigns", &[]).await.json().await.unwrap();
    assert_eq!(list["campaigns"][0]["met"].as_u64(), Some(1));
    assert_eq!(list["can_start"], false, "viewers do not start campaigns");

    // An items goal over hand-picked services: beta has not done the runbook.
    let started = start(
        server,
        &server.client,
        &[
            ("name", "Runbooks"),
            ("goal", "items"),
            ("items[0]", "simple/s.crit"),
            ("services[0]", "alpha"),
            ("services[1]", "beta"),
            ("deadline", &deadline),
        ],
    )
    .await;
    assert_eq!(started.status(), 200, "{}", started.text().await.unwrap());
    let runbooks = latest_campaign(server).await;
    let read = detail(server, &org.lead, runbooks).await;
    assert_eq!(read["selection"], "2 hand-picked services");
    assert_eq!(read["goal_items"][0], "Simple checklist: Runbook written");
    assert_eq!(read["summary"]["met"].as_u64(), Some(1));
    assert_eq!(
        behind(&read),
        vec![("beta".to_string(), vec!["Simple checklist: Runbook written: not started".to_string()])]
    );
    let beta_crit = item_by_key(server, "beta", "s.crit").await;
    assert_eq!(set_status(server, &org.member, beta_crit, "not-applicable", "No runbook needed.").await.status(), 200);
    let read = detail(server, &org.lead, runbooks).await;
    assert!(behind(&read)[0].1[0].ends_with("not applicable, awaiting an auditor's acceptance"), "{:?}", behind(&read));
    assert_eq!(review(server, &org.auditor, beta_crit, "accept-na", "Agreed.").await.status(), 200);
    let read = detail(server, &org.lead, runbooks).await;
    assert_eq!(read["summary"]["met"].as_u64(), Some(2), "an accepted not-applicable item does not hold it back");

    // Ending: only whoever started it or an administrator; once.
    let runbooks_id = runbooks.to_string();
    let form = [("id", runbooks_id.as_str())];
    let end = |client| server.post_with(client, "/api/campaigns/end", &form);
    assert_eq!(end(&org.lead).await.status(), 403);
    assert_eq!(end(&server.client).await.status(), 200);
    assert_eq!(end(&server.client).await.status(), 409);
    let read = detail(server, &org.lead, runbooks).await;
    assert_eq!((read["summary"]["ended"].as_bool(), read["can_manage"].as_bool()), (Some(true), Some(false)));
    let actions = support::audit_actions(server, "campaign.").await;
    assert_eq!(actions, ["campaign.started", "campaign.started", "campaign.ended"]);
}

async fn campaign_forms_and_permissions(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let org = org(server).await;
    let simple = create_template(server, SIMPLE).await;
    service_with(server, "alpha", simple).await;
    let deadline = in_days(server, 10);
    let field_of = |response: reqwest::Response| async move {
        assert_eq!(response.status(), 422);
        invalid_field(&response.json::<Value>().await.unwrap())
    };
    let base = |name: &'static str, deadline: &str| {
        vec![
            ("name", name.to_string()),
            ("goal", "level".to_string()),
            ("level", "bronze".to_string()),
            ("deadline", deadline.to_string()),
        ]
    };
    let send = |form: Vec<(&'static str, String)>, client: &reqwest::Client| {
        let client = client.clone();
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            start(server, &client, &pairs).await
        }
    };

    assert_eq!(field_of(send(base("", &deadline), &org.lead).await).await, "name");
    assert_eq!(field_of(send(base("Past", &in_days(server, -1)), &org.lead).await).await, "deadline");
    assert_eq!(field_of(send(base("No date", "soon"), &org.lead).await).await, "deadline");
    let mut items_goal = base("Items", &deadline);
    items_goal[1].1 = "items".into();
    assert_eq!(field_of(send(items_goal, &org.lead).await).await, "items", "an items goal needs items");
    let mut other_team = base("Theirs", &deadline);
    other_team.push(("team", "2".into()));
    assert_eq!(field_of(send(other_team, &org.lead).await).await, "team", "a lead covers only their teams");
    // Team 2's lead has no services: an empty selection.
    assert_eq!(field_of(send(base("Empty", &deadline), &org.other_lead).await).await, "team");
    let mut unknown = base("Unknown", &deadline);
    unknown.push(("services[0]", "nope".into()));
    assert_eq!(field_of(send(unknown, &org.lead).await).await, "services");
    // A lead cannot hand-pick another team's service either.
    let mut foreign = base("Foreign", &deadline);
    foreign.push(("services[0]", "alpha".into()));
    assert_eq!(field_of(send(foreign, &org.other_lead).await).await, "services");

    for client in [&org.member, &org.viewer, &org.auditor] {
        assert_eq!(send(base("Not mine", &deadline), client).await.status(), 403);
        assert_eq!(server.post_with(client, "/api/campaigns/choices", &[]).await.status(), 403);
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM campaigns").fetch_one(server.db.pool()).await.unwrap();
    assert_eq!(count, 0, "nothing was started by a refused form");

    // The lead's form offers their team's services and every template's items.
    let choices: Value = server.post_with(&org.lead, "/api/campaigns/choices", &[]).await.json().await.unwrap();
    assert_eq!(choices["teams"], serde_json::json!([[1, "Payments"]]));
    assert_eq!(choices["services"][0][0], "alpha");
    let checklists: Vec<&str> = choices["items"].as_array().unwrap().iter().map(|c| c[0].as_str().unwrap()).collect();
    assert!(checklists.contains(&"Simple checklist"), "{checklists:?}");
    assert_eq!(server.post_with(&org.lead, "/api/campaigns/one", &[("id", "999")]).await.status(), 404);
}

async fn detail_after(server: &TestServer, id: i64, after: &str) -> Value {
    let response =
        server.post_with(&server.client, "/api/campaigns/one", &[("id", &id.to_string()), ("after", after)]).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn standings(server: &TestServer, id: i64) -> Vec<(i64, i64, String)> {
    sqlx::query_as("SELECT service_id, met, lacks FROM campaign_services WHERE campaign_id = $1 ORDER BY service_id")
        .bind(id)
        .fetch_all(server.db.pool())
        .await
        .unwrap()
}

async fn standings_are_stored_paged_and_checked(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let _org = org(server).await;
    let simple = create_template(server, SIMPLE).await;
    let count = campaigns::BEHIND_PAGE + 3;
    let slugs: Vec<String> = (0..count).map(|n| format!("svc-{n:03}")).collect();
    for slug in &slugs {
        service_with(server, slug, simple).await;
    }
    let deadline = in_days(server, 30);
    let form = [("name", "Bronze"), ("goal", "level"), ("level", "bronze"), ("team", "1"), ("deadline", &deadline)];
    assert_eq!(start(server, &server.client, &form).await.status(), 200);
    let id = latest_campaign(server).await;

    // One page of the services behind, by name, then the rest after it.
    let first = detail(server, &server.client, id).await;
    let page: Vec<String> = behind(&first).into_iter().map(|(slug, _)| slug).collect();
    assert_eq!(page, slugs[..campaigns::BEHIND_PAGE]);
    assert_eq!(first["next"].as_str(), Some(slugs[campaigns::BEHIND_PAGE - 1].as_str()));
    let rest = detail_after(server, id, first["next"].as_str().unwrap()).await;
    let page: Vec<String> = behind(&rest).into_iter().map(|(slug, _)| slug).collect();
    assert_eq!(page, slugs[campaigns::BEHIND_PAGE..]);
    assert!(rest["next"].is_null());
    assert_eq!(behind(&rest)[0].1, ["Runbook written: not started"]);

    // Ticking an item re-judges that service in the same change.
    let item = item_by_key(server, &slugs[1], "s.crit").await;
    assert_eq!(set_status(server, &server.client, item, "done", "").await.status(), 200);
    let read = detail(server, &server.client, id).await;
    assert_eq!(read["summary"]["met"].as_u64(), Some(1));
    assert!(behind(&read).iter().all(|(slug, _)| *slug != slugs[1]));

    // `preflight scores check` agrees with what is stored, and names a
    // standing changed behind the server's back.
    let now = server.clock.now_millis();
    let (_, found) = figures::check(&server.db, now).await.unwrap();
    assert!(found.is_empty(), "{found:?}");
    let tampered = service_id(server, &slugs[2]).await;
    sqlx::query("UPDATE campaign_services SET met = 1 WHERE campaign_id = $1 AND service_id = $2")
        .bind(id)
        .bind(tampered)
        .execute(server.db.pool())
        .await
        .unwrap();
    let (_, found) = figures::check(&server.db, now).await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].service.as_str(), found[0].stored.as_str()), (slugs[2].as_str(), "true"));

    // Judging afresh (what the migration does for older campaigns) gives
    // back the standings the changes stored.
    sqlx::query("UPDATE campaign_services SET met = 0, lacks = ''").execute(server.db.pool()).await.unwrap();
    sqlx::query("UPDATE campaign_services SET met = 0, lacks = 'x' WHERE service_id = $1")
        .bind(tampered)
        .execute(server.db.pool())
        .await
        .unwrap();
    let mut conn = server.db.pool().acquire().await.unwrap();
    campaigns::judge_all(&mut conn, now).await.unwrap();
    drop(conn);
    let judged = standings(server, id).await;
    assert_eq!(judged.iter().filter(|(_, met, _)| *met == 1).count(), 1);
    assert!(judged.iter().all(|(_, met, lacks)| (*met == 1) == lacks.is_empty()), "{judged:?}");
    assert_eq!(figures::check(&server.db, now).await.unwrap().1, []);

    // An ended campaign keeps the standings it ended with.
    let id_text = id.to_string();
    assert_eq!(server.post_with(&server.client, "/api/campaigns/end", &[("id", &id_text)]).await.status(), 200);
    let before = standings(server, id).await;
    let item = item_by_key(server, &slugs[3], "s.crit").await;
    assert_eq!(set_status(server, &server.client, item, "done", "").await.status(), 200);
    assert_eq!(standings(server, id).await, before);
    assert_eq!(detail(server, &server.client, id).await["summary"]["met"].as_u64(), Some(1));
}
