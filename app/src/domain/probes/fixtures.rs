//! Definitions shared by the tests of several modules.

use super::assertions::Assertion;
use super::definition::*;
use super::headers::Header;
use super::selector::SeriesSelector;
use super::status_codes::StatusSet;
use super::target::HostPort;

/// One definition of every kind, using every field (secrets included).
pub(crate) fn full_defs() -> Vec<ProbeDef> {
    let selector = |t: &str| SeriesSelector::parse(t).unwrap();
    vec![
        ProbeDef {
            name: "API health".into(),
            interval_secs: 30,
            timeout_ms: 5000,
            failure_threshold: 3,
            recovery_threshold: 2,
            spec: ProbeSpec::Http(HttpSpec {
                method: HttpMethod::Post,
                url: "https://api.example.com/health?deep=1".into(),
                headers: vec![
                    Header { name: "Accept".into(), value: "application/json".into(), secret: false },
                    Header { name: "Authorization".into(), value: "Bearer s3cr3t".into(), secret: true },
                ],
                body: Some("{\"ping\": true}\n".into()),
                accept: StatusSet::parse("200-299,301").unwrap(),
                assertions: vec![
                    Assertion::BodyContains("ok".into()),
                    Assertion::JsonPointerEquals { pointer: "/status".into(), value: "\"up\"".into() },
                    Assertion::JsonPointerEquals { pointer: "/a b/~0".into(), value: "3".into() },
                    Assertion::LatencyUnder(800),
                ],
                follow_redirects: false,
                tls_warn_days: Some(21),
            }),
        },
        ProbeDef {
            name: "Plain page".into(),
            interval_secs: 60,
            timeout_ms: 10_000,
            failure_threshold: 1,
            recovery_threshold: 1,
            spec: ProbeSpec::Http(HttpSpec {
                method: HttpMethod::Get,
                url: "http://example.com/".into(),
                headers: vec![],
                body: None,
                accept: StatusSet::default(),
                assertions: vec![],
                follow_redirects: true,
                tls_warn_days: None,
            }),
        },
        ProbeDef {
            name: "Database port".into(),
            interval_secs: 10,
            timeout_ms: 2000,
            failure_threshold: 20,
            recovery_threshold: 20,
            spec: ProbeSpec::Tcp(TcpSpec { target: HostPort::parse("[2001:db8::5]:5432").unwrap() }),
        },
        ProbeDef {
            name: "Certificate".into(),
            interval_secs: 3600,
            timeout_ms: 60_000,
            failure_threshold: 2,
            recovery_threshold: 1,
            spec: ProbeSpec::Tls(TlsSpec { target: HostPort::parse("api.example.com:443").unwrap(), warn_days: 30 }),
        },
        ProbeDef {
            name: "Error rate".into(),
            interval_secs: 60,
            timeout_ms: 10_000,
            failure_threshold: 3,
            recovery_threshold: 2,
            spec: ProbeSpec::Metrics(MetricsSpec {
                url: "http://10.0.0.5:9100/metrics".into(),
                headers: vec![Header { name: "X-Token".into(), value: "t0k".into(), secret: true }],
                requests: selector(r#"http_requests_total{job="api"}"#),
                errors: selector(r#"http_requests_total{job="api", status=~"5.."}"#),
                error_rate_warn_percent: Some(2.5),
            }),
        },
    ]
}

/// A small seeded generator (splitmix64) for tests that want varied but
/// repeatable numbers.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}
