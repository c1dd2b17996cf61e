//! Checklist templates through the real server on both databases: import
//! and export in the data format (export then import gives the same
//! template), versions on every edit, and upgrading a service's checklist
//! with its progress kept.

mod support;

use app::backend::{figures, template_format, Backend};
use serde_json::{json, Value};
use support::readiness::*;
use support::{invalid_field, TestServer};

both_backends!(templates_import_export_and_version, upgrades_keep_the_progress_of_unchanged_items,);

const V1: &str = r#"
[template]
id = "custom"
name = "Custom checklist"
version = 1
summary = "Ours."

[[sections]]
id = "a"
name = "Basics"

[[items]]
id = "a.keep"
title = "Kept as it is"
severity = "critical"
level = "bronze"
evidence = "none"
approvals = 1

[[items]]
id = "a.edit"
title = "Before the edit"
severity = "high"
level = "bronze"
evidence = "none"
approvals = 1

[[items]]
id = "a.drop"
title = "Dropped later"
severity = "low"
level = "gold"
evidence = "none"
"#;

/// V1 with `a.edit` reworded, `a.drop` gone and `a.new` added.
fn v2() -> String {
    V1.replace("Before the edit", "After the edit")
        .replace(
            "[[items]]\nid = \"a.drop\"\ntitle = \"Dropped later\"\nseverity = \"low\"\nlevel = \"gold\"\nevidence = \"none\"\n",
            "[[items]]\nid = \"a.new\"\ntitle = \"New in version 2\"\nseverity = \"medium\"\nlevel = \"silver\"\nevidence = \"none\"\ntiers = [1, 2]\n",
        )
}

async fn import(server: &TestServer, client: &reqwest::Client, source: &str) -> reqwest::Response {
    server.post_with(client, "/api/templates/import", &[("source", source)]).await
}

async fn template_id(server: &TestServer, key: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM templates WHERE key = $1").bind(key).fetch_one(server.db.pool()).await.unwrap()
}

