//! First-run setup, sign-in, sessions and CSRF on both databases, through
//! the real router with a cookie-keeping client.

mod support;

use std::time::Duration;

use app::backend::Backend;
use support::{audit_actions, location, session_set_cookie, TestServer, ADMIN_EMAIL, ADMIN_PASSWORD};

both_backends!(
    first_run_leads_to_setup_which_disappears_afterwards,
    concurrent_setups_create_exactly_one_admin,
    setup_reports_bad_fields_and_stores_nothing,
    login_failures_look_the_same_and_login_rotates_the_session,
    logout_ends_the_session_on_the_server,
    idle_sessions_expire,
    sessions_end_after_their_lifetime_however_active,
    cross_site_posts_are_refused,
    five_failures_lock_an_email_until_the_window_passes,
    each_client_address_has_an_attempt_budget,
    users_see_and_end_their_own_sessions_only,
    changing_the_password_ends_every_other_session,
);
watched!(housekeeping_removes_expired_sessions_and_stale_throttling);

/// One sign-in attempt as the JSON client the UI uses: (status, Retry-After, body).
async fn try_login(server: &TestServer, email: &str, password: &str) -> (u16, Option<u64>, String) {
    let response = server.post_json("/api/auth/login", &[("email", email), ("password", password)]).await;
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    (response.status().as_u16(), retry_after, response.text().await.unwrap())
}

async fn user_count(server: &TestServer) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(server.db.pool()).await.unwrap()
}

async fn first_run_leads_to_setup_which_disappears_afterwards(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    for path in ["/", "/status", "/login"] {
        let response = server.get(path).await;
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(location(&response), "/setup");
    }
    assert_eq!(server.get("/setup").await.status(), 200);

    server.setup_admin().await;
    assert_eq!(server.get("/").await.status(), 200, "the new admin is signed in");
    assert_eq!(server.get("/setup").await.status(), 404, "setup is gone once an admin exists");
    let again = server
        .post_form(
            "/api/auth/setup",
            &[("name", "Eve"), ("email", "eve@example.com"), ("password", "another long passphrase")],
        )
        .await;
    assert_eq!(again.status(), 404);
    assert_eq!(user_count(&server).await, 1);
    let role: String = sqlx::query_scalar("SELECT role FROM users").fetch_one(server.db.pool()).await.unwrap();
    assert_eq!(role, "admin");
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users").fetch_one(server.db.pool()).await.unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
}

