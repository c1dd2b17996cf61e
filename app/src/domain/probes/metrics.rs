//! Reading a Prometheus metrics page for a metrics probe: the text
//! exposition format (and the OpenMetrics text that Prometheus clients
//! also serve), the sum of the series a selector picks, and error rates
//! between two readings that survive counter resets.
//!
//! A hand-written parser rather than the `prometheus-parse` crate: that
//! crate splits labels on `,` and `=` without honouring quotes, so a label
//! value such as `"a,b"` or `"x=\"y\""` is misread.
//!
//! Counter resets: a counter that went down was reset (the process
//! restarted) and counts again from zero, so its increase is its current
//! value. When several series are summed, a reset of one of them while the
//! others grow is not seen; the increase is then a lower bound, never
//! negative.

use std::fmt;

use super::selector::{is_label_name, is_metric_name, CompiledSelector, SeriesSelector};
use super::status::ErrorClass;

/// One sample of a metrics page.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The metric's name.
    pub name: String,
    /// The labels, in the order written.
    pub labels: Vec<(String, String)>,
    /// The value (also ±Inf or NaN).
    pub value: f64,
}

/// A line of a metrics page that is not in the exposition format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} of the metrics: {problem}")]
pub struct ExpositionError {
    /// 1-based.
    pub line: usize,
    /// What is wrong with it.
    pub problem: String,
}

/// Reads every sample of a metrics page. Comments, `# HELP`, `# TYPE` and
/// `# EOF` lines are skipped; values may be `+Inf`, `-Inf` or `NaN`;
/// timestamps and OpenMetrics exemplars are read past. Metric and label
/// names may also be quoted inside the braces (`{"my.metric", "a.b"="c"}`).
pub fn parse(text: &str) -> Result<Vec<Sample>, ExpositionError> {
    let mut samples = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let sample = LineParser { rest: line }.sample().map_err(|problem| ExpositionError { line: i + 1, problem })?;
        samples.push(sample);
    }
    Ok(samples)
}

struct LineParser<'a> {
    rest: &'a str,
}

impl<'a> LineParser<'a> {
    fn skip_spaces(&mut self) {
        self.rest = self.rest.trim_start_matches([' ', '\t']);
    }

    fn eat(&mut self, c: char) -> bool {
        match self.rest.strip_prefix(c) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn word(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let end = self.rest.find(|c| !keep(c)).unwrap_or(self.rest.len());
        let (word, rest) = self.rest.split_at(end);
        self.rest = rest;
        word
    }

    fn sample(mut self) -> Result<Sample, String> {
        let mut name = self.word(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':').to_string();
        if !name.is_empty() && !is_metric_name(&name) {
            return Err(format!("“{name}” is not a metric name"));
        }
        self.skip_spaces();
        let mut labels = Vec::new();
        if self.eat('{') {
            self.labels(&mut name, &mut labels)?;
        }
        if name.is_empty() {
            return Err("a sample has no metric name".into());
        }
        self.skip_spaces();
        let value_text = self.word(|c| c != ' ' && c != '\t');
        let value = parse_float(value_text).ok_or_else(|| format!("“{value_text}” is not a number"))?;
        self.skip_spaces();
        if !self.rest.is_empty() && !self.rest.starts_with('#') {
            let timestamp = self.word(|c| c != ' ' && c != '\t');
            parse_float(timestamp).ok_or_else(|| format!("“{timestamp}” is not a timestamp"))?;
            self.skip_spaces();
        }
        // What may follow is an OpenMetrics exemplar: `# {trace_id="…"} 1`.
        if !self.rest.is_empty() && !self.rest.starts_with('#') {
            return Err(format!("unexpected “{}” after the value", self.rest));
        }
        Ok(Sample { name, labels, value })
    }

    /// The labels after `{`, through `}`. A quoted string not followed by
    /// `=` is the metric's name (UTF-8 names in newer exposition formats).
    fn labels(&mut self, name: &mut String, labels: &mut Vec<(String, String)>) -> Result<(), String> {
        loop {
            self.skip_spaces();
            if self.eat('}') {
                return Ok(());
            }
            let label = if self.rest.starts_with('"') {
                self.quoted()?
            } else {
                let label = self.word(|c| c.is_ascii_alphanumeric() || c == '_');
                if !is_label_name(label) {
                    return Err("expected a label name".into());
                }
                label.to_string()
            };
            self.skip_spaces();
            if self.eat('=') {
                self.skip_spaces();
                if !self.rest.starts_with('"') {
                    return Err(format!("the value of label {label} is not quoted"));
                }
                labels.push((label, self.quoted()?));
            } else if name.is_empty() {
                *name = label;
            } else {
                return Err(format!("expected = after label {label}"));
            }
            self.skip_spaces();
            if !self.eat(',') && !self.rest.starts_with('}') {
                return Err("expected , or } between labels".into());
            }
        }
    }

    /// A double-quoted string with the format's escapes (`\\`, `\"`, `\n`);
    /// any other backslash is kept as written, as Prometheus does.
    fn quoted(&mut self) -> Result<String, String> {
        let mut chars = self.rest.char_indices().skip(1);
        let mut value = String::new();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.rest = &self.rest[i + 1..];
                    return Ok(value);
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, other)) => {
                        value.push('\\');
                        value.push(other);
                    }
                    None => break,
                },
                c => value.push(c),
            }
        }
        Err("a quoted string is not closed".into())
    }
}

