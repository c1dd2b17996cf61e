//! Milestones through the real server on both databases: a lead records a
//! named snapshot of a service's scorecard, the team then changes items,
//! and the comparison names what improved and what regressed, with the
//! evidence and approvals that changed. The form's field errors, who may
//! record and who may read.

mod support;

use app::backend::Backend;
use serde_json::Value;
use support::readiness::*;
use support::{audit_actions, invalid_field, location, TestServer};

both_backends!(
    a_milestone_freezes_the_scorecard_and_compares_with_now,
    the_milestone_form_names_its_field_and_checks_who
);

async fn record(
    server: &TestServer,
    client: &reqwest::Client,
    service: i64,
    name: &str,
    note: &str,
) -> reqwest::Response {
    server
        .post_with(
            client,
            "/api/milestones/record",
            &[("service_id", &service.to_string()), ("name", name), ("note", note)],
        )
        .await
}

async fn add_link(server: &TestServer, client: &reqwest::Client, item: i64, url: &str) {
    let added = server
        .post_with(client, "/api/items/evidence/link", &[("item_id", &item.to_string()), ("url", url), ("note", "")])
        .await;
    assert_eq!(added.status(), 200, "add {url}");
}

fn titles(changes: &Value) -> Vec<String> {
    changes.as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap().to_string()).collect()
}

