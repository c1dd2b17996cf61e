//! The `preflight` binary as an operator meets it: bad configuration, a busy
//! port, an unwritable data directory, migrate, and a clean shutdown.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_preflight");

/// A command with a clean environment apart from what the test sets.
fn preflight(data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PREFLIGHT_DATA_DIR", data_dir)
        .env("PREFLIGHT_ADDR", "127.0.0.1:0")
        .stdin(Stdio::null());
    cmd
}

fn assert_one_line_failure(output: &Output, expected: &str) {
    assert_eq!(output.status.code(), Some(1), "exit code 1");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "exactly one line, got: {stderr}");
    assert!(lines[0].contains(expected), "{:?} should mention {expected:?}", lines[0]);
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
}

#[test]
fn invalid_settings_stop_start_up_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for (name, value) in [
        ("PREFLIGHT_ADDR", "not-an-address"),
        ("PREFLIGHT_LOG_FORMAT", "xml"),
        ("PREFLIGHT_DATABASE_URL", "mysql://localhost/preflight"),
        ("PREFLIGHT_PUBLIC_URL", "ftp://example.com"),
        ("PREFLIGHT_TRUSTED_PROXIES", "10.0.0.0/8,10.0.0.0/33"),
    ] {
        let output = preflight(dir.path()).env(name, value).output().unwrap();
        assert_one_line_failure(&output, &format!("invalid setting {name}"));
    }
    let output = preflight(dir.path()).env("PREFLIGHT_CONFIG", dir.path().join("missing.toml")).output().unwrap();
    assert_one_line_failure(&output, "invalid setting PREFLIGHT_CONFIG: cannot read");
}

#[test]
fn a_busy_port_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = preflight(dir.path()).env("PREFLIGHT_ADDR", &addr).output().unwrap();
    assert_one_line_failure(&output, &format!("cannot listen on {addr}: the address is already in use"));
}

#[test]
fn an_unusable_data_directory_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where a directory should be: fails even for root,
    // which ignores permission bits.
    let file = dir.path().join("occupied");
    std::fs::write(&file, b"").unwrap();
    let data_dir = file.join("data");
    let output = preflight(&data_dir).output().unwrap();
    assert_one_line_failure(&output, "cannot use the data directory");
}

#[test]
fn migrate_creates_the_database_then_reports_it_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let first = preflight(dir.path()).arg("migrate").output().unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stdout).contains("applied migrations [1"));
    assert!(dir.path().join("preflight.db").exists());
    let second = preflight(dir.path()).arg("migrate").output().unwrap();
    assert!(String::from_utf8_lossy(&second.stdout).contains("is up to date"));
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn sigterm_drains_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = preflight(dir.path())
        .env("PREFLIGHT_ADDR", format!("127.0.0.1:{port}"))
        .env("PREFLIGHT_LOG_FORMAT", "json")
        // The test connects from 127.0.0.1 and plays its own load balancer.
        .env("PREFLIGHT_TRUSTED_PROXIES", "127.0.0.1/32")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let stderr = running.0.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();

    // Wait for "listening", then ask for readiness.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "server did not start");
        let line = lines.next().expect("server exited early").unwrap();
        let event: serde_json::Value = serde_json::from_str(&line).expect("JSON log lines");
        if event["message"] == "Preflight is listening" {
            break;
        }
    }
    let request = |raw: &str| {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        stream.write_all(raw.as_bytes()).unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).unwrap();
        out
    };
    assert!(request("GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").starts_with("HTTP/1.1 200"));
    // Transparent huge pages are off for the server (main.rs says why);
    // kernels since 5.0 show it in /proc.
    if cfg!(target_os = "linux") {
        let status = std::fs::read_to_string(format!("/proc/{}/status", running.0.id())).unwrap();
        if let Some(line) = status.lines().find(|l| l.starts_with("THP_enabled:")) {
            assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
        }
    }
    // Secrets in the query string, cookies, Authorization and the body must not reach the log.
    let answer = request(
        "POST /api/system/status?token=SECRET-QUERY HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Cookie: id=SECRET-COOKIE\r\nAuthorization: Bearer SECRET-TOKEN\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 18\r\n\r\npassword=SECRET-PW",
    );
    assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
    // So must the tokens of invitation and reset links, which are in the path.
    // The invitation comes through the (trusted) load balancer for 203.0.113.77.
    for page in ["/invite/SECRET-INVITE-TOKEN", "/reset-password/SECRET-RESET-TOKEN"] {
        let answer = request(&format!(
            "GET {page} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Forwarded-For: 203.0.113.77\r\n\r\n"
        ));
        assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
    }

    let pid = running.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = running.0.wait().unwrap();
    assert_eq!(status.code(), Some(0), "clean exit after SIGTERM");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("shutting down")), "{rest:?}");
    assert!(rest.iter().any(|l| l.contains("\"stopped\"")), "{rest:?}");
    assert!(rest.iter().any(|l| l.contains("/api/system/status")), "the request itself is logged: {rest:?}");
    assert!(rest.iter().any(|l| l.contains("/invite/{token}")), "link pages are logged by route: {rest:?}");
    // Each line names the client: behind the trusted proxy the forwarded one.
    assert!(rest.iter().any(|l| l.contains("\"client\":\"203.0.113.77\"")), "{rest:?}");
    assert!(rest.iter().any(|l| l.contains("\"client\":\"127.0.0.1\"")), "{rest:?}");
    for line in &rest {
        assert!(!line.contains("SECRET"), "secret reached the log: {line}");
    }
}

