//! The readiness workflow through the real server on both databases: the
//! service catalogue, applying checklists, working items, the stored
//! figures and `scores check`.

mod support;

use app::backend::{figures, Backend};
use serde_json::Value;
use support::readiness::*;
use support::{audit_actions, invalid_field, TestServer};

both_backends!(
    leads_register_services_and_everyone_reads_them,
    service_forms_name_the_field_of_each_problem,
    the_list_filters_sorts_and_pages_by_key,
    item_status_moves_the_stored_figures,
    two_editors_do_not_overwrite_each_other,
    scores_check_agrees_after_random_changes,
    a_public_badge_shows_level_and_gate_and_nothing_else_answers,
    the_scorecard_exports_as_json_and_csv,
);

async fn leads_register_services_and_everyone_reads_them(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let org = org(server).await;
    // The lead registers for their own team only.
    let created = register(server, &org.lead, "Payments API", "payments-api", "1", "1").await;
    assert!(created.status().is_success(), "{}", created.status());
    assert_eq!(register(server, &org.lead, "Elsewhere", "elsewhere", "2", "1").await.status(), 403);
    // Members, viewers and auditors register nothing.
    for client in [&org.member, &org.viewer, &org.auditor] {
        assert_eq!(register(server, client, "Mine", "mine", "1", "2").await.status(), 403);
    }
    // Everyone signed in reads it, with its stored figures.
    for client in [&org.member, &org.viewer, &org.auditor, &org.other_lead] {
        assert_eq!(slugs(&page(server, client, "").await), ["payments-api"]);
        let one = server.post_with(client, "/api/services/one", &[("slug", "payments-api")]).await;
        assert_eq!(one.status(), 200);
    }
    let one: Value =
        server.post_with(&org.viewer, "/api/services/one", &[("slug", "payments-api")]).await.json().await.unwrap();
    assert_eq!(one["summary"]["team_name"], "Payments");
    assert_eq!(one["can_manage"], false);
    assert_eq!(one["can_work"], false);
    assert_eq!(one["summary"]["figures"]["ready"], false, "no checklist: not ready");

    // Applying a checklist: one row per item, scored at once.
    let id = service_id(server, "payments-api").await.to_string();
    let apply = |client: &reqwest::Client, template: String| {
        let (id, client) = (id.clone(), client.clone());
        async move {
            server
                .post_with(&client, "/api/services/apply-template", &[("service_id", &id), ("template_id", &template)])
                .await
        }
    };
    assert_eq!(apply(&org.member, "1".into()).await.status(), 403);
    assert_eq!(apply(&org.lead, "1".into()).await.status(), 200);
    assert_eq!(apply(&org.lead, "1".into()).await.status(), 422, "applied once only");
    assert_eq!(apply(&org.lead, "3".into()).await.status(), 200, "several checklists");
    let items: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM service_items WHERE service_id = $1")
        .bind(id.parse::<i64>().unwrap())
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    assert_eq!(items, 23 + 13);
    let one: Value =
        server.post_with(&org.lead, "/api/services/one", &[("slug", "payments-api")]).await.json().await.unwrap();
    assert_eq!(one["checklists"].as_array().unwrap().len(), 2);
    assert_eq!(one["summary"]["figures"]["score"], 0);
    assert!(one["blocking"].as_array().unwrap().len() > 10, "every gating item blocks");
    assert_eq!(one["can_manage"], true);

    // Archiving takes it out of lists and freezes it; restoring brings it back.
    let archive = |archived: &'static str| {
        let id = id.clone();
        let lead = org.lead.clone();
        async move { server.post_with(&lead, "/api/services/archive", &[("service_id", &id), ("archived", archived)]).await }
    };
    assert_eq!(archive("true").await.status(), 200);
    assert!(slugs(&page(server, &org.viewer, "").await).is_empty());
    assert_eq!(slugs(&page(server, &org.viewer, "archived=1").await), ["payments-api"]);
    let item = first_item(server, "payments-api").await;
    let refused = set_status(server, &org.member, item, "in-progress", "").await;
    assert_eq!(refused.status(), 422, "an archived service's checklists are frozen");
    assert_eq!(archive("false").await.status(), 200);
    assert_eq!(slugs(&page(server, &org.viewer, "").await), ["payments-api"]);
    assert_eq!(
        audit_actions(server, "service.").await,
        [
            "service.created",
            "service.template_applied",
            "service.template_applied",
            "service.archived",
            "service.restored"
        ]
    );
}

