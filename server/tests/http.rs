//! The real router on a loopback port, against SQLite and PostgreSQL.

mod support;

use std::time::Duration;

use app::backend::{migrations, Backend, Db, DbOptions};
use support::{proxy::Proxy, settings_for, TestDb, TestServer};

both_backends!(
    healthz_answers_ok,
    readyz_follows_the_database,
    metrics_are_prometheus_text,
    pages_carry_security_headers_and_a_nonce,
    unknown_paths_get_the_friendly_404,
    responses_are_compressed,
    status_server_function_reports_the_database,
);
watched!(
    hsts_is_sent_only_for_https_deployments,
    a_request_that_never_finishes_gets_503_within_the_limit,
    a_panicking_handler_gets_the_generic_error_page
);

async fn healthz_answers_ok(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let response = server.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("x-request-id").is_some_and(|v| v.len() == 32));
    assert_eq!(response.text().await.unwrap(), "ok\n");
    // A load balancer's request id is kept, so both logs name the same request.
    let response =
        support::browser().get(server.url("/healthz")).header("x-request-id", "lb-7f3a-0001").send().await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "lb-7f3a-0001");
}

async fn readyz_follows_the_database(backend: Backend) {
    match backend {
        Backend::Sqlite => {
            let (server, _db) = TestServer::for_backend(backend).await;
            assert_eq!(server.get("/readyz").await.status(), 200);
            // The pool is the only way in to SQLite: closing it is the
            // database going away.
            server.db.close().await;
            let response = server.get("/readyz").await;
            assert_eq!(response.status(), 503);
            assert_eq!(response.text().await.unwrap(), "database unavailable\n");
            assert_eq!(server.get("/healthz").await.status(), 200, "liveness does not depend on the database");
        }
        Backend::Postgres => {
            // Route the server's connections through a proxy we can cut.
            let test_db = TestDb::new(backend).await;
            test_db.migrated().await.close().await;
            let mut url = url::Url::parse(&test_db.url).unwrap();
            let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap()).parse().unwrap();
            let proxy = Proxy::start(target).await;
            url.set_port(Some(proxy.addr.port())).unwrap();
            let mut options = DbOptions::new(url.as_str());
            options.acquire_timeout = Duration::from_secs(1);
            let db = Db::connect(&options).await.unwrap();
            let server = TestServer::start(db, &settings_for(url.as_str(), test_db.data_dir())).await;

            assert_eq!(server.get("/readyz").await.status(), 200);
            proxy.cut();
            let started = std::time::Instant::now();
            let response = server.get("/readyz").await;
            assert_eq!(response.status(), 503);
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "readiness must answer promptly when the database is gone"
            );
            assert_eq!(server.get("/healthz").await.status(), 200);

            proxy.restore();
            let mut recovered = false;
            for _ in 0..20 {
                if server.get("/readyz").await.status() == 200 {
                    recovered = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(recovered, "readiness recovers when the database comes back");
        }
    }
}

async fn metrics_are_prometheus_text(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    server.get("/healthz").await;
    server.get("/healthz").await;
    server.get("/no/such/page").await;
    let response = server.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
    let body = response.text().await.unwrap();

    assert!(body.contains("preflight_http_requests_total{route=\"/healthz\",status=\"2xx\"} 2"), "{body}");
    assert!(body.contains("preflight_http_requests_total{route=\"unmatched\",status=\"4xx\"} 1"), "{body}");
    assert!(body.contains("# TYPE preflight_http_request_duration_seconds histogram"), "{body}");
    assert!(
        body.contains("preflight_http_request_duration_seconds_bucket{le=\"0.005\",route=\"/healthz\",status=\"2xx\"}")
            || body.contains(
                "preflight_http_request_duration_seconds_bucket{route=\"/healthz\",status=\"2xx\",le=\"0.005\"}"
            ),
        "{body}"
    );
    assert!(body.contains("preflight_db_pool_connections{state=\"idle\"}"), "{body}");
    assert!(body.contains("preflight_db_pool_max_connections 8"), "{body}");
    assert!(body.contains(&format!("preflight_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"))), "{body}");
    assert!(body.trim_end().ends_with("# EOF"), "{body}");
}

async fn pages_carry_security_headers_and_a_nonce(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    for path in ["/", "/healthz", "/no/such/page"] {
        let response = server.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "strict-origin-when-cross-origin", "{path}");
        assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"), "{path}");
        assert!(headers.get("strict-transport-security").is_none(), "no HSTS over plain HTTP ({path})");
    }

    // Before anyone has an account, /setup is the page everyone gets.
    let first = server.get("/setup").await;
    assert_eq!(first.status(), 200);
    let csp = first.headers()["content-security-policy"].to_str().unwrap().to_string();
    let html = first.text().await.unwrap();
    let nonce = csp
        .split_whitespace()
        .find_map(|token| token.strip_prefix("'nonce-").and_then(|t| t.strip_suffix('\'')))
        .expect("page CSP carries a nonce");
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the hydration script carries the CSP nonce");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");

    let second = server.get("/setup").await;
    let second_csp = second.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert_ne!(csp, second_csp, "every page gets a fresh nonce");
}

