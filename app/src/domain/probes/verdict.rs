//! Judging what a checker received: the [`Outcome`] of one check and the
//! short message shown for it. The checkers (server side) do the I/O and
//! classify transport failures themselves (DNS, connect, TLS, timeout,
//! refused, body too large); everything decided from an answer is here.
//!
//! Order of judgement for HTTP: the status code, then an expired
//! certificate, then body and JSON assertions (hard: down), then the
//! latency limit and the certificate warning (soft: degraded, the first of
//! them that applies).

use serde_json::Value;

use super::assertions::Assertion;
use super::definition::HttpSpec;
use super::status::{ErrorClass, Outcome, Warning};

const DAY_MS: i64 = 86_400_000;

/// The outcome of a check and, unless it was plainly up, a short message
/// for people ("Status 503 is not in 200-299.").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// What the check found.
    pub outcome: Outcome,
    /// Why it was not plainly up, for people.
    pub message: Option<String>,
}

impl Verdict {
    fn up() -> Verdict {
        Verdict { outcome: Outcome::Up, message: None }
    }

    fn down(class: ErrorClass, message: String) -> Verdict {
        Verdict { outcome: Outcome::Down(class), message: Some(message) }
    }

    fn degraded(warning: Warning, message: String) -> Verdict {
        Verdict { outcome: Outcome::Degraded(warning), message: Some(message) }
    }
}

/// What an HTTP probe received (after redirects, when it follows them).
#[derive(Debug, Clone, Copy)]
pub struct HttpAnswer<'a> {
    /// The HTTP status code.
    pub status: u16,
    /// The body as read (the checker stops reading at its size limit and
    /// reports [`ErrorClass::Body`] itself).
    pub body: &'a [u8],
    /// The whole check, from the start of the connection to the last byte.
    pub duration_us: u64,
    /// https: the server certificate's expiry (epoch ms), when known.
    pub cert_not_after_ms: Option<i64>,
}

/// Judges an HTTP answer against its probe's definition at time `now_ms`.
pub fn judge_http(spec: &HttpSpec, answer: &HttpAnswer<'_>, now_ms: i64) -> Verdict {
    if !spec.accept.contains(answer.status) {
        return Verdict::down(ErrorClass::Status, format!("Status {} is not in {}.", answer.status, spec.accept));
    }
    if let Some(expired) = answer.cert_not_after_ms.and_then(|at| cert_expired(at, now_ms)) {
        return expired;
    }
    let mut json: Option<Result<Value, ()>> = None;
    for assertion in &spec.assertions {
        let failure = match assertion {
            Assertion::BodyContains(text) => body_contains(answer.body, text),
            Assertion::JsonPointerEquals { pointer, value } => {
                let parsed = json.get_or_insert_with(|| serde_json::from_slice(answer.body).map_err(|_| ()));
                json_pointer_equals(parsed.as_ref().ok(), pointer, value)
            }
            Assertion::LatencyUnder(_) => None,
        };
        if let Some(message) = failure {
            return Verdict::down(ErrorClass::Assertion, message);
        }
    }
    for assertion in &spec.assertions {
        if let Assertion::LatencyUnder(limit_ms) = assertion {
            if answer.duration_us >= u64::from(*limit_ms) * 1000 {
                let took = answer.duration_us / 1000;
                return Verdict::degraded(Warning::Slow, format!("Answered in {took} ms; the limit is {limit_ms} ms."));
            }
        }
    }
    match (answer.cert_not_after_ms, spec.tls_warn_days) {
        (Some(not_after), Some(days)) => cert_warning(not_after, now_ms, days),
        _ => Verdict::up(),
    }
}

/// Judges a TLS probe's certificate (the handshake itself succeeded):
/// down once expired, degraded within `warn_days` of expiry.
pub fn judge_tls(cert_not_after_ms: i64, now_ms: i64, warn_days: u32) -> Verdict {
    cert_expired(cert_not_after_ms, now_ms).unwrap_or_else(|| cert_warning(cert_not_after_ms, now_ms, warn_days))
}

