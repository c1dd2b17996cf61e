//! Database size after a simulated year of probe results (issue 10's
//! storage target: at most 3 MB per probe-year at a 20 s interval).
//!
//! Every check goes through the storage path the engine uses: probes are
//! created with `backend::probes::create`, each simulated hour's checks are
//! written by `probe_runs::record` (the engine's writer: blocks appended,
//! state on the probe row), and after each simulated day the upkeep's own
//! calls run at that day's clock: `probe_runs::prune_blocks` (raw checks
//! kept 7 days) and `probe_rollups::roll` (hourly and daily rollups, stored
//! uptime windows, hours archived a day per row after a week). Only the clock is moved (and on PostgreSQL the probe
//! tables are vacuumed once a simulated day, standing in for autovacuum,
//! which would have run a thousand times in that day). Checks are
//! realistic rather than uniform: log-normal latencies around a median of
//! each probe's own, outages of 1 to 60 checks now and then (timeouts,
//! 503s, refused connections), and one probe in ten a metrics probe whose
//! checks carry request and error counts (16-byte records instead of 8).
//!
//! Prints one line for `make bench`:
//!
//!     probe storage (SQLite): 1000 probes every 20 s for 365 days: 2.30 MB per probe-year (…)
//!
//! Options (after `--`): `--probes N` (1000), `--days N` (365),
//! `--interval S` (20), `--database-url URL` (a new SQLite file in a
//! temporary directory; a PostgreSQL URL must name an empty database).

use std::time::Instant;

use app::backend::audit::Actor;
use app::backend::db::{Backend, Db, DbOptions};
use app::backend::probe_runs::{self, CheckDone};
use app::backend::services::{self, ValidService};
use app::backend::{accounts, migrations, probe_rollups, probes, teams};
use app::domain::probes::blocks::{CheckRecord, Traffic, BLOCK_MS};
use app::domain::probes::definition::ProbeDef;
use app::domain::probes::schedule::{next_due, phase_ms};
use app::domain::probes::status::{next_state, ErrorClass, Outcome, ProbeState};
use app::domain::probes::toml_file;
use app::domain::services::Environment;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal};

const DAY_MS: i64 = 24 * BLOCK_MS;
/// 2026-01-01T00:00:00Z: the simulated year starts here.
const START_MS: i64 = 1_767_225_600_000;
/// Raw checks are kept this long (the default of PREFLIGHT_PROBE_RAW_DAYS).
const RAW_KEEP_MS: i64 = 7 * DAY_MS;
/// The upkeep deletes blocks in statements of this many.
const PRUNE_BATCH: u64 = 1000;
/// Chance that a check starts an outage: about one a week per probe.
const OUTAGE_CHANCE: f64 = 1.0 / 30_000.0;
const TIMEOUT_US: u32 = 10_000_000;

struct Options {
    probes: usize,
    days: i64,
    interval_s: u32,
    database_url: Option<String>,
}

fn options() -> Options {
    let mut options = Options { probes: 1000, days: 365, interval_s: 20, database_url: None };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--probes" => options.probes = value().parse().expect("--probes: a number"),
            "--days" => options.days = value().parse().expect("--days: a number"),
            "--interval" => options.interval_s = value().parse().expect("--interval: seconds"),
            "--database-url" => options.database_url = Some(value()),
            // `cargo bench` passes `--bench`; nothing else is expected.
            "--bench" => {}
            other => panic!("unknown option {other}"),
        }
    }
    options
}

/// One simulated probe: its definition's facts and what its checks look like.
struct SimProbe {
    id: i64,
    service_id: i64,
    phase_ms: i64,
    metrics: bool,
    latency: LogNormal<f64>,
    /// Requests per second its service serves (metrics probes).
    rps: f64,
    state: ProbeState,
    /// Checks left in the current outage, and how it fails.
    outage: Option<(u32, ErrorClass)>,
    totals: (f64, f64),
}

