//! Shared test harness: real databases (SQLite in a temporary directory,
//! PostgreSQL from the server `scripts/with-postgres.sh` starts) and the real
//! router served on 127.0.0.1:0.
#![allow(dead_code)]

pub mod proxy;
pub mod readiness;
pub mod smtp;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use app::backend::{migrations, Backend, Db, DbOptions};
use server::metrics::Metrics;
use server::settings::Settings;
use tokio::sync::oneshot;

/// The first administrator the tests create.
pub const ADMIN_EMAIL: &str = "ada@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
pub const ADMIN_FORM: [(&str, &str); 3] =
    [("name", "Ada Lovelace"), ("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)];

pub const POSTGRES_ENV: &str = "PREFLIGHT_TEST_POSTGRES_URL";

/// Runs each named async test function once per backend:
/// `both_backends!(healthz_answers);` makes `sqlite::healthz_answers` and
/// `postgres::healthz_answers`, each calling `healthz_answers(Backend)`
/// through [`run_test`].
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    $crate::support::run_test(
                        concat!("sqlite::", stringify!($name)),
                        super::$name(app::backend::Backend::Sqlite),
                    )
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    $crate::support::run_test(
                        concat!("postgres::", stringify!($name)),
                        super::$name(app::backend::Backend::Postgres),
                    )
                }
            )*
        }
    };
}

/// Runs each named async test function (no arguments) through
/// [`run_test`]: `watched!(hsts_is_sent);` makes `watched::hsts_is_sent`.
#[macro_export]
macro_rules! watched {
    ($($name:ident),* $(,)?) => {
        mod watched {
            $(
                #[test]
                fn $name() {
                    $crate::support::run_test(concat!("watched::", stringify!($name)), super::$name())
                }
            )*
        }
    };
}

/// How long one test may run, its runtime's shutdown included, before it
/// counts as hung: `PREFLIGHT_TEST_LIMIT_SECONDS`, 300 by default (the
/// slowest tests take well under a minute).
pub fn test_limit() -> std::time::Duration {
    let seconds = std::env::var("PREFLIGHT_TEST_LIMIT_SECONDS").ok().and_then(|v| v.parse().ok());
    std::time::Duration::from_secs(seconds.unwrap_or(300))
}

/// Runs one async test on a fresh [`test_runtime`] under a watchdog.
///
/// A request that hangs fails at [`REQUEST_TIMEOUT`], but only while the
/// runtime's timers still run: a worker thread stuck on a lock stops them,
/// and the runtime's shutdown waits for its workers without any limit.
/// Once, that stalled CI until its own limit with nothing to show. So a
/// test still running after [`test_limit`] prints every thread's stack
/// (gdb, when installed) and ends its whole test binary with a failure.
pub fn run_test(name: &'static str, test: impl std::future::Future<Output = ()>) {
    let _watchdog = Watchdog::start(name);
    let runtime = test_runtime();
    runtime.block_on(test);
    // Dropped before the watchdog (also when the test panics): the shutdown
    // is watched too.
    drop(runtime);
}

/// Stops watching when dropped (its channel closes).
struct Watchdog(std::sync::mpsc::Sender<()>);

impl Watchdog {
    fn start(name: &'static str) -> Watchdog {
        let (watching, watched) = std::sync::mpsc::channel::<()>();
        let limit = test_limit();
        std::thread::Builder::new()
            .name(format!("watchdog {name}"))
            .spawn(move || {
                if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = watched.recv_timeout(limit) {
                    report_hang_and_exit(name, limit);
                }
            })
            .expect("start the test watchdog");
        Watchdog(watching)
    }
}

/// Prints the first frames of every thread's stack to stderr and exits the
/// test binary with a failure. Written to the stream itself: libtest
/// captures `eprintln!` in threads a test starts, and drops it on exit.
fn report_hang_and_exit(name: &str, limit: std::time::Duration) -> ! {
    use std::fmt::Write as _;
    let mut report =
        format!("\nHUNG: test {name} still running after {} s; the stacks of this process:\n", limit.as_secs());
    let stacks = std::process::Command::new("gdb")
        .args(["-p", &std::process::id().to_string(), "-batch", "-ex", "thread apply all bt"])
        .stdin(std::process::Stdio::null())
        .output();
    match stacks {
        Ok(output) => {
            let mut frames_of_thread = 0;
            for line in String::from_utf8_lossy(&output.stdout).lines() {
                if line.starts_with("Thread ") {
                    frames_of_thread = 0;
                    let _ = writeln!(report, "{line}");
                } else if line.starts_with('#') {
                    frames_of_thread += 1;
                    if frames_of_thread <= 25 {
                        let _ = writeln!(report, "  {}", line.chars().take(200).collect::<String>());
                    }
                }
            }
        }
        Err(error) => {
            let _ = writeln!(report, "(no stacks: gdb did not run: {error})");
        }
    }
    let _ = writeln!(report, "HUNG: test {name}; ending this test binary");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), report.as_bytes());
    std::process::exit(101);
}

