//! An organisation to work the readiness workflow in, and short ways to
//! call its server functions.

use app::backend::audit::Actor;
use app::backend::{template_format, templates};
use serde_json::Value;

use super::TestServer;

pub const PASSWORD: &str = "readiness test passphrase";

/// A small template whose scoring is easy to follow: a critical item that
/// needs nothing but "done", a high item that needs a reviewed link, and a
/// gold item only tier-1 services are held to.
pub const MINI: &str = r#"
[template]
id = "mini"
name = "Mini checklist"
version = 1

[[sections]]
id = "a"
name = "Basics"

[[items]]
id = "a.crit"
title = "Critical thing"
severity = "critical"
level = "bronze"
evidence = "none"

[[items]]
id = "a.high"
title = "High thing"
severity = "high"
level = "bronze"
evidence = "link"
approvals = 1
valid_days = 30

[[items]]
id = "a.gold"
title = "Gold thing"
severity = "low"
level = "gold"
evidence = "none"
tiers = [1]
"#;

/// An organisation: the admin (the server's own client), team 1
/// "Payments" with a lead and a member, team 2 "Search" with its lead, a
/// viewer and an auditor.
pub struct Org {
    pub lead: reqwest::Client,
    pub member: reqwest::Client,
    pub other_lead: reqwest::Client,
    pub viewer: reqwest::Client,
    pub auditor: reqwest::Client,
    pub mini: i64,
}

pub async fn org(server: &TestServer) -> Org {
    server.setup_admin().await;
    for name in ["Payments", "Search"] {
        assert_eq!(server.post_json("/api/teams/create", &[("name", name)]).await.status(), 200);
    }
    let mut clients = Vec::new();
    for (email, role, team) in [
        ("lead@example.com", "member", Some(("1", "lead"))),
        ("dev@example.com", "member", Some(("1", "member"))),
        ("other@example.com", "member", Some(("2", "lead"))),
        ("viewer@example.com", "viewer", None),
        ("auditor@example.com", "auditor", None),
    ] {
        let id = server.seed_user(email, role, PASSWORD).await.to_string();
        if let Some((team, team_role)) = team {
            let set = server
                .post_json("/api/teams/members/set", &[("team_id", team), ("user_id", &id), ("role", team_role)])
                .await;
            assert_eq!(set.status(), 200);
        }
        clients.push(server.client_signed_in_as(email, PASSWORD).await);
    }
    let file = template_format::parse(MINI).expect("the mini template");
    let admin = Actor { id: 1, name: "Ada", client: None };
    let mini = templates::create_custom(&server.db, admin, &file, 0).await.expect("create mini");
    let mut clients = clients.into_iter();
    let mut next = || clients.next().unwrap();
    Org { lead: next(), member: next(), other_lead: next(), viewer: next(), auditor: next(), mini }
}

/// A service form with these values and sensible others.
pub fn form<'a>(name: &'a str, slug: &'a str, team: &'a str, tier: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("form[name]", name),
        ("form[slug]", slug),
        ("form[team_id]", team),
        ("form[tier]", tier),
        ("form[environment]", "production"),
        ("form[description]", "Takes payments."),
        ("form[repository_url]", "https://git.example.com/payments"),
        ("form[docs_url]", ""),
        ("form[launch_date]", "2027-03-01"),
    ]
}

pub async fn register(
    server: &TestServer,
    client: &reqwest::Client,
    name: &str,
    slug: &str,
    team: &str,
    tier: &str,
) -> reqwest::Response {
    server.post_with(client, "/api/services/create", &form(name, slug, team, tier)).await
}

pub async fn service_id(server: &TestServer, slug: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM services WHERE slug = $1").bind(slug).fetch_one(server.db.pool()).await.unwrap()
}

pub async fn page(server: &TestServer, client: &reqwest::Client, query: &str) -> Value {
    let response = server.post_with(client, "/api/services", &[("query", query)]).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

pub fn slugs(page: &Value) -> Vec<String> {
    page["services"].as_array().unwrap().iter().map(|s| s["slug"].as_str().unwrap().to_string()).collect()
}

pub async fn first_item(server: &TestServer, slug: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT si.id FROM service_items si JOIN services s ON s.id = si.service_id WHERE s.slug = $1 ORDER BY si.id LIMIT 1",
    )
    .bind(slug)
    .fetch_one(server.db.pool())
    .await
    .unwrap()
}

pub async fn item_by_key(server: &TestServer, slug: &str, key: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT si.id FROM service_items si JOIN services s ON s.id = si.service_id WHERE s.slug = $1 AND si.key = $2",
    )
    .bind(slug)
    .bind(key)
    .fetch_one(server.db.pool())
    .await
    .unwrap()
}

pub async fn item_version(server: &TestServer, item: i64) -> String {
    let version: i64 = sqlx::query_scalar("SELECT version FROM service_items WHERE id = $1")
        .bind(item)
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    version.to_string()
}

/// Sets an item's status as `client`, at the item's current version.
pub async fn set_status(
    server: &TestServer,
    client: &reqwest::Client,
    item: i64,
    status: &str,
    why: &str,
) -> reqwest::Response {
    let version = item_version(server, item).await;
    let item = item.to_string();
    server
        .post_with(
            client,
            "/api/items/status",
            &[("item_id", &item), ("version", &version), ("status", status), ("justification", why)],
        )
        .await
}

/// (score, ready, blocking, items_total, items_satisfied, level) as stored.
pub async fn stored(server: &TestServer, slug: &str) -> (Option<i64>, i64, i64, i64, i64, Option<String>) {
    sqlx::query_as("SELECT score, ready, blocking, items_total, items_satisfied, level FROM services WHERE slug = $1")
        .bind(slug)
        .fetch_one(server.db.pool())
        .await
        .unwrap()
}

/// Creates a custom template from TOML text; returns its id.
pub async fn create_template(server: &TestServer, text: &str) -> i64 {
    let file = template_format::parse(text).expect("a valid template");
    let admin = Actor { id: 1, name: "Ada", client: None };
    templates::create_custom(&server.db, admin, &file, 0).await.expect("create the template")
}

/// Registers `slug` for team 1 (tier 2) as the admin and applies template
/// `template`; returns the service id.
pub async fn service_with(server: &TestServer, slug: &str, template: i64) -> i64 {
    let created = register(server, &server.client, slug, slug, "1", "2").await;
    assert!(created.status().is_success(), "register {slug}: {}", created.status());
    let id = service_id(server, slug).await;
    let applied = server
        .post_json(
            "/api/services/apply-template",
            &[("service_id", &id.to_string()), ("template_id", &template.to_string())],
        )
        .await;
    assert_eq!(applied.status(), 200);
    id
}

/// Records a review decision as `client`, at the item's current version.
pub async fn review(
    server: &TestServer,
    client: &reqwest::Client,
    item: i64,
    decision: &str,
    comment: &str,
) -> reqwest::Response {
    let version = item_version(server, item).await;
    let item = item.to_string();
    server
        .post_with(
            client,
            "/api/items/review",
            &[("item_id", &item), ("version", &version), ("decision", decision), ("comment", comment)],
        )
        .await
}

/// The item as `client` reads it.
pub async fn item_json(server: &TestServer, client: &reqwest::Client, item: i64) -> Value {
    let response = server.post_with(client, "/api/items/one", &[("item_id", &item.to_string())]).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}
