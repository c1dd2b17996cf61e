//! Series selectors of metrics probes, written as in PromQL:
//! `http_requests_total{job="api", status=~"5.."}`.
//!
//! As in Prometheus, regular expressions are fully anchored (`5..` matches
//! `500`, not `1500`), and a label a series lacks reads as the empty string
//! (`{env=""}` matches series without `env`).

use std::fmt;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// The longest selector text accepted.
const MAX_LEN: usize = 1000;
/// The most matchers in one selector.
const MAX_MATCHERS: usize = 20;
/// A compiled regular expression may use at most this much memory; a
/// selector is typed by a person, so this is generous.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// How a matcher compares a label's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MatchOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `=~`: the value matches the regular expression.
    Re,
    /// `!~`: the value does not match the regular expression.
    Nre,
}

impl MatchOp {
    /// As written in selectors: "=", "!=", "=~" or "!~".
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Eq => "=",
            MatchOp::Ne => "!=",
            MatchOp::Re => "=~",
            MatchOp::Nre => "!~",
        }
    }
}

/// One `label op "value"` condition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Matcher {
    /// The label's name (`__name__` is the metric name).
    pub label: String,
    /// How the value is compared.
    pub op: MatchOp,
    /// The text to compare with, or the regular expression (unanchored as
    /// written; anchoring is implied).
    pub value: String,
}

/// A metric name and the conditions on its labels. Build it with
/// [`SeriesSelector::parse`]; it prints back as the same text, and serde
/// reads and writes that text (checking it again when read).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SeriesSelector {
    /// The metric's name.
    pub metric: String,
    /// Conditions on labels; all must hold.
    pub matchers: Vec<Matcher>,
}

impl SeriesSelector {
    /// Reads a selector; the error is a sentence for the person who wrote it.
    pub fn parse(text: &str) -> Result<SeriesSelector, String> {
        if text.chars().count() > MAX_LEN {
            return Err(format!("Use at most {MAX_LEN} characters."));
        }
        let selector = Parser { rest: text.trim() }.selector()?;
        selector.compile()?;
        Ok(selector)
    }

    /// The selector ready to test series, its regular expressions compiled.
    /// Fails only for a selector built by hand with a bad expression.
    pub fn compile(&self) -> Result<CompiledSelector, String> {
        let matchers = self
            .matchers
            .iter()
            .map(|m| {
                let regex = match m.op {
                    MatchOp::Re | MatchOp::Nre => Some(anchored(&m.label, &m.value)?),
                    MatchOp::Eq | MatchOp::Ne => None,
                };
                Ok((m.clone(), regex))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(CompiledSelector { metric: self.metric.clone(), matchers })
    }
}

/// The fully anchored form of a matcher's expression, as Prometheus reads it.
fn anchored(label: &str, pattern: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$")).size_limit(REGEX_SIZE_LIMIT).build().map_err(|e| {
        // The regex crate's message spans several lines with a caret; its
        // last line says what is wrong.
        let detail = e.to_string();
        let detail = detail.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
        let detail = detail.strip_prefix("error: ").unwrap_or(detail);
        format!("The regular expression for {label} is not valid: {detail}.")
    })
}

/// A selector whose regular expressions are compiled, for testing series.
#[derive(Debug, Clone)]
pub struct CompiledSelector {
    metric: String,
    matchers: Vec<(Matcher, Option<Regex>)>,
}

impl CompiledSelector {
    /// Whether the series `name{labels}` is selected. A label missing from
    /// `labels` reads as the empty string; `__name__` is the metric name.
    pub fn matches(&self, name: &str, labels: &[(String, String)]) -> bool {
        name == self.metric
            && self.matchers.iter().all(|(m, regex)| {
                let value = match m.label.as_str() {
                    "__name__" => name,
                    label => labels.iter().find(|(l, _)| l == label).map_or("", |(_, v)| v.as_str()),
                };
                match (m.op, regex) {
                    (MatchOp::Eq, _) => value == m.value,
                    (MatchOp::Ne, _) => value != m.value,
                    (MatchOp::Re, Some(regex)) => regex.is_match(value),
                    (MatchOp::Nre, Some(regex)) => !regex.is_match(value),
                    // `compile` gives every regex matcher its expression.
                    (MatchOp::Re | MatchOp::Nre, None) => false,
                }
            })
    }
}

