//! Running one check: the I/O of each kind of probe, through the outbound
//! guard, and the classification of what went wrong. Judging an answer
//! (status, assertions, certificate) is the domain's (`verdict`).

use std::time::{Duration, Instant};

use app::domain::probes::blocks::CheckRecord;
use std::sync::Arc;

use app::domain::probes::definition::{HttpSpec, ProbeDef, ProbeSpec, TcpSpec, TlsSpec};
use app::domain::probes::status::{ErrorClass, Outcome};
use app::domain::probes::verdict::{judge_http, judge_tls, HttpAnswer, Verdict};
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
}

/// Runs one check of `def` that starts at `at_ms` (epoch ms). Never fails:
/// every failure is an outcome.
pub async fn run(clients: &Clients, def: &ProbeDef, at_ms: i64) -> Checked {
    let timeout = Duration::from_millis(u64::from(def.timeout_ms));
    let started = Instant::now();
    let (verdict, status_code, tls_not_after) = match &def.spec {
        ProbeSpec::Http(spec) => http(clients, spec, timeout, at_ms).await,
        ProbeSpec::Tcp(spec) => (tcp(clients, spec, timeout).await, None, None),
        ProbeSpec::Tls(spec) => {
            let (verdict, not_after) = tls(clients, spec, timeout, at_ms).await;
            (verdict, None, not_after)
        }
        ProbeSpec::Metrics(_) => (
            Verdict {
                outcome: Outcome::Down(ErrorClass::Protocol),
                message: Some("This kind of probe is not run by this version of Preflight yet.".into()),
            },
            None,
            None,
        ),
    };
    let duration_us = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
    Checked {
        record: CheckRecord { at_ms, duration_us, outcome: verdict.outcome, status_code, traffic: None },
        message: verdict.message,
        tls_not_after,
    }
}

fn down(class: ErrorClass, message: impl Into<String>) -> Verdict {
    Verdict { outcome: Outcome::Down(class), message: Some(message.into()) }
}

async fn http(
    clients: &Clients,
    spec: &HttpSpec,
    timeout: Duration,
    now_ms: i64,
) -> (Verdict, Option<u16>, Option<i64>) {
    let started = Instant::now();
    let request = match build_request(spec, timeout) {
        Ok(request) => request,
        Err(message) => return (down(ErrorClass::Protocol, message), None, None),
    };
    let client = if spec.follow_redirects { &clients.follow } else { &clients.no_follow };
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
                return Ok::<_, RequestError>((status, not_after, None));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, not_after, Some(body)))
    };
    match tokio::time::timeout(timeout, exchange).await {
        Err(_) => {
            (down(ErrorClass::Timeout, format!("No complete answer within {} ms.", timeout.as_millis())), None, None)
        }
        Ok(Err(err)) => (classify(&err), None, None),
        Ok(Ok((status, not_after, None))) => (
            down(
                ErrorClass::Body,
                format!("The answer is larger than {} MiB; the check stops reading there.", BODY_LIMIT >> 20),
            ),
            Some(status),
            not_after,
        ),
        Ok(Ok((status, not_after, Some(body)))) => {
            let answer = HttpAnswer {
                status,
                body: &body,
                duration_us: started.elapsed().as_micros() as u64,
                cert_not_after_ms: not_after,
            };
            (judge_http(spec, &answer, now_ms), Some(status), not_after)
        }
    }
}

fn build_request(spec: &HttpSpec, timeout: Duration) -> Result<reqwest::Request, String> {
    let url = url::Url::parse(&spec.url).map_err(|e| format!("The URL cannot be read: {e}."))?;
    let method = reqwest::Method::from_bytes(spec.method.as_str().as_bytes()).map_err(|e| e.to_string())?;
    let mut request = reqwest::Request::new(method, url);
    *request.timeout_mut() = Some(timeout);
    for header in &spec.headers {
        let name = reqwest::header::HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| format!("The header name {} is not valid.", header.name))?;
        let value = reqwest::header::HeaderValue::from_str(&header.value)
            .map_err(|_| format!("The value of header {} is not valid.", header.name))?;
        request.headers_mut().append(name, value);
    }
    if let Some(body) = &spec.body {
        *request.body_mut() = Some(body.clone().into());
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
async fn tls(clients: &Clients, spec: &TlsSpec, timeout: Duration, now_ms: i64) -> (Verdict, Option<i64>) {
    let started = Instant::now();
    let host = spec.target.host();
    let (stream, _) = match clients.guard.connect_tcp(host, spec.target.port(), timeout).await {
        Ok(connected) => connected,
        Err(e) => return (connect_failed(e, timeout), None),
    };
    let Ok(server_name) = rustls::pki_types::ServerName::try_from(host.to_owned()) else {
        return (down(ErrorClass::Dns, "Not a valid host name or address."), None);
    };
    let left = timeout.saturating_sub(started.elapsed());
    match tokio::time::timeout(left, clients.tls.connect(server_name, stream)).await {
        Err(_) => (down(ErrorClass::Timeout, format!("No TLS handshake within {} ms.", timeout.as_millis())), None),
        Ok(Err(e)) => (down(ErrorClass::Tls, format!("The TLS handshake failed: {e}.")), None),
        Ok(Ok(session)) => {
            let not_after = session
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|chain| chain.first())
                .and_then(|c| super::cert::not_after_ms(c));
            match not_after {
                Some(at) => (judge_tls(at, now_ms, spec.warn_days), Some(at)),
                None => (down(ErrorClass::Tls, "The server's certificate could not be read."), None),
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