/// Judges a metrics probe's error rate over the interval (a fraction, see
/// `metrics::error_rate`; `None` when there was no traffic).
pub fn judge_metrics(error_rate: Option<f64>, warn_percent: Option<f64>) -> Verdict {
    match (error_rate, warn_percent) {
        (Some(rate), Some(limit)) if rate * 100.0 > limit => Verdict::degraded(
            Warning::ErrorRate,
            format!("Error rate {} % is above {} %.", round2(rate * 100.0), round2(limit)),
        ),
        _ => Verdict::up(),
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn cert_expired(not_after_ms: i64, now_ms: i64) -> Option<Verdict> {
    (not_after_ms <= now_ms).then(|| Verdict::down(ErrorClass::Tls, "The certificate has expired.".into()))
}

fn cert_warning(not_after_ms: i64, now_ms: i64, warn_days: u32) -> Verdict {
    let left_ms = not_after_ms.saturating_sub(now_ms);
    if left_ms >= i64::from(warn_days) * DAY_MS {
        return Verdict::up();
    }
    let message = match left_ms / DAY_MS {
        0 => "The certificate expires in less than a day.".to_string(),
        1 => "The certificate expires in 1 day.".to_string(),
        days => format!("The certificate expires in {days} days."),
    };
    Verdict::degraded(Warning::CertExpiring, message)
}

fn body_contains(body: &[u8], text: &str) -> Option<String> {
    let needle = text.as_bytes();
    let found = needle.is_empty() || body.windows(needle.len()).any(|window| window == needle);
    (!found).then(|| format!("The body does not contain “{}”.", shorten(text)))
}

fn json_pointer_equals(json: Option<&Value>, pointer: &str, expected: &str) -> Option<String> {
    let Some(json) = json else {
        return Some("The body is not JSON.".into());
    };
    let shown_pointer = if pointer.is_empty() { "The document" } else { pointer };
    match json.pointer(pointer) {
        None => Some(format!("Nothing at {pointer} in the JSON body.")),
        Some(actual) if json_matches(actual, expected) => None,
        Some(actual) => {
            Some(format!("{shown_pointer} is {}, expected {}.", shorten(&actual.to_string()), shorten(expected)))
        }
    }
}

/// Whether `actual` equals the expected text: as JSON when the text is JSON
/// (numbers by value), or as the text of a JSON string.
pub fn json_matches(actual: &Value, expected: &str) -> bool {
    let as_json = serde_json::from_str::<Value>(expected).is_ok_and(|e| json_equal(actual, &e));
    as_json || actual.as_str() == Some(expected)
}

fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
            (Some(x), Some(y), _, _) => x == y,
            (_, _, Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_equal(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Quoted input in messages stays short.
fn shorten(text: &str) -> String {
    super::shorten(text, 60)
}

#[cfg(test)]
mod tests {
    use super::super::definition::HttpMethod;
    use super::super::status_codes::StatusSet;
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    fn spec(assertions: Vec<Assertion>, warn: Option<u32>) -> HttpSpec {
        HttpSpec {
            method: HttpMethod::Get,
            url: "https://api.example.com/".into(),
            headers: vec![],
            body: None,
            accept: StatusSet::parse("200-299").unwrap(),
            assertions,
            follow_redirects: true,
            tls_warn_days: warn,
        }
    }

    fn answer(status: u16, body: &[u8], ms: u64) -> HttpAnswer<'_> {
        HttpAnswer { status, body, duration_us: ms * 1000, cert_not_after_ms: None }
    }

    fn json(pointer: &str, value: &str) -> Assertion {
        Assertion::JsonPointerEquals { pointer: pointer.into(), value: value.into() }
    }

    #[test]
    fn http_outcomes() {
        let body = br#"{"status":"up","code":200,"ratio":0.5,"items":[{"n":1}],"big":18446744073709551615,"s":"200"}"#;
        let all = spec(
            vec![
                Assertion::BodyContains("\"status\":\"up\"".into()),
                json("/status", "\"up\""),
                json("/status", "up"),
                json("/code", "200"),
                json("/code", "200.0"),
                json("/ratio", "0.50"),
                json("/items/0", "{ \"n\": 1.0 }"),
                json("/big", "18446744073709551615"),
                json("/s", "200"),
                Assertion::LatencyUnder(500),
            ],
            None,
        );
        assert_eq!(judge_http(&all, &answer(200, body, 120), NOW), Verdict::up());
        let document = serde_json::from_slice::<Value>(body).unwrap().to_string();
        let whole = format!("The document is {}, expected {{}}.", shorten(&document));
        let cases: Vec<(Assertion, &str)> = vec![
            (Assertion::BodyContains("down".into()), "The body does not contain “down”."),
            (json("/status", "\"down\""), "/status is \"up\", expected \"down\"."),
            (json("/code", "201"), "/code is 200, expected 201."),
            (json("/code", "\"200\""), "/code is 200, expected \"200\"."),
            (json("/missing", "1"), "Nothing at /missing in the JSON body."),
            (json("/items/0", "{\"n\": 1, \"m\": 2}"), "/items/0 is {\"n\":1}, expected {\"n\": 1, \"m\": 2}."),
            (json("/big", "18446744073709551614"), "/big is 18446744073709551615, expected 18446744073709551614."),
            (json("", "{}"), &whole),
        ];
        for (assertion, message) in cases {
            let verdict = judge_http(&spec(vec![assertion.clone()], None), &answer(200, body, 1), NOW);
            assert_eq!(verdict, Verdict::down(ErrorClass::Assertion, message.into()), "{assertion}");
        }
        let verdict = judge_http(&spec(vec![json("/a", "1")], None), &answer(200, b"<html>", 1), NOW);
        assert_eq!(verdict, Verdict::down(ErrorClass::Assertion, "The body is not JSON.".into()));
    }

    #[test]
    fn status_comes_first_then_hard_then_soft() {
        let both = spec(vec![Assertion::LatencyUnder(100), Assertion::BodyContains("ok".into())], Some(30));
        let slow_and_wrong = answer(200, b"nope", 500);
        assert_eq!(judge_http(&both, &slow_and_wrong, NOW).outcome, Outcome::Down(ErrorClass::Assertion));
        assert_eq!(
            judge_http(&both, &answer(503, b"ok", 1), NOW),
            Verdict::down(ErrorClass::Status, "Status 503 is not in 200-299.".into())
        );
        assert_eq!(
            judge_http(&both, &answer(200, b"ok", 100), NOW),
            Verdict::degraded(Warning::Slow, "Answered in 100 ms; the limit is 100 ms.".into())
        );
        assert_eq!(judge_http(&both, &answer(200, b"ok", 99), NOW), Verdict::up());
        // Slow wins over an expiring certificate.
        let expiring = HttpAnswer { cert_not_after_ms: Some(NOW + DAY_MS), ..answer(200, b"ok", 500) };
        assert_eq!(judge_http(&both, &expiring, NOW).outcome, Outcome::Degraded(Warning::Slow));
        let fast_expiring = HttpAnswer { duration_us: 1, ..expiring };
        assert_eq!(
            judge_http(&both, &fast_expiring, NOW),
            Verdict::degraded(Warning::CertExpiring, "The certificate expires in 1 day.".into())
        );
        // Without a warning setting, an expiring certificate is fine…
        assert_eq!(judge_http(&spec(vec![], None), &fast_expiring, NOW), Verdict::up());
        // …but an expired one never is.
        let expired = HttpAnswer { cert_not_after_ms: Some(NOW), ..fast_expiring };
        assert_eq!(
            judge_http(&spec(vec![], None), &expired, NOW),
            Verdict::down(ErrorClass::Tls, "The certificate has expired.".into())
        );
    }

    #[test]
    fn tls_outcomes() {
        let cases = [
            (NOW - 1, Verdict::down(ErrorClass::Tls, "The certificate has expired.".into())),
            (NOW, Verdict::down(ErrorClass::Tls, "The certificate has expired.".into())),
            (NOW + 1, Verdict::degraded(Warning::CertExpiring, "The certificate expires in less than a day.".into())),
            (
                NOW + 13 * DAY_MS + 5,
                Verdict::degraded(Warning::CertExpiring, "The certificate expires in 13 days.".into()),
            ),
            (NOW + 14 * DAY_MS, Verdict::up()),
            (i64::MAX, Verdict::up()),
        ];
        for (not_after, verdict) in cases {
            assert_eq!(judge_tls(not_after, NOW, 14), verdict, "{not_after}");
        }
    }

    #[test]
    fn metrics_outcomes() {
        assert_eq!(judge_metrics(None, Some(1.0)), Verdict::up());
        assert_eq!(judge_metrics(Some(0.5), None), Verdict::up());
        assert_eq!(judge_metrics(Some(0.01), Some(1.0)), Verdict::up());
        assert_eq!(
            judge_metrics(Some(0.0234567), Some(1.5)),
            Verdict::degraded(Warning::ErrorRate, "Error rate 2.35 % is above 1.5 %.".into())
        );
    }

    #[test]
    fn json_matching() {
        let cases = [
            ("\"up\"", "up", true),
            ("\"up\"", "\"up\"", true),
            ("\"up\"", "UP", false),
            ("1", "1.0", true),
            ("1", "1e0", true),
            ("-1", "-1", true),
            ("1", "\"1\"", false),
            ("\"1\"", "1", true),
            ("null", "null", true),
            ("\"null\"", "null", true),
            ("true", "true", true),
            ("[1,2]", "[1, 2.0]", true),
            ("[1,2]", "[2, 1]", false),
            ("{\"a\":{\"b\":[1]}}", "{\"a\": {\"b\": [1.0]}}", true),
            ("{\"a\":1}", "{\"a\":1,\"b\":2}", false),
            ("\"\"", "\"\"", true),
        ];
        for (actual, expected, matches) in cases {
            let actual: Value = serde_json::from_str(actual).unwrap();
            assert_eq!(json_matches(&actual, expected), matches, "{actual} vs {expected}");
        }
    }
}