/// A metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// A label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

struct Parser<'a> {
    rest: &'a str,
}

impl<'a> Parser<'a> {
    fn skip_spaces(&mut self) {
        self.rest = self.rest.trim_start();
    }

    /// The longest prefix whose characters satisfy `keep`.
    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let end = self.rest.find(|c| !keep(c)).unwrap_or(self.rest.len());
        let (taken, rest) = self.rest.split_at(end);
        self.rest = rest;
        taken
    }

    fn eat(&mut self, token: &str) -> bool {
        match self.rest.strip_prefix(token) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn selector(mut self) -> Result<SeriesSelector, String> {
        let metric = self.take_while(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
        if !is_metric_name(metric) {
            return Err("Start with the metric name, e.g. http_requests_total.".into());
        }
        self.skip_spaces();
        let mut matchers = Vec::new();
        if self.eat("{") {
            matchers = self.matchers()?;
        }
        self.skip_spaces();
        if !self.rest.is_empty() {
            return Err(format!("Unexpected “{}” after the selector.", excerpt(self.rest)));
        }
        Ok(SeriesSelector { metric: metric.to_string(), matchers })
    }

    /// The matchers after `{`, through the closing `}`.
    fn matchers(&mut self) -> Result<Vec<Matcher>, String> {
        let mut matchers = Vec::new();
        loop {
            self.skip_spaces();
            if self.eat("}") {
                return Ok(matchers);
            }
            if matchers.len() == MAX_MATCHERS {
                return Err(format!("Use at most {MAX_MATCHERS} label matchers."));
            }
            matchers.push(self.matcher()?);
            self.skip_spaces();
            if !self.eat(",") && !self.rest.starts_with('}') {
                return match self.rest {
                    "" => Err("Close the label matchers with }.".into()),
                    rest => Err(format!("Expected “,” or “}}” before “{}”.", excerpt(rest))),
                };
            }
        }
    }

    fn matcher(&mut self) -> Result<Matcher, String> {
        let before = self.rest;
        let label = self.take_while(|c| c.is_ascii_alphanumeric() || c == '_');
        if !is_label_name(label) {
            return Err(match before {
                "" => "Close the label matchers with }.".into(),
                rest => format!("Expected a label name before “{}”.", excerpt(rest)),
            });
        }
        self.skip_spaces();
        // Two-character operators first: "=~" must not read as "=".
        let op = [MatchOp::Re, MatchOp::Nre, MatchOp::Ne, MatchOp::Eq]
            .into_iter()
            .find(|op| self.eat(op.as_str()))
            .ok_or_else(|| format!("Expected =, !=, =~ or !~ after the label {label}."))?;
        self.skip_spaces();
        let value = self.quoted(label)?;
        Ok(Matcher { label: label.to_string(), op, value })
    }

    /// A double- or single-quoted string with PromQL's escapes.
    fn quoted(&mut self, label: &str) -> Result<String, String> {
        let mut chars = self.rest.char_indices();
        let quote = match chars.next() {
            Some((_, q @ ('"' | '\''))) => q,
            _ => return Err(format!("Put the value for {label} in double quotes, e.g. {label}=\"api\".")),
        };
        let mut value = String::new();
        while let Some((i, c)) = chars.next() {
            match c {
                c if c == quote => {
                    self.rest = &self.rest[i + c.len_utf8()..];
                    return Ok(value);
                }
                '\\' => match chars.next().map(|(_, e)| e) {
                    Some('\\') => value.push('\\'),
                    Some('"') => value.push('"'),
                    Some('\'') => value.push('\''),
                    Some('n') => value.push('\n'),
                    Some('t') => value.push('\t'),
                    Some(other) => {
                        return Err(format!(
                            "Unknown escape \\{other} in the value for {label}; write \\\\{other} for a regular expression's \\{other}."
                        ))
                    }
                    None => break,
                },
                c => value.push(c),
            }
        }
        Err(format!("Close the quotes of the value for {label}."))
    }
}

/// The start of `text`, for an error message.
fn excerpt(text: &str) -> String {
    let short: String = text.chars().take(20).collect();
    if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    }
}

