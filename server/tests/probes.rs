//! Live probes against real targets on loopback: definitions through the
//! server functions, checks run by the engine, state moved by thresholds,
//! the outbound guard at save time, and leases shared by two engines.

mod support;

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::backend::Backend;
use server::probes::{self, EngineConfig};
use support::readiness::{org, register, service_id, Org};
use support::{invalid_field, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

both_backends!(
    an_http_probe_goes_up_down_and_up_again_by_its_thresholds,
    a_tcp_probe_tells_an_open_port_from_a_closed_one,
    checks_run_at_their_slots_and_their_drift_is_measured,
    a_metrics_probe_reads_error_rates_across_a_counter_reset,
    probes_export_and_import_as_toml_keeping_secrets,
    raw_checks_past_their_keeping_are_deleted_in_batches,
    checks_roll_up_into_hours_and_days_and_uptime_windows,
    hourly_rollups_older_than_a_week_are_archived_a_day_per_row,
    alert_rules_open_remind_and_close_incidents_and_maintenance_silences_them,
    alert_deliveries_are_signed_retried_and_given_up,
    channels_rules_and_windows_are_managed_by_the_team_and_a_test_reaches_the_receiver,
    a_probe_going_down_opens_its_incident_as_its_result_is_written,
    checklist_items_follow_the_live_data_that_proves_them,
    the_organisations_probes_are_listed_worst_first_a_page_at_a_time,
    targets_the_guard_refuses_are_field_errors_and_only_the_team_changes_probes,
    two_engines_share_the_probes_and_one_takes_over_when_the_other_stops,
);

/// How long a test waits for the engine to do something, at most.
const WAIT: Duration = Duration::from_secs(20);
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// An HTTP target whose answer the test sets: a status and a body.
struct Target {
    port: u16,
    status: Arc<AtomicU16>,
    body: Arc<Mutex<String>>,
}

impl Target {
    async fn start() -> Target {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let status = Arc::new(AtomicU16::new(200));
        let body = Arc::new(Mutex::new("ok".to_string()));
        let (answer, text) = (status.clone(), body.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else { return };
                let status = answer.load(Ordering::SeqCst);
                let body = text.lock().unwrap().clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = socket.read(&mut buf).await;
                    let reply = format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                });
            }
        });
        Target { port, status, body }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/health", self.port)
    }
}

/// Probes may reach loopback in these tests (an administrator's setting).
async fn allow_loopback(server: &TestServer) {
    let saved = server.post_json("/api/admin/settings/outbound-allow", &[("allow", "127.0.0.0/8")]).await;
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
}

/// Short periods; checks only when asked, so tests can count them.
fn fast(worker: &str) -> EngineConfig {
    EngineConfig {
        worker_id: worker.into(),
        run_slots: false,
        lease: Duration::from_secs(2),
        sync_every: Duration::from_millis(100),
        flush_every: Duration::from_millis(50),
        ..EngineConfig::default()
    }
}

/// A service of team 1 ("Payments"), whose lead and member manage probes.
async fn service(server: &TestServer) -> (Org, i64) {
    let org = org(server).await;
    assert_eq!(register(server, &server.client, "Payments API", "payments-api", "1", "1").await.status(), 200);
    let id = service_id(server, "payments-api").await;
    (org, id)
}

async fn create_probe(
    server: &TestServer,
    client: &reqwest::Client,
    service: i64,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let service = service.to_string();
    let mut form = vec![
        ("service_id", service.as_str()),
        ("form[interval_secs]", "60"),
        ("form[timeout_ms]", "2000"),
        ("form[failure_threshold]", "3"),
        ("form[recovery_threshold]", "2"),
        ("form[accept]", "200-299"),
        ("form[method]", "GET"),
        ("form[follow_redirects]", "on"),
    ];
    // The caller's fields win over these defaults (a form field posted twice is refused).
    form.retain(|(key, _)| !fields.iter().any(|(k, _)| k == key));
    form.extend_from_slice(fields);
    server.post_with(client, "/api/probes/create", &form).await
}

async fn probe_id(server: &TestServer, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM probes WHERE name = $1").bind(name).fetch_one(server.db.pool()).await.unwrap()
}

/// (status, checks recorded, last status code, last message), read in one
/// statement so they agree with each other.
async fn probe_state(server: &TestServer, id: i64) -> (String, i64, Option<i64>, Option<String>) {
    let (status, checks, code, message): (String, i64, Option<i64>, Option<String>) = sqlx::query_as(
        "SELECT p.status,
                (SELECT CAST(COALESCE(SUM(b.checks), 0) AS BIGINT) FROM probe_blocks b WHERE b.probe_id = p.id),
                p.last_status_code, p.last_message
         FROM probes p WHERE p.id = $1",
    )
    .bind(id)
    .fetch_one(server.db.pool())
    .await
    .unwrap();
    (status, checks, code, message)
}