async fn service_forms_name_the_field_of_each_problem(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let org = org(server).await;
    assert!(register(server, &org.lead, "Payments API", "payments-api", "1", "1").await.status().is_success());
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (form("", "x", "1", "1"), "name"),
        (form("Dup", "payments-api", "1", "1"), "slug"),
        (form("Bad slug", "Bad Slug", "1", "1"), "slug"),
        (form("No team", "no-team", "", "1"), "team_id"),
        (form("Tier", "tier", "1", "4"), "tier"),
        (
            form("Link", "link", "1", "1")
                .into_iter()
                .map(|(k, v)| if k == "form[repository_url]" { (k, "javascript:alert(1)") } else { (k, v) })
                .collect(),
            "repository_url",
        ),
        (
            form("Date", "date", "1", "1")
                .into_iter()
                .map(|(k, v)| if k == "form[launch_date]" { (k, "2027-02-30") } else { (k, v) })
                .collect(),
            "launch_date",
        ),
        (
            form("Env", "env", "1", "1")
                .into_iter()
                .map(|(k, v)| if k == "form[environment]" { (k, "moon") } else { (k, v) })
                .collect(),
            "environment",
        ),
    ];
    for (fields, field) in cases {
        let response = server.post_with(&org.lead, "/api/services/create", &fields).await;
        assert_eq!(response.status(), 422, "{field}");
        assert_eq!(invalid_field(&response.json().await.unwrap()), field);
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM services").fetch_one(server.db.pool()).await.unwrap();
    assert_eq!(count, 1, "nothing half-written");
}

async fn the_list_filters_sorts_and_pages_by_key(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let org = org(server).await;
    // 60 services: team 1 has the even ones (tier 1), team 2 the odd ones.
    for n in 0..60 {
        let (client, team, tier) = if n % 2 == 0 { (&server.client, "1", "1") } else { (&org.other_lead, "2", "3") };
        let name = format!("Service {n:02}{}", if n % 10 == 0 { " payments" } else { "" });
        let slug = format!("service-{n:02}");
        assert!(register(server, client, &name, &slug, team, tier).await.status().is_success());
    }
    let first = page(server, &org.viewer, "").await;
    assert_eq!(slugs(&first).len(), 50);
    assert_eq!(slugs(&first)[0], "service-00");
    let next = first["next"].as_str().expect("a next page").to_string();
    let second = page(server, &org.viewer, &format!("after={next}")).await;
    assert_eq!(slugs(&second), (50..60).map(|n| format!("service-{n}")).collect::<Vec<_>>());
    assert!(second["next"].is_null());

    assert_eq!(
        slugs(&page(server, &org.viewer, "q=PAYMENTS").await),
        ["service-00", "service-10", "service-20", "service-30", "service-40", "service-50"]
    );
    assert_eq!(slugs(&page(server, &org.viewer, "q=%25").await), Vec::<String>::new(), "LIKE wildcards are literal");
    assert_eq!(slugs(&page(server, &org.viewer, "team=2&tier=3").await).len(), 30);
    assert_eq!(slugs(&page(server, &org.viewer, "team=2&tier=1").await).len(), 0);
    assert_eq!(slugs(&page(server, &org.viewer, "gate=ready").await).len(), 0);
    assert_eq!(slugs(&page(server, &org.viewer, "level=none&gate=not-ready").await).len(), 50);

    // A scored service sorts after the unscored ones by score.
    let id = service_id(server, "service-00").await.to_string();
    let applied = server
        .post_json("/api/services/apply-template", &[("service_id", &id), ("template_id", &org.mini.to_string())])
        .await;
    assert_eq!(applied.status(), 200);
    let crit = item_by_key(server, "service-00", "a.crit").await;
    assert_eq!(set_status(server, &server.client, crit, "done", "").await.status(), 200);
    let by_score = page(server, &org.viewer, "sort=score&team=1").await;
    assert_eq!(slugs(&by_score).last().unwrap(), "service-00");
    // Launch dates sort, undated last; every page of the walk is disjoint.
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let p = page(server, &org.viewer, &format!("sort=launch{after}")).await;
        seen.extend(slugs(&p));
        match p["next"].as_str() {
            Some(key) => after = format!("&after={key}"),
            None => break,
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 60);
}