/// A float as Go's `ParseFloat` reads the format's values: also `+Inf`,
/// `-Inf` and `NaN`, in any case.
fn parse_float(text: &str) -> Option<f64> {
    if text.is_empty() {
        return None;
    }
    text.parse::<f64>().ok()
}

/// The sum of the finite values of the series `selector` picks; `None`
/// when it picks none.
pub fn sum(samples: &[Sample], selector: &CompiledSelector) -> Option<f64> {
    samples
        .iter()
        .filter(|s| s.value.is_finite() && selector.matches(&s.name, &s.labels))
        .map(|s| s.value)
        .fold(None, |total, value| Some(total.unwrap_or(0.0) + value))
}

/// A reading of a metrics probe's two counters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Counters {
    /// The requests counter (summed over the matching series).
    pub requests: f64,
    /// The errors counter (summed over the matching series; 0 when none matches).
    pub errors: f64,
}

/// Why a metrics page could not be read for counters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricsError {
    #[error("{0}")]
    /// The page is not in the exposition format.
    Malformed(ExpositionError),
    #[error("No series matches {0}.")]
    /// No series matches the requests selector (its text).
    NoRequests(String),
    /// A selector built by hand with a bad regular expression.
    #[error("{0}")]
    Selector(String),
}

impl MetricsError {
    /// How a failed check with this error is classed.
    pub fn class(&self) -> ErrorClass {
        match self {
            MetricsError::Malformed(_) | MetricsError::Selector(_) => ErrorClass::Protocol,
            MetricsError::NoRequests(_) => ErrorClass::Assertion,
        }
    }
}

/// Reads the two counters from a metrics page. The requests series must
/// exist; a missing errors series reads as 0, since many services expose
/// a labelled counter such as `status="500"` only after its first error.
pub fn read_counters(text: &str, requests: &SeriesSelector, errors: &SeriesSelector) -> Result<Counters, MetricsError> {
    let samples = parse(text).map_err(MetricsError::Malformed)?;
    let requests_selector = requests.compile().map_err(MetricsError::Selector)?;
    let errors_selector = errors.compile().map_err(MetricsError::Selector)?;
    let request_total =
        sum(&samples, &requests_selector).ok_or_else(|| MetricsError::NoRequests(requests.to_string()))?;
    let error_total = sum(&samples, &errors_selector).unwrap_or(0.0);
    Ok(Counters { requests: request_total, errors: error_total })
}

/// The increase of a counter since the previous reading: 0 without a
/// previous reading (the first one only sets the baseline); the current
/// value when the counter went down (it was reset and counts from zero);
/// never negative, never NaN.
pub fn counter_delta(previous: Option<f64>, current: f64) -> f64 {
    let current = if current.is_finite() { current.max(0.0) } else { 0.0 };
    match previous {
        Some(previous) if previous.is_finite() && current >= previous => current - previous,
        Some(_) => current,
        None => 0.0,
    }
}

/// Each counter's increase between two readings (see [`counter_delta`]).
pub fn increase(previous: Counters, current: Counters) -> Counters {
    Counters {
        requests: counter_delta(Some(previous.requests), current.requests),
        errors: counter_delta(Some(previous.errors), current.errors),
    }
}