async fn a_milestone_freezes_the_scorecard_and_compares_with_now(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let org = org(server).await;
    assert!(register(server, &org.lead, "Pay", "pay", "1", "2").await.status().is_success());
    let pay = service_id(server, "pay").await;
    let applied = server
        .post_with(
            &org.lead,
            "/api/services/apply-template",
            &[("service_id", &pay.to_string()), ("template_id", &org.mini.to_string())],
        )
        .await;
    assert_eq!(applied.status(), 200);
    let crit = item_by_key(server, "pay", "a.crit").await;
    let high = item_by_key(server, "pay", "a.high").await;

    // Before the review: the critical item is done (it needs nothing
    // else); the high one is done with a link, waiting for its approval.
    assert_eq!(set_status(server, &org.member, crit, "done", "").await.status(), 200);
    assert_eq!(set_status(server, &org.member, high, "done", "").await.status(), 200);
    add_link(server, &org.member, high, "https://runbooks.example.com/pay").await;
    assert_eq!(stored(server, "pay").await.0, Some(66));

    let recorded = record(server, &org.lead, pay, "Launch review", "Go/no-go with the payments leads.").await;
    assert_eq!(recorded.status(), 200, "{}", recorded.text().await.unwrap());
    assert_eq!(audit_actions(server, "milestone.").await, ["milestone.recorded"]);
    let (service_of_entry, subject): (Option<i64>, Option<String>) =
        sqlx::query_as("SELECT service_id, subject_type FROM audit_events WHERE action = 'milestone.recorded'")
            .fetch_one(server.db.pool())
            .await
            .unwrap();
    assert_eq!((service_of_entry, subject.as_deref()), (Some(pay), Some("milestone")));

    // After it: a second link and an approval complete the high item; the
    // critical item goes back to in progress.
    add_link(server, &org.member, high, "https://dashboards.example.com/pay").await;
    assert_eq!(review(server, &org.auditor, high, "approve", "").await.status(), 200);
    assert_eq!(set_status(server, &org.member, crit, "in-progress", "").await.status(), 200);

    // Everyone who reads the service reads its milestones: the viewer too.
    let list = server.post_with(&org.viewer, "/api/milestones/list", &[("slug", "pay")]).await;
    assert_eq!(list.status(), 200);
    let list: Value = list.json().await.unwrap();
    assert_eq!(list["can_record"], false, "a viewer records nothing");
    let milestones = list["milestones"].as_array().unwrap();
    assert_eq!(milestones.len(), 1);
    assert_eq!(milestones[0]["name"], "Launch review");
    assert_eq!(milestones[0]["note"], "Go/no-go with the payments leads.");
    assert_eq!(milestones[0]["created_by"], "lead");
    assert_eq!(milestones[0]["figures"]["score"], 66);
    let id = milestones[0]["id"].as_i64().unwrap().to_string();
    let lead_list: Value =
        server.post_with(&org.lead, "/api/milestones/list", &[("slug", "pay")]).await.json().await.unwrap();
    assert_eq!(lead_list["can_record"], true);

    let one = server.post_with(&org.viewer, "/api/milestones/one", &[("slug", "pay"), ("id", &id)]).await;
    assert_eq!(one.status(), 200);
    let view: Value = one.json().await.unwrap();
    let c = &view["comparison"];
    assert_eq!(titles(&c["improved"]), ["High thing"]);
    assert_eq!(titles(&c["regressed"]), ["Critical thing"]);
    assert!(c["added"].as_array().unwrap().is_empty() && c["removed"].as_array().unwrap().is_empty());
    // The gold item is outside tier 2: excluded then and now, unchanged.
    assert_eq!(titles(&c["unchanged"]), ["Gold thing"]);
    assert_eq!((c["then"]["score"].as_i64(), c["now"]["score"].as_i64()), (Some(66), Some(33)));
    assert_eq!((c["then"]["ready"].as_bool(), c["now"]["ready"].as_bool()), (Some(false), Some(false)));

    let improved = &c["improved"][0];
    assert_eq!(improved["then"], serde_json::json!({"Unmet": {"AwaitingApprovals": 1}}));
    assert_eq!(improved["now"], "Satisfied");
    let added: Vec<&str> =
        improved["evidence_added"].as_array().unwrap().iter().map(|e| e["label"].as_str().unwrap()).collect();
    assert_eq!(added, ["https://dashboards.example.com/pay"]);
    assert!(improved["evidence_withdrawn"].as_array().unwrap().is_empty());
    assert_eq!(improved["approvals_added"][0]["reviewer"], "auditor");
    let regressed = &c["regressed"][0];
    assert_eq!(regressed["then"], "Satisfied");
    assert_eq!(regressed["now"], serde_json::json!({"Unmet": {"NotDone": "in-progress"}}));
    assert_eq!(
        (regressed["status_then"].as_str(), regressed["status_now"].as_str()),
        (Some("done"), Some("in-progress"))
    );

    // The frozen side does not move: the snapshot row is what it was.
    let snapshot: String =
        sqlx::query_scalar("SELECT snapshot FROM milestones").fetch_one(server.db.pool()).await.unwrap();
    let snapshot: Value = serde_json::from_str(&snapshot).unwrap();
    let items = snapshot["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let high_then = items.iter().find(|i| i["key"] == "a.high").unwrap();
    assert_eq!(high_then["evidence"].as_array().unwrap().len(), 1);
    assert_eq!(high_then["evidence"][0]["added_by"], "dev");
    assert_eq!(high_then["checklist"], "Mini checklist");
    assert_eq!(high_then["section"], "Basics");

    // The compare page renders for a viewer, and answers 404 for a
    // milestone of another service or none at all.
    let page = org.viewer.get(server.url(&format!("/services/pay/milestones/{id}"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for text in ["Launch review", "Regressed", "Improved", "Critical thing", "High thing", "Unchanged (1)"] {
        assert!(html.contains(text), "the compare page shows {text:?}");
    }
    assert!(html.find("Regressed").unwrap() < html.find("Improved").unwrap(), "regressions come first");
    assert!(register(server, &org.lead, "Ledger", "ledger", "1", "2").await.status().is_success());
    let elsewhere = server.post_with(&org.viewer, "/api/milestones/one", &[("slug", "ledger"), ("id", &id)]).await;
    assert_eq!(elsewhere.status(), 404);
    let page = org.viewer.get(server.url("/services/pay/milestones/999")).send().await.unwrap();
    assert_eq!(page.status(), 404);
    // The service page lists it, with a link to the comparison.
    let html = org.viewer.get(server.url("/services/pay")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("/services/pay/milestones/{id}")), "the service page links the milestone");
    assert!(!html.contains("Record milestone"), "no form for a viewer");
}

async fn the_milestone_form_names_its_field_and_checks_who(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let org = org(server).await;
    assert!(register(server, &org.lead, "Pay", "pay", "1", "2").await.status().is_success());
    let pay = service_id(server, "pay").await;

    let field = |response: reqwest::Response| async move {
        assert_eq!(response.status(), 422);
        let body: Value = response.json().await.unwrap();
        (invalid_field(&body), body["Invalid"]["message"].as_str().unwrap_or_default().to_string())
    };
    assert_eq!(field(record(server, &org.lead, pay, "  ", "").await).await.0, "name");
    assert_eq!(field(record(server, &org.lead, pay, &"x".repeat(81), "").await).await.0, "name");
    assert_eq!(field(record(server, &org.lead, pay, "Launch review", &"n".repeat(501)).await).await.0, "note");
    assert_eq!(record(server, &org.lead, pay, "Launch review", "").await.status(), 200);
    let (name, message) = field(record(server, &org.lead, pay, "  launch REVIEW ", "").await).await;
    assert_eq!(name, "name");
    assert!(message.contains("already"), "{message}");
    // The admin records for any team; a name only counts per service.
    assert_eq!(record(server, &server.client, pay, "Post-incident review", "").await.status(), 200);

    // Only the owning team's leads and administrators record.
    for (who, client) in
        [("member", &org.member), ("viewer", &org.viewer), ("auditor", &org.auditor), ("other lead", &org.other_lead)]
    {
        assert_eq!(record(server, client, pay, "Mine", "").await.status(), 403, "{who}");
    }
    assert_eq!(record(server, &org.lead, 999, "Launch review", "").await.status(), 404);
    let anonymous = server
        .post_with(
            &support::cookieless_browser(),
            "/api/milestones/record",
            &[("service_id", &pay.to_string()), ("name", "x"), ("note", "")],
        )
        .await;
    assert_eq!(anonymous.status(), 401);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM milestones").fetch_one(server.db.pool()).await.unwrap();
    assert_eq!(count, 2, "nothing refused was stored");
    assert_eq!(audit_actions(server, "milestone.").await.len(), 2);

    // Without JavaScript the form posts and comes back to the page.
    let back = server
        .client
        .post(server.url("/api/milestones/record"))
        .header("origin", &server.base)
        .header("referer", server.url("/services/pay"))
        .header("accept", "text/html")
        .form(&[("service_id", pay.to_string().as_str()), ("name", "Quarterly review"), ("note", "")])
        .send()
        .await
        .unwrap();
    assert!(back.status().is_redirection(), "{}", back.status());
    assert!(location(&back).contains("/services/pay"), "{}", location(&back));
    // A refused one comes back to the page with the message beside the field.
    let refused = server
        .client
        .post(server.url("/api/milestones/record"))
        .header("origin", &server.base)
        .header("referer", server.url("/services/pay"))
        .header("accept", "text/html")
        .form(&[("service_id", pay.to_string().as_str()), ("name", ""), ("note", "")])
        .send()
        .await
        .unwrap();
    assert!(refused.status().is_redirection(), "{}", refused.status());
    let page = server.get(&location(&refused).replace(&server.base, "")).await.text().await.unwrap();
    assert!(page.contains("Name the milestone, e.g. launch review."), "{}", location(&refused));
    assert!(page.contains("milestone-name-error"), "the message is tied to the field");

    // An archived service takes no milestone.
    let archived =
        server.post_json("/api/services/archive", &[("service_id", &pay.to_string()), ("archived", "true")]).await;
    assert_eq!(archived.status(), 200);
    let (name, message) = field(record(server, &org.lead, pay, "After archiving", "").await).await;
    assert_eq!(name, "name");
    assert!(message.contains("archived"), "{message}");
    let list: Value =
        server.post_with(&org.lead, "/api/milestones/list", &[("slug", "pay")]).await.json().await.unwrap();
    assert_eq!(list["can_record"], false);
    assert_eq!(list["milestones"].as_array().unwrap().len(), 3, "the refused no-script post stored nothing");
}
