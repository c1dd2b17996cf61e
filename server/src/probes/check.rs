//! Running one check: the I/O of each kind of probe, through the outbound
//! guard, and the classification of what went wrong. Judging an answer
//! (status, assertions, certificate) is the domain's (`verdict`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::domain::probes::blocks::{CheckRecord, Traffic};
use app::domain::probes::definition::{HttpSpec, MetricsSpec, ProbeDef, ProbeSpec, TcpSpec, TlsSpec};
use app::domain::probes::headers::Header;
use app::domain::probes::metrics::{error_rate, increase, read_counters, Counters};
use app::domain::probes::status::{ErrorClass, Outcome};
use app::domain::probes::verdict::{judge_http, judge_metrics, judge_tls, HttpAnswer, Verdict};
use outbound::{ConnectError, Guard, GuardedClient, HttpOptions, RequestError};
use tokio_rustls::rustls;

/// The most of a body a check reads: enough for any health endpoint and
/// its assertions; a target sending more is cut off.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The guarded clients checks share (one per redirect rule).
#[derive(Clone)]
pub struct Clients {
    guard: Guard,
    follow: GuardedClient,
    no_follow: GuardedClient,
    tls: tokio_rustls::TlsConnector,
}

impl Clients {
    pub fn new(guard: Guard) -> Result<Clients, reqwest::Error> {
        let options = |follow_redirects| HttpOptions {
            follow_redirects,
            // Each check sets its own; this is only the ceiling.
            timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(60),
            tls_info: true,
            ..HttpOptions::default()
        };
        let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Clients {
            follow: guard.http_client(&options(true))?,
            no_follow: guard.http_client(&options(false))?,
            tls: tokio_rustls::TlsConnector::from(Arc::new(config)),
            guard,
        })
    }
}

/// What a check found, before the probe's state is moved by it.
#[derive(Debug, Clone)]
pub struct Checked {
    pub record: CheckRecord,
    pub message: Option<String>,
    pub tls_not_after: Option<i64>,
    /// Metrics probes: the counters read, and the error rate since the
    /// previous reading.
    pub counters: Option<Counters>,
    pub error_rate: Option<f64>,
}

/// What one kind's check reports back to [`run`].
struct Found {
    verdict: Verdict,
    status_code: Option<u16>,
    tls_not_after: Option<i64>,
    counters: Option<Counters>,
    traffic: Option<Traffic>,
    error_rate: Option<f64>,
}

impl From<Verdict> for Found {
    fn from(verdict: Verdict) -> Found {
        Found { verdict, status_code: None, tls_not_after: None, counters: None, traffic: None, error_rate: None }
    }
}

/// Runs one check of `def` that starts at `at_ms` (epoch ms). `previous`
/// is a metrics probe's last reading. Never fails: every failure is an
/// outcome.
pub async fn run(clients: &Clients, def: &ProbeDef, at_ms: i64, previous: Option<Counters>) -> Checked {
    let timeout = Duration::from_millis(u64::from(def.timeout_ms));
    let started = Instant::now();
    let found = match &def.spec {
        ProbeSpec::Http(spec) => http(clients, spec, timeout, at_ms).await,
        ProbeSpec::Tcp(spec) => tcp(clients, spec, timeout).await.into(),
        ProbeSpec::Tls(spec) => tls(clients, spec, timeout, at_ms).await,
        ProbeSpec::Metrics(spec) => metrics(clients, spec, timeout, previous).await,
    };
    let duration_us = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
    Checked {
        record: CheckRecord {
            at_ms,
            duration_us,
            outcome: found.verdict.outcome,
            status_code: found.status_code,
            traffic: found.traffic,
        },
        message: found.verdict.message,
        tls_not_after: found.tls_not_after,
        counters: found.counters,
        error_rate: found.error_rate,
    }
}

fn down(class: ErrorClass, message: impl Into<String>) -> Verdict {
    Verdict { outcome: Outcome::Down(class), message: Some(message.into()) }
}

/// An HTTP answer read to its end (at most [`BODY_LIMIT`]).
struct Fetched {
    status: u16,
    not_after: Option<i64>,
    body: Vec<u8>,
}

