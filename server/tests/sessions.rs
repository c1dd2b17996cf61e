//! Sessions that end stay ended, and requests that cannot be anyone's
//! session write nothing, on both databases.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::backend::Backend;
use support::{cookieless_browser, session_token, TestServer, ADMIN_EMAIL, ADMIN_PASSWORD};

both_backends!(
    an_ended_session_stays_ended_while_its_browser_keeps_asking,
    signing_out_everywhere_ends_requests_in_flight_too,
    unknown_and_forged_cookies_write_nothing,
    signed_in_requests_write_at_most_once_a_minute,
);

async fn session_rows(server: &TestServer) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(server.db.pool()).await.unwrap()
}

/// Signs in with a client that keeps no cookies; returns it and the token.
async fn sign_in(server: &TestServer, email: &str, password: &str) -> (reqwest::Client, String) {
    let client = cookieless_browser();
    let response = server.sign_in_with(&client, email, password).await;
    (client, session_token(&response).expect("a session cookie"))
}

/// Whether `token` is signed in, asked the way the header asks.
async fn signed_in(server: &TestServer, client: &reqwest::Client, token: &str) -> bool {
    let me: serde_json::Value = client
        .post(server.url("/api/auth/me"))
        .header("origin", &server.base)
        .header("accept", "application/json")
        .header("cookie", format!("preflight_session={token}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    !me.is_null()
}

/// One browser keeps loading pages (several requests in flight at once)
/// while its owner ends that session from another device. Once the end has
/// been answered, no request with the old cookie is signed in, and the row
/// never comes back.
async fn an_ended_session_stays_ended_while_its_browser_keeps_asking(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let (laptop, token) = sign_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let ended = Arc::new(AtomicBool::new(false));
    let busy = {
        let (client, token, base, ended) = (laptop.clone(), token.clone(), server.base.clone(), ended.clone());
        tokio::spawn(async move {
            // Pages load three at a time until the end has been answered;
            // then one more round, all of it sent after the end.
            for _ in 0..1000 {
                let after_end = ended.load(Ordering::SeqCst);
                let statuses = three_pages(&client, &base, &token).await;
                if after_end {
                    return statuses;
                }
            }
            panic!("the session was never ended");
        })
    };

    // The phone lists the sessions and ends the laptop's.
    let list: Vec<serde_json::Value> = server.post_json("/api/account/sessions", &[]).await.json().await.unwrap();
    let laptop_session =
        list.iter().find(|s| s["current"] == false).expect("the laptop's session")["id"].as_str().unwrap().to_string();
    let end = server.post_json("/api/account/sessions/end", &[("id", &laptop_session)]).await;
    assert_eq!(end.status(), 200);
    ended.store(true, Ordering::SeqCst);

    // 303: sent to sign in.
    assert_eq!(busy.await.unwrap(), [303, 303, 303], "requests sent after the end were still signed in");
    assert!(!signed_in(&server, &laptop, &token).await);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE id_hash = $1")
        .bind(&laptop_session)
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0, "no request wrote the ended session back");
}

/// Three page loads at once with `token`; their statuses.
async fn three_pages(client: &reqwest::Client, base: &str, token: &str) -> Vec<u16> {
    let get = |path: &'static str| {
        client.get(format!("{base}{path}")).header("cookie", format!("preflight_session={token}")).send()
    };
    let (a, b, c) = tokio::join!(get("/"), get("/account"), get("/teams"));
    [a, b, c].into_iter().map(|r| r.unwrap().status().as_u16()).collect()
}