/// The runtime a database test runs on, and the test server with it: two
/// workers with the stacks the `preflight` binary gives its own (8 MiB,
/// see server/src/main.rs). With tokio's default 2 MiB a debug build of
/// the item page's render overflowed now and then.
pub fn test_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(8 * 1024 * 1024)
        .enable_all()
        .build()
        .expect("test runtime")
}

/// A fresh, empty database of the given backend. Dropping it removes the
/// SQLite directory; PostgreSQL databases live in the throw-away cluster.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("preflight.db").display()),
            Backend::Postgres => create_postgres_database().await,
        };
        TestDb { backend, url, dir }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub async fn connect(&self) -> Db {
        Db::connect(&DbOptions::new(&self.url)).await.expect("connect to test database")
    }

    pub async fn migrated(&self) -> Db {
        let db = self.connect().await;
        migrations::migrate(&db).await.expect("migrate test database");
        app::backend::templates::load_built_in(&db, 0).await.expect("load the built-in templates");
        db
    }
}

/// The server URL of the throw-away PostgreSQL cluster.
pub fn postgres_admin_url() -> String {
    std::env::var(POSTGRES_ENV).unwrap_or_else(|_| {
        panic!("{POSTGRES_ENV} is not set: run PostgreSQL tests through `make test` or scripts/with-postgres.sh")
    })
}

/// Creates a uniquely named database and returns its URL.
pub async fn create_postgres_database() -> String {
    let admin = postgres_admin_url();
    let name = format!("preflight_test_{}", uuid::Uuid::new_v4().simple());
    let db = Db::connect(&DbOptions::new(&admin)).await.expect("connect to the test PostgreSQL server");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(db.pool()).await.expect("create test database");
    db.close().await;
    let mut url = url::Url::parse(&admin).expect("admin URL");
    url.set_path(&name);
    url.to_string()
}

/// Settings for a test server: the given database, any free port.
pub fn settings_for(url: &str, data_dir: PathBuf) -> Settings {
    settings_with(url, data_dir, &[])
}

/// Like [`settings_for`], plus `extra` (variable, value) settings.
pub fn settings_with(url: &str, data_dir: PathBuf, extra: &[(&str, &str)]) -> Settings {
    let url = url.to_string();
    let dir = data_dir.to_string_lossy().to_string();
    let extra: Vec<(String, String)> = extra.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Settings::from_sources(None, move |name| match name {
        "PREFLIGHT_DATABASE_URL" => Some(url.clone()),
        "PREFLIGHT_DATA_DIR" => Some(dir.clone()),
        "PREFLIGHT_ADDR" => Some("127.0.0.1:0".into()),
        _ => extra.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).or_else(|| {
            // A stalled render becomes a named 503 well before the client gives up.
            (name == "PREFLIGHT_RENDER_TIMEOUT_SECONDS").then(|| "10".to_string())
        }),
    })
    .expect("test settings")
}

/// The real application on a loopback port, stopped on drop.
pub struct TestServer {
    pub base: String,
    pub addr: SocketAddr,
    pub db: Db,
    /// The server's clock; tests move it forward.
    pub clock: app::backend::clock::Clock,
    /// Keeps cookies, like a browser.
    pub client: reqwest::Client,
    /// The server's background work (mail sent after a response).
    pub background: tokio_util::task::TaskTracker,
    /// The server's evidence file store.
    pub files: Arc<app::backend::file_store::FileStore>,
    /// The whole application state (for tests that start the probe engine).
    pub state: app::backend::AppState,
    stop: Option<oneshot::Sender<()>>,
}

