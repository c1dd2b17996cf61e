//! Review and waivers through the real server on both databases:
//! separation of duties, several approvals, rejection and revocation,
//! freshness and waiver expiry with the test clock, and the sweep that
//! re-scores services when their figures change by themselves.

mod support;

use std::time::Duration;

use app::backend::{figures, Backend};
use serde_json::{json, Value};
use support::readiness::*;
use support::{invalid_field, TestServer};

both_backends!(
    reviews_keep_separation_of_duties_and_count_distinct_reviewers,
    approvals_go_stale_and_the_sweep_rescores,
    not_applicable_counts_once_an_auditor_accepts_it,
    waivers_pass_the_gate_until_they_expire,
);

/// One critical bronze item that needs two approvals and goes stale five
/// days after the second; one low gold item that needs nothing.
const TWO_EYES: &str = r#"
[template]
id = "two-eyes"
name = "Two eyes"
version = 1

[[sections]]
id = "r"
name = "Reviewed"

[[items]]
id = "r.two"
title = "Needs two reviewers"
severity = "critical"
level = "bronze"
evidence = "none"
approvals = 2
valid_days = 5

[[items]]
id = "r.easy"
title = "Easy"
severity = "low"
level = "gold"
evidence = "none"
"#;

const DAY: Duration = Duration::from_secs(24 * 3600);

/// Sessions that outlast the days the tests move the clock by (a week idle).
const LONG_SESSIONS: &[(&str, &str)] =
    &[("PREFLIGHT_SESSION_IDLE_MINUTES", "10080"), ("PREFLIGHT_SESSION_LIFETIME_HOURS", "2160")];

async fn queue(server: &TestServer, client: &reqwest::Client, query: &str) -> Vec<Value> {
    let response = server.post_with(client, "/api/reviews", &[("query", query)]).await;
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["entries"].as_array().unwrap().clone()
}

async fn second_auditor(server: &TestServer) -> reqwest::Client {
    server.seed_user("auditor2@example.com", "auditor", PASSWORD).await;
    server.client_signed_in_as("auditor2@example.com", PASSWORD).await
}

async fn reviews_keep_separation_of_duties_and_count_distinct_reviewers(backend: Backend) {
    let (server, _db) = TestServer::for_backend_with(backend, LONG_SESSIONS).await;
    let server = &server;
    let org = org(server).await;
    let auditor2 = second_auditor(server).await;
    let template = create_template(server, TWO_EYES).await;
    service_with(server, "pay", template).await;
    let item = item_by_key(server, "pay", "r.two").await;

    // Nothing to review until it is done.
    assert!(queue(server, &org.auditor, "").await.is_empty());
    assert_eq!(review(server, &org.auditor, item, "approve", "").await.status(), 422);
    // The admin ticks it: it enters the queue, marked as the admin's own work.
    assert_eq!(set_status(server, &server.client, item, "done", "").await.status(), 200);
    let waiting = queue(server, &org.auditor, "").await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0]["own_work"], false);
    assert_eq!(queue(server, &server.client, "").await[0]["own_work"], true);
    assert_eq!(queue(server, &org.auditor, "severity=low").await.len(), 0);
    assert_eq!(queue(server, &org.auditor, "team=2").await.len(), 0);
    assert_eq!(queue(server, &org.auditor, "age=1").await.len(), 0, "waiting less than a day");
    server.clock.advance(DAY);
    assert_eq!(queue(server, &org.auditor, "age=1").await.len(), 1);

    // Only reviewers decide; whoever ticked it never approves it.
    for client in [&org.viewer, &org.member, &org.lead] {
        assert_eq!(review(server, client, item, "approve", "").await.status(), 403);
        assert_eq!(server.post_with(client, "/api/reviews", &[("query", "")]).await.status(), 403);
    }
    let own = review(server, &server.client, item, "approve", "").await;
    assert_eq!(own.status(), 422);
    assert_eq!(invalid_field(&own.json().await.unwrap()), "decision");
    let as_admin = item_json(server, &server.client, item).await;
    assert_eq!((as_admin["can_review"].clone(), as_admin["own_work"].clone()), (json!(true), json!(true)));

    // Two approvals from two different reviewers.
    assert_eq!(review(server, &org.auditor, item, "approve", "Looks right.").await.status(), 200);
    let again = review(server, &org.auditor, item, "approve", "").await;
    assert_eq!(again.status(), 422, "the same reviewer twice is still one approval");
    assert_eq!(stored(server, "pay").await.1, 0, "one approval of two: not ready");
    assert_eq!(item_json(server, &org.viewer, item).await["standing"], json!({"Unmet": {"AwaitingApprovals": 1}}));
    assert_eq!(review(server, &auditor2, item, "approve", "").await.status(), 200);
    assert_eq!(
        stored(server, "pay").await,
        (Some(88), 1, 0, 2, 1, Some("silver".into())),
        "8 of 9; gold item not done"
    );
    assert!(queue(server, &org.auditor, "").await.is_empty(), "complete items leave the queue");
    assert_eq!(review(server, &auditor2, item, "approve", "").await.status(), 422, "nothing left to approve");

    // Revoking needs a reason and sends the item back to review.
    let bare = review(server, &org.auditor, item, "revoke", " ").await;
    assert_eq!(invalid_field(&bare.json().await.unwrap()), "comment");
    assert_eq!(review(server, &org.auditor, item, "revoke", "The test run was on staging.").await.status(), 200);
    assert_eq!(stored(server, "pay").await.1, 0);
    assert_eq!(queue(server, &org.auditor, "").await.len(), 1);

    // A rejection returns it to the team, in progress, with the comment.
    assert_eq!(review(server, &auditor2, item, "reject", "").await.status(), 422);
    assert_eq!(review(server, &auditor2, item, "reject", "Run it on production.").await.status(), 200);
    let read = item_json(server, &org.member, item).await;
    assert_eq!(read["status"], "in-progress");
    assert_eq!(read["standing"], json!({"Unmet": {"Rejected": "Run it on production."}}));
    let decisions: Vec<&str> =
        read["reviews"].as_array().unwrap().iter().map(|r| r["decision"].as_str().unwrap()).collect();
    assert_eq!(decisions, ["approve", "approve", "revoke", "reject"]);
    assert!(read["reviews"][0]["superseded"].as_bool().unwrap());

    // A decision made on an old version is refused.
    let stale = server
        .post_with(
            &org.auditor,
            "/api/items/review",
            &[("item_id", &item.to_string()), ("version", "1"), ("decision", "reject"), ("comment", "x")],
        )
        .await;
    assert_eq!(stale.status(), 409);
    let (_, disagreements) = figures::check(&server.db, server.clock.now_millis()).await.unwrap();
    assert_eq!(disagreements, vec![]);
}