async fn unknown_paths_get_the_friendly_404(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let response = server.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    let html = response.text().await.unwrap();
    assert!(html.contains("We couldn&#x27;t find that page") || html.contains("We couldn't find that page"), "{html}");
    assert!(html.contains("Back to the overview"));
    for internal in ["panicked", "RUST_BACKTRACE", "sqlx", "src/"] {
        assert!(!html.contains(internal), "404 page leaks {internal}");
    }
    // A page whose subject does not exist says so with the status too.
    for missing in ["/teams/999", "/teams/not-a-number", "/admin/users/999"] {
        let response = server.get(missing).await;
        assert_eq!(response.status(), 404, "{missing}");
        let html = response.text().await.unwrap();
        assert!(html.contains("find that page"), "{missing}: {html}");
    }
}

async fn responses_are_compressed(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let response = server.client.get(server.url("/setup")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
}

async fn status_server_function_reports_the_database(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let response = server.post_json("/api/system/status", &[]).await;
    assert_eq!(response.status(), 200);
    let status: serde_json::Value = response.json().await.unwrap();
    assert_eq!(status["database"], backend.name());
    assert_eq!(status["database_reachable"], true);
    let known = migrations::embedded(backend).iter().map(|m| m.version).max();
    assert_eq!(status["schema_version"].as_i64(), known);
}

async fn hsts_is_sent_only_for_https_deployments() {
    let test_db = TestDb::new(Backend::Sqlite).await;
    let db = test_db.migrated().await;
    let url = test_db.url.clone();
    let dir = test_db.data_dir().to_string_lossy().to_string();
    let settings = server::settings::Settings::from_sources(None, move |name| match name {
        "PREFLIGHT_DATABASE_URL" => Some(url.clone()),
        "PREFLIGHT_DATA_DIR" => Some(dir.clone()),
        "PREFLIGHT_PUBLIC_URL" => Some("https://preflight.example.com".into()),
        _ => None,
    })
    .unwrap();
    let server = TestServer::start(db, &settings).await;
    let response = server.get("/healthz").await;
    assert_eq!(response.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
}

async fn a_request_that_never_finishes_gets_503_within_the_limit() {
    use axum::routing::get;
    use std::time::Instant;

    let limit = Duration::from_millis(300);
    let app = axum::Router::new()
        .route("/stuck", get(std::future::pending::<&'static str>))
        .layer(axum::middleware::from_fn_with_state(limit, server::deadline::limit));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let started = Instant::now();
    let response = support::browser().get(format!("http://{addr}/stuck")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert!(started.elapsed() >= limit);
    let html = response.text().await.unwrap();
    assert!(html.contains("Something went wrong on our side"), "{html}");
}

async fn a_panicking_handler_gets_the_generic_error_page() {
    use axum::routing::get;
    use server::metrics::Metrics;
    use std::sync::Arc;

    let metrics = Arc::new(Metrics::new(1));
    let app = server::router::with_middleware(
        axum::Router::new().route("/boom", get(|| async { panic!("secret internal detail") as &'static str })),
        metrics.clone(),
        false,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let response = support::browser().get(format!("http://{addr}/boom")).send().await.unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(response.headers().get("x-request-id").is_some());
    let html = response.text().await.unwrap();
    assert!(html.contains("Something went wrong on our side"));
    assert!(!html.contains("secret internal detail"), "the cause stays in the log");
}

/// First renders on fresh servers of a page whose `Suspense` waits on a
/// resource that does database I/O, with servers started from two runtimes
/// at once as the test harness does: none may stall. Before the route list
/// was generated once per process (see `router::routes`), 4 of 2,400 such
/// renders stalled (each stall is a 503 after the 3 s render limit here).
#[test]
fn suspense_pages_never_stall_on_fresh_servers() {
    let servers: usize = std::env::var("STALL_SERVERS").ok().and_then(|n| n.parse().ok()).unwrap_or(300);
    let threads: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(move || {
                let runtime =
                    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
                runtime.block_on(fresh_server_renders(servers))
            })
        })
        .collect();
    let stalled: Vec<String> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    assert!(stalled.is_empty(), "renders that stalled: {stalled:?}");
}

async fn fresh_server_renders(servers: usize) -> Vec<String> {
    let mut stalled = Vec::new();
    for round in 0..servers {
        let (server, _db) =
            TestServer::for_backend_with(Backend::Sqlite, &[("PREFLIGHT_RENDER_TIMEOUT_SECONDS", "3")]).await;
        let pages: Vec<_> = (0..4).map(|_| tokio::spawn(server.client.get(server.url("/setup")).send())).collect();
        for page in pages {
            let status = page.await.unwrap().unwrap().status();
            if status != 200 {
                stalled.push(format!("server {round}: {status}"));
            }
        }
    }
    stalled
}
