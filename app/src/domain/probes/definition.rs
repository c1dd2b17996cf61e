//! Probe definitions: what a probe checks and how often, the form that
//! edits one, and [`validate`], which turns the form into a [`ProbeDef`] or
//! names the field of the first problem.
//!
//! Limits, and why:
//!
//! | setting | bounds | default | why |
//! |---|---|---|---|
//! | interval | 10 s ..= 3,600 s | 60 s | more often adds load, not insight; less often than hourly is not monitoring |
//! | timeout | 100 ms ..= 60 s, below the interval | 10 s (at most half the interval when left blank) | a check never overlaps the next one; a minute is longer than any useful answer |
//! | failures before down | 1 ..= 20 | 3 | one lost packet should not page anyone |
//! | successes before up | 1 ..= 20 | 2 | one lucky answer should not end an incident |
//! | POST body | 64 KiB | none | a health check, not an upload |
//! | TLS warning | 1 ..= 365 days | 14 (TLS probes), none (HTTP) | |
//!
//! Blank fields take their defaults, so a form or a file needs to say only
//! what differs.

use serde::{Deserialize, Serialize};

use super::assertions::{self, Assertion};
use super::headers::{self, Header};
use super::selector::SeriesSelector;
use super::status_codes::StatusSet;
use super::target::{is_https, probe_url, HostPort};
use crate::error::AppError;

/// The longest probe name, in characters.
pub const MAX_NAME_CHARS: usize = 80;
/// The shortest interval between checks, in seconds.
pub const MIN_INTERVAL_SECS: u32 = 10;
/// The interval when none is given, in seconds.
pub const DEFAULT_INTERVAL_SECS: u32 = 60;
/// The longest interval between checks, in seconds (an hour).
pub const MAX_INTERVAL_SECS: u32 = 3600;
/// The shortest timeout, in ms.
pub const MIN_TIMEOUT_MS: u32 = 100;
/// The timeout when none is given, in ms (capped at half the interval).
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;
/// The longest timeout, in ms (a minute).
pub const MAX_TIMEOUT_MS: u32 = 60_000;
/// The fewest checks in a row a threshold may ask for.
pub const MIN_THRESHOLD: u32 = 1;
/// The most checks in a row a threshold may ask for.
pub const MAX_THRESHOLD: u32 = 20;
/// Failures in a row before down, when none is given.
pub const DEFAULT_FAILURE_THRESHOLD: u32 = 3;
/// Successes in a row before up again, when none is given.
pub const DEFAULT_RECOVERY_THRESHOLD: u32 = 2;
/// The largest POST body, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Days of warning before a certificate expires, for TLS probes.
pub const DEFAULT_TLS_WARN_DAYS: u32 = 14;
/// The most days of warning a probe may ask for.
pub const MAX_WARN_DAYS: u32 = 365;

/// What a probe checks. Stored as its word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProbeKind {
    /// An HTTP(S) request and its answer.
    Http,
    /// A TCP connection opens.
    Tcp,
    /// A TLS handshake succeeds and the certificate is far from expiry.
    Tls,
    /// A Prometheus metrics page, read for a service's error rate.
    Metrics,
}

impl ProbeKind {
    /// Every kind, in the order forms list them.
    pub const ALL: [ProbeKind; 4] = [ProbeKind::Http, ProbeKind::Tcp, ProbeKind::Tls, ProbeKind::Metrics];

    /// The stored word: "http", "tcp", "tls", "metrics".
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeKind::Http => "http",
            ProbeKind::Tcp => "tcp",
            ProbeKind::Tls => "tls",
            ProbeKind::Metrics => "metrics",
        }
    }

    /// For people: "TLS certificate".
    pub fn label(self) -> &'static str {
        match self {
            ProbeKind::Http => "HTTP",
            ProbeKind::Tcp => "TCP port",
            ProbeKind::Tls => "TLS certificate",
            ProbeKind::Metrics => "Metrics (error rate)",
        }
    }

    /// The kind stored as this word, if any.
    pub fn parse(text: &str) -> Option<ProbeKind> {
        ProbeKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

crate::domain::stored_word!(ProbeKind, "probe kind");

/// The request method of an HTTP probe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// The default.
    #[default]
    Get,
    /// Like GET, without a body in the answer.
    Head,
    /// The only method that sends a body.
    Post,
}

impl HttpMethod {
    /// Every method, in the order forms list them.
    pub const ALL: [HttpMethod; 3] = [HttpMethod::Get, HttpMethod::Head, HttpMethod::Post];

    /// "GET", "HEAD" or "POST".
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Head => "HEAD",
            HttpMethod::Post => "POST",
        }
    }

    /// Case ignored.
    pub fn parse(text: &str) -> Option<HttpMethod> {
        HttpMethod::ALL.into_iter().find(|m| m.as_str().eq_ignore_ascii_case(text))
    }
}

/// An HTTP probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpSpec {
    /// GET, HEAD or POST.
    pub method: HttpMethod,
    /// Normalised (see [`probe_url`]).
    pub url: String,
    /// Sent with every request; secret ones never shown (see [`Header`]).
    pub headers: Vec<Header>,
    /// POST only, at most [`MAX_BODY_BYTES`].
    pub body: Option<String>,
    /// Status codes that count as success (after redirects, when followed).
    pub accept: StatusSet,
    /// Conditions on the answer, checked in order.
    pub assertions: Vec<Assertion>,
    /// Follow redirects (each hop checked by the outbound guard); when off, a 3xx is the answer judged.
    pub follow_redirects: bool,
    /// https only: warn (degraded) this many days before the certificate
    /// expires; `None`: no warning (an expired certificate still fails).
    pub tls_warn_days: Option<u32>,
}