async fn approvals_go_stale_and_the_sweep_rescores(backend: Backend) {
    let (server, _db) = TestServer::for_backend_with(backend, LONG_SESSIONS).await;
    let server = &server;
    let org = org(server).await;
    let auditor2 = second_auditor(server).await;
    let template = create_template(server, TWO_EYES).await;
    service_with(server, "pay", template).await;
    let item = item_by_key(server, "pay", "r.two").await;
    assert_eq!(set_status(server, &org.member, item, "done", "").await.status(), 200);
    assert_eq!(review(server, &org.auditor, item, "approve", "").await.status(), 200);
    assert_eq!(review(server, &auditor2, item, "approve", "").await.status(), 200);
    assert_eq!(stored(server, "pay").await.1, 1, "ready");
    // Due within 14 days: the team sees it coming.
    let page: Value =
        server.post_with(&org.member, "/api/services/one", &[("slug", "pay")]).await.json().await.unwrap();
    assert_eq!(page["due_soon"][0]["id"], item);

    server.clock.advance(DAY * 5 + Duration::from_secs(60));
    // The pages already say so; the stored figures wait for the sweep.
    assert!(item_json(server, &org.viewer, item).await["standing"]["Unmet"]["Stale"].is_object());
    let (_, before) = figures::check(&server.db, server.clock.now_millis()).await.unwrap();
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(figures::sweep(&server.db, &server.clock).await.unwrap(), 1);
    assert_eq!(stored(server, "pay").await.1, 0, "not ready once stale");
    let (_, after) = figures::check(&server.db, server.clock.now_millis()).await.unwrap();
    assert_eq!(after, vec![]);
    assert_eq!(figures::sweep(&server.db, &server.clock).await.unwrap(), 0, "nothing else is due");
}

async fn not_applicable_counts_once_an_auditor_accepts_it(backend: Backend) {
    let (server, _db) = TestServer::for_backend_with(backend, LONG_SESSIONS).await;
    let server = &server;
    let org = org(server).await;
    let template = create_template(server, TWO_EYES).await;
    service_with(server, "pay", template).await;
    let item = item_by_key(server, "pay", "r.two").await;
    let easy = item_by_key(server, "pay", "r.easy").await;
    assert_eq!(set_status(server, &org.member, easy, "done", "").await.status(), 200);
    assert_eq!(set_status(server, &org.member, item, "not-applicable", "We hold no such data.").await.status(), 200);
    assert_eq!(queue(server, &org.auditor, "").await[0]["not_applicable"], true);
    assert_eq!(stored(server, "pay").await.1, 0, "an unaccepted claim still blocks");
    assert_eq!(review(server, &org.auditor, item, "approve", "").await.status(), 422, "not something to approve");
    assert_eq!(review(server, &org.auditor, item, "accept-na", "").await.status(), 200);
    // Only the gold item counts now, and it is done.
    assert_eq!(stored(server, "pay").await, (Some(100), 1, 0, 1, 1, Some("gold".into())));
    // Changing the status again needs a new acceptance.
    assert_eq!(set_status(server, &org.member, item, "not-applicable", "We hold none at all.").await.status(), 200);
    assert_eq!(stored(server, "pay").await.1, 0);
    assert_eq!(review(server, &org.auditor, item, "decline-na", "You do hold card data.").await.status(), 200);
    let read = item_json(server, &org.member, item).await;
    assert_eq!(read["status"], "in-progress");
    assert!(read["na_justification"].is_null());
}

