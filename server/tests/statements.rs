//! What one signed-in page costs the database, counted from sqlx's own
//! statement log (the `sqlx::query` tracing target): the caller is resolved
//! once per request, in one statement, and nothing is written; and with
//! SQLite, a lookup answers the next requests until something changes.
//!
//! A test binary of its own: it installs a process-wide tracing subscriber,
//! and the one test below runs the backends one after the other so the
//! counts do not mix.

mod support;

watched!(a_signed_in_page_resolves_its_caller_once);

use std::sync::Mutex;

use app::backend::Backend;
use support::{TestServer, ADMIN_EMAIL, ADMIN_PASSWORD};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// The statements run since the last clear, on one line each.
static STATEMENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct StatementLog;

/// The statement's text: `db.statement` (empty when the summary is the
/// whole statement), else `summary`.
#[derive(Default)]
struct Statement {
    summary: String,
    full: String,
}

impl Visit for Statement {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => self.summary = value.to_string(),
            "db.statement" => self.full = value.trim().to_string(),
            _ => {}
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

impl<S: tracing::Subscriber> Layer<S> for StatementLog {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            let mut statement = Statement::default();
            event.record(&mut statement);
            let text = if statement.full.is_empty() { statement.summary } else { statement.full };
            STATEMENTS.lock().unwrap().push(text.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
}

fn take_statements() -> Vec<String> {
    std::mem::take(&mut *STATEMENTS.lock().unwrap())
}

fn is_write(summary: &str) -> bool {
    let first = summary.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
    matches!(first.as_str(), "INSERT" | "UPDATE" | "DELETE")
}

async fn a_signed_in_page_resolves_its_caller_once() {
    let filter = tracing_subscriber::filter::Targets::new().with_target("sqlx::query", tracing::Level::DEBUG);
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(StatementLog.with_filter(filter)))
        .expect("the only subscriber in this test binary");

    for backend in [Backend::Sqlite, Backend::Postgres] {
        // What each page costs when nothing is reused.
        let (server, _db) =
            TestServer::for_backend_with(backend, &[("PREFLIGHT_SESSION_CACHE_MILLISECONDS", "0")]).await;
        server.setup_admin().await;
        let client = server.client_signed_in_as(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        // A first visit may touch the session; measure the next ones.
        let first = client.get(server.url("/account")).send().await.unwrap();
        assert_eq!(first.status(), 200);
        first.text().await.unwrap();

        for path in ["/account", "/", "/teams"] {
            take_statements();
            let response = client.get(server.url(path)).send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            response.text().await.unwrap();
            // Opening a new pooled connection runs PRAGMAs on SQLite; not the page's doing.
            let statements: Vec<String> = take_statements().into_iter().filter(|s| !s.starts_with("PRAGMA")).collect();
            eprintln!("{} GET {path}: {} statements: {statements:#?}", backend.name(), statements.len());
            let writes: Vec<&String> = statements.iter().filter(|s| is_write(s)).collect();
            assert!(writes.is_empty(), "{path} wrote: {writes:?}");
            let caller: Vec<&String> = statements
                .iter()
                .filter(|s| s.contains("FROM sessions s") || s.contains("FROM team_members WHERE user_id"))
                .collect();
            assert_eq!(caller.len(), 1, "{path} resolved its caller more than once: {statements:#?}");
        }
        // /account adds only its own data to the caller: second-factor status and mail opt-outs.
        take_statements();
        client.get(server.url("/account")).send().await.unwrap().text().await.unwrap();
        let statements: Vec<String> = take_statements().into_iter().filter(|s| !s.starts_with("PRAGMA")).collect();
        assert_eq!(statements.len(), 3, "{}: /account: {statements:#?}", backend.name());
        drop(server);
        lookups_are_reused_until_something_changes(backend).await;
    }
}

/// The caller statements of one GET of `path`.
async fn caller_statements(server: &TestServer, client: &reqwest::Client, path: &str) -> usize {
    take_statements();
    let response = client.get(server.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap();
    take_statements().iter().filter(|s| s.contains("FROM sessions s")).count()
}

/// With SQLite a session lookup answers the same browser's next requests
/// (a long cache here, so the test does not race the clock), until any
/// state-changing request or the end of its lifetime; PostgreSQL, which
/// may have replicas beside it, asks every time.
async fn lookups_are_reused_until_something_changes(backend: Backend) {
    let (server, _db) =
        TestServer::for_backend_with(backend, &[("PREFLIGHT_SESSION_CACHE_MILLISECONDS", "60000")]).await;
    server.setup_admin().await;
    let client = server.client_signed_in_as(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let reused = match backend {
        Backend::Sqlite => 0,
        Backend::Postgres => 1,
    };
    // Any change (here: ending other sessions, a POST) and the next page looks.
    for _ in 0..2 {
        let ended = server.post_with(&client, "/api/account/sessions/end-others", &[]).await;
        assert_eq!(ended.status(), 200);
        assert_eq!(caller_statements(&server, &client, "/account").await, 1, "after a change");
        assert_eq!(caller_statements(&server, &client, "/").await, reused);
        assert_eq!(caller_statements(&server, &client, "/teams").await, reused);
    }
    // So does the end of a copy's lifetime.
    server.clock.advance(std::time::Duration::from_secs(61));
    assert_eq!(caller_statements(&server, &client, "/").await, 1, "after the copy's lifetime");
}