/// A TCP probe: up when a connection opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpSpec {
    /// Where to connect.
    pub target: HostPort,
}

/// A TLS probe: up when the handshake succeeds with a valid certificate,
/// degraded within `warn_days` of its expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsSpec {
    /// Where to connect and handshake (SNI is the host name).
    pub target: HostPort,
    /// Degraded within this many days of the certificate's expiry.
    pub warn_days: u32,
}

/// A metrics probe: reads a Prometheus metrics page and records the error
/// rate between two readings (errors ÷ requests over the interval).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsSpec {
    /// The metrics page (normalised, see [`probe_url`]).
    pub url: String,
    /// Sent with every request (a token for the metrics page, say).
    pub headers: Vec<Header>,
    /// The series counting requests (summed when several match).
    pub requests: SeriesSelector,
    /// The series counting failed requests; missing series count as 0.
    pub errors: SeriesSelector,
    /// Degraded when the interval's error rate is above this percentage.
    pub error_rate_warn_percent: Option<f64>,
}

/// The kind-specific part of a definition. Serialised with a `kind` tag
/// (`{"kind": "http", "method": "GET", …}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ProbeSpec {
    /// An HTTP(S) request.
    Http(HttpSpec),
    /// A TCP connection.
    Tcp(TcpSpec),
    /// A TLS handshake and certificate.
    Tls(TlsSpec),
    /// A Prometheus metrics page.
    Metrics(MetricsSpec),
}

/// A probe as defined by its service's team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeDef {
    /// Unique within the service (the storage layer enforces it).
    pub name: String,
    /// Seconds between checks.
    pub interval_secs: u32,
    /// Milliseconds a check may take, below the interval.
    pub timeout_ms: u32,
    /// Failures in a row before the probe is down.
    pub failure_threshold: u32,
    /// Successes in a row before a down probe is up again.
    pub recovery_threshold: u32,
    /// What to check, by kind.
    pub spec: ProbeSpec,
}

impl ProbeDef {
    /// The kind of [`ProbeDef::spec`].
    pub fn kind(&self) -> ProbeKind {
        match self.spec {
            ProbeSpec::Http(_) => ProbeKind::Http,
            ProbeSpec::Tcp(_) => ProbeKind::Tcp,
            ProbeSpec::Tls(_) => ProbeKind::Tls,
            ProbeSpec::Metrics(_) => ProbeKind::Metrics,
        }
    }

    /// The interval in milliseconds, for [`super::schedule`].
    pub fn interval_ms(&self) -> i64 {
        i64::from(self.interval_secs) * 1000
    }

    /// The request headers (HTTP and metrics probes; none for the others).
    pub fn headers(&self) -> &[Header] {
        match &self.spec {
            ProbeSpec::Http(http) => &http.headers,
            ProbeSpec::Metrics(metrics) => &metrics.headers,
            ProbeSpec::Tcp(_) | ProbeSpec::Tls(_) => &[],
        }
    }

    fn headers_mut(&mut self) -> Option<&mut Vec<Header>> {
        match &mut self.spec {
            ProbeSpec::Http(http) => Some(&mut http.headers),
            ProbeSpec::Metrics(metrics) => Some(&mut metrics.headers),
            ProbeSpec::Tcp(_) | ProbeSpec::Tls(_) => None,
        }
    }

    /// The definition with secret header values blanked: what may reach a
    /// browser, a log line or an export.
    pub fn redacted(&self) -> ProbeDef {
        let mut copy = self.clone();
        for header in copy.headers_mut().into_iter().flatten() {
            if header.secret {
                header.value.clear();
            }
        }
        copy
    }

    /// Names of secret headers still waiting for their stored value (see
    /// [`keep_secrets`]). Empty for a definition ready to store.
    pub fn missing_secrets(&self) -> Vec<&str> {
        self.headers().iter().filter(|h| h.secret && h.value.is_empty()).map(|h| h.name.as_str()).collect()
    }
}

/// Fills in the secret header values a form or an import left blank, from
/// the stored definition of the same probe: a header of the same name (case
/// ignored) keeps its stored value. A blank secret with nothing stored is a
/// field error on `secret_headers`.
pub fn keep_secrets(mut new: ProbeDef, stored: Option<&ProbeDef>) -> Result<ProbeDef, AppError> {
    let stored_headers = stored.map(ProbeDef::headers).unwrap_or_default();
    for header in new.headers_mut().into_iter().flatten() {
        if !header.secret || !header.value.is_empty() {
            continue;
        }
        match stored_headers.iter().find(|s| s.name.eq_ignore_ascii_case(&header.name) && !s.value.is_empty()) {
            Some(kept) => header.value = kept.value.clone(),
            None => {
                return Err(AppError::invalid(
                    "secret_headers",
                    format!("Enter the value of the secret header {}; none is stored yet.", header.name),
                ))
            }
        }
    }
    Ok(new)
}