async fn item_status_moves_the_stored_figures(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let org = org(server).await;
    assert!(register(server, &org.lead, "Pay", "pay", "1", "2").await.status().is_success());
    let id = service_id(server, "pay").await.to_string();
    let mini = org.mini.to_string();
    let applied = server
        .post_with(&org.lead, "/api/services/apply-template", &[("service_id", &id), ("template_id", &mini)])
        .await;
    assert_eq!(applied.status(), 200);
    // Tier 2: the gold item leaves the denominator (8 + 4).
    assert_eq!(stored(server, "pay").await, (Some(0), 0, 2, 2, 0, None));

    let crit = item_by_key(server, "pay", "a.crit").await;
    let high = item_by_key(server, "pay", "a.high").await;
    // Only the owning team works items.
    for client in [&org.viewer, &org.auditor, &org.other_lead] {
        assert_eq!(set_status(server, client, crit, "done", "").await.status(), 403);
    }
    assert_eq!(set_status(server, &org.member, crit, "done", "").await.status(), 200);
    assert_eq!(stored(server, "pay").await, (Some(66), 0, 1, 2, 1, None), "8 of 12");
    let done_by: Option<i64> = sqlx::query_scalar("SELECT done_by FROM service_items WHERE id = $1")
        .bind(crit)
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    assert_eq!(done_by, Some(3), "who ticked it is kept (they may never approve it)");

    // Done without its link, the high item still blocks, and says why.
    assert_eq!(set_status(server, &org.member, high, "done", "").await.status(), 200);
    let item: Value =
        server.post_with(&org.viewer, "/api/items/one", &[("item_id", &high.to_string())]).await.json().await.unwrap();
    assert_eq!(item["standing"], serde_json::json!({"Unmet": {"NoEvidence": "link"}}));
    assert_eq!(item["can_work"], false);

    // Not applicable needs a justification, and counts only once accepted.
    let refused = set_status(server, &org.member, high, "not-applicable", "  ").await;
    assert_eq!(refused.status(), 422);
    assert_eq!(invalid_field(&refused.json().await.unwrap()), "justification");
    assert_eq!(set_status(server, &org.member, high, "not-applicable", "We take no passwords.").await.status(), 200);
    let item: Value =
        server.post_with(&org.viewer, "/api/items/one", &[("item_id", &high.to_string())]).await.json().await.unwrap();
    assert_eq!(item["standing"], serde_json::json!({"Unmet": "NotApplicableUnaccepted"}));
    assert_eq!(item["na_justification"], "We take no passwords.");
    assert_eq!(stored(server, "pay").await, (Some(66), 0, 1, 2, 1, None));

    // A tier change re-scores: at tier 1 the gold item counts too.
    let mut fields = form("Pay", "pay", "1", "1");
    let version = sqlx::query_scalar::<_, i64>("SELECT version FROM services WHERE slug = 'pay'")
        .fetch_one(server.db.pool())
        .await
        .unwrap()
        .to_string();
    let mut with_id = vec![("service_id", id.as_str()), ("version", version.as_str())];
    with_id.append(&mut fields);
    let updated = server.post_with(&org.lead, "/api/services/update", &with_id).await;
    assert!(updated.status().is_success(), "{}", updated.status());
    assert_eq!(stored(server, "pay").await, (Some(61), 0, 1, 3, 1, None), "8 of 13");

    // Comments: the team and auditors, not viewers.
    let comment = |client: &reqwest::Client, body: &'static str| {
        let client = client.clone();
        let high = high.to_string();
        async move { server.post_with(&client, "/api/items/comment", &[("item_id", &high), ("body", body)]).await.status() }
    };
    assert_eq!(comment(&org.auditor, "Which data do you hold?").await, 200);
    assert_eq!(comment(&org.member, "Only order numbers.").await, 200);
    assert_eq!(comment(&org.viewer, "Me too").await, 403);
    let item: Value =
        server.post_with(&org.viewer, "/api/items/one", &[("item_id", &high.to_string())]).await.json().await.unwrap();
    let bodies: Vec<&str> = item["comments"].as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["Which data do you hold?", "Only order numbers."]);

    // Every change is in the service's activity, with before and after.
    let detail: String = sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE action = 'item.status_changed' AND service_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(id.parse::<i64>().unwrap())
    .fetch_one(server.db.pool())
    .await
    .unwrap();
    let detail: Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail["before"]["status"], "done");
    assert_eq!(detail["after"]["status"], "not-applicable");
    let (checked, disagreements) = figures::check(&server.db, server.clock.now_millis()).await.unwrap();
    assert_eq!((checked, disagreements), (1, vec![]));
}