impl SimProbe {
    /// The probe's check at `at_ms`, with its state after it.
    fn check(&mut self, at_ms: i64, rng: &mut SmallRng) -> CheckDone {
        if self.outage.is_none() && rng.random_bool(OUTAGE_CHANCE) {
            let class = [ErrorClass::Timeout, ErrorClass::Status, ErrorClass::Connect][rng.random_range(0..3)];
            self.outage = Some((rng.random_range(1..=60), class));
        }
        let (outcome, duration_us, status_code, message) = match &mut self.outage {
            Some((left, class)) => {
                let class = *class;
                *left -= 1;
                if *left == 0 {
                    self.outage = None;
                }
                match class {
                    ErrorClass::Timeout => (Outcome::Down(class), TIMEOUT_US, None, "no answer within 10 s"),
                    ErrorClass::Status => (Outcome::Down(class), self.latency_us(rng), Some(503), "status 503"),
                    _ => (Outcome::Down(class), rng.random_range(100..2_000), None, "connection refused"),
                }
            }
            None => (Outcome::Up, self.latency_us(rng), Some(200), ""),
        };
        let mut traffic = None;
        if self.metrics {
            let requests = (self.rps * 20.0 * rng.random_range(0.8..1.2)).round();
            let error_share = if outcome.is_success() { 0.001 } else { 0.3 };
            let errors = (requests * error_share * rng.random_range(0.0..2.0)).round();
            self.totals = (self.totals.0 + requests, self.totals.1 + errors);
            traffic = Some(Traffic::from_increase(requests, errors));
        }
        let (state, _) = next_state(self.state, outcome, 3, 2, at_ms);
        self.state = state;
        CheckDone {
            probe_id: self.id,
            service_id: self.service_id,
            version: 1,
            record: CheckRecord { at_ms, duration_us, outcome, status_code, traffic },
            state,
            message: (!message.is_empty()).then(|| message.to_string()),
            tls_not_after: (!self.metrics).then_some(START_MS + 400 * DAY_MS),
            counters: self.metrics.then_some(self.totals),
            error_rate: traffic.map(|t| f64::from(t.errors) / f64::from(t.requests.max(1))),
        }
    }

    fn latency_us(&self, rng: &mut SmallRng) -> u32 {
        (self.latency.sample(rng) * 1000.0).min(f64::from(TIMEOUT_US)) as u32
    }
}

/// Creates `count` probes on 1 service per 5 probes, through the backend
/// the probe form uses.
async fn create_probes(db: &Db, count: usize, interval_s: u32, rng: &mut SmallRng) -> Vec<SimProbe> {
    let admin = accounts::create_first_admin(db, "Bench", "bench@example.com", "not-a-hash", START_MS)
        .await
        .expect("admin")
        .expect("a fresh database");
    let actor = || Actor { id: admin, name: "Bench", client: None };
    let team = teams::create(db, actor(), "Platform", START_MS).await.expect("team");
    let mut sims = Vec::with_capacity(count);
    for n in 0..count {
        let service_id = if n % 5 == 0 {
            let service = ValidService {
                name: format!("Service {}", n / 5),
                slug: format!("service-{}", n / 5),
                team_id: team,
                tier: 1,
                environment: Environment::Production,
                description: String::new(),
                repository_url: None,
                docs_url: None,
                launch_date: None,
            };
            services::create(db, actor(), &service, START_MS).await.expect("service")
        } else {
            sims.last().map(|s: &SimProbe| s.service_id).expect("a service")
        };
        let metrics = n % 10 == 9;
        let def = definition(n, metrics, interval_s);
        let id = probes::create(db, actor(), service_id, def, START_MS).await.expect("probe");
        // Medians from 20 to 300 ms, spread log-uniformly.
        let median_ms = 20.0 * 15f64.powf(rng.random_range(0.0..1.0));
        sims.push(SimProbe {
            id,
            service_id,
            phase_ms: phase_ms(id, i64::from(interval_s) * 1000),
            metrics,
            latency: LogNormal::new(f64::ln(median_ms), 0.35).expect("a log-normal"),
            rps: 5.0 * 100f64.powf(rng.random_range(0.0..1.0)),
            state: ProbeState::new(START_MS),
            outage: None,
            totals: (0.0, 0.0),
        });
    }
    sims
}

fn definition(n: usize, metrics: bool, interval_s: u32) -> ProbeDef {
    let service = n / 5;
    let text = if metrics {
        format!(
            r#"[[probe]]
name = "Traffic {n}"
kind = "metrics"
interval_secs = {interval_s}
url = "https://service-{service}.example.com/metrics"
requests = "http_requests_total"
errors = 'http_requests_total{{status=~"5.."}}'
"#
        )
    } else {
        format!(
            r#"[[probe]]
name = "Health {n}"
kind = "http"
interval_secs = {interval_s}
timeout_ms = 10000
url = "https://service-{service}.example.com/health/{n}"
"#
        )
    };
    toml_file::import(&text).expect("a valid probe file").remove(0)
}

/// Bytes used by the probe tables and their indexes, and by the whole database.
struct Sizes {
    /// Raw checks (`probe_blocks`).
    blocks: i64,
    /// Hourly and daily rows (`probe_rollups`).
    rollups: i64,
    /// Archived hours (`probe_hour_archive`).
    archive: i64,
    /// The whole database.
    total: i64,
}