/// A probe as its HTML form posts it: every field text, blank when absent
/// (an unticked checkbox is not posted at all). Field names are the names
/// of the form's inputs and of [`AppError::Invalid`]'s `field`.
///
/// Kind-specific fields of other kinds are ignored.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProbeForm {
    /// The probe's name.
    pub name: String,
    /// "http", "tcp", "tls" or "metrics".
    pub kind: String,
    /// Seconds; blank for 60.
    pub interval_secs: String,
    /// Milliseconds; blank for 10,000 (or half the interval).
    pub timeout_ms: String,
    /// Failures in a row before down; blank for 3.
    pub failure_threshold: String,
    /// Successes in a row before up; blank for 2.
    pub recovery_threshold: String,
    /// HTTP: GET, HEAD or POST.
    pub method: String,
    /// HTTP and metrics.
    pub url: String,
    /// HTTP and metrics: `Name: value` lines.
    pub headers: String,
    /// HTTP and metrics: `Name: value` lines whose values stay hidden; a
    /// name alone keeps the stored value.
    pub secret_headers: String,
    /// HTTP, POST only.
    pub body: String,
    /// HTTP: accepted status codes, e.g. `200-299,301`.
    pub accept: String,
    /// HTTP: one assertion a line (see [`super::assertions`]).
    pub assertions: String,
    /// HTTP: a checkbox, "on" when ticked.
    pub follow_redirects: String,
    /// HTTP (https only, optional) and TLS (default 14).
    pub tls_warn_days: String,
    /// TCP and TLS: `host:port`.
    pub target: String,
    /// Metrics: series selectors.
    pub requests: String,
    /// Metrics: the series counting failed requests.
    pub errors: String,
    /// Metrics: optional percentage.
    pub error_rate_warn_percent: String,
}

impl std::fmt::Debug for ProbeForm {
    /// Secret header values stay out of logs: only their names are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret_names: Vec<&str> =
            self.secret_headers.lines().map(|l| l.split(':').next().unwrap_or("").trim()).collect();
        f.debug_struct("ProbeForm")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("interval_secs", &self.interval_secs)
            .field("timeout_ms", &self.timeout_ms)
            .field("failure_threshold", &self.failure_threshold)
            .field("recovery_threshold", &self.recovery_threshold)
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .field("secret_headers", &secret_names)
            .field("body", &self.body)
            .field("accept", &self.accept)
            .field("assertions", &self.assertions)
            .field("follow_redirects", &self.follow_redirects)
            .field("tls_warn_days", &self.tls_warn_days)
            .field("target", &self.target)
            .field("requests", &self.requests)
            .field("errors", &self.errors)
            .field("error_rate_warn_percent", &self.error_rate_warn_percent)
            .finish()
    }
}

impl ProbeForm {
    /// A new probe's form, defaults filled in.
    pub fn new(kind: ProbeKind) -> ProbeForm {
        ProbeForm {
            kind: kind.as_str().into(),
            interval_secs: DEFAULT_INTERVAL_SECS.to_string(),
            timeout_ms: DEFAULT_TIMEOUT_MS.to_string(),
            failure_threshold: DEFAULT_FAILURE_THRESHOLD.to_string(),
            recovery_threshold: DEFAULT_RECOVERY_THRESHOLD.to_string(),
            method: HttpMethod::Get.as_str().into(),
            accept: StatusSet::default().to_string(),
            follow_redirects: "on".into(),
            tls_warn_days: if kind == ProbeKind::Tls { DEFAULT_TLS_WARN_DAYS.to_string() } else { String::new() },
            ..ProbeForm::default()
        }
    }

    /// The form showing a definition, secret header values left out (they
    /// are kept when the form comes back with the name alone).
    pub fn from_def(def: &ProbeDef) -> ProbeForm {
        let mut form = ProbeForm {
            name: def.name.clone(),
            kind: def.kind().as_str().into(),
            interval_secs: def.interval_secs.to_string(),
            timeout_ms: def.timeout_ms.to_string(),
            failure_threshold: def.failure_threshold.to_string(),
            recovery_threshold: def.recovery_threshold.to_string(),
            headers: headers::to_lines(def.headers(), false),
            secret_headers: headers::to_lines(def.headers(), true),
            ..ProbeForm::default()
        };
        match &def.spec {
            ProbeSpec::Http(http) => {
                form.method = http.method.as_str().into();
                form.url = http.url.clone();
                form.body = http.body.clone().unwrap_or_default();
                form.accept = http.accept.to_string();
                form.assertions = assertions::to_lines(&http.assertions);
                form.follow_redirects = if http.follow_redirects { "on".into() } else { String::new() };
                form.tls_warn_days = http.tls_warn_days.map(|d| d.to_string()).unwrap_or_default();
            }
            ProbeSpec::Tcp(tcp) => form.target = tcp.target.to_string(),
            ProbeSpec::Tls(tls) => {
                form.target = tls.target.to_string();
                form.tls_warn_days = tls.warn_days.to_string();
            }
            ProbeSpec::Metrics(metrics) => {
                form.url = metrics.url.clone();
                form.requests = metrics.requests.to_string();
                form.errors = metrics.errors.to_string();
                form.error_rate_warn_percent =
                    metrics.error_rate_warn_percent.map(|p| p.to_string()).unwrap_or_default();
            }
        }
        form
    }
}