/// Errors per request between two readings, from 0 to 1; `None` when there
/// were no requests in between. Each counter's reset is handled on its own.
pub fn error_rate(previous: Counters, current: Counters) -> Option<f64> {
    let delta = increase(previous, current);
    (delta.requests > 0.0).then(|| (delta.errors / delta.requests).clamp(0.0, 1.0))
}

impl fmt::Display for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} requests, {} errors", self.requests, self.errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"# HELP http_requests_total Requests served.
# TYPE http_requests_total counter
http_requests_total{job="api",status="200"} 1027 1395066363000
http_requests_total{job="api",status="503"} 3
http_requests_total{job="api", status = "500" ,} 4e0
http_requests_total{job="web",status="500"} 100
http_requests_total{job="api",status="404",path="C:\\DIR\\FILE.TXT"} 2
weird{msg="a,b=\"c\"}\n{d}"} 1
  # indented comment
no_labels 3.5

rpc_duration_seconds{quantile="0.99"} +Inf
nan_metric NaN
neg_inf -Inf
exemplar_total{a="1"} 7 # {trace_id="abc"} 1.0 1.6e9
{"dotted.name", "label.with.dots"="x", plain="y"} 9
float_ts 1 1.5e9
"#;

    fn select(text: &str) -> CompiledSelector {
        SeriesSelector::parse(text).unwrap().compile().unwrap()
    }

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_exposition_format_parses() {
        let samples = parse(PAGE).unwrap();
        assert_eq!(samples.len(), 13);
        assert_eq!(
            samples[0],
            Sample {
                name: "http_requests_total".into(),
                labels: labels(&[("job", "api"), ("status", "200")]),
                value: 1027.0
            }
        );
        assert_eq!(samples[2].labels, labels(&[("job", "api"), ("status", "500")]));
        assert_eq!(samples[2].value, 4.0);
        assert_eq!(samples[4].labels[2], ("path".to_string(), "C:\\DIR\\FILE.TXT".to_string()));
        assert_eq!(
            samples[5],
            Sample { name: "weird".into(), labels: labels(&[("msg", "a,b=\"c\"}\n{d}")]), value: 1.0 }
        );
        assert_eq!(samples[6], Sample { name: "no_labels".into(), labels: vec![], value: 3.5 });
        assert_eq!(samples[7].value, f64::INFINITY);
        assert!(samples[8].value.is_nan());
        assert_eq!(samples[9].value, f64::NEG_INFINITY);
        assert_eq!(samples[10].value, 7.0);
        assert_eq!(samples[11].name, "dotted.name");
        assert_eq!(samples[11].labels, labels(&[("label.with.dots", "x"), ("plain", "y")]));
        assert_eq!(samples[12].value, 1.0);
    }

    #[test]
    fn malformed_lines_are_named() {
        let cases = [
            ("ok 1\nbroken", 2, "“” is not a number"),
            ("x{a=\"1\"", 1, "expected , or } between labels"),
            ("x{a=1} 2", 1, "the value of label a is not quoted"),
            ("x{a=\"1} 2", 1, "a quoted string is not closed"),
            ("x{9=\"1\"} 2", 1, "expected a label name"),
            ("x{a \"1\"} 2", 1, "expected = after label a"),
            ("x{a=\"1\" b=\"2\"} 2", 1, "expected , or } between labels"),
            ("x one", 1, "“one” is not a number"),
            ("x 1 yesterday", 1, "“yesterday” is not a timestamp"),
            ("x 1 2 3", 1, "unexpected “3” after the value"),
            ("{a=\"1\"} 2", 1, "a sample has no metric name"),
            ("9x 1", 1, "“9x” is not a metric name"),
            ("x- 1", 1, "“-” is not a number"),
        ];
        for (text, line, problem) in cases {
            assert_eq!(parse(text), Err(ExpositionError { line, problem: problem.into() }), "{text:?}");
        }
        assert_eq!(ExpositionError { line: 3, problem: "x".into() }.to_string(), "line 3 of the metrics: x");
    }

    #[test]
    fn random_text_never_panics() {
        let alphabet: Vec<char> = "ab_:{}=\",\\ \n#1.e+-InfNa\té".chars().collect();
        let mut seed = 5u64;
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..(seed % 40) {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                text.push(alphabet[((seed >> 33) % alphabet.len() as u64) as usize]);
            }
            let _ = parse(&text);
        }
    }

    #[test]
    fn sums_follow_the_selector() {
        let samples = parse(PAGE).unwrap();
        let cases: [(&str, Option<f64>); 12] = [
            (r#"http_requests_total{job="api"}"#, Some(1036.0)),
            (r#"http_requests_total{job!="api"}"#, Some(100.0)),
            (r#"http_requests_total{job="api", status=~"5.."}"#, Some(7.0)),
            (r#"http_requests_total{status=~"5.."}"#, Some(107.0)),
            (r#"http_requests_total{job="api", status!~"5.."}"#, Some(1029.0)),
            (r#"http_requests_total{job="api", status="418"}"#, None),
            (r#"http_requests_total{path=""}"#, Some(1134.0)),
            ("missing_total", None),
            ("rpc_duration_seconds", None), // only +Inf: not a usable value
            ("nan_metric", None),
            ("no_labels", Some(3.5)),
            (r#"exemplar_total{a="1"}"#, Some(7.0)),
        ];
        for (selector, expected) in cases {
            assert_eq!(sum(&samples, &select(selector)), expected, "{selector}");
        }
    }

    #[test]
    fn counters_are_read_and_missing_series_handled() {
        let requests = SeriesSelector::parse(r#"http_requests_total{job="api"}"#).unwrap();
        let errors = SeriesSelector::parse(r#"http_requests_total{job="api", status=~"5.."}"#).unwrap();
        assert_eq!(read_counters(PAGE, &requests, &errors), Ok(Counters { requests: 1036.0, errors: 7.0 }));
        let no_errors = SeriesSelector::parse(r#"http_requests_total{job="api", status="599"}"#).unwrap();
        assert_eq!(read_counters(PAGE, &requests, &no_errors), Ok(Counters { requests: 1036.0, errors: 0.0 }));
        let missing = SeriesSelector::parse("requests_total").unwrap();
        let err = read_counters(PAGE, &missing, &errors).unwrap_err();
        assert_eq!(err, MetricsError::NoRequests("requests_total".into()));
        assert_eq!(err.to_string(), "No series matches requests_total.");
        assert_eq!(err.class(), ErrorClass::Assertion);
        let err = read_counters("x{", &requests, &errors).unwrap_err();
        assert_eq!(err.class(), ErrorClass::Protocol);
        assert_eq!(err.to_string(), "line 1 of the metrics: expected a label name");
    }

    #[test]
    fn deltas_survive_resets() {
        let cases = [
            (None, 100.0, 0.0),
            (Some(100.0), 150.0, 50.0),
            (Some(100.0), 100.0, 0.0),
            (Some(100.0), 30.0, 30.0), // reset: counted again from zero
            (Some(100.0), 0.0, 0.0),
            (Some(0.0), 5.0, 5.0),
            (Some(f64::NAN), 5.0, 5.0),
            (Some(100.0), f64::NAN, 0.0),
            (Some(100.0), f64::INFINITY, 0.0),
            (Some(100.0), -5.0, 0.0),
        ];
        for (previous, current, delta) in cases {
            assert_eq!(counter_delta(previous, current), delta, "{previous:?} -> {current}");
        }
    }

    #[test]
    fn error_rates() {
        let c = |requests, errors| Counters { requests, errors };
        let cases = [
            // Plain increase.
            (c(1000.0, 10.0), c(1100.0, 15.0), Some(0.05)),
            // No traffic in between.
            (c(1000.0, 10.0), c(1000.0, 10.0), None),
            // Both reset (restart): counted from zero.
            (c(1000.0, 10.0), c(200.0, 2.0), Some(0.01)),
            // Requests reset, errors did not (a separate series).
            (c(1000.0, 10.0), c(50.0, 15.0), Some(0.1)),
            // Errors reset, requests did not.
            (c(1000.0, 10.0), c(1100.0, 4.0), Some(0.04)),
            // More errors than requests (a selector mismatch): capped at 1.
            (c(0.0, 0.0), c(10.0, 20.0), Some(1.0)),
            // Requests reset to zero: nothing to divide by.
            (c(1000.0, 10.0), c(0.0, 0.0), None),
        ];
        for (previous, current, rate) in cases {
            match (error_rate(previous, current), rate) {
                (Some(got), Some(want)) => assert!((got - want).abs() < 1e-12, "{previous} -> {current}: {got}"),
                (got, want) => assert_eq!(got, want, "{previous} -> {current}"),
            }
        }
        assert_eq!(increase(c(1000.0, 10.0), c(50.0, 15.0)), c(50.0, 5.0));
    }
}