#[test]
fn create_admin_sets_up_a_fresh_install_once() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let run = |email: &str, password: &str| {
        let mut child = preflight(dir.path())
            .args(["create-admin", "--name", "Ada Lovelace", "--email", email])
            // Only the outcome on stderr: the migration log line and sqlx's
            // "slow statement" warning on a busy machine are not the subject.
            .env("PREFLIGHT_LOG_LEVEL", "error")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let weak = run("ada@example.com", "short");
    assert_one_line_failure(&weak, "password: Use at least 12 characters.");

    let created = run("ada@example.com", "analytical engine notes");
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    assert!(String::from_utf8_lossy(&created.stdout).contains("created administrator Ada Lovelace <ada@example.com>"));

    let again = run("eve@example.com", "another long passphrase");
    assert_one_line_failure(&again, "an account already exists");
}

#[test]
fn scores_check_says_whether_stored_figures_agree() {
    let dir = tempfile::tempdir().unwrap();
    let migrate = preflight(dir.path()).arg("migrate").output().unwrap();
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    let ok = preflight(dir.path()).args(["scores", "check"]).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("0 services checked; every stored figure agrees"));

    // A service whose stored figures say "ready" with nothing behind them.
    run_sql(
        dir.path(),
        &[
            "INSERT INTO teams (name, name_key, created_at) VALUES ('T', 't', 0)",
            "INSERT INTO services (slug, name, name_key, team_id, tier, description, environment, created_at, updated_at,
                                   ready, score)
             VALUES ('pay', 'Pay', 'pay', 1, 2, '', 'production', 0, 0, 1, 100)",
        ],
    );
    let bad = preflight(dir.path()).args(["scores", "check"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stdout).contains("pay: figures is stored as"),
        "{}",
        String::from_utf8_lossy(&bad.stdout)
    );
    assert_one_line_failure(&bad, "1 stored figures disagree with the items (1 services checked)");
}

/// Runs statements on the data directory's SQLite database.
fn run_sql(data_dir: &std::path::Path, statements: &[&str]) {
    let url = format!("sqlite://{}", data_dir.join("preflight.db").display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = app::backend::Db::connect(&app::backend::DbOptions::new(&url)).await.unwrap();
        for sql in statements {
            sqlx::query(sql).execute(db.pool()).await.unwrap();
        }
        db.close().await;
    });
}