/// Checks a probe form, naming the field of the first problem.
///
/// Secret headers posted with a name alone come back with an empty value;
/// pass the result through [`keep_secrets`] before storing it.
pub fn validate(form: &ProbeForm) -> Result<ProbeDef, AppError> {
    let name = validate_name(&form.name)?;
    let kind = ProbeKind::parse(form.kind.trim()).ok_or_else(|| {
        AppError::invalid("kind", "Choose what to check: HTTP, TCP port, TLS certificate or metrics.")
    })?;
    let interval_secs = number(&form.interval_secs, DEFAULT_INTERVAL_SECS)
        .ok_or_else(|| AppError::invalid("interval_secs", "Interval must be a whole number of seconds."))?;
    if interval_secs < MIN_INTERVAL_SECS {
        return Err(AppError::invalid("interval_secs", "Interval must be at least 10 seconds."));
    }
    if interval_secs > MAX_INTERVAL_SECS {
        return Err(AppError::invalid("interval_secs", "Interval must be at most 3,600 seconds (an hour)."));
    }
    let timeout_ms = validate_timeout(&form.timeout_ms, interval_secs)?;
    let failure_threshold = threshold(&form.failure_threshold, DEFAULT_FAILURE_THRESHOLD).ok_or_else(|| {
        AppError::invalid("failure_threshold", "Failures before down must be a whole number from 1 to 20.")
    })?;
    let recovery_threshold = threshold(&form.recovery_threshold, DEFAULT_RECOVERY_THRESHOLD).ok_or_else(|| {
        AppError::invalid("recovery_threshold", "Successes before up must be a whole number from 1 to 20.")
    })?;
    let spec = match kind {
        ProbeKind::Http => ProbeSpec::Http(validate_http(form, timeout_ms)?),
        ProbeKind::Tcp => ProbeSpec::Tcp(TcpSpec { target: validate_target(&form.target)? }),
        ProbeKind::Tls => ProbeSpec::Tls(TlsSpec {
            target: validate_target(&form.target)?,
            warn_days: warn_days(&form.tls_warn_days)?.unwrap_or(DEFAULT_TLS_WARN_DAYS),
        }),
        ProbeKind::Metrics => ProbeSpec::Metrics(validate_metrics(form)?),
    };
    Ok(ProbeDef { name, interval_secs, timeout_ms, failure_threshold, recovery_threshold, spec })
}

fn validate_name(text: &str) -> Result<String, AppError> {
    let name = text.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "Enter a name for the probe, e.g. API health."));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid("name", "Use at most 80 characters."));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::invalid("name", "Use a name on one line, without control characters."));
    }
    Ok(name.to_string())
}

/// A whole number, or `default` when blank.
fn number(text: &str, default: u32) -> Option<u32> {
    match text.trim() {
        "" => Some(default),
        digits if digits.bytes().all(|b| b.is_ascii_digit()) => digits.parse().ok(),
        _ => None,
    }
}

fn threshold(text: &str, default: u32) -> Option<u32> {
    number(text, default).filter(|n| (MIN_THRESHOLD..=MAX_THRESHOLD).contains(n))
}

/// Blank: 10 s, or half the interval when that is shorter.
fn validate_timeout(text: &str, interval_secs: u32) -> Result<u32, AppError> {
    let interval_ms = interval_secs * 1000;
    let default = DEFAULT_TIMEOUT_MS.min(interval_ms / 2);
    let field = "timeout_ms";
    let timeout = number(text, default)
        .ok_or_else(|| AppError::invalid(field, "Timeout must be a whole number of milliseconds."))?;
    if timeout < MIN_TIMEOUT_MS {
        return Err(AppError::invalid(field, "Timeout must be at least 100 ms."));
    }
    if timeout > MAX_TIMEOUT_MS {
        return Err(AppError::invalid(field, "Timeout must be at most 60,000 ms (a minute)."));
    }
    if timeout >= interval_ms {
        return Err(AppError::invalid(
            field,
            format!("Timeout must be shorter than the interval ({interval_secs} seconds), so checks do not overlap."),
        ));
    }
    Ok(timeout)
}

fn warn_days(text: &str) -> Result<Option<u32>, AppError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    number(text, 0).filter(|d| (1..=MAX_WARN_DAYS).contains(d)).map(Some).ok_or_else(|| {
        AppError::invalid("tls_warn_days", "Warn between 1 and 365 days before the certificate expires.")
    })
}

fn validate_target(text: &str) -> Result<HostPort, AppError> {
    HostPort::parse(text).map_err(|e| AppError::invalid("target", e))
}

/// Plain and secret headers, each list's problems named on its own field.
fn validate_headers(form: &ProbeForm) -> Result<Vec<Header>, AppError> {
    let plain = headers::parse_lines(&form.headers, false).map_err(|e| AppError::invalid("headers", e))?;
    headers::check(&plain).map_err(|e| AppError::invalid("headers", e))?;
    let secret =
        headers::parse_lines(&form.secret_headers, true).map_err(|e| AppError::invalid("secret_headers", e))?;
    headers::check(&secret).map_err(|e| AppError::invalid("secret_headers", e))?;
    let all: Vec<Header> = plain.into_iter().chain(secret).collect();
    // Only the limits across both lists are left to find.
    headers::check(&all).map_err(|e| AppError::invalid("secret_headers", e))?;
    Ok(all)
}