/// Sends `request` and reads the whole answer within `timeout`; a failure
/// is the verdict to report (with the status code when there was one).
async fn fetch(
    client: &GuardedClient,
    request: reqwest::Request,
    timeout: Duration,
) -> Result<Fetched, (Verdict, Option<u16>)> {
    // The timeout covers the whole exchange, a body trickling in included.
    let exchange = async {
        let mut response = client.execute(request).await?;
        let status = response.status().as_u16();
        let not_after = response
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|info| info.peer_certificate())
            .and_then(super::cert::not_after_ms);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(RequestError::Http)? {
            if body.len() + chunk.len() > BODY_LIMIT {
                return Ok::<_, RequestError>(Err(status));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Ok(Fetched { status, not_after, body }))
    };
    match tokio::time::timeout(timeout, exchange).await {
        Err(_) => {
            Err((down(ErrorClass::Timeout, format!("No complete answer within {} ms.", timeout.as_millis())), None))
        }
        Ok(Err(err)) => Err((classify(&err), None)),
        Ok(Ok(Err(status))) => Err((
            down(
                ErrorClass::Body,
                format!("The answer is larger than {} MiB; the check stops reading there.", BODY_LIMIT >> 20),
            ),
            Some(status),
        )),
        Ok(Ok(Ok(fetched))) => Ok(fetched),
    }
}

async fn http(clients: &Clients, spec: &HttpSpec, timeout: Duration, now_ms: i64) -> Found {
    let started = Instant::now();
    let request = match build_request(&spec.url, spec.method.as_str(), &spec.headers, spec.body.as_deref(), timeout) {
        Ok(request) => request,
        Err(message) => return down(ErrorClass::Protocol, message).into(),
    };
    let client = if spec.follow_redirects { &clients.follow } else { &clients.no_follow };
    match fetch(client, request, timeout).await {
        Err((verdict, status_code)) => Found { status_code, ..verdict.into() },
        Ok(fetched) => {
            let answer = HttpAnswer {
                status: fetched.status,
                body: &fetched.body,
                duration_us: started.elapsed().as_micros() as u64,
                cert_not_after_ms: fetched.not_after,
            };
            Found {
                status_code: Some(fetched.status),
                tls_not_after: fetched.not_after,
                ..judge_http(spec, &answer, now_ms).into()
            }
        }
    }
}

/// Scrapes a Prometheus text page and reads the two counters; the error
/// rate is their increase since `previous` (a reset counts from zero).
async fn metrics(clients: &Clients, spec: &MetricsSpec, timeout: Duration, previous: Option<Counters>) -> Found {
    let request = match build_request(&spec.url, "GET", &spec.headers, None, timeout) {
        Ok(request) => request,
        Err(message) => return down(ErrorClass::Protocol, message).into(),
    };
    let fetched = match fetch(&clients.follow, request, timeout).await {
        Err((verdict, status_code)) => return Found { status_code, ..verdict.into() },
        Ok(fetched) => fetched,
    };
    let status_code = Some(fetched.status);
    if !(200..300).contains(&fetched.status) {
        let verdict = down(ErrorClass::Status, format!("Status {} from the metrics page.", fetched.status));
        return Found { status_code, ..verdict.into() };
    }
    let text = String::from_utf8_lossy(&fetched.body);
    let counters = match read_counters(&text, &spec.requests, &spec.errors) {
        Ok(counters) => counters,
        Err(e) => return Found { status_code, ..down(e.class(), e.to_string()).into() },
    };
    let (traffic, error_rate) = match previous {
        Some(previous) => {
            let delta = increase(previous, counters);
            (Some(Traffic::from_increase(delta.requests, delta.errors)), error_rate(previous, counters))
        }
        None => (None, None),
    };
    Found {
        status_code,
        tls_not_after: fetched.not_after,
        counters: Some(counters),
        traffic,
        error_rate,
        ..judge_metrics(error_rate, spec.error_rate_warn_percent).into()
    }
}

fn build_request(
    url: &str,
    method: &str,
    headers: &[Header],
    body: Option<&str>,
    timeout: Duration,
) -> Result<reqwest::Request, String> {
    let url = url::Url::parse(url).map_err(|e| format!("The URL cannot be read: {e}."))?;
    let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let mut request = reqwest::Request::new(method, url);
    *request.timeout_mut() = Some(timeout);
    for header in headers {
        let name = reqwest::header::HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| format!("The header name {} is not valid.", header.name))?;
        let value = reqwest::header::HeaderValue::from_str(&header.value)
            .map_err(|_| format!("The value of header {} is not valid.", header.name))?;
        request.headers_mut().append(name, value);
    }
    if let Some(body) = body {
        *request.body_mut() = Some(body.to_owned().into());
    }
    Ok(request)
}