async fn export(server: &TestServer, client: &reqwest::Client, id: i64, version: Option<u32>) -> String {
    let query = version.map(|v| format!("?version={v}")).unwrap_or_default();
    let response = client.get(server.url(&format!("/templates/{id}/export{query}"))).send().await.unwrap();
    let status = response.status();
    if status != 200 {
        panic!("export {id}: {status} {}", response.text().await.unwrap());
    }
    assert!(response.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    response.text().await.unwrap()
}

async fn templates_import_export_and_version(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let org = org(server).await;
    // Administrators only.
    for client in [&org.lead, &org.auditor, &org.viewer] {
        assert_eq!(import(server, client, V1).await.status(), 403);
    }
    // Problems name their line and field.
    let broken = import(server, &server.client, &V1.replace("severity = \"high\"", "severity = \"urgent\"")).await;
    assert_eq!(broken.status(), 422);
    let body: Value = broken.json().await.unwrap();
    assert_eq!(invalid_field(&body), "source");
    let message = body["Invalid"]["message"].as_str().unwrap();
    assert!(message.starts_with("line 23,") && message.contains("urgent"), "{message}");
    let rules = import(
        server,
        &server.client,
        &V1.replace("approvals = 1\n\n[[items]]\nid = \"a.edit\"", "approvals = 9\n\n[[items]]\nid = \"a.edit\""),
    )
    .await;
    let message = rules.json::<Value>().await.unwrap()["Invalid"]["message"].as_str().unwrap().to_string();
    assert!(message.contains("items[0].approvals"), "{message}");
    let built_in = import(server, &server.client, template_format::BUILT_IN[0].1).await;
    assert_eq!(invalid_field(&built_in.json().await.unwrap()), "source", "built-in ids are not ours to change");

    // Import, export, import again: the same template, still version 1.
    assert!(import(server, &server.client, V1).await.status().is_success());
    let id = template_id(server, "custom").await;
    let exported = export(server, &org.viewer, id, None).await;
    assert_eq!(template_format::parse(&exported).unwrap(), template_format::parse(V1).unwrap());
    assert!(import(server, &server.client, &exported).await.status().is_success());
    let detail: Value = server
        .post_with(&org.viewer, "/api/templates/one", &[("template_id", &id.to_string())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail[0]["versions"].as_array().unwrap().len(), 1, "importing what is there changes nothing");
    assert_eq!(detail[1], false, "viewers do not edit");

    // An edit publishes version 2; version 1 stays exportable.
    assert!(import(server, &server.client, &v2()).await.status().is_success());
    let detail: Value = server
        .post_with(&server.client, "/api/templates/one", &[("template_id", &id.to_string())])
        .await
        .json()
        .await
        .unwrap();
    let versions: Vec<u64> = detail[0]["versions"].as_array().unwrap().iter().map(|v| v[0].as_u64().unwrap()).collect();
    assert_eq!(versions, [2, 1]);
    assert_eq!(detail[1], true);
    assert!(export(server, &server.client, id, Some(1)).await.contains("Before the edit"));
    assert!(export(server, &server.client, id, None).await.contains("tiers = [1, 2]"));
    // Every built-in template exports as it was shipped.
    for (n, (_, text)) in template_format::BUILT_IN.iter().enumerate() {
        let exported = export(server, &server.client, n as i64 + 1, None).await;
        assert_eq!(template_format::parse(&exported).unwrap(), template_format::parse(text).unwrap());
    }
    let missing = server.client.get(server.url("/templates/999/export")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}

async fn upgrades_keep_the_progress_of_unchanged_items(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let org = org(server).await;
    assert!(import(server, &server.client, V1).await.status().is_success());
    let id = template_id(server, "custom").await;
    service_with(server, "pay", id).await;
    let keep = item_by_key(server, "pay", "a.keep").await;
    let edit = item_by_key(server, "pay", "a.edit").await;
    let drop = item_by_key(server, "pay", "a.drop").await;
    for item in [keep, edit, drop] {
        assert_eq!(set_status(server, &org.member, item, "done", "").await.status(), 200);
    }
    for item in [keep, edit] {
        assert_eq!(review(server, &org.auditor, item, "approve", "").await.status(), 200);
    }
    assert!(import(server, &server.client, &v2()).await.status().is_success());

    // The lead sees what changes first.
    let preview = server
        .post_with(&org.lead, "/api/services/upgrade-preview", &[("slug", "pay"), ("template_id", &id.to_string())])
        .await;
    assert_eq!(preview.status(), 200);
    let preview: Value = preview.json().await.unwrap();
    assert_eq!((preview["from_version"].clone(), preview["to_version"].clone()), (json!(1), json!(2)));
    let ids = |list: &Value| {
        list.as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&preview["diff"]["added"]), ["a.new"]);
    assert_eq!(ids(&preview["diff"]["removed"]), ["a.drop"]);
    assert_eq!(preview["diff"]["changed"][0][1]["title"], "After the edit");
    assert_eq!(preview["diff"]["unchanged"], 1);
    let page: Value = server.post_with(&org.lead, "/api/services/one", &[("slug", "pay")]).await.json().await.unwrap();
    assert_eq!(
        (page["checklists"][0]["version"].clone(), page["checklists"][0]["latest_version"].clone()),
        (json!(1), json!(2))
    );

    let upgrade = |client: &reqwest::Client, to: &'static str| {
        let (client, id) = (client.clone(), id.to_string());
        async move {
            server
                .post_with(
                    &client,
                    "/api/services/upgrade",
                    &[("slug", "pay"), ("template_id", &id), ("to_version", to)],
                )
                .await
        }
    };
    assert_eq!(upgrade(&org.member, "2").await.status(), 403);
    assert_eq!(upgrade(&org.viewer, "2").await.status(), 403);
    assert_eq!(upgrade(&org.lead, "1").await.status(), 409, "a version other than the previewed one");
    assert!(upgrade(&org.lead, "2").await.status().is_success());

    // Unchanged: progress and approval kept. Changed: done, reviewed again.
    assert_eq!(item_json(server, &org.viewer, keep).await["standing"], "Satisfied");
    let edited = item_json(server, &org.viewer, edit).await;
    assert_eq!(edited["def"]["title"], "After the edit");
    assert_eq!(edited["status"], "done");
    assert_eq!(edited["standing"], json!({"Unmet": {"AwaitingApprovals": 1}}));
    // Dropped: gone from the checklist, history kept. Added: not started.
    let removed_at: Option<i64> = sqlx::query_scalar("SELECT removed_at FROM service_items WHERE id = $1")
        .bind(drop)
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    assert!(removed_at.is_some());
    let new = item_by_key(server, "pay", "a.new").await;
    assert_eq!(item_json(server, &org.viewer, new).await["status"], "not-started");
    let page: Value = server.post_with(&org.lead, "/api/services/one", &[("slug", "pay")]).await.json().await.unwrap();
    let titles: Vec<&str> = page["checklists"][0]["sections"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Kept as it is", "After the edit", "New in version 2"]);
    assert_eq!(page["checklists"][0]["version"], 2);
    let again = upgrade(&org.lead, "2").await;
    assert_eq!(invalid_field(&again.json().await.unwrap()), "template_id");
    let (_, disagreements) = figures::check(&server.db, server.clock.now_millis()).await.unwrap();
    assert_eq!(disagreements, vec![]);
}