fn validate_http(form: &ProbeForm, timeout_ms: u32) -> Result<HttpSpec, AppError> {
    let method = match form.method.trim() {
        "" => HttpMethod::Get,
        text => HttpMethod::parse(text).ok_or_else(|| AppError::invalid("method", "Choose GET, HEAD or POST."))?,
    };
    let url = probe_url(&form.url).map_err(|e| AppError::invalid("url", e))?;
    let headers = validate_headers(form)?;
    let body = match form.body.trim() {
        "" => None,
        _ if method != HttpMethod::Post => {
            return Err(AppError::invalid("body", "Only POST requests send a body; choose POST or clear the body."))
        }
        _ if form.body.len() > MAX_BODY_BYTES => {
            return Err(AppError::invalid("body", "The body is too large: use at most 64 KiB."))
        }
        _ => Some(form.body.clone()),
    };
    let accept = match form.accept.trim() {
        "" => StatusSet::default(),
        text => StatusSet::parse(text).map_err(|e| AppError::invalid("accept", e))?,
    };
    let assertions = assertions::parse_lines(&form.assertions).map_err(|e| AppError::invalid("assertions", e))?;
    for assertion in &assertions {
        match assertion {
            Assertion::LatencyUnder(limit) if *limit >= timeout_ms => {
                return Err(AppError::invalid(
                    "assertions",
                    format!("The latency limit ({limit} ms) must be below the timeout ({timeout_ms} ms)."),
                ))
            }
            Assertion::BodyContains(_) | Assertion::JsonPointerEquals { .. } if method == HttpMethod::Head => {
                return Err(AppError::invalid(
                    "assertions",
                    "Answers to HEAD have no body; use GET for body and JSON assertions.",
                ))
            }
            _ => {}
        }
    }
    let follow_redirects = checkbox(&form.follow_redirects)
        .ok_or_else(|| AppError::invalid("follow_redirects", "Choose whether to follow redirects."))?;
    let tls_warn_days = warn_days(&form.tls_warn_days)?;
    if tls_warn_days.is_some() && !is_https(&url) {
        return Err(AppError::invalid(
            "tls_warn_days",
            "Certificate warnings need an https:// URL; clear this field or use https.",
        ));
    }
    Ok(HttpSpec { method, url, headers, body, accept, assertions, follow_redirects, tls_warn_days })
}

/// A checkbox's value: ticked boxes post "on" (or the input's value);
/// unticked ones post nothing.
fn checkbox(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "off" | "false" | "0" | "no" => Some(false),
        "on" | "true" | "1" | "yes" => Some(true),
        _ => None,
    }
}

fn validate_metrics(form: &ProbeForm) -> Result<MetricsSpec, AppError> {
    let url = probe_url(&form.url).map_err(|e| AppError::invalid("url", e))?;
    let headers = validate_headers(form)?;
    let requests = selector(
        &form.requests,
        "requests",
        "Enter the series that counts requests, e.g. http_requests_total{job=\"api\"}.",
    )?;
    let errors = selector(
        &form.errors,
        "errors",
        "Enter the series that counts failed requests, e.g. http_requests_total{job=\"api\", status=~\"5..\"}.",
    )?;
    let error_rate_warn_percent = match form.error_rate_warn_percent.trim() {
        "" => None,
        text => Some(
            text.trim_end_matches('%')
                .trim_end()
                .parse::<f64>()
                .ok()
                .filter(|p| p.is_finite() && *p > 0.0 && *p <= 100.0)
                .ok_or_else(|| {
                    AppError::invalid(
                        "error_rate_warn_percent",
                        "Enter a percentage above 0 and at most 100, e.g. 5 or 0.5.",
                    )
                })?,
        ),
    };
    Ok(MetricsSpec { url, headers, requests, errors, error_rate_warn_percent })
}

