//! Prometheus metrics, served as text at `GET /metrics`.
//!
//! Route labels are the matched route pattern, never the raw path, so a
//! scan of random URLs cannot create unbounded label sets.

use prometheus_client::encoding::{text::encode, EncodeLabelSet};
use prometheus_client::metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram, info::Info};
use prometheus_client::registry::Registry;

use app::backend::Db;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    /// "2xx", "4xx", …
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

/// Bucket bounds of every histogram of seconds here (1 ms to 10 s).
const SECONDS_BUCKETS: [f64; 13] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The probe engine's figures. Cheap to clone (the handles share their
/// values); [`Metrics::new`] registers one set, and an engine started
/// without it (tests) counts into an unregistered set.
#[derive(Clone, Debug)]
pub struct ProbeMetrics {
    /// From a check's slot to its start (a permit free, the task running).
    pub drift: Histogram,
    /// Checks finished, whatever their outcome.
    pub checks: Counter,
}

impl Default for ProbeMetrics {
    fn default() -> Self {
        ProbeMetrics { drift: Histogram::new(SECONDS_BUCKETS), checks: Counter::default() }
    }
}

pub struct Metrics {
    registry: Registry,
    pub probes: ProbeMetrics,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RequestLabels, Histogram>,
    pool_connections: Family<PoolLabels, Gauge>,
}

impl Metrics {
    pub fn new(pool_max_connections: u32) -> Metrics {
        let mut registry = Registry::with_prefix("preflight");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered, by route and status class", requests.clone());
        let durations = Family::<RequestLabels, Histogram>::new_with_constructor(|| Histogram::new(SECONDS_BUCKETS));
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests, by route and status class",
            durations.clone(),
        );
        let pool_connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections by state (idle, in_use)",
            pool_connections.clone(),
        );
        let pool_max: Gauge = Gauge::default();
        pool_max.set(pool_max_connections.into());
        registry.register("db_pool_max_connections", "Configured size of the database pool", pool_max);
        registry.register("build", "Build information", Info::new(BuildLabels { version: env!("CARGO_PKG_VERSION") }));
        let probes = ProbeMetrics::default();
        registry.register(
            "probe_schedule_drift_seconds",
            "Time from a probe check's slot to its start",
            probes.drift.clone(),
        );
        registry.register("probe_checks", "Probe checks finished, whatever their outcome", probes.checks.clone());
        Metrics { registry, probes, requests, durations, pool_connections }
    }

    pub fn observe_request(&self, route: &str, status: u16, seconds: f64) {
        let labels = RequestLabels { route: route.to_string(), status: format!("{}xx", status / 100) };
        self.requests.get_or_create(&labels).inc();
        self.durations.get_or_create(&labels).observe(seconds);
    }

    /// The exposition text, with pool gauges read at scrape time.
    pub fn render(&self, db: &Db) -> String {
        let (size, idle) = db.pool_usage();
        let idle = idle as i64;
        self.pool_connections.get_or_create(&PoolLabels { state: "idle" }).set(idle);
        self.pool_connections.get_or_create(&PoolLabels { state: "in_use" }).set(i64::from(size) - idle);
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}