/// The moment a YYYY-MM-DD date `days` from the server's now.
fn day_from_now(server: &TestServer, days: i64) -> String {
    let at = chrono::DateTime::from_timestamp_millis(server.clock.now_millis() + days * 86_400_000).unwrap();
    at.format("%Y-%m-%d").to_string()
}

async fn ask(server: &TestServer, client: &reqwest::Client, item: i64, reason: &str, until: &str) -> reqwest::Response {
    server
        .post_with(
            client,
            "/api/items/waivers/request",
            &[
                ("item_id", &item.to_string()),
                ("reason", reason),
                ("compensating_control", "Manual check daily."),
                ("expires_on", until),
            ],
        )
        .await
}

async fn decide(
    server: &TestServer,
    client: &reqwest::Client,
    waiver: i64,
    grant: bool,
    comment: &str,
) -> reqwest::Response {
    server
        .post_with(
            client,
            "/api/items/waivers/decide",
            &[("waiver_id", &waiver.to_string()), ("grant", &grant.to_string()), ("comment", comment)],
        )
        .await
}

async fn waivers_pass_the_gate_until_they_expire(backend: Backend) {
    let (server, _db) = TestServer::for_backend_with(backend, LONG_SESSIONS).await;
    let server = &server;
    let org = org(server).await;
    let template = create_template(server, TWO_EYES).await;
    service_with(server, "pay", template).await;
    let item = item_by_key(server, "pay", "r.two").await;
    let easy = item_by_key(server, "pay", "r.easy").await;
    assert_eq!(set_status(server, &org.member, easy, "done", "").await.status(), 200);

    // Leads ask, with a reason and an expiry at most 180 days ahead.
    let in_3 = day_from_now(server, 3);
    assert_eq!(ask(server, &org.member, item, "Vendor late.", &in_3).await.status(), 403);
    assert_eq!(ask(server, &org.viewer, item, "Vendor late.", &in_3).await.status(), 403);
    for (reason, until, field) in [
        ("", in_3.as_str(), "reason"),
        ("Vendor late.", &day_from_now(server, -1), "expires_on"),
        ("Vendor late.", &day_from_now(server, 200), "expires_on"),
        ("Vendor late.", "soon", "expires_on"),
    ] {
        let refused = ask(server, &org.lead, item, reason, until).await;
        assert_eq!(refused.status(), 422, "{field} {until}");
        assert_eq!(invalid_field(&refused.json().await.unwrap()), field);
    }
    assert_eq!(ask(server, &org.lead, easy, "Not needed.", &in_3).await.status(), 422, "only blocking items");
    assert_eq!(ask(server, &org.lead, item, "Vendor late.", &in_3).await.status(), 200);
    assert_eq!(ask(server, &org.lead, item, "Again.", &in_3).await.status(), 422, "one open request at a time");
    let waiver: i64 = sqlx::query_scalar("SELECT id FROM waivers").fetch_one(server.db.pool()).await.unwrap();

    // An auditor decides; the lead cannot.
    assert_eq!(decide(server, &org.lead, waiver, true, "").await.status(), 403);
    assert_eq!(decide(server, &org.auditor, waiver, true, "Fine for three days.").await.status(), 200);
    assert_eq!(decide(server, &org.auditor, waiver, false, "Changed my mind.").await.status(), 422, "decided once");
    let page: Value =
        server.post_with(&org.viewer, "/api/services/one", &[("slug", "pay")]).await.json().await.unwrap();
    assert_eq!(page["summary"]["figures"]["ready"], true);
    assert_eq!(page["summary"]["figures"]["waivers"], 1);
    assert_eq!(page["summary"]["figures"]["score"], 100);
    assert_eq!(page["summary"]["figures"]["score_without_waivers"], 11, "1 of 9 without the waiver");
    assert_eq!(page["waived"][0]["id"], item);

    // When it expires the item blocks again by itself.
    server.clock.advance(DAY * 4 + Duration::from_secs(60));
    assert_eq!(figures::sweep(&server.db, &server.clock).await.unwrap(), 1);
    assert_eq!(stored(server, "pay").await.1, 0);
    assert!(item_json(server, &org.viewer, item).await["standing"]["Unmet"]["WaiverExpired"].is_object());

    // The requester never decides their own request, even as an admin.
    let in_10 = day_from_now(server, 10);
    assert_eq!(ask(server, &server.client, item, "Still late.", &in_10).await.status(), 200);
    let second: i64 = sqlx::query_scalar("SELECT MAX(id) FROM waivers").fetch_one(server.db.pool()).await.unwrap();
    let own = decide(server, &server.client, second, true, "").await;
    assert_eq!(own.status(), 422);
    assert_eq!(invalid_field(&own.json().await.unwrap()), "waiver");
    assert_eq!(invalid_field(&decide(server, &org.auditor, second, false, "").await.json().await.unwrap()), "comment");
    assert_eq!(decide(server, &org.auditor, second, false, "Fix it instead.").await.status(), 200);
    let (_, disagreements) = figures::check(&server.db, server.clock.now_millis()).await.unwrap();
    assert_eq!(disagreements, vec![]);
}