async fn concurrent_setups_create_exactly_one_admin(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let attempts = (0..6).map(|i| {
        let client = support::cookieless_browser();
        let url = server.url("/api/auth/setup");
        let origin = server.base.clone();
        async move {
            let email = format!("admin{i}@example.com");
            let form = [("name", "Racer"), ("email", email.as_str()), ("password", "a long enough passphrase")];
            client
                .post(url)
                .header("origin", origin)
                .header("accept", "text/html")
                .form(&form)
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures_join_all(attempts).await;
    let won = statuses.iter().filter(|s| s.is_redirection()).count();
    assert_eq!(won, 1, "exactly one setup succeeds: {statuses:?}");
    assert!(statuses.iter().all(|s| s.is_redirection() || s.as_u16() == 404), "{statuses:?}");
    assert_eq!(user_count(&server).await, 1);
}

async fn futures_join_all<F: std::future::Future + Send + 'static>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F::Output: Send,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

async fn setup_reports_bad_fields_and_stores_nothing(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let cases: [(&str, [(&str, &str); 3]); 5] = [
        ("name", [("name", " "), ("email", "ada@example.com"), ("password", "a long enough passphrase")]),
        ("email", [("name", "Ada"), ("email", "not-an-email"), ("password", "a long enough passphrase")]),
        ("password", [("name", "Ada"), ("email", "ada@example.com"), ("password", "short")]),
        ("password", [("name", "Ada"), ("email", "ada@example.com"), ("password", &"x".repeat(129))]),
        ("password", [("name", "Ada"), ("email", "ada@example.com"), ("password", "ada@example.com")]),
    ];
    for (field, form) in cases {
        let response = server.post_json("/api/auth/setup", &form).await;
        assert_eq!(response.status(), 422, "{field}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["Invalid"]["field"], field, "{body}");
    }
    assert_eq!(user_count(&server).await, 0);
}

async fn login_failures_look_the_same_and_login_rotates_the_session(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    server.post_form("/api/auth/logout", &[]).await;

    let unknown = try_login(&server, "nobody@example.com", "whatever it is here").await;
    let wrong = try_login(&server, ADMIN_EMAIL, "not the right password").await;
    assert_eq!(unknown.0, 422);
    assert_eq!(unknown, wrong, "unknown email and wrong password answer identically");

    let login = [("email", "  ADA@example.com "), ("password", ADMIN_PASSWORD)];
    let first = server.post_form("/api/auth/login", &login).await;
    assert!(first.status().is_redirection(), "{}", first.status());
    let first_cookie = session_set_cookie(&first).expect("sign-in sets a session cookie");
    assert!(first_cookie.contains("HttpOnly") && first_cookie.contains("SameSite=Lax"), "{first_cookie}");
    assert!(first_cookie.contains("Path=/"), "{first_cookie}");

    // Signing in again issues a new id, and the old one stops working: an id
    // fixed before sign-in is worthless after it.
    let second = server.post_form("/api/auth/login", &login).await;
    let second_cookie = session_set_cookie(&second).expect("a new session cookie");
    let old_pair = first_cookie.split(';').next().unwrap().to_string();
    assert_ne!(old_pair, second_cookie.split(';').next().unwrap());
    let stale = support::cookieless_browser();
    let with_old = stale.get(server.url("/")).header("cookie", &old_pair).send().await.unwrap();
    assert_eq!(with_old.status(), 303, "the pre-rotation id is dead");
    assert_eq!(server.get("/").await.status(), 200);

    let events: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_events WHERE action LIKE 'login.%' ORDER BY id")
            .fetch_all(server.db.pool())
            .await
            .unwrap();
    assert_eq!(events, ["login.failed", "login.failed", "login.succeeded", "login.succeeded"]);
}

async fn logout_ends_the_session_on_the_server(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let sessions = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sessions WHERE user_id IS NOT NULL")
            .fetch_one(server.db.pool())
            .await
            .unwrap()
    };
    assert_eq!(sessions().await, 1);
    let response = server.post_form("/api/auth/logout", &[]).await;
    assert!(response.status().is_redirection());
    assert_eq!(sessions().await, 0, "the session row is gone, not just the cookie");
    let page = server.get("/").await;
    assert_eq!(page.status(), 303);
    assert_eq!(location(&page), "/login");
}

async fn idle_sessions_expire(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    server.clock.advance(Duration::from_secs(29 * 60));
    assert_eq!(server.get("/").await.status(), 200, "29 idle minutes are fine");
    server.clock.advance(Duration::from_secs(31 * 60));
    let page = server.get("/").await;
    assert_eq!(page.status(), 303, "31 idle minutes end the session");
    assert_eq!(location(&page), "/login");
}

async fn sessions_end_after_their_lifetime_however_active(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    // A request every 20 minutes keeps the session from idling out...
    for _ in 0..35 {
        server.clock.advance(Duration::from_secs(20 * 60));
        assert_eq!(server.get("/").await.status(), 200);
    }
    // ...but 12 hours after sign-in it ends anyway.
    server.clock.advance(Duration::from_secs(20 * 60));
    assert_eq!(server.get("/").await.status(), 303);
}

async fn cross_site_posts_are_refused(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let forged = server
        .client
        .post(server.url("/api/auth/logout"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let forged =
        server.client.post(server.url("/api/auth/logout")).header("sec-fetch-site", "cross-site").send().await.unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(server.get("/").await.status(), 200, "still signed in: the forged requests did nothing");
    let genuine = server
        .client
        .post(server.url("/api/auth/logout"))
        .header("origin", &server.base)
        .header("sec-fetch-site", "same-origin")
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(genuine.status().is_redirection(), "{}", genuine.status());
}

async fn five_failures_lock_an_email_until_the_window_passes(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    server.post_form("/api/auth/logout", &[]).await;

    for _ in 0..5 {
        assert_eq!(try_login(&server, ADMIN_EMAIL, "wrong password, again").await.0, 422);
        assert_eq!(try_login(&server, "ghost@example.com", "wrong password, again").await.0, 422);
    }
    // Locked now: even the right password is refused, without a hint why.
    let locked = try_login(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(locked.0, 429);
    let wait = locked.1.expect("Retry-After");
    assert!((850..=900).contains(&wait), "{wait}");
    assert_eq!(locked.2, format!(r#"{{"TooManyRequests":{{"retry_after_secs":{wait}}}}}"#));
    // An email with no account locks exactly the same way (the seconds left
    // may differ by one when the clock ticks in between).
    let ghost = try_login(&server, "ghost@example.com", "wrong password, again").await;
    assert_eq!(ghost.0, 429);
    assert!(ghost.1.is_some_and(|s| s.abs_diff(wait) <= 1), "{ghost:?}");
    assert!(ghost.2.starts_with(r#"{"TooManyRequests":"#), "{ghost:?}");

    server.clock.advance(Duration::from_secs(14 * 60));
    assert_eq!(try_login(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await.0, 429, "still locked after 14 minutes");
    server.clock.advance(Duration::from_secs(2 * 60));
    let (status, _, _) = try_login(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "the lock ends after 15 minutes");

    let events = audit_actions(&server, "login.").await;
    assert_eq!(events.iter().filter(|e| *e == "login.locked").count(), 2, "{events:?}");
    assert_eq!(events.iter().filter(|e| *e == "login.unlocked").count(), 1, "{events:?}");
    assert_eq!(events.last().map(String::as_str), Some("login.succeeded"));
}

async fn each_client_address_has_an_attempt_budget(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    // 20 attempts per 10 minutes from one address, spread over many emails
    // so the per-email lock does not interfere.
    for i in 0..20 {
        let (status, _, _) = try_login(&server, &format!("guess{i}@example.com"), "some long guess").await;
        assert_eq!(status, 422, "attempt {i}");
    }
    let refused = try_login(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(refused.0, 429, "the 21st attempt is refused, whatever the credentials");
    assert!(refused.1.is_some_and(|s| (1..=30).contains(&s)), "{:?}", refused.1);
    // The bucket refills one attempt every 30 seconds.
    server.clock.advance(Duration::from_secs(31));
    assert_eq!(try_login(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await.0, 200);
    assert_eq!(try_login(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await.0, 429, "and only one");
}

async fn housekeeping_removes_expired_sessions_and_stale_throttling() {
    use app::backend::housekeeping;
    let (server, _db) = TestServer::for_backend(Backend::Sqlite).await;
    server.setup_admin().await;
    try_login(&server, "someone@example.com", "a wrong password").await;
    let policy = app::backend::throttle::LoginPolicy::default();

    let nothing = housekeeping::sweep(&server.db, &server.clock, &policy).await.unwrap();
    assert_eq!(nothing, housekeeping::Swept::default(), "nothing is stale yet");

    server.clock.advance(Duration::from_secs(31 * 60));
    let swept = housekeeping::sweep(&server.db, &server.clock, &policy).await.unwrap();
    assert_eq!(swept.sessions, 1);
    assert_eq!(swept.throttle, 2, "the failure count and the address bucket");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(server.db.pool()).await.unwrap();
    assert_eq!(left, 0);
}

async fn users_see_and_end_their_own_sessions_only(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let laptop = server.client_signed_in_as(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let phone = server.client_signed_in_as(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    server.seed_user("viewer@example.com", "viewer", "viewer passphrase ok").await;
    let viewer = server.client_signed_in_as("viewer@example.com", "viewer passphrase ok").await;

    let list = server.post_json("/api/account/sessions", &[]).await;
    assert_eq!(list.status(), 200);
    let sessions: Vec<serde_json::Value> = list.json().await.unwrap();
    assert_eq!(sessions.len(), 3, "the admin's three sessions, not the viewer's: {sessions:?}");
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);

    // Another user cannot end them.
    let victim = sessions.iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_string();
    let theirs = viewer
        .post(server.url("/api/account/sessions/end"))
        .header("origin", &server.base)
        .form(&[("id", victim.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 404);

    // The owner ends all but the current one; the other devices are out.
    let ended = server.post_json("/api/account/sessions/end-others", &[]).await;
    assert_eq!(ended.text().await.unwrap(), "2");
    for other in [&laptop, &phone] {
        let page = other.get(server.url("/")).send().await.unwrap();
        assert_eq!(page.status(), 303, "ended sessions no longer work");
    }
    assert_eq!(server.get("/").await.status(), 200, "the current session goes on");
    assert_eq!(viewer.get(server.url("/")).send().await.unwrap().status(), 200, "other users are untouched");
}

async fn changing_the_password_ends_every_other_session(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let other_device = server.client_signed_in_as(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let new_password = "a completely new passphrase";

    let field_of = |body: serde_json::Value| body["Invalid"]["field"].as_str().unwrap_or_default().to_string();
    let wrong = server
        .post_json("/api/account/password", &[("current_password", "not my password"), ("new_password", new_password)])
        .await;
    assert_eq!(wrong.status(), 422);
    assert_eq!(field_of(wrong.json().await.unwrap()), "current_password");
    let weak = server
        .post_json("/api/account/password", &[("current_password", ADMIN_PASSWORD), ("new_password", "password1234")])
        .await;
    assert_eq!(weak.status(), 422);
    assert_eq!(field_of(weak.json().await.unwrap()), "new_password");
    assert_eq!(other_device.get(server.url("/")).send().await.unwrap().status(), 200, "failures change nothing");

    let changed = server
        .post_json("/api/account/password", &[("current_password", ADMIN_PASSWORD), ("new_password", new_password)])
        .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(server.get("/").await.status(), 200, "this session goes on");
    assert_eq!(other_device.get(server.url("/")).send().await.unwrap().status(), 303, "the other session ended");
    assert_eq!(try_login(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await.0, 422, "the old password is gone");
    assert_eq!(try_login(&server, ADMIN_EMAIL, new_password).await.0, 200);
    assert_eq!(audit_actions(&server, "password.").await, ["password.changed"]);
}