/// The error class and message of a failed exchange. The guard's refusal
/// reads the same whatever the target, so it reveals nothing about it.
fn classify(err: &RequestError) -> Verdict {
    let err = match err {
        RequestError::Refused(refusal) => return down(ErrorClass::Refused, refusal.to_string()),
        RequestError::Http(err) => err,
    };
    if err.is_timeout() {
        return down(ErrorClass::Timeout, "Timed out.");
    }
    let chain = error_chain(err);
    if chain.contains("dns error") {
        return down(ErrorClass::Dns, "The host name could not be resolved.");
    }
    if ["certificate", "tls", "handshake", "invalidcertificate"].iter().any(|word| chain.contains(word)) {
        return down(ErrorClass::Tls, format!("The TLS handshake failed: {}", last_cause(err)));
    }
    if err.is_redirect() {
        return down(ErrorClass::Protocol, format!("Too many redirects (more than {}).", outbound::MAX_REDIRECTS));
    }
    if err.is_connect() {
        return down(ErrorClass::Connect, format!("Could not connect: {}", last_cause(err)));
    }
    down(ErrorClass::Protocol, format!("The answer could not be read: {}", last_cause(err)))
}

/// Every message in the error's chain, lower-cased, for classification.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string().to_lowercase();
    let mut source = err.source();
    while let Some(next) = source {
        text.push_str(" | ");
        text.push_str(&next.to_string().to_lowercase());
        source = next.source();
    }
    text
}

/// The innermost cause: the part of the chain that says what happened.
fn last_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err.to_string();
    let mut source = err.source();
    while let Some(next) = source {
        last = next.to_string();
        source = next.source();
    }
    let mut short: String = last.chars().take(160).collect();
    if !short.ends_with('.') {
        short.push('.');
    }
    short
}

async fn tcp(clients: &Clients, spec: &TcpSpec, timeout: Duration) -> Verdict {
    match clients.guard.connect_tcp(spec.target.host(), spec.target.port(), timeout).await {
        Ok(_) => Verdict { outcome: Outcome::Up, message: None },
        Err(e) => connect_failed(e, timeout),
    }
}

/// A TLS handshake with `host:port`, judged by the certificate it serves
/// (verified against the public roots, for the probe's host name).
async fn tls(clients: &Clients, spec: &TlsSpec, timeout: Duration, now_ms: i64) -> Found {
    let started = Instant::now();
    let host = spec.target.host();
    let (stream, _) = match clients.guard.connect_tcp(host, spec.target.port(), timeout).await {
        Ok(connected) => connected,
        Err(e) => return connect_failed(e, timeout).into(),
    };
    let Ok(server_name) = rustls::pki_types::ServerName::try_from(host.to_owned()) else {
        return down(ErrorClass::Dns, "Not a valid host name or address.").into();
    };
    let left = timeout.saturating_sub(started.elapsed());
    match tokio::time::timeout(left, clients.tls.connect(server_name, stream)).await {
        Err(_) => down(ErrorClass::Timeout, format!("No TLS handshake within {} ms.", timeout.as_millis())).into(),
        Ok(Err(e)) => down(ErrorClass::Tls, format!("The TLS handshake failed: {e}.")).into(),
        Ok(Ok(session)) => {
            let chain = session.get_ref().1.peer_certificates();
            match chain.and_then(|chain| chain.first()).and_then(|cert| super::cert::not_after_ms(cert)) {
                Some(at) => Found { tls_not_after: Some(at), ..judge_tls(at, now_ms, spec.warn_days).into() },
                None => down(ErrorClass::Tls, "The server's certificate could not be read.").into(),
            }
        }
    }
}

fn connect_failed(err: ConnectError, timeout: Duration) -> Verdict {
    match err {
        ConnectError::Refused(refusal) => down(ErrorClass::Refused, refusal.to_string()),
        ConnectError::InvalidHost => down(ErrorClass::Dns, "Not a valid host name or address."),
        ConnectError::Dns(_) => down(ErrorClass::Dns, "The host name could not be resolved."),
        ConnectError::Connect(e) => down(ErrorClass::Connect, format!("Could not connect: {e}.")),
        ConnectError::Timeout => down(ErrorClass::Timeout, format!("No connection within {} ms.", timeout.as_millis())),
    }
}