fn selector(text: &str, field: &'static str, blank: &str) -> Result<SeriesSelector, AppError> {
    if text.trim().is_empty() {
        return Err(AppError::invalid(field, blank));
    }
    SeriesSelector::parse(text).map_err(|e| AppError::invalid(field, e))
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::full_defs;
    use super::*;

    fn http_form() -> ProbeForm {
        ProbeForm {
            name: "API health".into(),
            url: "https://api.example.com/health".into(),
            ..ProbeForm::new(ProbeKind::Http)
        }
    }

    fn field_error(form: &ProbeForm) -> (String, String) {
        match validate(form) {
            Err(AppError::Invalid { field, message }) => (field, message),
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    fn expect(form: ProbeForm, field: &str, message: &str) {
        assert_eq!(field_error(&form), (field.to_string(), message.to_string()), "{form:?}");
    }

    #[test]
    fn a_new_http_form_with_a_url_is_valid_and_takes_defaults() {
        let def = validate(&http_form()).unwrap();
        assert_eq!(def.name, "API health");
        assert_eq!(
            (def.interval_secs, def.timeout_ms, def.failure_threshold, def.recovery_threshold),
            (60, 10_000, 3, 2)
        );
        let ProbeSpec::Http(http) = &def.spec else { panic!("not http") };
        assert_eq!(http.method, HttpMethod::Get);
        assert_eq!(http.accept, StatusSet::default());
        assert!(http.follow_redirects);
        assert_eq!(http.tls_warn_days, None);
        assert_eq!(def.kind(), ProbeKind::Http);
        assert_eq!(def.interval_ms(), 60_000);
    }

    #[test]
    fn blank_fields_take_defaults() {
        let form = ProbeForm {
            kind: "tls".into(),
            name: "cert".into(),
            target: "example.com:443".into(),
            interval_secs: "".into(),
            ..ProbeForm::default()
        };
        let def = validate(&form).unwrap();
        assert_eq!(
            (def.interval_secs, def.timeout_ms, def.failure_threshold, def.recovery_threshold),
            (60, 10_000, 3, 2)
        );
        assert_eq!(
            def.spec,
            ProbeSpec::Tls(TlsSpec { target: HostPort::parse("example.com:443").unwrap(), warn_days: 14 })
        );
        // A short interval halves the default timeout.
        let def = validate(&ProbeForm { interval_secs: "10".into(), ..form }).unwrap();
        assert_eq!(def.timeout_ms, 5000);
    }

    #[test]
    fn forms_round_trip_through_definitions() {
        for def in full_defs() {
            let form = ProbeForm::from_def(&def);
            assert!(!format!("{form:?}").contains("s3cr3t"), "secret shown in the form");
            let back = validate(&form).unwrap_or_else(|e| panic!("{}: {e:?}", def.name));
            assert_eq!(back, def.redacted(), "{}", def.name);
            assert_eq!(keep_secrets(back, Some(&def)).unwrap(), def, "{}", def.name);
        }
    }

    #[test]
    fn common_field_errors() {
        let cases: Vec<(ProbeForm, &str, &str)> = vec![
            (ProbeForm { name: "  ".into(), ..http_form() }, "name", "Enter a name for the probe, e.g. API health."),
            (ProbeForm { name: "x".repeat(81), ..http_form() }, "name", "Use at most 80 characters."),
            (
                ProbeForm { name: "a\nb".into(), ..http_form() },
                "name",
                "Use a name on one line, without control characters.",
            ),
            (
                ProbeForm { kind: "ping".into(), ..http_form() },
                "kind",
                "Choose what to check: HTTP, TCP port, TLS certificate or metrics.",
            ),
            (
                ProbeForm { interval_secs: "9".into(), ..http_form() },
                "interval_secs",
                "Interval must be at least 10 seconds.",
            ),
            (
                ProbeForm { interval_secs: "0".into(), ..http_form() },
                "interval_secs",
                "Interval must be at least 10 seconds.",
            ),
            (
                ProbeForm { interval_secs: "3601".into(), ..http_form() },
                "interval_secs",
                "Interval must be at most 3,600 seconds (an hour).",
            ),
            (
                ProbeForm { interval_secs: "1m".into(), ..http_form() },
                "interval_secs",
                "Interval must be a whole number of seconds.",
            ),
            (
                ProbeForm { interval_secs: "-10".into(), ..http_form() },
                "interval_secs",
                "Interval must be a whole number of seconds.",
            ),
            (
                ProbeForm { interval_secs: "99999999999".into(), ..http_form() },
                "interval_secs",
                "Interval must be a whole number of seconds.",
            ),
            (ProbeForm { timeout_ms: "99".into(), ..http_form() }, "timeout_ms", "Timeout must be at least 100 ms."),
            (
                ProbeForm { timeout_ms: "60001".into(), interval_secs: "120".into(), ..http_form() },
                "timeout_ms",
                "Timeout must be at most 60,000 ms (a minute).",
            ),
            (
                ProbeForm { timeout_ms: "10000".into(), interval_secs: "10".into(), ..http_form() },
                "timeout_ms",
                "Timeout must be shorter than the interval (10 seconds), so checks do not overlap.",
            ),
            (
                ProbeForm { timeout_ms: "1.5".into(), ..http_form() },
                "timeout_ms",
                "Timeout must be a whole number of milliseconds.",
            ),
            (
                ProbeForm { failure_threshold: "0".into(), ..http_form() },
                "failure_threshold",
                "Failures before down must be a whole number from 1 to 20.",
            ),
            (
                ProbeForm { failure_threshold: "21".into(), ..http_form() },
                "failure_threshold",
                "Failures before down must be a whole number from 1 to 20.",
            ),
            (
                ProbeForm { recovery_threshold: "x".into(), ..http_form() },
                "recovery_threshold",
                "Successes before up must be a whole number from 1 to 20.",
            ),
        ];
        for (form, field, message) in cases {
            expect(form, field, message);
        }
        // The edges themselves are fine.
        for (interval, timeout) in [("10", "9999"), ("3600", "60000"), ("11", "100")] {
            let form = ProbeForm { interval_secs: interval.into(), timeout_ms: timeout.into(), ..http_form() };
            assert!(validate(&form).is_ok(), "{interval} s / {timeout} ms");
        }
        let form = ProbeForm { failure_threshold: "20".into(), recovery_threshold: "1".into(), ..http_form() };
        assert!(validate(&form).is_ok());
    }

    #[test]
    fn http_field_errors() {
        let cases: Vec<(ProbeForm, &str, &str)> = vec![
            (ProbeForm { method: "PUT".into(), ..http_form() }, "method", "Choose GET, HEAD or POST."),
            (
                ProbeForm { url: "".into(), ..http_form() },
                "url",
                "Enter the URL to check, e.g. https://api.example.com/health.",
            ),
            (ProbeForm { url: "ftp://x.example/".into(), ..http_form() }, "url", "Use an http:// or https:// URL."),
            (
                ProbeForm { headers: "Host: evil.example".into(), ..http_form() },
                "headers",
                "Preflight sets the Host header itself; remove it.",
            ),
            (
                ProbeForm { headers: "no colon".into(), ..http_form() },
                "headers",
                "Line 1: write each header as Name: value.",
            ),
            (
                ProbeForm { secret_headers: "Bad Name: x".into(), ..http_form() },
                "secret_headers",
                "“Bad Name” is not a header name: use letters, digits and - (e.g. X-Api-Key).",
            ),
            (
                ProbeForm { headers: "X-Key: a".into(), secret_headers: "x-key: b".into(), ..http_form() },
                "secret_headers",
                "The x-key header is given twice; put its values on one line, separated by commas.",
            ),
            (
                ProbeForm { body: "hello".into(), ..http_form() },
                "body",
                "Only POST requests send a body; choose POST or clear the body.",
            ),
            (
                ProbeForm { method: "post".into(), body: "x".repeat(64 * 1024 + 1), ..http_form() },
                "body",
                "The body is too large: use at most 64 KiB.",
            ),
            (
                ProbeForm { accept: "200,abc".into(), ..http_form() },
                "accept",
                "“abc” is not a status code, a range such as 200-299, or a class such as 2xx.",
            ),
            (
                ProbeForm { assertions: "latency > 5".into(), ..http_form() },
                "assertions",
                "Line 1: Write latency < MILLISECONDS, e.g. latency < 500 ms.",
            ),
            (
                ProbeForm { assertions: "latency < 10000".into(), ..http_form() },
                "assertions",
                "The latency limit (10000 ms) must be below the timeout (10000 ms).",
            ),
            (
                ProbeForm { method: "HEAD".into(), assertions: "latency < 50\nbody contains ok".into(), ..http_form() },
                "assertions",
                "Answers to HEAD have no body; use GET for body and JSON assertions.",
            ),
            (
                ProbeForm { follow_redirects: "maybe".into(), ..http_form() },
                "follow_redirects",
                "Choose whether to follow redirects.",
            ),
            (
                ProbeForm { tls_warn_days: "0".into(), ..http_form() },
                "tls_warn_days",
                "Warn between 1 and 365 days before the certificate expires.",
            ),
            (
                ProbeForm { tls_warn_days: "14".into(), url: "http://example.com/".into(), ..http_form() },
                "tls_warn_days",
                "Certificate warnings need an https:// URL; clear this field or use https.",
            ),
        ];
        for (form, field, message) in cases {
            expect(form, field, message);
        }
        let many_plain = (0..20).map(|i| format!("X-{i}: v")).collect::<Vec<_>>().join("\n");
        let many_secret = (20..31).map(|i| format!("X-{i}: v")).collect::<Vec<_>>().join("\n");
        expect(
            ProbeForm { headers: many_plain, secret_headers: many_secret, ..http_form() },
            "secret_headers",
            "Use at most 30 headers.",
        );
    }

    #[test]
    fn http_details() {
        let form = ProbeForm {
            method: "post".into(),
            body: "  {\"a\": 1}\r\n".into(),
            follow_redirects: "".into(),
            tls_warn_days: " 7 ".into(),
            headers: "Accept: */*".into(),
            secret_headers: "Authorization: Bearer x\nX-Kept".into(),
            ..http_form()
        };
        let def = validate(&form).unwrap();
        let ProbeSpec::Http(http) = &def.spec else { panic!() };
        assert_eq!(http.method, HttpMethod::Post);
        assert_eq!(http.body.as_deref(), Some("  {\"a\": 1}\r\n"), "bodies are sent as written");
        assert!(!http.follow_redirects);
        assert_eq!(http.tls_warn_days, Some(7));
        assert_eq!(def.missing_secrets(), vec!["X-Kept"]);
        // A body of blanks is no body, whatever the method.
        let def = validate(&ProbeForm { body: " \n ".into(), ..http_form() }).unwrap();
        let ProbeSpec::Http(http) = &def.spec else { panic!() };
        assert_eq!(http.body, None);
        for ticked in ["on", "true", "1", "yes", "ON"] {
            let def = validate(&ProbeForm { follow_redirects: ticked.into(), ..http_form() }).unwrap();
            let ProbeSpec::Http(http) = &def.spec else { panic!() };
            assert!(http.follow_redirects, "{ticked}");
        }
    }

    #[test]
    fn tcp_tls_and_metrics_field_errors() {
        let tcp = ProbeForm { name: "db".into(), ..ProbeForm::new(ProbeKind::Tcp) };
        expect(
            ProbeForm { target: "db.example.com".into(), ..tcp.clone() },
            "target",
            "Write host:port, e.g. db.example.com:5432 (IPv6 in brackets: [2001:db8::1]:443).",
        );
        expect(
            tcp.clone(),
            "target",
            "Write host:port, e.g. db.example.com:5432 (IPv6 in brackets: [2001:db8::1]:443).",
        );
        let ok = validate(&ProbeForm { target: "db.example.com:5432".into(), url: "ignored".into(), ..tcp }).unwrap();
        assert_eq!(ok.spec, ProbeSpec::Tcp(TcpSpec { target: HostPort::parse("db.example.com:5432").unwrap() }));

        let tls = ProbeForm { name: "cert".into(), target: "example.com:443".into(), ..ProbeForm::new(ProbeKind::Tls) };
        expect(
            ProbeForm { tls_warn_days: "366".into(), ..tls.clone() },
            "tls_warn_days",
            "Warn between 1 and 365 days before the certificate expires.",
        );
        expect(
            ProbeForm { target: "example.com:99999".into(), ..tls },
            "target",
            "The port must be a number from 1 to 65535.",
        );

        let metrics = ProbeForm {
            name: "errors".into(),
            url: "http://10.0.0.5:9100/metrics".into(),
            requests: "http_requests_total".into(),
            errors: r#"http_requests_total{status=~"5.."}"#.into(),
            ..ProbeForm::new(ProbeKind::Metrics)
        };
        assert!(validate(&metrics).is_ok());
        let cases: Vec<(ProbeForm, &str, &str)> = vec![
            (
                ProbeForm { url: "".into(), ..metrics.clone() },
                "url",
                "Enter the URL to check, e.g. https://api.example.com/health.",
            ),
            (
                ProbeForm { requests: " ".into(), ..metrics.clone() },
                "requests",
                "Enter the series that counts requests, e.g. http_requests_total{job=\"api\"}.",
            ),
            (
                ProbeForm { errors: "".into(), ..metrics.clone() },
                "errors",
                "Enter the series that counts failed requests, e.g. http_requests_total{job=\"api\", status=~\"5..\"}.",
            ),
            (
                ProbeForm { errors: "x{a=b}".into(), ..metrics.clone() },
                "errors",
                "Put the value for a in double quotes, e.g. a=\"api\".",
            ),
            (
                ProbeForm { secret_headers: "Connection: close".into(), ..metrics.clone() },
                "secret_headers",
                "Preflight sets the Connection header itself; remove it.",
            ),
        ];
        for (form, field, message) in cases {
            expect(form, field, message);
        }
        for bad in ["0", "-1", "101", "NaN", "inf", "five"] {
            expect(
                ProbeForm { error_rate_warn_percent: bad.into(), ..metrics.clone() },
                "error_rate_warn_percent",
                "Enter a percentage above 0 and at most 100, e.g. 5 or 0.5.",
            );
        }
        for (good, value) in [("0.5", 0.5), ("5 %", 5.0), ("100", 100.0)] {
            let def = validate(&ProbeForm { error_rate_warn_percent: good.into(), ..metrics.clone() }).unwrap();
            let ProbeSpec::Metrics(spec) = &def.spec else { panic!() };
            assert_eq!(spec.error_rate_warn_percent, Some(value), "{good}");
        }
    }

    #[test]
    fn secrets_are_kept_by_name_and_never_shown() {
        let stored = &full_defs()[0];
        let mut form = ProbeForm::from_def(stored);
        assert_eq!(form.secret_headers, "Authorization:");
        // Unchanged: the stored value stays.
        let def = keep_secrets(validate(&form).unwrap(), Some(stored)).unwrap();
        assert_eq!(def, *stored);
        // A new value replaces it.
        form.secret_headers = "authorization: Bearer new".into();
        let def = keep_secrets(validate(&form).unwrap(), Some(stored)).unwrap();
        assert_eq!(def.headers()[1].value, "Bearer new");
        // A new secret without a value has nothing to keep.
        form.secret_headers = "Authorization\nX-Other".into();
        assert_eq!(
            keep_secrets(validate(&form).unwrap(), Some(stored)),
            Err(AppError::invalid(
                "secret_headers",
                "Enter the value of the secret header X-Other; none is stored yet."
            ))
        );
        assert!(keep_secrets(validate(&form).unwrap(), None).is_err());
        // Redaction blanks secrets only.
        let redacted = stored.redacted();
        assert_eq!(redacted.headers()[0].value, "application/json");
        assert_eq!(redacted.headers()[1].value, "");
        assert_eq!(redacted.missing_secrets(), vec!["Authorization"]);
        assert!(stored.missing_secrets().is_empty());
        assert!(!format!("{stored:?}").contains("s3cr3t"));
        let posted = ProbeForm { secret_headers: "Authorization: Bearer hunter2\nX-Key".into(), ..http_form() };
        let shown = format!("{posted:?}");
        assert!(!shown.contains("hunter2") && shown.contains("Authorization") && shown.contains("X-Key"), "{shown}");
    }

    #[test]
    fn kinds_and_methods() {
        for kind in ProbeKind::ALL {
            assert_eq!(ProbeKind::try_from(kind.as_str().to_string()), Ok(kind));
            assert_eq!(ProbeForm::new(kind).kind, kind.as_str());
        }
        assert_eq!(HttpMethod::parse("head"), Some(HttpMethod::Head));
        assert_eq!(HttpMethod::parse("DELETE"), None);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn definitions_round_trip_through_json() {
        for def in full_defs() {
            let json = serde_json::to_string(&def).unwrap();
            assert!(json.contains(&format!("\"kind\":\"{}\"", def.kind().as_str())), "{json}");
            assert_eq!(serde_json::from_str::<ProbeDef>(&json).unwrap(), def);
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_form_deserialises_with_missing_fields() {
        // An unticked checkbox is not posted at all.
        let form: ProbeForm = serde_json::from_str(r#"{"name":"x","kind":"http"}"#).unwrap();
        assert_eq!(form.follow_redirects, "");
    }
}