impl fmt::Display for SeriesSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.metric)?;
        if self.matchers.is_empty() {
            return Ok(());
        }
        f.write_str("{")?;
        for (i, m) in self.matchers.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}{}\"", m.label, m.op.as_str())?;
            for c in m.value.chars() {
                match c {
                    '\\' => f.write_str("\\\\")?,
                    '"' => f.write_str("\\\"")?,
                    '\n' => f.write_str("\\n")?,
                    '\t' => f.write_str("\\t")?,
                    c => write!(f, "{c}")?,
                }
            }
            f.write_str("\"")?;
        }
        f.write_str("}")
    }
}

impl TryFrom<String> for SeriesSelector {
    type Error = String;

    fn try_from(text: String) -> Result<SeriesSelector, String> {
        SeriesSelector::parse(&text)
    }
}

impl From<SeriesSelector> for String {
    fn from(selector: SeriesSelector) -> String {
        selector.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(label: &str, op: MatchOp, value: &str) -> Matcher {
        Matcher { label: label.into(), op, value: value.into() }
    }

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn selectors_parse() {
        let s = SeriesSelector::parse(r#"http_requests_total{status=~"5..", job="api"}"#).unwrap();
        assert_eq!(s.metric, "http_requests_total");
        assert_eq!(s.matchers, vec![m("status", MatchOp::Re, "5.."), m("job", MatchOp::Eq, "api")]);
        let cases: Vec<(&str, SeriesSelector)> = vec![
            ("up", SeriesSelector { metric: "up".into(), matchers: vec![] }),
            (" up {} ", SeriesSelector { metric: "up".into(), matchers: vec![] }),
            ("ns:rate_5m", SeriesSelector { metric: "ns:rate_5m".into(), matchers: vec![] }),
            (
                r#"x{a!="1",b!~'2|3',}"#,
                SeriesSelector {
                    metric: "x".into(),
                    matchers: vec![m("a", MatchOp::Ne, "1"), m("b", MatchOp::Nre, "2|3")],
                },
            ),
            (
                r#"x{ path = "say \"hi\"\\n" , tab="\t\n" }"#,
                SeriesSelector {
                    metric: "x".into(),
                    matchers: vec![m("path", MatchOp::Eq, "say \"hi\"\\n"), m("tab", MatchOp::Eq, "\t\n")],
                },
            ),
            (
                r#"x{code=~"5\\d\\d"}"#,
                SeriesSelector { metric: "x".into(), matchers: vec![m("code", MatchOp::Re, r"5\d\d")] },
            ),
            (
                r#"x{q='it\'s', u="é{}"}"#,
                SeriesSelector {
                    metric: "x".into(),
                    matchers: vec![m("q", MatchOp::Eq, "it's"), m("u", MatchOp::Eq, "é{}")],
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(SeriesSelector::parse(text).as_ref(), Ok(&expected), "{text}");
        }
    }

    #[test]
    fn display_round_trips() {
        let texts = [
            "up",
            r#"http_requests_total{status=~"5..", job="api"}"#,
            r#"x{a!="", b!~"(a|b)+"}"#,
            r#"x{path="say \"hi\"\\n", tab="\t\n", u="é{,}"}"#,
            r#"x{__name__=~"x|y"}"#,
        ];
        for text in texts {
            let selector = SeriesSelector::parse(text).unwrap();
            let printed = selector.to_string();
            assert_eq!(SeriesSelector::parse(&printed).unwrap(), selector, "{text} -> {printed}");
        }
        assert_eq!(SeriesSelector::parse(r#"x{ a = "1" ,b=~'2'}"#).unwrap().to_string(), r#"x{a="1", b=~"2"}"#);
        assert_eq!(SeriesSelector::parse(r#"x{q='it\'s'}"#).unwrap().to_string(), r#"x{q="it's"}"#);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases = [
            ("", "Start with the metric name, e.g. http_requests_total."),
            ("{job=\"api\"}", "Start with the metric name, e.g. http_requests_total."),
            ("9lives", "Start with the metric name, e.g. http_requests_total."),
            ("up down", "Unexpected “down” after the selector."),
            ("up{job=\"api\"} extra", "Unexpected “extra” after the selector."),
            ("up{job=\"api\"", "Close the label matchers with }."),
            ("up{job=\"api\",", "Close the label matchers with }."),
            ("up{job=\"api\" env=\"x\"}", "Expected “,” or “}” before “env=\"x\"}”."),
            ("up{9job=\"api\"}", "Expected a label name before “9job=\"api\"}”."),
            ("up{job==\"api\"}", "Put the value for job in double quotes, e.g. job=\"api\"."),
            ("up{job:\"api\"}", "Expected =, !=, =~ or !~ after the label job."),
            ("up{:job=\"api\"}", "Expected a label name before “:job=\"api\"}”."),
            ("up{job~\"api\"}", "Expected =, !=, =~ or !~ after the label job."),
            ("up{job=api}", "Put the value for job in double quotes, e.g. job=\"api\"."),
            ("up{job=\"api}", "Close the quotes of the value for job."),
            ("up{job=\"api\\", "Close the quotes of the value for job."),
            (
                r#"up{code=~"5\d\d"}"#,
                r"Unknown escape \d in the value for code; write \\d for a regular expression's \d.",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(SeriesSelector::parse(text), Err(message.to_string()), "{text:?}");
        }
        let err = SeriesSelector::parse(r#"up{code=~"5(("}"#).unwrap_err();
        assert!(err.starts_with("The regular expression for code is not valid: "), "{err}");
        assert!(err.ends_with('.'), "{err}");
        let long = format!("up{{a=\"{}\"}}", "x".repeat(1000));
        assert_eq!(SeriesSelector::parse(&long), Err("Use at most 1000 characters.".into()));
        let many = format!("up{{{}}}", (0..21).map(|i| format!("l{i}=\"v\"")).collect::<Vec<_>>().join(","));
        assert_eq!(SeriesSelector::parse(&many), Err("Use at most 20 label matchers.".into()));
        let huge = r#"up{a=~"((\\w{100}){100}){10}"}"#;
        let err = SeriesSelector::parse(huge).unwrap_err();
        assert!(err.starts_with("The regular expression for a is not valid"), "{err}");
    }

    #[test]
    fn matching_follows_prometheus() {
        let select = |text: &str| SeriesSelector::parse(text).unwrap().compile().unwrap();
        let series = labels(&[("job", "api"), ("status", "503")]);
        let cases = [
            (r#"req{job="api"}"#, true),
            (r#"req{job="web"}"#, false),
            (r#"req{job!="web"}"#, true),
            (r#"req{job!="api"}"#, false),
            (r#"req{status=~"5.."}"#, true),
            (r#"req{status=~"5"}"#, false), // anchored: not a substring match
            (r#"req{status=~"0.."}"#, false),
            (r#"req{status=~"4..|5.."}"#, true), // the alternation is anchored as a whole
            (r#"req{status!~"5.."}"#, false),
            (r#"req{status!~"2.."}"#, true),
            (r#"req{env=""}"#, true), // missing label reads as ""
            (r#"req{env!=""}"#, false),
            (r#"req{env=~".*"}"#, true),
            (r#"req{env=~".+"}"#, false),
            (r#"req{__name__="req"}"#, true),
            (r#"req{__name__=~"r.q", job="api", status!~"2.."}"#, true),
            ("req", true),
            ("other", false),
            (r#"req{job="API"}"#, false),
        ];
        for (text, expected) in cases {
            assert_eq!(select(text).matches("req", &series), expected, "{text}");
        }
    }

    #[test]
    fn a_hand_built_bad_selector_does_not_compile() {
        let bad = SeriesSelector { metric: "x".into(), matchers: vec![m("a", MatchOp::Re, "(")] };
        assert!(bad.compile().is_err());
    }

    #[test]
    fn names() {
        assert!(is_metric_name("a:b_c9"));
        assert!(!is_metric_name("9a"));
        assert!(!is_metric_name(""));
        assert!(is_label_name("_x1"));
        assert!(!is_label_name("a:b"));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn serde_uses_the_text() {
        let selector = SeriesSelector::parse(r#"x{a="1"}"#).unwrap();
        let json = serde_json::to_string(&selector).unwrap();
        assert_eq!(json, r#""x{a=\"1\"}""#);
        assert_eq!(serde_json::from_str::<SeriesSelector>(&json).unwrap(), selector);
        assert!(serde_json::from_str::<SeriesSelector>(r#""x{""#).is_err());
    }
}
