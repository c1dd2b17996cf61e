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