/// Asks for a check now and waits until it is recorded.
async fn check_now(server: &TestServer, service: i64, id: i64) -> (String, i64, Option<i64>, Option<String>) {
    let before = probe_state(server, id).await.1;
    let asked = server
        .post_json("/api/probes/check-now", &[("service_id", &service.to_string()), ("probe_id", &id.to_string())])
        .await;
    assert_eq!(asked.status(), 200);
    tokio::time::timeout(WAIT, async {
        loop {
            let state = probe_state(server, id).await;
            if state.1 > before {
                return state;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the check is recorded")
}

async fn an_http_probe_goes_up_down_and_up_again_by_its_thresholds(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let (org, service) = service(&server).await;
    allow_loopback(&server).await;
    let engine = probes::start(server.state.clone(), fast("solo")).unwrap();
    let target = Target::start().await;

    let url = target.url();
    let created = create_probe(
        &server,
        &org.member,
        service,
        &[("form[kind]", "http"), ("form[name]", "Health"), ("form[url]", &url)],
    )
    .await;
    assert_eq!(created.status(), 200, "{}", created.text().await.unwrap());
    let id = probe_id(&server, "Health").await;
    assert_eq!(probe_state(&server, id).await.0, "pending");

    let (status, _, code, message) = check_now(&server, service, id).await;
    assert_eq!((status.as_str(), code, message), ("up", Some(200), None));

    // Failures count up to the threshold of three before the probe is down.
    target.status.store(503, Ordering::SeqCst);
    assert_eq!(check_now(&server, service, id).await.0, "up");
    assert_eq!(check_now(&server, service, id).await.0, "up");
    let (status, checks, code, message) = check_now(&server, service, id).await;
    assert_eq!((status.as_str(), checks, code), ("down", 4, Some(503)));
    assert!(message.unwrap().contains("503"));

    // Two successes bring it back.
    target.status.store(200, Ordering::SeqCst);
    assert_eq!(check_now(&server, service, id).await.0, "down");
    assert_eq!(check_now(&server, service, id).await.0, "up");

    // The blocks hold every check, in order, with its outcome.
    let now = server.clock.now_millis();
    let records = app::backend::probe_runs::checks(&server.db, id, now - 3_600_000, now + 1).await.unwrap();
    let codes: Vec<Option<u16>> = records.iter().map(|r| r.status_code).collect();
    assert_eq!(codes, [200, 503, 503, 503, 200, 200].map(Some));
    assert!(records.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    // Three of the six checks succeeded.
    let list = server.post_with(&org.viewer, "/api/probes/list", &[("slug", "payments-api")]).await;
    let list: serde_json::Value = list.json().await.unwrap();
    assert_eq!(list["probes"][0]["uptime"]["day"], 0.5);
    assert_eq!(list["probes"][0]["uptime"]["week"], 0.5);
    assert_eq!(list["can_manage"], false, "a viewer reads and changes nothing");

    // Paused, it is not checked and says so.
    let paused = server
        .post_with(
            &org.member,
            "/api/probes/pause",
            &[("service_id", &service.to_string()), ("probe_id", &id.to_string()), ("paused", "true")],
        )
        .await;
    assert_eq!(paused.status(), 200);
    assert_eq!(probe_state(&server, id).await.0, "paused");
    let actions = support::audit_actions(&server, "probe.").await;
    assert_eq!(actions, ["probe.created", "probe.paused"]);
    engine.stop().await;
}

async fn a_tcp_probe_tells_an_open_port_from_a_closed_one(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let (org, service) = service(&server).await;
    allow_loopback(&server).await;
    let engine = probes::start(server.state.clone(), fast("solo")).unwrap();
    let open = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let open_target = format!("127.0.0.1:{}", open.local_addr().unwrap().port());
    // A port that was just free: bound, read, released.
    let closed_target = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!("127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    for (name, target) in [("Open port", &open_target), ("Closed port", &closed_target)] {
        let created = create_probe(
            &server,
            &org.lead,
            service,
            &[("form[kind]", "tcp"), ("form[name]", name), ("form[target]", target)],
        )
        .await;
        assert_eq!(created.status(), 200, "{}", created.text().await.unwrap());
    }
    let open_id = probe_id(&server, "Open port").await;
    let closed_id = probe_id(&server, "Closed port").await;
    assert_eq!(check_now(&server, service, open_id).await.0, "up");
    let (status, _, _, message) = check_now(&server, service, closed_id).await;
    // One failure of three: still pending, with the reason kept.
    assert_eq!(status, "pending");
    assert!(message.unwrap().starts_with("Could not connect"));
    engine.stop().await;
}

/// The value of an unlabelled sample in Prometheus text, e.g.
/// `preflight_probe_checks_total`.
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}

async fn checks_run_at_their_slots_and_their_drift_is_measured(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let (org, service) = service(&server).await;
    allow_loopback(&server).await;
    let metrics = server::metrics::Metrics::new(4);
    let config = EngineConfig { run_slots: true, metrics: metrics.probes.clone(), ..fast("solo") };
    let engine = probes::start(server.state.clone(), config).unwrap();
    let open = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = format!("127.0.0.1:{}", open.local_addr().unwrap().port());
    let fields = [("form[kind]", "tcp"), ("form[name]", "Slotted"), ("form[target]", target.as_str())];
    let created =
        create_probe(&server, &org.lead, service, &[("form[interval_secs]", "10"), fields[0], fields[1], fields[2]])
            .await;
    assert_eq!(created.status(), 200, "{}", created.text().await.unwrap());
    let id = probe_id(&server, "Slotted").await;
    // Nobody asks: the first slot (within one 10 s interval) runs it.
    wait_until("the probe's slot came and its check was recorded", || async { probe_state(&server, id).await.1 >= 1 })
        .await;
    let text = metrics.render(&server.db);
    assert!(sample(&text, "preflight_probe_checks_total") >= 1.0, "{text}");
    assert!(sample(&text, "preflight_probe_schedule_drift_seconds_count") >= 1.0, "{text}");
    // On an idle machine a check starts within milliseconds of its slot.
    let drift = sample(&text, "preflight_probe_schedule_drift_seconds_sum");
    assert!((0.0..1.0).contains(&drift), "drift {drift} s:\n{text}");
    engine.stop().await;
}

/// A Prometheus page with these totals of requests and of 5xx errors.
fn exposition(requests: u64, errors: u64) -> String {
    format!(
        "# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\n\
         http_requests_total{{status=\"200\"}} {}\nhttp_requests_total{{status=\"503\"}} {errors}\n",
        requests - errors
    )
}

async fn stored_error_rate(server: &TestServer, id: i64) -> Option<f64> {
    sqlx::query_scalar("SELECT error_rate FROM probes WHERE id = $1")
        .bind(id)
        .fetch_one(server.db.pool())
        .await
        .unwrap()
}

async fn a_metrics_probe_reads_error_rates_across_a_counter_reset(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let (org, service) = service(&server).await;
    allow_loopback(&server).await;
    let engine = probes::start(server.state.clone(), fast("solo")).unwrap();
    let target = Target::start().await;
    *target.body.lock().unwrap() = exposition(1000, 10);
    let url = format!("http://127.0.0.1:{}/metrics", target.port);
    let created = create_probe(
        &server,
        &org.lead,
        service,
        &[
            ("form[kind]", "metrics"),
            ("form[name]", "API errors"),
            ("form[url]", &url),
            ("form[requests]", "http_requests_total"),
            ("form[errors]", "http_requests_total{status=~\"5..\"}"),
            ("form[error_rate_warn_percent]", "2"),
        ],
    )
    .await;
    assert_eq!(created.status(), 200, "{}", created.text().await.unwrap());
    let id = probe_id(&server, "API errors").await;

    // The first reading is the baseline: up, no rate yet.
    assert_eq!(check_now(&server, service, id).await.0, "up");
    assert_eq!(stored_error_rate(&server, id).await, None);
    // 100 more requests, 1 more error: 1 %, under the warning.
    *target.body.lock().unwrap() = exposition(1100, 11);
    assert_eq!(check_now(&server, service, id).await.0, "up");
    assert_eq!(stored_error_rate(&server, id).await, Some(0.01));
    // 100 more, 5 more errors: 5 %, above the 2 % warning.
    *target.body.lock().unwrap() = exposition(1200, 16);
    let (status, _, _, message) = check_now(&server, service, id).await;
    assert_eq!(status, "degraded");
    assert!(message.unwrap().contains("5 %"));
    // The service restarted: both counters count from zero again. The
    // interval's traffic is what they show now, never a negative rate.
    *target.body.lock().unwrap() = exposition(50, 0);
    assert_eq!(check_now(&server, service, id).await.0, "up");
    assert_eq!(stored_error_rate(&server, id).await, Some(0.0));

    let now = server.clock.now_millis();
    let records = app::backend::probe_runs::checks(&server.db, id, now - 3_600_000, now + 1).await.unwrap();
    let traffic: Vec<Option<(u32, u32)>> = records.iter().map(|r| r.traffic.map(|t| (t.requests, t.errors))).collect();
    assert_eq!(traffic, [None, Some((100, 1)), Some((100, 5)), Some((50, 0))]);
    engine.stop().await;
}

async fn probes_export_and_import_as_toml_keeping_secrets(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let (org, service) = service(&server).await;
    allow_loopback(&server).await;
    let created = create_probe(
        &server,
        &org.lead,
        service,
        &[
            ("form[kind]", "http"),
            ("form[name]", "Health"),
            ("form[url]", "http://127.0.0.1:9/health"),
            ("form[secret_headers]", "Authorization: Bearer s3cret"),
        ],
    )
    .await;
    assert_eq!(created.status(), 200, "{}", created.text().await.unwrap());

    // Everyone who reads the service downloads the file; secrets stay home.
    let export = org.viewer.get(server.url("/services/payments-api/probes.toml")).send().await.unwrap();
    assert_eq!(export.status(), 200);
    assert!(export.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let text = export.text().await.unwrap();
    assert!(text.contains("Health") && text.contains("Authorization"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");

    // The team edits the file: a longer interval, and a second probe.
    let edited = format!(
        "{}\n[[probe]]\nname = \"Database\"\nkind = \"tcp\"\ntarget = \"127.0.0.1:5432\"\n",
        text.replace("interval_secs = 60", "interval_secs = 120")
    );
    assert_ne!(edited.replace("interval_secs = 120", ""), edited, "the export names the interval");
    let service_field = service.to_string();
    let denied =
        server.post_with(&org.viewer, "/api/probes/import", &[("service_id", &service_field), ("text", &edited)]).await;
    assert_eq!(denied.status(), 403);
    let broken = server
        .post_with(
            &org.member,
            "/api/probes/import",
            &[("service_id", &service_field), ("text", "[[probe]]\nname = 3\n")],
        )
        .await;
    assert_eq!(broken.status(), 422);
    assert_eq!(invalid_field(&broken.json().await.unwrap()), "text");
    let imported =
        server.post_with(&org.member, "/api/probes/import", &[("service_id", &service_field), ("text", &edited)]).await;
    assert_eq!(imported.status(), 200);
    assert_eq!(imported.json::<String>().await.unwrap(), "Imported: 1 added, 1 replaced.");

    let defs = app::backend::probes::definitions(&server.db, service).await.unwrap();
    let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["Database", "Health"]);
    assert_eq!(defs[1].interval_secs, 120);
    assert_eq!(defs[1].headers()[0].value, "Bearer s3cret", "the stored secret was kept");
    assert_eq!(support::audit_actions(&server, "probe.").await, ["probe.created", "probe.imported"]);
}

async fn raw_checks_past_their_keeping_are_deleted_in_batches(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let (org, service) = service(&server).await;
    allow_loopback(&server).await;
    let created = create_probe(
        &server,
        &org.lead,
        service,
        &[("form[kind]", "tcp"), ("form[name]", "Port"), ("form[target]", "127.0.0.1:9")],
    )
    .await;
    assert_eq!(created.status(), 200);
    let id = probe_id(&server, "Port").await;
    let now = server.clock.now_millis();
    let this_hour = now - now.rem_euclid(HOUR);
    let keep_from = now - 7 * 24 * HOUR;
    // Three hours long past, one that ends just after the limit, and now.
    let starts =
        [this_hour - 200 * HOUR, this_hour - 199 * HOUR, this_hour - 198 * HOUR, keep_from - HOUR / 2, this_hour];
    for start in starts {
        sqlx::query("INSERT INTO probe_blocks (probe_id, start_at, checks, data) VALUES ($1, $2, 0, $3)")
            .bind(id)
            .bind(start)
            .bind(Vec::<u8>::new())
            .execute(server.db.pool())
            .await
            .unwrap();
    }
    let prune = |limit| app::backend::probe_runs::prune_blocks(&server.db, keep_from, limit);
    assert_eq!(prune(2).await.unwrap(), 2, "a batch deletes at most its limit");
    assert_eq!(prune(2).await.unwrap(), 1);
    assert_eq!(prune(2).await.unwrap(), 0);
    let left: Vec<i64> = sqlx::query_scalar("SELECT start_at FROM probe_blocks WHERE probe_id = $1 ORDER BY start_at")
        .bind(id)
        .fetch_all(server.db.pool())
        .await
        .unwrap();
    assert_eq!(left, [keep_from - HOUR / 2, this_hour], "a block still partly inside the keeping stays");
}

async fn targets_the_guard_refuses_are_field_errors_and_only_the_team_changes_probes(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let (org, service) = service(&server).await;
    // Nothing private is allowed yet: loopback, private and metadata
    // addresses are refused with the same words, before any connection.
    for url in [
        "http://127.0.0.1:9/",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/",
    ] {
        let refused = create_probe(
            &server,
            &org.member,
            service,
            &[("form[kind]", "http"), ("form[name]", "Sneaky"), ("form[url]", url)],
        )
        .await;
        assert_eq!(refused.status(), 422, "{url}");
        let body: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(invalid_field(&body), "url", "{url}");
        assert_eq!(body["Invalid"]["message"].as_str().unwrap(), outbound::REFUSAL_MESSAGE, "{url}");
    }
    let refused = create_probe(
        &server,
        &org.member,
        service,
        &[("form[kind]", "tcp"), ("form[name]", "Sneaky"), ("form[target]", "localhost:22")],
    )
    .await;
    assert_eq!(refused.status(), 422);
    assert_eq!(invalid_field(&refused.json().await.unwrap()), "target");
    let scheme = create_probe(
        &server,
        &org.member,
        service,
        &[("form[kind]", "http"), ("form[name]", "Files"), ("form[url]", "file:///etc/passwd")],
    )
    .await;
    assert_eq!(scheme.status(), 422);
    assert_eq!(invalid_field(&scheme.json().await.unwrap()), "url");
    let fast = create_probe(
        &server,
        &org.member,
        service,
        &[
            ("form[kind]", "http"),
            ("form[name]", "Too fast"),
            ("form[url]", "https://example.com/"),
            ("form[interval_secs]", "5"),
        ],
    )
    .await;
    assert_eq!(fast.status(), 422);
    assert_eq!(invalid_field(&fast.json().await.unwrap()), "interval_secs");

    // Viewers, auditors and other teams' leads read, and change nothing.
    allow_loopback(&server).await;
    for (who, client) in [("viewer", &org.viewer), ("auditor", &org.auditor), ("other lead", &org.other_lead)] {
        let denied = create_probe(
            &server,
            client,
            service,
            &[("form[kind]", "tcp"), ("form[name]", "Nope"), ("form[target]", "127.0.0.1:9")],
        )
        .await;
        assert_eq!(denied.status(), 403, "{who}");
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM probes").fetch_one(server.db.pool()).await.unwrap();
    assert_eq!(count, 0);
}

/// Waits (at most [`WAIT`]) until `check` holds.
async fn wait_until<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    wait_up_to(WAIT, what, check).await
}

async fn wait_up_to<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let waited = tokio::time::timeout(limit, async {
        while !check().await {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "timed out waiting until {what}");
}

async fn held_by(server: &TestServer, worker: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM probes WHERE lease_owner = $1")
        .bind(worker)
        .fetch_one(server.db.pool())
        .await
        .unwrap()
}

async fn two_engines_share_the_probes_and_one_takes_over_when_the_other_stops(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let (org, service) = service(&server).await;
    allow_loopback(&server).await;
    for n in 0..10 {
        let name = format!("Port {n}");
        let created = create_probe(
            &server,
            &org.lead,
            service,
            &[("form[kind]", "tcp"), ("form[name]", &name), ("form[target]", "127.0.0.1:9")],
        )
        .await;
        assert_eq!(created.status(), 200);
    }
    let a = probes::start(server.state.clone(), fast("engine-a")).unwrap();
    let b = probes::start(server.state.clone(), fast("engine-b")).unwrap();
    wait_until("each engine holds half", || async {
        held_by(&server, "engine-a").await == 5 && held_by(&server, "engine-b").await == 5
    })
    .await;
    // Stopping gives the leases back: the other engine takes all ten.
    a.stop().await;
    assert_eq!(held_by(&server, "engine-a").await, 0);
    wait_until("the remaining engine holds all ten", || async { held_by(&server, "engine-b").await == 10 }).await;
    b.stop().await;
}

/// Writes `records` of probe `id` straight into its hourly blocks, as the
/// engine would have.
async fn store_checks(server: &TestServer, id: i64, records: &[app::domain::probes::blocks::CheckRecord]) {
    use app::domain::probes::blocks::{block_start, encode_by_block};
    for (start, bytes) in encode_by_block(records) {
        let checks = records.iter().filter(|r| block_start(r.at_ms) == start).count() as i64;
        sqlx::query("INSERT INTO probe_blocks (probe_id, start_at, checks, data) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(start)
            .bind(checks)
            .bind(bytes)
            .execute(server.db.pool())
            .await
            .unwrap();
    }
}

/// The exact nearest-rank percentile of `values` (sorted).
fn exact_percentile(values: &[u64], q: f64) -> u64 {
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

/// Asserts a sketch's percentile is within its 1 % bound of the exact one.
fn assert_close(sketched: u64, exact: u64, what: &str) {
    assert!(sketched >= exact && sketched as f64 <= exact as f64 * 1.01, "{what}: sketch {sketched}, exact {exact}");
}

/// A service with a TCP probe "Port" on loopback (allowed), added by an
/// admin: (service id, probe id).
async fn port_probe(server: &TestServer) -> (i64, i64) {
    let (_org, service) = service(server).await;
    allow_loopback(server).await;
    let fields = [("form[kind]", "tcp"), ("form[name]", "Port"), ("form[target]", "127.0.0.1:9")];
    assert_eq!(create_probe(server, &server.client, service, &fields).await.status(), 200);
    (service, probe_id(server, "Port").await)
}

/// Checks every `step` ms from `first` until `now`: every `fail_every`th
/// (the first among them) times out, the rest take 1 to 200 ms, spread
/// unevenly.
fn spread_checks(first: i64, now: i64, step: i64, fail_every: i64) -> Vec<app::domain::probes::CheckRecord> {
    use app::domain::probes::{CheckRecord, ErrorClass, Outcome};
    (0..)
        .map(|k: i64| (k, first + k * step))
        .take_while(|(_, at)| *at < now)
        .map(|(k, at)| CheckRecord {
            at_ms: at,
            duration_us: 1_000 + ((k * 7_919) % 199_000) as u32,
            outcome: if k % fail_every == 0 { Outcome::Down(ErrorClass::Timeout) } else { Outcome::Up },
            status_code: None,
            traffic: None,
        })
        .collect()
}

async fn rollup(server: &TestServer, id: i64, span: &str, start: i64) -> Option<(i64, i64, Vec<u8>)> {
    sqlx::query_as(
        "SELECT checks, failures, latency FROM probe_rollups WHERE probe_id = $1 AND span = $2 AND start_at = $3",
    )
    .bind(id)
    .bind(span)
    .bind(start)
    .fetch_optional(server.db.pool())
    .await
    .unwrap()
}

/// Every chart window of probe `id` counts each of `records` in it once,
/// whichever stored figures its buckets come from.
async fn assert_charts_count_each_check_once(
    server: &TestServer,
    id: i64,
    records: &[app::domain::probes::CheckRecord],
    now: i64,
) {
    use app::backend::probe_rollups;
    use app::domain::probes::chart::ChartWindow;
    for window in ChartWindow::ALL {
        let series = probe_rollups::series(&server.db, id, window, now).await.unwrap();
        let from = window.from(now);
        let expected = records.iter().filter(|r| r.at_ms >= from && r.at_ms <= now).count() as u64;
        assert_eq!(series.buckets.iter().map(|b| b.checks).sum::<u64>(), expected, "{window:?}");
        assert!(!series.traffic, "a TCP probe's error rate is its failed checks");
    }
}

async fn checks_roll_up_into_hours_and_days_and_uptime_windows(backend: Backend) {
    use app::backend::probe_rollups::{self, GRACE_MS};
    use app::domain::probes::archive;
    use app::domain::probes::blocks::{block_start, CheckRecord};
    use app::domain::probes::chart::ChartWindow;
    use app::domain::probes::rollup::{Rollup, Sketch};

    let (server, _db) = TestServer::for_backend(backend).await;
    let (_, id) = port_probe(&server).await;

    // A check a minute for the last 50 hours: every tenth fails, the rest
    // take 1 to 200 ms, spread unevenly.
    let now = server.clock.now_millis();
    let first = block_start(now) - 50 * HOUR;
    let records = spread_checks(first, now, MINUTE, 10);
    store_checks(&server, id, &records).await;
    // Before any rollup, uptime comes from the raw checks alone.
    let share = |from: i64| {
        let counted: Vec<&CheckRecord> = records.iter().filter(|r| r.at_ms >= from && r.at_ms <= now).collect();
        counted.iter().filter(|r| r.outcome.is_success()).count() as f64 / counted.len() as f64
    };
    let raw = probe_rollups::uptime(&server.db, &[id], now).await.unwrap()[&id];
    assert_eq!(raw.day, Some(share(now - DAY)));
    assert_eq!(raw.week, Some(share(now - 7 * DAY)));

    // Roll until nothing is left to roll.
    let mut hours = 0;
    loop {
        let rolled = probe_rollups::roll(&server.db, now).await.unwrap();
        hours += rolled.hours;
        if rolled.hours == 0 && rolled.days == 0 {
            break;
        }
    }
    let finished = (0..).map(|h| first + h * HOUR).take_while(|h| h + HOUR + GRACE_MS <= now).count() as u32;
    assert_eq!(hours, finished, "every finished hour, and no other, is rolled up");
    let in_hour = |start: i64| records.iter().filter(move |r| r.at_ms >= start && r.at_ms < start + HOUR);

    // One hour: counts, and percentiles within the sketch's bound.
    let hour = first + 3 * HOUR;
    let (checks, failures, latency) = rollup(&server, id, "hour", hour).await.expect("the hour is rolled up");
    assert_eq!((checks, failures), (60, 6));
    let sketch = Sketch::from_bytes(&latency).unwrap();
    let mut exact: Vec<u64> =
        in_hour(hour).filter(|r| r.outcome.is_success()).map(|r| u64::from(r.duration_us)).collect();
    exact.sort_unstable();
    for q in [0.5, 0.95, 0.99] {
        assert_close(sketch.percentile(q).unwrap(), exact_percentile(&exact, q), &format!("hour p{}", q * 100.0));
    }
    assert!(rollup(&server, id, "hour", block_start(now)).await.is_none(), "the running hour waits");

    // One whole day, merged from its hours.
    let day = first - first.rem_euclid(DAY) + DAY;
    let (checks, failures, latency) = rollup(&server, id, "day", day).await.expect("the day is rolled up");
    let of_day: Vec<&CheckRecord> = records.iter().filter(|r| r.at_ms >= day && r.at_ms < day + DAY).collect();
    assert_eq!(checks, of_day.len() as i64);
    assert_eq!(failures, of_day.iter().filter(|r| !r.outcome.is_success()).count() as i64);
    let mut exact: Vec<u64> =
        of_day.iter().filter(|r| r.outcome.is_success()).map(|r| u64::from(r.duration_us)).collect();
    exact.sort_unstable();
    let sketch = Sketch::from_bytes(&latency).unwrap();
    assert_close(sketch.percentile(0.95).unwrap(), exact_percentile(&exact, 0.95), "day p95");

    // Uptime now: the stored windows up to the hour mark, plus the raw
    // checks since, which add up to the same shares.
    let until: i64 = sqlx::query_scalar("SELECT windows_until FROM probes WHERE id = $1")
        .bind(id)
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    assert_eq!(until, first + i64::from(finished) * HOUR);
    let uptime = probe_rollups::uptime(&server.db, &[id], now).await.unwrap()[&id];
    assert_eq!(uptime.day, Some(share(until - DAY)), "24 hours: whole hours before the mark, raw after");
    assert_eq!((uptime.week, uptime.month, uptime.year), (Some(share(first)), Some(share(first)), Some(share(first))));

    // Charts: every window counts each check once, whether it comes from
    // daily rows, hourly rows or raw blocks; a week's hourly bucket is
    // that hour's rollup.
    assert_charts_count_each_check_once(&server, id, &records, now).await;
    let week = probe_rollups::series(&server.db, id, ChartWindow::Week, now).await.unwrap();
    let bucket = week.buckets.iter().find(|b| b.start == hour).expect("the hour's bucket");
    assert_eq!((bucket.checks, bucket.failures, bucket.error_rate), (60, 6, Some(0.1)));
    let mut exact: Vec<u64> =
        in_hour(hour).filter(|r| r.outcome.is_success()).map(|r| u64::from(r.duration_us)).collect();
    exact.sort_unstable();
    assert_close(bucket.p95_us.unwrap(), exact_percentile(&exact, 0.95), "week bucket p95");

    // Archived hours go after their keeping (a whole day once its last
    // hour is past it); daily rows stay.
    let kept_from = now - probe_rollups::HOURS_KEPT_MS;
    let old = kept_from - kept_from.rem_euclid(DAY) - DAY;
    let hour_rollup = Rollup::of(in_hour(hour));
    for day in [old - DAY, old, old + DAY] {
        let packed = archive::pack(day, &[(day + 23 * HOUR, hour_rollup.clone())]);
        sqlx::query("INSERT INTO probe_hour_archive (probe_id, day_at, data) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(day)
            .bind(packed)
            .execute(server.db.pool())
            .await
            .unwrap();
    }
    sqlx::query(
        "INSERT INTO probe_rollups (probe_id, span, start_at, checks, failures, degraded, latency)
         SELECT probe_id, 'day', $1, checks, failures, degraded, latency FROM probe_rollups
         WHERE probe_id = $2 AND span = 'hour' AND start_at = $3",
    )
    .bind(old)
    .bind(id)
    .bind(hour)
    .execute(server.db.pool())
    .await
    .unwrap();
    assert_eq!(probe_rollups::roll(&server.db, now).await.unwrap().pruned, 2);
    let archived: Vec<i64> = sqlx::query_scalar("SELECT day_at FROM probe_hour_archive WHERE probe_id = $1")
        .bind(id)
        .fetch_all(server.db.pool())
        .await
        .unwrap();
    assert_eq!(archived, [old + DAY], "the day whose last hour is still within the keeping stays");
    assert!(rollup(&server, id, "day", old).await.is_some());

    // Two replicas rolling at once write every row once.
    let count = || async {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM probe_rollups").fetch_one(server.db.pool()).await.unwrap();
        n
    };
    let before = count().await;
    sqlx::query("DELETE FROM probe_rollups WHERE start_at > $1").bind(old).execute(server.db.pool()).await.unwrap();
    sqlx::query("DELETE FROM probe_rollup_marks").execute(server.db.pool()).await.unwrap();
    loop {
        let (a, b) = tokio::join!(probe_rollups::roll(&server.db, now), probe_rollups::roll(&server.db, now));
        let (a, b) = (a.unwrap(), b.unwrap());
        if a.hours + a.days + b.hours + b.days == 0 {
            break;
        }
    }
    assert_eq!(count().await, before);
}

async fn hourly_rollups_older_than_a_week_are_archived_a_day_per_row(backend: Backend) {
    use app::backend::probe_rollups::{self, HOURS_RECENT_MS};
    use app::domain::probes::archive;
    use app::domain::probes::blocks::block_start;
    use app::domain::probes::chart::ChartWindow;
    use app::domain::probes::rollup::Rollup;

    let (server, _db) = TestServer::for_backend(backend).await;
    let (_, id) = port_probe(&server).await;

    // A check every 10 minutes for 12 days, every seventh failing.
    let now = server.clock.now_millis();
    let first = block_start(now) - 12 * DAY;
    let records = spread_checks(first, now, 10 * MINUTE, 7);
    store_checks(&server, id, &records).await;
    let between = |from: i64, until: i64| Rollup::of(records.iter().filter(|r| r.at_ms >= from && r.at_ms < until));

    // Two replicas roll at once until nothing is left.
    let mut archived = 0;
    loop {
        let (a, b) = tokio::join!(probe_rollups::roll(&server.db, now), probe_rollups::roll(&server.db, now));
        let (a, b) = (a.unwrap(), b.unwrap());
        archived += a.archived + b.archived;
        if a.hours + a.days + a.archived + b.hours + b.days + b.archived == 0 {
            break;
        }
    }
    let marks: std::collections::HashMap<String, i64> =
        sqlx::query_as("SELECT span, done_until FROM probe_rollup_marks")
            .fetch_all(server.db.pool())
            .await
            .unwrap()
            .into_iter()
            .collect();
    let (hours_done, days_done, archive_done) = (marks["hour"], marks["day"], marks["archive"]);

    // Every whole day that ended 8 days before the hour mark (and is rolled
    // into its daily row) is archived, once.
    let first_day = first - first.rem_euclid(DAY);
    let limit = days_done.min(hours_done - HOURS_RECENT_MS);
    assert_eq!(archive_done, first_day + (limit - first_day).div_euclid(DAY) * DAY);
    assert!(archived >= 3, "{archived} days archived");
    assert_eq!(i64::from(archived), (archive_done - first_day) / DAY);
    let days: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT day_at, data FROM probe_hour_archive WHERE probe_id = $1 ORDER BY day_at")
            .bind(id)
            .fetch_all(server.db.pool())
            .await
            .unwrap();
    let expected_days: Vec<i64> = (0..i64::from(archived)).map(|d| first_day + d * DAY).collect();
    assert_eq!(days.iter().map(|(day, _)| *day).collect::<Vec<_>>(), expected_days);
    // Each archived hour is exactly the rollup of its checks.
    for (day, data) in &days {
        let hours = archive::unpack(*day, data).unwrap();
        let with_checks = (0..24).filter(|h| between(day + h * HOUR, day + (h + 1) * HOUR).count > 0).count();
        assert_eq!(hours.len(), with_checks, "day {day}");
        for (start, rollup) in hours {
            assert_eq!(rollup, between(start, start + HOUR), "hour {start}");
        }
    }
    // Archived hours left the hourly rows; later hours stay there.
    let hour_rows = |before: bool| {
        let sql = if before {
            "SELECT COUNT(*) FROM probe_rollups WHERE span = 'hour' AND start_at < $1"
        } else {
            "SELECT COUNT(*) FROM probe_rollups WHERE span = 'hour' AND start_at >= $1"
        };
        let pool = server.db.pool().clone();
        async move { sqlx::query_scalar::<_, i64>(sql).bind(archive_done).fetch_one(&pool).await.unwrap() }
    };
    assert_eq!(hour_rows(true).await, 0);
    assert_eq!(hour_rows(false).await, (hours_done - archive_done) / HOUR);

    // Charts count every check once, from daily rows, archived hours,
    // hourly rows or raw checks; a 30-day bucket of archived hours is
    // exactly their checks' rollup.
    assert_charts_count_each_check_once(&server, id, &records, now).await;
    let month = probe_rollups::series(&server.db, id, ChartWindow::Month, now).await.unwrap();
    let start = first_day + DAY + 6 * HOUR;
    assert!(start + 6 * HOUR <= archive_done, "the bucket is archived");
    let bucket = month.buckets.iter().find(|b| b.start == start).expect("the archived bucket");
    let exact = between(start, start + 6 * HOUR);
    assert_eq!((bucket.checks, bucket.failures, bucket.p95_us), (exact.count, exact.failures, exact.percentile(0.95)));

    // Uptime windows still add up to the raw shares.
    let share = |from: i64| {
        let rollup = between(from, now + 1);
        rollup.uptime()
    };
    let until: i64 = sqlx::query_scalar("SELECT windows_until FROM probes WHERE id = $1")
        .bind(id)
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    let uptime = probe_rollups::uptime(&server.db, &[id], now).await.unwrap()[&id];
    assert_eq!((uptime.day, uptime.week), (share(until - DAY), share(until - 7 * DAY)));
    assert_eq!((uptime.month, uptime.year), (share(first), share(first)));
}

async fn deliveries(server: &TestServer) -> Vec<(i64, String, String)> {
    sqlx::query_as("SELECT channel_id, event, body FROM alert_deliveries ORDER BY id")
        .fetch_all(server.db.pool())
        .await
        .unwrap()
}

async fn set_status(server: &TestServer, id: i64, status: &str) {
    sqlx::query("UPDATE probes SET status = $1 WHERE id = $2")
        .bind(status)
        .bind(id)
        .execute(server.db.pool())
        .await
        .unwrap();
}

async fn alert_rules_open_remind_and_close_incidents_and_maintenance_silences_them(backend: Backend) {
    use app::backend::alerts::{self, ChannelKind, Evaluated};
    use app::backend::audit::Actor;
    use app::domain::probes::alerts::{validate_once, validate_rule, RuleForm};
    use app::domain::probes::blocks::CheckRecord;
    use app::domain::probes::status::{ErrorClass, Outcome};

    let (server, _db) = TestServer::for_backend(backend).await;
    let (service, id) = port_probe(&server).await;
    let ada = Actor { id: 1, name: "Ada", client: None };
    let now = || server.clock.now_millis();
    let evaluate = || async { alerts::evaluate(&server.db, None, server.clock.now_millis()).await.unwrap().counts };

    let (hook, key) = alerts::create_channel(
        &server.db,
        ada,
        1,
        ChannelKind::Webhook,
        "Ops hook",
        "https://hooks.example.com/x",
        now(),
    )
    .await
    .unwrap();
    assert_eq!(key.map(|k| k.len()), Some(64), "a webhook gets a signing key");
    let (slack, key) =
        alerts::create_channel(&server.db, ada, 1, ChannelKind::Slack, "#ops", "https://hooks.slack.com/y", now())
            .await
            .unwrap();
    assert!(key.is_none());
    let (foreign, _) =
        alerts::create_channel(&server.db, ada, 2, ChannelKind::Email, "Search", "search@example.com", now())
            .await
            .unwrap();
    let rule = |kind: &str, threshold: &str, resend: &str| {
        validate_rule(&RuleForm {
            kind: kind.into(),
            threshold: threshold.into(),
            window_minutes: "10".into(),
            resend_minutes: resend.into(),
        })
        .unwrap()
    };
    let down = rule("down", "", "30");
    let refused = alerts::create_rule(&server.db, ada, service, None, &down, &[foreign], now()).await;
    assert!(matches!(refused, Err(app::error::AppError::Invalid { ref field, .. }) if field == "channels"));
    alerts::create_rule(&server.db, ada, service, None, &down, &[hook, slack], now()).await.unwrap();

    // Nothing is wrong yet.
    assert_eq!(evaluate().await, Evaluated::default());

    // Down: one incident, a trigger per channel.
    set_status(&server, id, "down").await;
    assert_eq!(evaluate().await, Evaluated { opened: 1, closed: 0, queued: 2 });
    let sent = deliveries(&server).await;
    assert_eq!(
        sent.iter().map(|(c, e, _)| (*c, e.as_str())).collect::<Vec<_>>(),
        [(hook, "trigger"), (slack, "trigger")]
    );
    let body: serde_json::Value = serde_json::from_str(&sent[0].2).unwrap();
    assert_eq!((body["probe_name"].as_str(), body["rule_kind"].as_str()), (Some("Port"), Some("down")));

    // Still down: a reminder only once the interval has passed.
    server.clock.advance(Duration::from_secs(60));
    assert_eq!(evaluate().await, Evaluated::default());
    server.clock.advance(Duration::from_secs(30 * 60));
    assert_eq!(evaluate().await, Evaluated { opened: 0, closed: 0, queued: 2 });
    assert_eq!(deliveries(&server).await[2].1, "reminder");

    // Up again: closed, with a recovery.
    set_status(&server, id, "up").await;
    let before_close = now();
    assert_eq!(evaluate().await, Evaluated { opened: 0, closed: 1, queued: 2 });
    assert_eq!(deliveries(&server).await[4].1, "recovery");
    let ended: Option<i64> =
        sqlx::query_scalar("SELECT ended_at FROM incidents").fetch_one(server.db.pool()).await.unwrap();
    assert!(ended.is_some_and(|at| at >= before_close && at <= now()), "{ended:?}");

    // An error-rate rule reads the checks of its window: 5 of 10 failed.
    let rate = rule("error-rate", "20", "60");
    alerts::create_rule(&server.db, ada, service, Some(id), &rate, &[hook], now()).await.unwrap();
    let records: Vec<CheckRecord> = (0..10)
        .map(|k| CheckRecord {
            at_ms: now() - (k + 1) * 30_000,
            duration_us: 1_000,
            outcome: if k % 2 == 0 { Outcome::Down(ErrorClass::Connect) } else { Outcome::Up },
            status_code: None,
            traffic: None,
        })
        .collect();
    store_checks(&server, id, &records).await;
    assert_eq!(evaluate().await, Evaluated { opened: 1, closed: 0, queued: 1 });
    let peak: f64 = sqlx::query_scalar("SELECT peak FROM incidents WHERE ended_at IS NULL")
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    assert!((peak - 50.0).abs() < 1e-9, "{peak}");

    // In a maintenance window incidents are recorded and nothing is sent.
    let window = validate_once(now() - MINUTE, now() + 60 * MINUTE).unwrap();
    alerts::add_maintenance(&server.db, ada, service, &window, "Database upgrade", now()).await.unwrap();
    set_status(&server, id, "down").await;
    let before = deliveries(&server).await.len();
    assert_eq!(evaluate().await, Evaluated { opened: 1, closed: 0, queued: 0 });
    assert_eq!(deliveries(&server).await.len(), before);
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incidents WHERE ended_at IS NULL")
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    assert_eq!(open, 2);
    // The service page lists them, newest first, the ongoing ones marked.
    let incidents = alerts::incidents(&server.db, service).await.unwrap();
    let shown: Vec<(&str, Option<i64>, &str)> =
        incidents.iter().map(|i| (i.rule.as_str(), i.ended_at, i.peak.as_str())).collect();
    assert_eq!(shown.len(), 3);
    assert_eq!((shown[0].0, shown[0].1), ("Probe down", None));
    assert_eq!((shown[1].0, shown[1].2), ("Error rate above 20 % over 10 minutes", "50.0 %"));
    assert!(shown[2].1.is_some(), "the first one ended");
    let actions = support::audit_actions(&server, "alert.").await;
    assert_eq!(
        actions,
        [
            "alert.channel_created",
            "alert.channel_created",
            "alert.channel_created",
            "alert.rule_created",
            "alert.rule_created",
            "alert.maintenance_added"
        ]
    );
}

/// A webhook receiver on loopback: records each request's path, headers
/// and body, and answers with the status the test sets.
struct Receiver {
    url: String,
    status: Arc<AtomicU16>,
    seen: Arc<Mutex<Vec<(String, http::HeaderMap, String)>>>,
}

async fn receiver() -> Receiver {
    use axum::extract::State;
    type Shared = (Arc<AtomicU16>, Arc<Mutex<Vec<(String, http::HeaderMap, String)>>>);
    async fn take(
        State((status, seen)): State<Shared>,
        uri: http::Uri,
        headers: http::HeaderMap,
        body: String,
    ) -> http::StatusCode {
        seen.lock().unwrap().push((uri.path().to_string(), headers, body));
        http::StatusCode::from_u16(status.load(Ordering::SeqCst)).unwrap()
    }
    let status = Arc::new(AtomicU16::new(200));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new().fallback(take).with_state((status.clone(), seen.clone()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver { url, status, seen }
}

async fn delivery_states(server: &TestServer) -> Vec<(i64, Option<i64>, Option<i64>, Option<String>)> {
    sqlx::query_as("SELECT attempts, delivered_at, failed_at, last_error FROM alert_deliveries ORDER BY id")
        .fetch_all(server.db.pool())
        .await
        .unwrap()
}

async fn alert_deliveries_are_signed_retried_and_given_up(backend: Backend) {
    use app::backend::alerts::{self, ChannelKind, MAX_ATTEMPTS};
    use app::backend::audit::Actor;
    use app::domain::probes::alerts::{signature, validate_rule, Notice, RuleForm};
    use server::probes::deliver;

    let (server, _db) = TestServer::for_backend(backend).await;
    let (service, id) = port_probe(&server).await;
    let ada = Actor { id: 1, name: "Ada", client: None };
    let now = server.clock.now_millis();
    let target = receiver().await;
    let (hook, key) =
        alerts::create_channel(&server.db, ada, 1, ChannelKind::Webhook, "Hook", &format!("{}/hook", target.url), now)
            .await
            .unwrap();
    let (slack, _) =
        alerts::create_channel(&server.db, ada, 1, ChannelKind::Slack, "Slack", &format!("{}/slack", target.url), now)
            .await
            .unwrap();
    let (mail, _) =
        alerts::create_channel(&server.db, ada, 1, ChannelKind::Email, "Mail", "ops@example.com", now).await.unwrap();
    let form = RuleForm { kind: "down".into(), ..RuleForm::default() };
    let rule = validate_rule(&form).unwrap();
    alerts::create_rule(&server.db, ada, service, None, &rule, &[hook, slack, mail], now).await.unwrap();
    set_status(&server, id, "down").await;
    assert_eq!(alerts::evaluate(&server.db, None, now).await.unwrap().counts.queued, 3);

    let client = deliver::client(&server.state).unwrap();
    assert_eq!(tokio::time::timeout(WAIT, deliver::round(&server.state, &client)).await.unwrap().unwrap(), 2);
    let seen = target.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    // The webhook: the notice as JSON, signed over the time and the body.
    let (path, headers, body) = &seen[0];
    assert_eq!(path, "/hook");
    let notice: Notice = serde_json::from_str(body).unwrap();
    assert_eq!((notice.event.as_str(), notice.probe_name.as_str()), ("trigger", "Port"));
    let header = headers["x-preflight-signature"].to_str().unwrap();
    let t: i64 = header.trim_start_matches("t=").split(',').next().unwrap().parse().unwrap();
    assert!((t - server.clock.now_millis() / 1000).abs() <= 5, "a fresh timestamp");
    assert_eq!(header, signature(key.unwrap().as_bytes(), t, body.as_bytes()));
    assert_ne!(header, signature(b"another key", t, body.as_bytes()));
    // Slack: a line of text with a link to the service.
    let (path, _, body) = &seen[1];
    assert_eq!(path, "/slack");
    let text: serde_json::Value = serde_json::from_str(body).unwrap();
    assert!(text["text"].as_str().unwrap().starts_with("Firing: Probe down on Payments API (Port)"), "{text}");
    // Email without SMTP: kept with its reason, tried again later.
    let states = delivery_states(&server).await;
    assert!(states[0].1.is_some() && states[1].1.is_some());
    assert_eq!((states[2].0, states[2].1, states[2].2), (1, None, None));
    assert!(states[2].3.as_deref().unwrap().contains("no SMTP"), "{states:?}");

    // The service's probes panel lists the incident as ongoing.
    let list: serde_json::Value =
        server.post_json("/api/probes/list", &[("slug", "payments-api")]).await.json().await.unwrap();
    assert_eq!(list["incidents"][0]["rule"], "Probe down");
    assert!(list["incidents"][0]["ended_at"].is_null());

    // A receiver that fails: retried after a backoff, then given up.
    target.status.store(500, Ordering::SeqCst);
    set_status(&server, id, "up").await;
    assert_eq!(alerts::evaluate(&server.db, None, server.clock.now_millis()).await.unwrap().counts.queued, 3);
    for _ in 0..MAX_ATTEMPTS {
        tokio::time::timeout(WAIT, deliver::round(&server.state, &client)).await.unwrap().unwrap();
        server.clock.advance(Duration::from_secs(300 * 60));
    }
    let states = delivery_states(&server).await;
    let recovery_hook = &states[3];
    assert_eq!(recovery_hook.0, MAX_ATTEMPTS);
    assert!(recovery_hook.2.is_some(), "given up after the last attempt: {states:?}");
    assert!(recovery_hook.3.as_deref().unwrap().contains("500"), "{states:?}");
    let posts = target.seen.lock().unwrap().iter().filter(|(p, ..)| p == "/hook").count();
    assert_eq!(posts, 1 + MAX_ATTEMPTS as usize, "the trigger once, the recovery at every attempt");
}

/// A form built of owned values, as [`call`] takes it.
fn refs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Calls server function `path` as `client`: its status and JSON answer.
async fn call(
    server: &TestServer,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let response = server.post_with(client, path, form).await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

async fn channels_rules_and_windows_are_managed_by_the_team_and_a_test_reaches_the_receiver(backend: Backend) {
    use app::domain::probes::alerts::{signature, Notice};

    let (server, _db) = TestServer::for_backend(backend).await;
    let (org, service) = service(&server).await;
    allow_loopback(&server).await;
    let target = receiver().await;
    let hook_url = format!("{}/hook/secret-path", target.url);
    let add = "/api/alerts/channels/add";
    let channel = |kind: &'static str, name: &'static str, to: &str| -> Vec<(&'static str, String)> {
        vec![
            ("team_id", "1".into()),
            ("form[kind]", kind.into()),
            ("form[name]", name.into()),
            ("form[target]", to.to_string()),
        ]
    };

    // The team's member adds a webhook and sees its signing key, once.
    let hook_form = channel("webhook", "Hook", &hook_url);
    let (status, added) = call(&server, &org.member, add, &refs(&hook_form)).await;
    assert_eq!(status, 200, "{added}");
    let key = added["signing_key"].as_str().unwrap().to_string();
    assert_eq!(key.len(), 64);
    // Others may not; bad input is named by its field.
    assert_eq!(call(&server, &org.viewer, add, &refs(&hook_form)).await.0, 403);
    assert_eq!(call(&server, &org.other_lead, add, &refs(&hook_form)).await.0, 403);
    let refused = [
        (channel("webhook", "Hook", "ftp://example.com/x"), "target"),
        (channel("webhook", "Hook", "http://169.254.169.254/latest"), "target"),
        (channel("slack", "Hook", ""), "target"),
        (channel("webhook", "", &hook_url), "name"),
        (channel("email", "Mail", "ops@example.com"), "kind"),
        (channel("pager", "Pager", &hook_url), "kind"),
    ];
    for (fields, field) in &refused {
        let (status, body) = call(&server, &org.lead, add, &refs(fields)).await;
        assert_eq!((status, invalid_field(&body)), (422, field.to_string()), "{fields:?}: {body}");
    }

    // Everyone reads the channels: a URL shows only its host, never the key.
    let (_, page) = call(&server, &org.viewer, "/api/alerts/team", &[("team_id", "1")]).await;
    assert_eq!(page["channels"][0]["target"], "http://127.0.0.1/…");
    assert_eq!((page["can_manage"].as_bool(), page["email_available"].as_bool()), (Some(false), Some(false)));
    let text = page.to_string();
    assert!(!text.contains(&key) && !text.contains("secret-path"), "{text}");
    let hook = page["channels"][0]["id"].as_i64().unwrap().to_string();

    // "Send test" sends at once, signed, and says how it went.
    let test_form = [("team_id", "1"), ("channel_id", hook.as_str())];
    let test = "/api/alerts/channels/test";
    let (status, said) = call(&server, &org.lead, test, &test_form).await;
    assert_eq!(status, 200, "{said}");
    let (path, headers, body) = target.seen.lock().unwrap()[0].clone();
    assert_eq!(path, "/hook/secret-path");
    let notice: Notice = serde_json::from_str(&body).unwrap();
    assert_eq!((notice.event.as_str(), notice.probe_name.as_str()), ("test", "Hook"));
    let header = headers["x-preflight-signature"].to_str().unwrap();
    let t: i64 = header.trim_start_matches("t=").split(',').next().unwrap().parse().unwrap();
    assert_eq!(header, signature(key.as_bytes(), t, body.as_bytes()));
    // A failing receiver: the answer names why, and the team's page lists it
    // as failed at once (a test is not retried).
    target.status.store(500, Ordering::SeqCst);
    let (status, said) = call(&server, &org.member, test, &test_form).await;
    assert_eq!(status, 422);
    assert!(said["Invalid"]["message"].as_str().unwrap().contains("500"), "{said}");
    assert_eq!(call(&server, &org.viewer, test, &test_form).await.0, 403);
    let (_, page) = call(&server, &org.viewer, "/api/alerts/team", &[("team_id", "1")]).await;
    assert!(page["deliveries"][0]["state"]["Failed"]["error"].as_str().unwrap().contains("500"), "{page}");
    assert!(page["deliveries"][1]["state"]["Delivered"].is_object(), "{page}");
    assert_eq!(page["channels"][0]["failed_recently"], 1);

    // Rules: the team's channels only, this service's probes only.
    let fields = [("form[kind]", "tcp"), ("form[name]", "Port"), ("form[target]", "127.0.0.1:9")];
    assert_eq!(create_probe(&server, &org.member, service, &fields).await.status(), 200);
    let probe = probe_id(&server, "Port").await;
    let service_s = service.to_string();
    let rule = |more: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        let mut fields = vec![("service_id", service_s.clone()), ("form[kind]", "down".to_string())];
        fields.retain(|(k, _)| !more.iter().any(|(m, _)| m == k));
        fields.extend(more.iter().map(|(k, v)| (*k, v.to_string())));
        fields
    };
    let rules = "/api/alerts/rules/add";
    let to_hook = ("channels[0]", hook.as_str());
    assert_eq!(invalid_field(&call(&server, &org.lead, rules, &refs(&rule(&[]))).await.1), "channels");
    let stray = rule(&[to_hook, ("probe_id", "999")]);
    assert_eq!(invalid_field(&call(&server, &org.lead, rules, &refs(&stray)).await.1), "probe_id");
    let rate = rule(&[to_hook, ("form[kind]", "error-rate"), ("form[threshold]", "150")]);
    assert_eq!(invalid_field(&call(&server, &org.lead, rules, &refs(&rate)).await.1), "threshold");
    let down = rule(&[to_hook]);
    assert_eq!(call(&server, &org.other_lead, rules, &refs(&down)).await.0, 403);
    assert_eq!(call(&server, &org.viewer, rules, &refs(&down)).await.0, 403);
    let (status, body) = call(&server, &org.member, rules, &refs(&down)).await;
    assert_eq!(status, 200, "{body}");

    // Maintenance windows: once (in the future) or weekly.
    let windows = "/api/alerts/maintenance/add";
    let past = [
        ("service_id", service_s.as_str()),
        ("form[kind]", "once"),
        ("form[starts]", "2001-01-01T02:00"),
        ("form[ends]", "2001-01-01T03:00"),
    ];
    assert_eq!(invalid_field(&call(&server, &org.lead, windows, &past).await.1), "ends");
    let weekly = [
        ("service_id", service_s.as_str()),
        ("form[kind]", "weekly"),
        ("form[weekday]", "6"),
        ("form[start_time]", "23:00"),
        ("form[minutes]", "90"),
        ("form[note]", "Patch night"),
    ];
    assert_eq!(call(&server, &org.lead, windows, &weekly).await.0, 200);
    // The probe's charts shade each Sunday's window of the last 30 days.
    let probe_s = probe.to_string();
    let series = [("slug", "payments-api"), ("probe_id", probe_s.as_str()), ("window", "30d")];
    let (_, series) = call(&server, &org.viewer, "/api/probes/series", &series).await;
    let spans: Vec<(i64, i64)> = serde_json::from_value(series["maintenance"].clone()).unwrap();
    assert!((4..=5).contains(&spans.len()), "{spans:?}");
    assert!(spans.iter().all(|(start, end)| end - start <= 90 * 60_000), "clipped or 90 minutes: {spans:?}");

    let (_, page) = call(&server, &org.viewer, "/api/alerts/service", &[("slug", "payments-api")]).await;
    assert_eq!(page["rules"][0]["rule"], "Probe down");
    assert_eq!(page["rules"][0]["channels"], serde_json::json!(["Hook"]));
    assert!(page["rules"][0]["probe_name"].is_null(), "every probe");
    assert_eq!(page["windows"][0]["when"], "Every Sunday from 23:00 for 1 h 30 min (UTC)");
    assert_eq!(page["windows"][0]["note"], "Patch night");
    assert_eq!(page["probes"][0]["name"], "Port");
    assert_eq!(page["can_manage"], false);
    let rule_id = page["rules"][0]["id"].as_i64().unwrap().to_string();
    let window_id = page["windows"][0]["id"].as_i64().unwrap().to_string();

    // Removing a rule ends its open incident; removing a channel empties the list.
    set_status(&server, probe, "down").await;
    let moved = app::backend::alerts::evaluate(&server.db, None, server.clock.now_millis()).await.unwrap();
    assert_eq!(moved.counts.opened, 1);
    assert_eq!(moved.probes, [app::backend::probe_runs::ProbeUpdate { service_id: service, probe_id: probe }]);
    let (_, page) = call(&server, &org.lead, "/api/alerts/service", &[("slug", "payments-api")]).await;
    assert_eq!(page["rules"][0]["firing"], true);
    assert_eq!(page["can_manage"], true);
    let removed = [("service_id", service_s.as_str()), ("rule_id", rule_id.as_str())];
    assert_eq!(call(&server, &org.lead, "/api/alerts/rules/remove", &removed).await.0, 200);
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incidents WHERE ended_at IS NULL")
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    assert_eq!(open, 0);
    let gone = [("service_id", service_s.as_str()), ("window_id", window_id.as_str())];
    assert_eq!(call(&server, &org.lead, "/api/alerts/maintenance/remove", &gone).await.0, 200);
    assert_eq!(call(&server, &org.lead, "/api/alerts/maintenance/remove", &gone).await.0, 404);
    let dropped = [("team_id", "1"), ("channel_id", hook.as_str())];
    assert_eq!(call(&server, &org.lead, "/api/alerts/channels/remove", &dropped).await.0, 200);
    let (_, page) = call(&server, &org.lead, "/api/alerts/team", &[("team_id", "1")]).await;
    assert_eq!(page["channels"], serde_json::json!([]));
    assert_eq!(
        support::audit_actions(&server, "alert.").await,
        [
            "alert.channel_created",
            "alert.channel_tested",
            "alert.channel_tested",
            "alert.rule_created",
            "alert.maintenance_added",
            "alert.rule_removed",
            "alert.maintenance_removed",
            "alert.channel_removed",
        ]
    );
}

async fn a_probe_going_down_opens_its_incident_as_its_result_is_written(backend: Backend) {
    use app::backend::alerts::{self, ChannelKind};
    use app::backend::audit::Actor;
    use app::domain::probes::alerts::{validate_rule, RuleForm};

    let (server, _db) = TestServer::for_backend(backend).await;
    let (org, service) = service(&server).await;
    allow_loopback(&server).await;
    // No upkeep round after the first: only the engine's flush can open it.
    let config = EngineConfig { upkeep_every: Duration::from_secs(3600), ..fast("solo") };
    let engine = probes::start(server.state.clone(), config).unwrap();
    let mut live = server.state.probe_updates.subscribe();
    let target = Target::start().await;
    let url = target.url();
    let fields = [
        ("form[kind]", "http"),
        ("form[name]", "Health"),
        ("form[url]", url.as_str()),
        ("form[failure_threshold]", "1"),
        ("form[recovery_threshold]", "1"),
    ];
    assert_eq!(create_probe(&server, &org.member, service, &fields).await.status(), 200);
    let id = probe_id(&server, "Health").await;
    let ada = Actor { id: 1, name: "Ada", client: None };
    let now = server.clock.now_millis();
    let receiver = receiver().await;
    let (hook, _) =
        alerts::create_channel(&server.db, ada, 1, ChannelKind::Webhook, "Hook", &receiver.url, now).await.unwrap();
    let down = validate_rule(&RuleForm { kind: "down".into(), ..RuleForm::default() }).unwrap();
    alerts::create_rule(&server.db, ada, service, None, &down, &[hook], now).await.unwrap();

    assert_eq!(check_now(&server, service, id).await.0, "up");
    target.status.store(503, Ordering::SeqCst);
    assert_eq!(check_now(&server, service, id).await.0, "down");
    let incident = || async {
        sqlx::query_as::<_, (Option<i64>,)>("SELECT ended_at FROM incidents WHERE probe_id = $1")
            .bind(id)
            .fetch_optional(server.db.pool())
            .await
            .unwrap()
    };
    wait_until("the incident opens", || async { incident().await.is_some() }).await;
    // Back up: the incident closes the same way, and live pages hear of it.
    target.status.store(200, Ordering::SeqCst);
    assert_eq!(check_now(&server, service, id).await.0, "up");
    wait_until("the incident ends", || async { incident().await.is_some_and(|(end,)| end.is_some()) }).await;
    let events: Vec<String> = deliveries(&server).await.into_iter().map(|(_, event, _)| event).collect();
    assert_eq!(events, ["trigger", "recovery"]);
    let mut heard = 0;
    while let Ok(event) = live.try_recv() {
        let app::backend::live_updates::LiveEvent::Probe(update) = event else {
            panic!("{event:?}: nothing was missed")
        };
        assert_eq!(update.service_id, service);
        heard += 1;
    }
    assert!(heard >= 3, "each check and each incident change is told to live pages ({heard})");
    engine.stop().await;
}

/// Three items only live data satisfies.
const LIVE: &str = r#"
[template]
id = "live"
name = "Live checklist"
version = 1

[[sections]]
id = "m"
name = "Monitoring"

[[items]]
id = "m.uptime"
title = "Uptime is monitored"
severity = "critical"
level = "bronze"
evidence = "none"
auto = "probe.uptime"

[[items]]
id = "m.errors"
title = "Error rate is watched"
severity = "high"
level = "bronze"
evidence = "none"
auto = "probe.error_rate"

[[items]]
id = "m.latency"
title = "Latency is measured"
severity = "medium"
level = "silver"
evidence = "none"
auto = "probe.latency"
"#;

async fn checklist_items_follow_the_live_data_that_proves_them(backend: Backend) {
    use app::backend::alerts::{self, ChannelKind};
    use app::backend::audit::Actor;
    use app::backend::{figures, live_proofs};
    use app::domain::probes::alerts::{validate_rule, RuleForm};
    use support::readiness::{create_template, item_by_key, item_json, service_with, stored};

    let (server, _db) = TestServer::for_backend(backend).await;
    let org = org(&server).await;
    allow_loopback(&server).await;
    let template = create_template(&server, LIVE).await;
    let service = service_with(&server, "live-api", template).await;
    let [uptime, errors, latency] = [
        item_by_key(&server, "live-api", "m.uptime").await,
        item_by_key(&server, "live-api", "m.errors").await,
        item_by_key(&server, "live-api", "m.latency").await,
    ];
    let sweep = || async { live_proofs::sweep(&server.db, server.clock.now_millis()).await.unwrap() };
    let standing = |item: i64| {
        let server = &server;
        let viewer = org.viewer.clone();
        async move { item_json(server, &viewer, item).await["standing"].clone() }
    };
    let unmet = |value: serde_json::Value| value["Unmet"]["NoLiveProof"].as_str().unwrap_or_default().to_string();

    // Not judged yet: waiting. Judged without probes: each item says what is missing.
    assert_eq!(standing(uptime).await["Unmet"]["WaitingForLiveData"], "probe.uptime");
    sweep().await;
    assert_eq!(unmet(standing(uptime).await), "No active HTTP or TCP probe checks this service.");
    assert!(unmet(standing(errors).await).starts_with("No error-rate alert rule"));
    assert_eq!(stored(&server, "live-api").await.0, Some(0));

    // A checked HTTP probe proves latency at once; uptime and errors need rules.
    let engine = probes::start(server.state.clone(), fast("solo")).unwrap();
    let target = Target::start().await;
    let url = target.url();
    let fields = [("form[kind]", "http"), ("form[name]", "Health"), ("form[url]", url.as_str())];
    assert_eq!(create_probe(&server, &org.member, service, &fields).await.status(), 200);
    let probe = probe_id(&server, "Health").await;
    assert_eq!(check_now(&server, service, probe).await.0, "up");
    assert_eq!(sweep().await, 1, "the score moved");
    assert_eq!(standing(latency).await, "Satisfied");
    assert!(unmet(standing(uptime).await).starts_with("No “probe down” alert rule with a channel covers “Health”"));

    let ada = Actor { id: 1, name: "Ada", client: None };
    let now = server.clock.now_millis();
    let (hook, _) =
        alerts::create_channel(&server.db, ada, 1, ChannelKind::Webhook, "Hook", "https://example.com/hook", now)
            .await
            .unwrap();
    let rule = |kind: &str, threshold: &str| {
        validate_rule(&RuleForm { kind: kind.into(), threshold: threshold.into(), ..RuleForm::default() }).unwrap()
    };
    alerts::create_rule(&server.db, ada, service, None, &rule("down", ""), &[hook], now).await.unwrap();
    alerts::create_rule(&server.db, ada, service, Some(probe), &rule("error-rate", "5"), &[hook], now).await.unwrap();
    sweep().await;
    for item in [uptime, errors, latency] {
        assert_eq!(standing(item).await, "Satisfied", "item {item}");
    }
    assert_eq!(stored(&server, "live-api").await.0, Some(100));
    assert_eq!(stored(&server, "live-api").await.1, 1, "ready");
    let page = item_json(&server, &org.viewer, uptime).await;
    assert_eq!(page["live"]["proof"]["proven"], true);
    assert_eq!(
        page["live"]["proof"]["note"],
        "“Health” is checked every 60 s and a “probe down” alert goes to 1 channel."
    );
    assert_eq!(page["live"]["figures"][0], "“Health”: Up, 100 % up over 24 h");
    assert_eq!(sweep().await, 0, "nothing changed, nothing written");

    // No result for three intervals: uptime stops counting, and the gate closes.
    server.clock.advance(Duration::from_secs(181));
    sweep().await;
    assert_eq!(unmet(standing(uptime).await), "“Health” has not reported within its last 3 intervals.");
    assert_eq!(standing(latency).await, "Satisfied", "latency counts for 15 minutes");
    assert_eq!(stored(&server, "live-api").await.1, 0, "not ready");
    server.clock.advance(Duration::from_secs(15 * 60));
    sweep().await;
    assert_eq!(unmet(standing(errors).await), "No error-rate data from the last 15 minutes.");
    assert_eq!(stored(&server, "live-api").await.0, Some(0));
    // A fresh result brings all three back.
    assert_eq!(check_now(&server, service, probe).await.0, "up");
    sweep().await;
    assert_eq!(stored(&server, "live-api").await.0, Some(100));
    let (_, disagreements) = figures::check(&server.db, server.clock.now_millis()).await.unwrap();
    assert!(disagreements.is_empty(), "{disagreements:?}");
    let changes = support::audit_actions(&server, "item.live_proof").await.len();
    assert_eq!(changes, 3 + 2 + 2 + 1 + 2 + 3, "one entry per item each time its answer changed");
    engine.stop().await;
}

async fn the_organisations_probes_are_listed_worst_first_a_page_at_a_time(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let (org, service) = service(&server).await;
    allow_loopback(&server).await;
    assert_eq!(register(&server, &server.client, "Search API", "search-api", "2", "1").await.status(), 200);
    let search = service_id(&server, "search-api").await;
    for (service, name) in [(service, "Alpha"), (service, "Beta"), (search, "Gamma"), (search, "Delta")] {
        let fields = [("form[kind]", "tcp"), ("form[name]", name), ("form[target]", "127.0.0.1:9")];
        assert_eq!(create_probe(&server, &server.client, service, &fields).await.status(), 200);
    }
    set_status(&server, probe_id(&server, "Beta").await, "down").await;
    set_status(&server, probe_id(&server, "Delta").await, "up").await;
    set_status(&server, probe_id(&server, "Gamma").await, "up").await;
    let names = |page: &serde_json::Value| -> Vec<String> {
        page["probes"].as_array().unwrap().iter().map(|p| p["summary"]["name"].as_str().unwrap().to_string()).collect()
    };

    // Down first, then pending, then up (by service, then name); two a page.
    let (status, first) = call(&server, &org.viewer, "/api/probes/org", &[("limit", "2")]).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(names(&first), ["Beta", "Alpha"]);
    assert_eq!(first["probes"][0]["service_slug"], "payments-api");
    let counts: Vec<(String, u64)> = serde_json::from_value(first["counts"].clone()).unwrap();
    let counted = |status: &str| counts.iter().find(|(s, _)| s.eq_ignore_ascii_case(status)).map(|(_, n)| *n);
    assert_eq!(
        (counted("down"), counted("pending"), counted("up"), counted("paused")),
        (Some(1), Some(1), Some(2), Some(0))
    );
    let after = first["next"].as_str().unwrap().to_string();
    let (_, second) = call(&server, &org.viewer, "/api/probes/org", &[("limit", "2"), ("after", &after)]).await;
    assert_eq!(names(&second), ["Delta", "Gamma"]);
    assert!(second["next"].is_null());
    // Narrowed by status; a word that is no status is named.
    let (_, up) = call(&server, &org.viewer, "/api/probes/org", &[("status", "up")]).await;
    assert_eq!(names(&up), ["Delta", "Gamma"]);
    assert_eq!(
        invalid_field(&call(&server, &org.viewer, "/api/probes/org", &[("status", "sideways")]).await.1),
        "status"
    );
    // Archived services' probes leave the list.
    sqlx::query("UPDATE services SET archived_at = 1 WHERE id = $1")
        .bind(search)
        .execute(server.db.pool())
        .await
        .unwrap();
    let (_, all) = call(&server, &org.viewer, "/api/probes/org", &[]).await;
    assert_eq!(names(&all), ["Beta", "Alpha"]);
}

/// Two replicas on one PostgreSQL database: a live page open on one hears
/// of the checks the other runs, and when its relay's connection is cut it
/// is told to fetch everything, then hears the next checks again.
#[test]
fn a_live_page_on_one_replica_hears_the_checks_of_another() {
    support::run_test("a_live_page_on_one_replica_hears_the_checks_of_another", async {
        use app::backend::live_updates;
        use tokio_util::sync::CancellationToken;

        let (a, test_db) = TestServer::for_backend(Backend::Postgres).await;
        let (org, service) = service(&a).await;
        allow_loopback(&a).await;
        let b =
            TestServer::start(test_db.connect().await, &support::settings_for(&test_db.url, test_db.data_dir())).await;
        // Only replica B relays: A's page would hear A's checks anyway.
        let stop = CancellationToken::new();
        let relay = tokio::spawn(live_updates::relay(b.db.clone(), b.state.probe_updates.clone(), stop.clone()));
        let listening = || async {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
            )
            .fetch_one(a.db.pool())
            .await
            .unwrap()
                == 1
        };
        wait_until("replica B listens", listening).await;

        let engine = probes::start(a.state.clone(), fast("replica-a")).unwrap();
        let open = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = format!("127.0.0.1:{}", open.local_addr().unwrap().port());
        let fields = [("form[kind]", "tcp"), ("form[name]", "Port"), ("form[target]", target.as_str())];
        assert_eq!(create_probe(&a, &org.lead, service, &fields).await.status(), 200);
        let id = probe_id(&a, "Port").await;

        // The service's page on B, as a browser opens it. A stream stays
        // open longer than the usual client's 30 s for a whole response;
        // each read below has its own limit.
        let browser =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        b.sign_in_with(&browser, support::ADMIN_EMAIL, support::ADMIN_PASSWORD).await;
        let stream = browser.get(b.url("/services/payments-api/probes/events")).send().await.unwrap();
        assert_eq!(stream.status(), 200);
        let mut page = Events { stream, text: String::new() };

        check_now(&a, service, id).await;
        assert_eq!(page.next_data().await, format!("data: {id}"), "B's page hears A's check");

        // B's listening connection is cut: its pages are told to resync…
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .execute(a.db.pool())
        .await
        .unwrap();
        assert_eq!(page.next_data().await, "event: resync", "B's page is told it may have missed updates");
        // …and hear the next checks once it listens again.
        wait_until("replica B listens again", listening).await;
        check_now(&a, service, id).await;
        assert_eq!(page.next_data().await, format!("data: {id}"));

        engine.stop().await;
        stop.cancel();
        relay.await.unwrap();
    });
}

/// A server-sent event stream read as a page reads it.
struct Events {
    stream: reqwest::Response,
    /// Received, not yet read.
    text: String,
}

impl Events {
    /// The first line of the next event that says something (keep-alive
    /// comments skipped): `data: …` or `event: …`.
    async fn next_data(&mut self) -> String {
        tokio::time::timeout(WAIT, async {
            loop {
                while let Some(end) = self.text.find("\n\n") {
                    let event: String = self.text.drain(..end + 2).collect();
                    if let Some(line) = event.lines().find(|l| l.starts_with("data:") || l.starts_with("event:")) {
                        return line.to_string();
                    }
                }
                let chunk = self.stream.chunk().await.unwrap().expect("the stream stays open");
                self.text.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await
        .expect("an event arrives")
    }
}

/// Three `preflight serve` processes share the probes of one PostgreSQL
/// database through leases: each takes its share, no probe is checked twice
/// in one interval, and when one process is killed (no chance to give its
/// leases back) the others take its probes over once its leases lapse.
#[test]
fn three_processes_share_probes_and_take_over_from_a_killed_one() {
    support::run_test("three_processes_share_probes_and_take_over_from_a_killed_one", async {
        use std::collections::HashMap;

        const PROBES: usize = 12;
        const INTERVAL_MS: i64 = 10_000;
        const LEASE_S: u64 = 6;

        let (server, test_db) = TestServer::for_backend(Backend::Postgres).await;
        let (org, service) = service(&server).await;
        allow_loopback(&server).await;
        let target = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = format!("127.0.0.1:{}", target.local_addr().unwrap().port());
        for n in 0..PROBES {
            let name = format!("Port {n}");
            let fields = [
                ("form[kind]", "tcp"),
                ("form[name]", name.as_str()),
                ("form[target]", target.as_str()),
                ("form[interval_secs]", "10"),
            ];
            assert_eq!(create_probe(&server, &org.lead, service, &fields).await.status(), 200);
        }
        let lease = LEASE_S.to_string();
        let extra = [("PREFLIGHT_PROBE_LEASE_SECONDS", lease.as_str())];
        let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        let mut replicas: Vec<support::Replica> = dirs
            .iter()
            .map(|dir| support::Replica::start(&test_db.url, dir.path(), support::free_port(), &extra))
            .collect();
        // Lease owners are "<pid>-<random>".
        let holders = || async {
            let owners: Vec<(Option<String>,)> =
                sqlx::query_as("SELECT lease_owner FROM probes WHERE deleted_at IS NULL")
                    .fetch_all(server.db.pool())
                    .await
                    .unwrap();
            let mut by_pid: HashMap<u32, usize> = HashMap::new();
            for (owner,) in owners.into_iter() {
                if let Some(pid) = owner.and_then(|o| o.split('-').next()?.parse().ok()) {
                    *by_pid.entry(pid).or_default() += 1;
                }
            }
            by_pid
        };
        let pids: Vec<u32> = replicas.iter().map(|r| r.0.id()).collect();
        let fair = || async {
            let held = holders().await;
            pids.iter().all(|pid| held.get(pid) == Some(&(PROBES / 3)))
        };
        // Processes start, lease, rebalance and reach their slots (every
        // 10 s) in their own time: these waits are generous.
        let long = Duration::from_secs(60);
        wait_up_to(long, "each process holds a third of the probes", fair).await;
        let checked_since = |since: i64| {
            let db = server.db.clone();
            async move {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM probes WHERE deleted_at IS NULL AND last_check_at >= $1",
                )
                .bind(since)
                .fetch_one(db.pool())
                .await
                .unwrap()
            }
        };
        wait_up_to(long, "every probe has been checked", || async { checked_since(0).await == PROBES as i64 }).await;

        // Killed: it cannot give its leases back.
        let killed = replicas.pop().unwrap();
        let killed_pid = killed.0.id();
        drop(killed);
        let killed_at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
        let survivors = &pids[..2];
        wait_up_to(long, "the survivors hold every probe", || async {
            let held = holders().await;
            !held.contains_key(&killed_pid)
                && survivors.iter().map(|p| held.get(p).copied().unwrap_or(0)).sum::<usize>() == PROBES
        })
        .await;
        // Within a lease and an interval every probe is checked again.
        wait_up_to(long, "every probe is checked after the kill", || async {
            checked_since(killed_at).await == PROBES as i64
        })
        .await;

        // No probe was checked twice in one interval: its checks fall on
        // its slots, an interval apart, never two in one.
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM probes ORDER BY id").fetch_all(server.db.pool()).await.unwrap();
        for id in ids {
            let mut checks = app::backend::probe_runs::checks(&server.db, id, 0, i64::MAX).await.unwrap();
            checks.sort_by_key(|c| c.at_ms);
            assert!(checks.len() >= 2, "probe {id}: {} checks", checks.len());
            for pair in checks.windows(2) {
                let gap = pair[1].at_ms - pair[0].at_ms;
                assert!(gap >= INTERVAL_MS / 2, "probe {id} was checked twice in one interval ({gap} ms apart)");
            }
        }
        drop(replicas);
    });
}