impl TestServer {
    pub async fn start(db: Db, settings: &Settings) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let state = server::serve::app_state(settings, db.clone());
        let clock = state.clock.clone();
        let background = state.background.clone();
        let files = state.files.clone();
        let app_state = state.clone();
        let app = server::router::build(state, Arc::new(Metrics::new(settings.db_max_connections)), settings);
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .expect("test server");
        });
        let client = browser();
        TestServer {
            base: format!("http://{addr}"),
            addr,
            db,
            clock,
            client,
            background,
            files,
            state: app_state,
            stop: Some(stop),
        }
    }

    /// Waits (30 s at most) until the work that requests handed to the
    /// background so far has finished.
    pub async fn background_settled(&self) {
        self.background.close();
        tokio::time::timeout(REQUEST_TIMEOUT, self.background.wait()).await.expect("background work finished");
        self.background.reopen();
    }

    /// A migrated database of `backend` behind a running server.
    pub async fn for_backend(backend: Backend) -> (TestServer, TestDb) {
        TestServer::for_backend_with(backend, &[]).await
    }

    /// Like [`TestServer::for_backend`] with extra settings.
    pub async fn for_backend_with(backend: Backend, extra: &[(&str, &str)]) -> (TestServer, TestDb) {
        let test_db = TestDb::new(backend).await;
        let db = test_db.migrated().await;
        let settings = settings_with(&test_db.url, test_db.data_dir(), extra);
        (TestServer::start(db, &settings).await, test_db)
    }

    /// Posts a form to a server function the way a browser without
    /// JavaScript would (same origin; a redirect on success).
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.post(path, form, "text/html").await
    }

    /// Calls a server function the way the hydrated UI does (same origin,
    /// JSON answer).
    pub async fn post_json(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.post(path, form, "application/json").await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)], accept: &str) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("origin", &self.base)
            .header("accept", accept)
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// Completes first-run setup; this client is then signed in as the admin.
    pub async fn setup_admin(&self) {
        let response = self.post_form("/api/auth/setup", &ADMIN_FORM).await;
        assert!(response.status().is_redirection(), "setup failed: {}", response.text().await.unwrap());
    }

    /// Adds a user directly in the database (there is no invitation flow
    /// yet) with `password`, global `role` and team memberships.
    pub async fn seed_user(&self, email: &str, role: &str, password: &str) -> i64 {
        let hash = app::backend::passwords::Passwords::new(1).hash(password).await.expect("hash");
        sqlx::query_scalar(
            "INSERT INTO users (email, name, password_hash, role, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 0, 0) RETURNING id",
        )
        .bind(email)
        .bind(email.split('@').next().unwrap())
        .bind(hash)
        .bind(role)
        .fetch_one(self.db.pool())
        .await
        .expect("seed user")
    }

    /// Calls a server function as `client` (another browser), same origin, JSON answer.
    pub async fn post_with(&self, client: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        client
            .post(self.url(path))
            .header("origin", &self.base)
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// Submits the sign-in form as `client` the way a browser without
    /// JavaScript does; the password must be right (a redirect follows).
    pub async fn sign_in_with(&self, client: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
        let response = client
            .post(self.url("/api/auth/login"))
            .header("origin", &self.base)
            .header("accept", "text/html")
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .expect("login request");
        assert!(response.status().is_redirection(), "sign-in as {email} failed: {}", response.status());
        response
    }

    /// A new cookie-keeping client signed in as `email`.
    pub async fn client_signed_in_as(&self, email: &str, password: &str) -> reqwest::Client {
        let client = browser();
        self.sign_in_with(&client, email, password).await;
        client
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }
}

/// A `preflight serve` process (this build's binary) on `port`, killed
/// on drop; `extra` adds settings.
pub struct Replica(pub std::process::Child);

impl Replica {
    pub fn start(url: &str, data_dir: &std::path::Path, port: u16, extra: &[(&str, &str)]) -> Replica {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_preflight"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PREFLIGHT_DATABASE_URL", url)
            .env("PREFLIGHT_DATA_DIR", data_dir)
            .env("PREFLIGHT_ADDR", format!("127.0.0.1:{port}"))
            .env("PREFLIGHT_LOG_LEVEL", "warn")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null());
        for (name, value) in extra {
            command.env(name, value);
        }
        Replica(command.spawn().expect("start preflight"))
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits (60 s at most) until the server at `base` answers `/readyz`.
pub async fn wait_ready(client: &reqwest::Client, base: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        assert!(std::time::Instant::now() < deadline, "{base} did not become ready");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Every test request gives up after this long, so a hang fails the test
/// that hung, by name, instead of stalling the whole run.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A fresh cookie-keeping client that does not follow redirects, like a
/// second browser.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .unwrap()
}

/// A client that keeps no cookies and follows no redirects: the test sets
/// the `cookie` header itself.
pub fn cookieless_browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(REQUEST_TIMEOUT).build().unwrap()
}

/// The session token a response sets, if it sets one (an empty value
/// clears the cookie and counts as none).
pub fn session_token(response: &reqwest::Response) -> Option<String> {
    let cookie = session_set_cookie(response)?;
    let value = cookie.split(';').next()?.split_once('=')?.1.to_string();
    (!value.is_empty()).then_some(value)
}

/// The field an `AppError::Invalid` JSON answer names, or "".
pub fn invalid_field(body: &serde_json::Value) -> String {
    body["Invalid"]["field"].as_str().unwrap_or_default().to_string()
}

/// Audit actions starting with `prefix`, oldest first.
pub async fn audit_actions(server: &TestServer, prefix: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM audit_events WHERE action LIKE $1 ORDER BY id")
        .bind(format!("{prefix}%"))
        .fetch_all(server.db.pool())
        .await
        .unwrap()
}

/// The Location header, or "".
pub fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

/// The whole `Set-Cookie` header of the session cookie, if the response sets it.
pub fn session_set_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("preflight_session="))
        .map(str::to_string)
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