async fn sizes(db: &Db) -> Sizes {
    match db.backend() {
        Backend::Sqlite => {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(db.pool()).await.expect("checkpoint");
            let of = |tables: &'static str| async move {
                sqlx::query_scalar::<_, i64>(&format!(
                    "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN
                       (SELECT name FROM sqlite_schema WHERE tbl_name IN ({tables}))"
                ))
                .fetch_one(db.pool())
                .await
                .expect("dbstat")
            };
            let file: i64 =
                sqlx::query_scalar("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
                    .fetch_one(db.pool())
                    .await
                    .expect("page count");
            Sizes {
                blocks: of("'probe_blocks'").await,
                rollups: of("'probe_rollups'").await,
                archive: of("'probe_hour_archive'").await,
                total: file,
            }
        }
        Backend::Postgres => {
            sqlx::query("VACUUM ANALYZE").execute(db.pool()).await.expect("vacuum");
            let of = |table: &'static str| async move {
                sqlx::query_scalar::<_, i64>(&format!("SELECT pg_total_relation_size('{table}')"))
                    .fetch_one(db.pool())
                    .await
                    .expect("relation size")
            };
            let database: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
                .fetch_one(db.pool())
                .await
                .expect("database size");
            Sizes {
                blocks: of("probe_blocks").await,
                rollups: of("probe_rollups").await,
                archive: of("probe_hour_archive").await,
                total: database,
            }
        }
    }
}

fn main() {
    let options = options();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(run(options));
}

async fn run(options: Options) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = options
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.path().join("preflight.db").display()));
    let db = Db::connect(&DbOptions::new(url)).await.expect("database");
    migrations::migrate(&db).await.expect("migrations");
    let mut rng = SmallRng::seed_from_u64(2026);
    let mut sims = create_probes(&db, options.probes, options.interval_s, &mut rng).await;
    let before = sizes(&db).await;

    let interval_ms = i64::from(options.interval_s) * 1000;
    let started = Instant::now();
    let mut checks = 0u64;
    for day in 0..options.days {
        for hour in 0..24 {
            let from = START_MS + day * DAY_MS + hour * BLOCK_MS;
            let mut batch = Vec::new();
            for sim in &mut sims {
                let mut at = next_due(from - 1, interval_ms, sim.phase_ms);
                while at < from + BLOCK_MS {
                    batch.push(sim.check(at, &mut rng));
                    at += interval_ms;
                }
            }
            checks += batch.len() as u64;
            probe_runs::record(&db, &batch).await.expect("record");
        }
        // The upkeep's round at the end of the day (it runs every minute;
        // what it leaves behind is the same).
        let now = START_MS + (day + 1) * DAY_MS + probe_rollups::GRACE_MS;
        while probe_runs::prune_blocks(&db, now - RAW_KEEP_MS, PRUNE_BATCH).await.expect("prune") == PRUNE_BATCH {}
        loop {
            let rolled = probe_rollups::roll(&db, now).await.expect("roll");
            if rolled.hours == 0 && rolled.days == 0 && rolled.archived == 0 {
                break;
            }
        }
        // PostgreSQL reuses a deleted row's space once it is vacuumed. Its
        // autovacuum wakes every minute, over a thousand times a simulated
        // day, but this day passed in a fraction of a second: vacuum as it
        // would have by now. (SQLite reuses freed pages at once.)
        if db.backend() == Backend::Postgres {
            sqlx::query("VACUUM probe_blocks, probe_rollups, probe_hour_archive")
                .execute(db.pool())
                .await
                .expect("vacuum");
        }
    }
    let elapsed = started.elapsed();
    let after = sizes(&db).await;
    let probe_years = options.probes as f64 * options.days as f64 / 365.0;
    let mb = |bytes: i64| bytes as f64 / 1e6;
    let per = |bytes: i64| mb(bytes) / probe_years;
    println!(
        "probe storage ({}): {} probes every {} s for {} days: {:.2} MB per probe-year \
         (raw checks of the last 7 days {:.2} MB, hourly and daily rows {:.2} MB, archived hours {:.2} MB; \
         database {:.1} MB, \
         {:.1} MB of it before the first check; {} checks simulated in {:.0} s)",
        db.backend().name(),
        options.probes,
        options.interval_s,
        options.days,
        per(after.total - before.total),
        per(after.blocks - before.blocks),
        per(after.rollups - before.rollups),
        per(after.archive - before.archive),
        mb(after.total),
        mb(before.total),
        checks,
        elapsed.as_secs_f64(),
    );
    db.close().await;
}