async fn two_editors_do_not_overwrite_each_other(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let org = org(server).await;
    assert!(register(server, &org.lead, "Pay", "pay", "1", "2").await.status().is_success());
    let id = service_id(server, "pay").await.to_string();
    let applied = server
        .post_with(
            &org.lead,
            "/api/services/apply-template",
            &[("service_id", &id), ("template_id", &org.mini.to_string())],
        )
        .await;
    assert_eq!(applied.status(), 200);
    let crit = item_by_key(server, "pay", "a.crit").await;
    // Both open the item at the same version; the second save is refused.
    let seen = item_version(server, crit).await;
    let save = |client: &reqwest::Client, status: &'static str| {
        let (client, seen, crit) = (client.clone(), seen.clone(), crit.to_string());
        async move {
            server
                .post_with(
                    &client,
                    "/api/items/status",
                    &[("item_id", &crit), ("version", &seen), ("status", status), ("justification", "")],
                )
                .await
        }
    };
    assert_eq!(save(&org.member, "in-progress").await.status(), 200);
    let second = save(&org.lead, "blocked").await;
    assert_eq!(second.status(), 409);
    assert_eq!(second.json::<Value>().await.unwrap(), serde_json::json!("Conflict"));
    let status: String = sqlx::query_scalar("SELECT status FROM service_items WHERE id = $1")
        .bind(crit)
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    assert_eq!(status, "in-progress", "the first change stands");

    // The same for the service's own fields.
    let version = sqlx::query_scalar::<_, i64>("SELECT version FROM services WHERE id = $1")
        .bind(id.parse::<i64>().unwrap())
        .fetch_one(server.db.pool())
        .await
        .unwrap()
        .to_string();
    let edit = |name: &'static str| {
        let (id, version, lead) = (id.clone(), version.clone(), org.lead.clone());
        async move {
            let mut fields = vec![("service_id", id.as_str()), ("version", version.as_str())];
            fields.extend(form(name, "pay", "1", "2"));
            server.post_with(&lead, "/api/services/update", &fields).await.status()
        }
    };
    assert!(edit("First name").await.is_success());
    assert_eq!(edit("Second name").await, 409);
    let name: String =
        sqlx::query_scalar("SELECT name FROM services WHERE slug = 'pay'").fetch_one(server.db.pool()).await.unwrap();
    assert_eq!(name, "First name");

    // Many concurrent status changes on one service's items: every one is
    // scored in turn, and the stored figures end up right.
    let items: Vec<i64> = sqlx::query_scalar("SELECT id FROM service_items WHERE service_id = $1")
        .bind(id.parse::<i64>().unwrap())
        .fetch_all(server.db.pool())
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for (n, item) in items.iter().cycle().take(12).enumerate() {
        let (member, item) = (org.member.clone(), *item);
        let server_url = server.url("/api/items/status");
        let base = server.base.clone();
        let status = ["done", "in-progress", "blocked"][n % 3];
        let version = item_version(server, item).await;
        tasks.push(tokio::spawn(async move {
            member
                .post(server_url)
                .header("origin", base)
                .header("accept", "application/json")
                .form(&[
                    ("item_id", item.to_string().as_str()),
                    ("version", &version),
                    ("status", status),
                    ("justification", ""),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for task in tasks {
        let status = task.await.unwrap();
        assert!(status == 200 || status == 409, "{status}");
    }
    let (_, disagreements) = figures::check(&server.db, server.clock.now_millis()).await.unwrap();
    assert_eq!(disagreements, vec![]);
}

async fn scores_check_agrees_after_random_changes(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let org = org(server).await;
    for (n, tier) in ["1", "2", "3"].iter().enumerate() {
        let slug = format!("svc-{n}");
        assert!(register(server, &org.lead, &slug, &slug, "1", tier).await.status().is_success());
        let id = service_id(server, &slug).await.to_string();
        for template in ["1", &org.mini.to_string()] {
            let applied = server
                .post_with(&org.lead, "/api/services/apply-template", &[("service_id", &id), ("template_id", template)])
                .await;
            assert_eq!(applied.status(), 200);
        }
    }
    let items: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM service_items ORDER BY id").fetch_all(server.db.pool()).await.unwrap();
    // A fixed pseudo-random walk (the same every run).
    let mut seed: u64 = 0x5eed;
    let mut next = |bound: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as usize % bound
    };
    let statuses = ["not-started", "in-progress", "done", "not-applicable", "blocked"];
    for _ in 0..60 {
        let item = items[next(items.len())];
        let status = statuses[next(statuses.len())];
        let response = set_status(server, &org.member, item, status, "Does not apply here.").await;
        assert_eq!(response.status(), 200, "{status}");
    }
    let (checked, disagreements) = figures::check(&server.db, server.clock.now_millis()).await.unwrap();
    assert_eq!(checked, 3);
    assert_eq!(disagreements, vec![]);

    // A stored figure that was tampered with is named.
    sqlx::query("UPDATE services SET score = 99, ready = 1 WHERE slug = 'svc-1'")
        .execute(server.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE service_items SET has_link = 1 WHERE id = $1")
        .bind(items[0])
        .execute(server.db.pool())
        .await
        .unwrap();
    let (_, disagreements) = figures::check(&server.db, server.clock.now_millis()).await.unwrap();
    let named: Vec<String> = disagreements.iter().map(|d| format!("{} {}", d.service, d.what)).collect();
    assert_eq!(named.len(), 2, "{disagreements:?}");
    assert!(named[0].starts_with("svc-0 item ") && named[0].ends_with(" has_link"), "{named:?}");
    assert_eq!(named[1], "svc-1 figures");
}

async fn a_public_badge_shows_level_and_gate_and_nothing_else_answers(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let org = org(server).await;
    assert!(register(server, &org.lead, "Payments API", "payments-api", "1", "1").await.status().is_success());
    let id = service_id(server, "payments-api").await.to_string();
    let anonymous = support::cookieless_browser();
    let badge = |slug: &'static str| {
        let anonymous = anonymous.clone();
        async move {
            let response = anonymous.get(server.url(&format!("/badge/{slug}"))).send().await.unwrap();
            let status = response.status().as_u16();
            let kind = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
            (status, kind, response.text().await.unwrap())
        }
    };
    // Private, unknown and malformed read exactly alike.
    let private = badge("payments-api.svg").await;
    assert_eq!(private.0, 404);
    assert_eq!(badge("no-such-service.svg").await, private);
    assert_eq!(badge("payments-api").await, private);

    // Only the team's leads (and administrators) publish it.
    let publish = |client: &reqwest::Client, public: &'static str| {
        let (client, id) = (client.clone(), id.clone());
        async move {
            server.post_with(&client, "/api/services/badge", &[("service_id", &id), ("public", public)]).await.status()
        }
    };
    for client in [&org.member, &org.viewer, &org.auditor, &org.other_lead] {
        assert_eq!(publish(client, "true").await, 403);
    }
    assert_eq!(publish(&org.lead, "true").await, 200);
    let (status, kind, svg) = badge("payments-api.svg").await;
    assert_eq!(status, 200);
    assert_eq!(kind.as_deref(), Some("image/svg+xml; charset=utf-8"));
    assert!(svg.contains("preflight: no level · not ready"), "{svg}");
    let one: Value =
        server.post_with(&org.viewer, "/api/services/one", &[("slug", "payments-api")]).await.json().await.unwrap();
    assert_eq!(one["badge_public"], true);

    // Archived services and withdrawn badges leave no trace.
    assert_eq!(
        server
            .post_with(&org.lead, "/api/services/archive", &[("service_id", &id), ("archived", "true")])
            .await
            .status(),
        200
    );
    assert_eq!(badge("payments-api.svg").await, private);
    assert_eq!(
        server
            .post_with(&org.lead, "/api/services/archive", &[("service_id", &id), ("archived", "false")])
            .await
            .status(),
        200
    );
    assert_eq!(badge("payments-api.svg").await.0, 200);
    assert_eq!(publish(&org.lead, "false").await, 200);
    assert_eq!(badge("payments-api.svg").await, private);
    // Both choices are in the trail.
    let actions = audit_actions(server, "service.badge_").await;
    assert_eq!(actions, ["service.badge_published", "service.badge_withdrawn"]);
}

async fn the_scorecard_exports_as_json_and_csv(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let org = org(server).await;
    assert!(register(server, &org.lead, "Pay", "pay", "1", "2").await.status().is_success());
    let id = service_id(server, "pay").await.to_string();
    let mini = org.mini.to_string();
    let applied = server
        .post_with(&org.lead, "/api/services/apply-template", &[("service_id", &id), ("template_id", &mini)])
        .await;
    assert_eq!(applied.status(), 200);
    let crit = item_by_key(server, "pay", "a.crit").await;
    assert_eq!(set_status(server, &org.member, crit, "done", "").await.status(), 200);

    // Viewers read it like the page.
    let response = org.viewer.get(server.url("/services/pay/scorecard?format=json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-disposition"].to_str().unwrap().contains("pay-scorecard-"));
    let card: Value = response.json().await.unwrap();
    assert_eq!(card["service"]["slug"], "pay");
    assert_eq!(card["gate"], "not ready");
    assert_eq!(card["figures"]["score"], 66);
    let blocking: Vec<&str> =
        card["blocking"].as_array().unwrap().iter().map(|b| b["standing"].as_str().unwrap()).collect();
    assert_eq!(blocking, ["not started"]);
    let items = &card["checklists"][0]["sections"][0]["items"];
    assert_eq!(items[0]["standing"], "satisfied");
    assert_eq!(
        card["audit_chain_head"]["seq"].as_i64().unwrap(),
        app::backend::audit::head(&server.db).await.unwrap().seq
    );

    let csv = org.viewer.get(server.url("/services/pay/scorecard?format=csv")).send().await.unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("checklist,version,section,item_id,title,severity,level,status,standing"));
    assert_eq!(lines.count(), 3, "one row per item of the mini template");

    let unknown = org.viewer.get(server.url("/services/nothing/scorecard")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    let bad = org.viewer.get(server.url("/services/pay/scorecard?format=xml")).send().await.unwrap();
    assert_eq!(bad.status(), 422);
    let anonymous = support::cookieless_browser().get(server.url("/services/pay/scorecard")).send().await.unwrap();
    assert_eq!(anonymous.status(), 303);
}