/// "Sign out everywhere" (an admin for someone, or a password change)
/// ends every session at once by the user's "valid from" stamp: even a
/// session row that is somehow still there is no longer signed in.
async fn signing_out_everywhere_ends_requests_in_flight_too(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let grace = server.seed_user("grace@example.com", "member", "grace's long passphrase").await;
    let (client, token) = sign_in(&server, "grace@example.com", "grace's long passphrase").await;
    assert!(signed_in(&server, &client, &token).await);
    let row: (String, String, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT id_hash, device, privileges_at, created_at, expires_at, ends_at FROM sessions WHERE user_id = $1",
    )
    .bind(grace)
    .fetch_one(server.db.pool())
    .await
    .unwrap();

    let ended = server.post_json("/api/admin/users/end-sessions", &[("user_id", &grace.to_string())]).await;
    assert_eq!(ended.status(), 200);
    assert!(!signed_in(&server, &client, &token).await);

    // A row written back by a request that was in flight (what an upsert
    // used to do) still signs nobody in: it started before the stamp.
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, device, client_ip, privileges_at, created_at, last_seen_at,
                               expires_at, ends_at)
         VALUES ($1, $2, $3, '127.0.0.1', $4, $5, $5, $6, $7)",
    )
    .bind(&row.0)
    .bind(grace)
    .bind(&row.1)
    .bind(row.2)
    .bind(row.3 - 1)
    .bind(row.4)
    .bind(row.5)
    .execute(server.db.pool())
    .await
    .unwrap();
    assert!(!signed_in(&server, &client, &token).await, "the stamp ends sessions whatever rows remain");
    let (_, fresh) = sign_in(&server, "grace@example.com", "grace's long passphrase").await;
    assert!(signed_in(&server, &client, &fresh).await, "signing in again works");
}

/// Random well-formed cookies, malformed ones and no cookie at all, on
/// every kind of route: nothing is written, and pages tell the browser to
/// drop a cookie that names no session.
async fn unknown_and_forged_cookies_write_nothing(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    sqlx::query("DELETE FROM sessions").execute(server.db.pool()).await.unwrap();
    let noise = cookieless_browser();
    let forged = ["0".repeat(64), "f".repeat(64), "not even hex".to_string(), "x".repeat(4000)];
    for i in 0..20 {
        let cookie = format!("preflight_session={}", app::backend::secrets::random_token());
        let health = noise.get(server.url("/healthz")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(health.status(), 200);
        assert!(support::session_set_cookie(&health).is_none(), "health never speaks of sessions");
        let forged_cookie = format!("preflight_session={}", forged[i % forged.len()]);
        for path in ["/", "/login", "/readyz", "/metrics", "/favicon.svg", "/pkg/preflight.css", "/no/such/page"] {
            let response = noise
                .get(server.url(path))
                .header("cookie", &forged_cookie)
                .send()
                .await
                .unwrap_or_else(|e| panic!("GET {path}: {e}"));
            assert!(response.status().as_u16() < 500, "{path}: {}", response.status());
        }
        let api = noise
            .post(server.url("/api/auth/me"))
            .header("origin", &server.base)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 200);
        let cleared = support::session_set_cookie(&api).expect("the dead cookie is cleared");
        assert!(cleared.starts_with("preflight_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
    }
    assert_eq!(session_rows(&server).await, 0, "noise created session rows");
}

/// A signed-in browser costs one session write a minute at most, and its
/// idle expiry stays right to the minute.
async fn signed_in_requests_write_at_most_once_a_minute(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let (client, token) = sign_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let last_seen = || async {
        sqlx::query_scalar::<_, i64>("SELECT last_seen_at FROM sessions WHERE id_hash = $1")
            .bind(app::backend::secrets::sha256_hex(&token))
            .fetch_one(server.db.pool())
            .await
            .unwrap()
    };
    let page =
        |path: &'static str| client.get(server.url(path)).header("cookie", format!("preflight_session={token}")).send();
    let first = last_seen().await;
    for _ in 0..5 {
        let response = page("/").await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(support::session_set_cookie(&response).is_none(), "nothing to tell the browser");
    }
    assert_eq!(last_seen().await, first, "requests within a minute write nothing");

    server.clock.advance(Duration::from_secs(61));
    assert_eq!(page("/account").await.unwrap().status(), 200);
    let touched = last_seen().await;
    assert!(touched >= first + 61_000, "a minute later the session is touched");

    // Idle expiry (30 minutes) counts from the last touch, give or take the
    // minute between touches: 29 minutes on is still signed in...
    server.clock.advance(Duration::from_secs(29 * 60));
    assert_eq!(page("/").await.unwrap().status(), 200);
    // ...and 31 idle minutes after that request it is over.
    server.clock.advance(Duration::from_secs(31 * 60));
    assert_eq!(page("/").await.unwrap().status(), 303);
}
