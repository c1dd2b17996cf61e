//! A service's probes as a TOML file, so teams can keep them beside their
//! code: [`export`] writes one, [`import`] reads one back.
//!
//! ```toml
//! [[probe]]
//! name = "API health"
//! kind = "http"                  # http, tcp, tls or metrics
//! interval_secs = 60
//! timeout_ms = 10000
//! failure_threshold = 3
//! recovery_threshold = 2
//! method = "GET"
//! url = "https://api.example.com/health"
//! accept = "200-299,301"
//! follow_redirects = true
//! tls_warn_days = 14
//! assertions = ["json /status = \"up\"", "latency < 500 ms"]
//!
//! [[probe.header]]
//! name = "Authorization"
//! secret = true                  # the value stays in Preflight
//!
//! [[probe]]
//! name = "Database"
//! kind = "tcp"
//! target = "db.internal:5432"
//! ```
//!
//! Keys are the probe form's field names and read the same way (the same
//! defaults, the same messages); `target` is the `host:port` of TCP and TLS
//! probes, `requests`, `errors` and `error_rate_warn_percent` belong to
//! metrics probes.
//!
//! Secrets: an export never holds a secret header's value, only its name
//! and `secret = true`. On import, such a header keeps the value stored for
//! the same-named header of the same-named probe ([`keep_stored_secrets`]);
//! a secret header may also be given a new `value`.

use std::fmt;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::definition::{keep_secrets, validate, ProbeDef, ProbeForm, ProbeKind, ProbeSpec};
use crate::error::AppError;

/// The most probes one file may hold.
pub const MAX_PROBES: usize = 100;

const HEADER_COMMENT: &str = "\
# Probes exported from Preflight. Edit and import this file to change them.
# Secret header values are not exported: a header marked `secret = true`
# without a value keeps the value Preflight has stored for it.
";

/// Why a file could not be imported: where (the probe, its line, the key)
/// and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// 1-based position of the probe in the file, when the problem is in one.
    pub probe: Option<usize>,
    /// The probe's name, when it was read.
    pub name: Option<String>,
    /// 1-based line and column of the problem, or of the probe's table.
    pub line: Option<usize>,
    /// (See `line`.)
    pub column: Option<usize>,
    /// The key in the file, when the problem is in one.
    pub field: Option<String>,
    /// What is wrong, as a sentence.
    pub message: String,
}

impl ImportError {
    /// The error as a field error of the form that uploaded the file.
    pub fn to_app_error(&self, form_field: &str) -> AppError {
        AppError::invalid(form_field, self.to_string())
    }
}

impl fmt::Display for ImportError {
    /// "Probe 2 “API health” (line 14), interval_secs: Interval must be at
    /// least 10 seconds."
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut place = Vec::new();
        if let Some(probe) = self.probe {
            match &self.name {
                Some(name) => place.push(format!("Probe {probe} “{name}”")),
                None => place.push(format!("Probe {probe}")),
            }
        }
        match (self.line, self.column) {
            (Some(line), Some(column)) => place.push(format!("line {line}, column {column}")),
            (Some(line), None) => place.push(format!("line {line}")),
            _ => {}
        }
        let mut text = match place.split_first() {
            Some((first, rest)) if self.probe.is_some() && !rest.is_empty() => format!("{first} ({})", rest.join(", ")),
            Some(_) => place.join(", "),
            None => String::new(),
        };
        if let Some(field) = &self.field {
            text = if text.is_empty() { field.clone() } else { format!("{text}, {field}") };
        }
        if text.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{text}: {}", self.message)
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIn {
    #[serde(default)]
    probe: Vec<Spanned<Entry>>,
}

#[derive(Serialize)]
struct FileOut {
    probe: Vec<Entry>,
}

/// One `[[probe]]` table.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    interval_secs: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timeout_ms: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure_threshold: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    recovery_threshold: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    accept: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    follow_redirects: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tls_warn_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    assertions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    requests: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    errors: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error_rate_warn_percent: Option<f64>,
    #[serde(default, rename = "header", skip_serializing_if = "Vec::is_empty")]
    headers: Vec<HeaderEntry>,
}

/// One `[[probe.header]]` table.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderEntry {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    secret: bool,
}

/// The probes as a TOML file, secret header values left out.
pub fn export(defs: &[ProbeDef]) -> String {
    let file = FileOut { probe: defs.iter().map(entry_of).collect() };
    // Serialising these plain structs cannot fail; were it ever to, the
    // empty result is an empty file, which `import` reads as no probes.
    format!("{HEADER_COMMENT}\n{}", toml::to_string(&file).unwrap_or_default())
}

fn entry_of(def: &ProbeDef) -> Entry {
    let mut entry = Entry {
        name: def.name.clone(),
        kind: def.kind().as_str().into(),
        interval_secs: Some(def.interval_secs),
        timeout_ms: Some(def.timeout_ms),
        failure_threshold: Some(def.failure_threshold),
        recovery_threshold: Some(def.recovery_threshold),
        headers: def
            .headers()
            .iter()
            .map(|h| HeaderEntry {
                name: h.name.clone(),
                value: (!h.secret).then(|| h.value.clone()),
                secret: h.secret,
            })
            .collect(),
        ..Entry::default()
    };
    match &def.spec {
        ProbeSpec::Http(http) => {
            entry.method = Some(http.method.as_str().into());
            entry.url = Some(http.url.clone());
            entry.accept = Some(http.accept.to_string());
            entry.follow_redirects = Some(http.follow_redirects);
            entry.tls_warn_days = http.tls_warn_days;
            entry.body = http.body.clone();
            entry.assertions = http.assertions.iter().map(ToString::to_string).collect();
        }
        ProbeSpec::Tcp(tcp) => entry.target = Some(tcp.target.to_string()),
        ProbeSpec::Tls(tls) => {
            entry.target = Some(tls.target.to_string());
            entry.tls_warn_days = Some(tls.warn_days);
        }
        ProbeSpec::Metrics(metrics) => {
            entry.url = Some(metrics.url.clone());
            entry.requests = Some(metrics.requests.to_string());
            entry.errors = Some(metrics.errors.to_string());
            entry.error_rate_warn_percent = metrics.error_rate_warn_percent;
        }
    }
    entry
}

/// Reads a file of probes, in file order. Secret headers without a value
/// come back with an empty value: pass the result to
/// [`keep_stored_secrets`] (or call [`import_keeping_secrets`]).
///
/// A file without probes is read as none; whether that removes a service's
/// probes is for the caller to decide.
pub fn import(text: &str) -> Result<Vec<ProbeDef>, ImportError> {
    let file: FileIn = toml::from_str(text).map_err(|e| syntax_error(text, &e))?;
    if file.probe.len() > MAX_PROBES {
        return Err(ImportError {
            probe: None,
            name: None,
            line: None,
            column: None,
            field: None,
            message: format!("A file may hold at most {MAX_PROBES} probes."),
        });
    }
    let mut defs: Vec<ProbeDef> = Vec::with_capacity(file.probe.len());
    for (index, spanned) in file.probe.iter().enumerate() {
        let (line, column) = line_column(text, spanned.span().start);
        let entry = spanned.get_ref();
        let problem = |field: &str, message: String| ImportError {
            probe: Some(index + 1),
            name: Some(entry.name.trim().to_string()).filter(|n| !n.is_empty()),
            line: Some(line),
            column: Some(column),
            field: Some(field.to_string()),
            message,
        };
        let form = form_of(entry).map_err(|(field, message)| problem(field, message))?;
        let def = validate(&form).map_err(|e| match e {
            AppError::Invalid { field, message } => problem(file_key(&field), message),
            other => problem("probe", other.to_string()),
        })?;
        if defs.iter().any(|d| d.name == def.name) {
            return Err(problem("name", "Another probe in this file has the same name.".into()));
        }
        defs.push(def);
    }
    Ok(defs)
}

/// [`import`], then [`keep_stored_secrets`] against the stored probes.
pub fn import_keeping_secrets(text: &str, stored: &[ProbeDef]) -> Result<Vec<ProbeDef>, ImportError> {
    keep_stored_secrets(import(text)?, stored)
}

/// Fills the blank secret header values of imported probes from the stored
/// probe of the same name (see `definition::keep_secrets`); a blank secret
/// with nothing stored is an error naming the probe.
pub fn keep_stored_secrets(imported: Vec<ProbeDef>, stored: &[ProbeDef]) -> Result<Vec<ProbeDef>, ImportError> {
    imported
        .into_iter()
        .enumerate()
        .map(|(index, def)| {
            let name = def.name.clone();
            let same = stored.iter().find(|s| s.name == name);
            keep_secrets(def, same).map_err(|e| ImportError {
                probe: Some(index + 1),
                name: Some(name),
                line: None,
                column: None,
                field: Some("header".into()),
                message: match e {
                    AppError::Invalid { message, .. } => message,
                    other => other.to_string(),
                },
            })
        })
        .collect()
}

/// The key in the file for a form field.
fn file_key(form_field: &str) -> &str {
    match form_field {
        "headers" | "secret_headers" => "header",
        other => other,
    }
}

/// The form an entry stands for, or the key of a problem the form cannot
/// express (a key of another kind, a line break where lines are items).
fn form_of(entry: &Entry) -> Result<ProbeForm, (&'static str, String)> {
    check_keys_fit_kind(entry)?;
    let mut plain = Vec::new();
    let mut secret = Vec::new();
    for header in &entry.headers {
        let value = header.value.as_deref().unwrap_or("");
        if header.name.contains(['\n', '\r', ':']) || value.contains(['\n', '\r']) {
            return Err(("header", format!("Header {} must be one line, its name without “:”.", header.name.trim())));
        }
        match (header.secret, &header.value) {
            (true, Some(value)) => secret.push(format!("{}: {value}", header.name)),
            (true, None) => secret.push(header.name.clone()),
            (false, Some(value)) => plain.push(format!("{}: {value}", header.name)),
            (false, None) => {
                return Err((
                    "header",
                    format!("Give header {} a value, or mark it secret = true to keep the stored one.", header.name),
                ))
            }
        }
    }
    if entry.assertions.iter().any(|a| a.contains(['\n', '\r'])) {
        return Err(("assertions", "Write each assertion as one string of one line.".into()));
    }
    let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    let text = |t: &Option<String>| t.clone().unwrap_or_default();
    Ok(ProbeForm {
        name: entry.name.clone(),
        kind: entry.kind.clone(),
        interval_secs: number(entry.interval_secs),
        timeout_ms: number(entry.timeout_ms),
        failure_threshold: number(entry.failure_threshold),
        recovery_threshold: number(entry.recovery_threshold),
        method: text(&entry.method),
        url: text(&entry.url),
        headers: plain.join("\n"),
        secret_headers: secret.join("\n"),
        body: text(&entry.body),
        accept: text(&entry.accept),
        assertions: entry.assertions.join("\n"),
        follow_redirects: if entry.follow_redirects.unwrap_or(true) { "on".into() } else { String::new() },
        tls_warn_days: number(entry.tls_warn_days),
        target: text(&entry.target),
        requests: text(&entry.requests),
        errors: text(&entry.errors),
        error_rate_warn_percent: entry.error_rate_warn_percent.map(|p| p.to_string()).unwrap_or_default(),
    })
}

/// A key that the probe's kind does not use is a mistake worth naming: the
/// form would silently ignore it.
fn check_keys_fit_kind(entry: &Entry) -> Result<(), (&'static str, String)> {
    let Some(kind) = ProbeKind::parse(entry.kind.trim()) else {
        return Ok(()); // `validate` names the kind.
    };
    let present: [(&'static str, bool, &[ProbeKind]); 12] = [
        ("method", entry.method.is_some(), &[ProbeKind::Http]),
        ("url", entry.url.is_some(), &[ProbeKind::Http, ProbeKind::Metrics]),
        ("header", !entry.headers.is_empty(), &[ProbeKind::Http, ProbeKind::Metrics]),
        ("target", entry.target.is_some(), &[ProbeKind::Tcp, ProbeKind::Tls]),
        ("accept", entry.accept.is_some(), &[ProbeKind::Http]),
        ("follow_redirects", entry.follow_redirects.is_some(), &[ProbeKind::Http]),
        ("tls_warn_days", entry.tls_warn_days.is_some(), &[ProbeKind::Http, ProbeKind::Tls]),
        ("body", entry.body.is_some(), &[ProbeKind::Http]),
        ("assertions", !entry.assertions.is_empty(), &[ProbeKind::Http]),
        ("requests", entry.requests.is_some(), &[ProbeKind::Metrics]),
        ("errors", entry.errors.is_some(), &[ProbeKind::Metrics]),
        ("error_rate_warn_percent", entry.error_rate_warn_percent.is_some(), &[ProbeKind::Metrics]),
    ];
    match present.iter().find(|(_, is_present, kinds)| *is_present && !kinds.contains(&kind)) {
        Some((key, _, _)) => Err((key, format!("{key} does not apply to {} probes.", kind.as_str()))),
        None => Ok(()),
    }
}

fn syntax_error(text: &str, error: &toml::de::Error) -> ImportError {
    let start = error.span().map(|span| span.start);
    let (line, column) = match start {
        Some(offset) => {
            let (line, column) = line_column(text, offset);
            (Some(line), Some(column))
        }
        None => (None, None),
    };
    let message = error.message().lines().next().unwrap_or("").trim();
    ImportError {
        probe: start.and_then(|offset| probe_at(text, offset)),
        name: None,
        line,
        column,
        field: None,
        message: sentence(message),
    }
}

/// "unknown field `x`" → "Unknown field `x`."
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut text: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// `[[probe]]`, perhaps followed by a comment.
fn is_probe_header(line: &str) -> bool {
    line.trim().strip_prefix("[[probe]]").is_some_and(|rest| rest.trim().is_empty() || rest.trim().starts_with('#'))
}

/// Which probe (1-based) the byte `offset` falls in: the number of
/// `[[probe]]` headers on the lines before it.
fn probe_at(text: &str, offset: usize) -> Option<usize> {
    let before = &text[..floor_char_boundary(text, offset)];
    let count = before.lines().filter(|line| is_probe_header(line)).count();
    (count > 0).then_some(count)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::full_defs;
    use super::*;

    fn err(text: &str) -> ImportError {
        import(text).unwrap_err()
    }

    #[test]
    fn export_then_import_round_trips_every_kind() {
        let defs = full_defs();
        let text = export(&defs);
        assert!(text.starts_with("# Probes exported from Preflight."));
        assert!(!text.contains("s3cr3t") && !text.contains("t0k"), "secret exported:\n{text}");
        assert!(text.contains("secret = true"), "{text}");
        let imported = import(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let redacted: Vec<ProbeDef> = defs.iter().map(ProbeDef::redacted).collect();
        assert_eq!(imported, redacted);
        assert_eq!(import_keeping_secrets(&text, &defs).unwrap(), defs);
        // And once more: exporting the import gives the same file.
        assert_eq!(export(&imported), text);
    }

    #[test]
    fn a_hand_written_file_takes_defaults() {
        let text = r#"
[[probe]]
name = "API health"
kind = "http"
url = "https://api.example.com/health"
assertions = ["json /status = \"up\"", "latency < 500 ms"]

[[probe.header]]
name = "Authorization"
value = "Bearer new"
secret = true

[[probe.header]]
name = "Accept"
value = "application/json"

[[probe]]
name = "Database"
kind = "tcp"
target = "db.internal:5432"
"#;
        let defs = import(text).unwrap();
        assert_eq!(defs.len(), 2);
        let ProbeSpec::Http(http) = &defs[0].spec else { panic!() };
        assert!(http.follow_redirects, "follow_redirects defaults to true");
        assert_eq!(http.assertions.len(), 2);
        assert_eq!(defs[0].interval_secs, 60);
        assert_eq!(http.headers.len(), 2);
        assert!(http.headers.iter().any(|h| h.secret && h.value == "Bearer new"));
        assert!(defs[0].missing_secrets().is_empty());
        assert_eq!(defs[1].kind(), ProbeKind::Tcp);
        assert_eq!(import("").unwrap(), vec![]);
        assert_eq!(import("# nothing yet\n").unwrap(), vec![]);
    }

    #[test]
    fn field_errors_name_the_probe_and_the_key() {
        let text = "\
[[probe]]
name = \"ok\"
kind = \"tcp\"
target = \"db:5432\"

[[probe]]
name = \"API health\"
kind = \"http\"
url = \"https://api.example.com/\"
interval_secs = 5
";
        let e = err(text);
        assert_eq!(
            (e.probe, e.name.as_deref(), e.line, e.field.as_deref()),
            (Some(2), Some("API health"), Some(6), Some("interval_secs"))
        );
        assert_eq!(
            e.to_string(),
            "Probe 2 “API health” (line 6, column 1), interval_secs: Interval must be at least 10 seconds."
        );
        assert_eq!(e.to_app_error("probes_toml"), AppError::invalid("probes_toml", e.to_string()));
        let cases = [
            (
                "[[probe]]\nname = \"x\"\nkind = \"tcp\"\ntarget = \"db:1\"\nurl = \"http://a/\"\n",
                "Probe 1 “x” (line 1, column 1), url: url does not apply to tcp probes.",
            ),
            (
                "[[probe]]\nname = \"x\"\nkind = \"http\"\nurl = \"http://a/\"\n[[probe.header]]\nname = \"Host\"\nvalue = \"b\"\n",
                "Probe 1 “x” (line 1, column 1), header: Preflight sets the Host header itself; remove it.",
            ),
            (
                "[[probe]]\nname = \"x\"\nkind = \"http\"\nurl = \"http://a/\"\n[[probe.header]]\nname = \"X-A\"\n",
                "Probe 1 “x” (line 1, column 1), header: Give header X-A a value, or mark it secret = true to keep the stored one.",
            ),
            (
                "[[probe]]\nname = \"x\"\nkind = \"http\"\nurl = \"http://a/\"\n[[probe.header]]\nname = \"X-A\"\nvalue = \"a\\nInjected: 1\"\n",
                "Probe 1 “x” (line 1, column 1), header: Header X-A must be one line, its name without “:”.",
            ),
            (
                "[[probe]]\nname = \"x\"\nkind = \"http\"\nurl = \"http://a/\"\nassertions = [\"latency < 5\\nbody contains x\"]\n",
                "Probe 1 “x” (line 1, column 1), assertions: Write each assertion as one string of one line.",
            ),
            (
                "[[probe]]\nname = \"x\"\nkind = \"ping\"\n",
                "Probe 1 “x” (line 1, column 1), kind: Choose what to check: HTTP, TCP port, TLS certificate or metrics.",
            ),
            (
                "[[probe]]\nname = \" \"\nkind = \"tcp\"\ntarget = \"db:1\"\n",
                "Probe 1 (line 1, column 1), name: Enter a name for the probe, e.g. API health.",
            ),
            (
                "[[probe]]\nname = \"x\"\nkind = \"tcp\"\ntarget = \"db:1\"\n[[probe]]\nname = \"x\"\nkind = \"tcp\"\ntarget = \"db:2\"\n",
                "Probe 2 “x” (line 5, column 1), name: Another probe in this file has the same name.",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(err(text).to_string(), message, "{text}");
        }
    }

    #[test]
    fn syntax_and_type_errors_carry_line_and_column() {
        let e = err("[[probe]]\nname = \"x\"\nkind = \"tcp\"\ntarget = db:1\n");
        assert_eq!((e.probe, e.line, e.column), (Some(1), Some(4), Some(10)), "{e}");
        assert!(e.to_string().starts_with("Probe 1 (line 4, column 10): "), "{e}");
        let e = err("[[probe]]\nname = \"a\"\nkind = \"tcp\"\ntarget = \"db:1\"\n\n[[probe]]\nname = \"b\"\nkind = \"tcp\"\nintervall_secs = 5\n");
        assert_eq!((e.probe, e.line), (Some(2), Some(9)), "{e}");
        assert!(e.message.starts_with("Unknown field `intervall_secs`"), "{e}");
        let e = err("[[probe]]\nname = \"a\"\nkind = \"tcp\"\ninterval_secs = -5\n");
        assert_eq!((e.probe, e.line), (Some(1), Some(4)), "{e}");
        let e = err("[[probe]]\nkind = \"tcp\"\n");
        assert!(e.message.contains("name"), "{e}");
        let e = err("[probes]\nx = 1\n");
        assert_eq!((e.probe, e.line), (None, Some(1)), "{e}");
        assert_eq!(e.to_string(), "line 1, column 2: Unknown field `probes`, expected `probe`.");
        let e = err("[[probe]]\nname = \"é\" = 2\n");
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn secrets_are_kept_from_the_same_named_probe() {
        let stored = full_defs();
        let text = export(&stored);
        // Renamed probes have nothing to keep.
        let renamed = text.replace("name = \"API health\"", "name = \"API health 2\"");
        let e = import_keeping_secrets(&renamed, &stored).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Probe 1 “API health 2”, header: Enter the value of the secret header Authorization; none is stored yet."
        );
        // A new value in the file wins over the stored one.
        let new_value = text.replace(
            "name = \"Authorization\"\nsecret = true",
            "name = \"Authorization\"\nsecret = true\nvalue = \"Bearer fresh\"",
        );
        let imported = import_keeping_secrets(&new_value, &stored).unwrap();
        assert_eq!(imported[0].headers()[1].value, "Bearer fresh");
        assert_eq!(imported[4], stored[4], "other probes keep theirs");
    }

    #[test]
    fn too_many_probes() {
        let one = "[[probe]]\nname = \"p{}\"\nkind = \"tcp\"\ntarget = \"db:1\"\n";
        let text: String = (0..101).map(|i| one.replace("{}", &i.to_string())).collect();
        assert_eq!(err(&text).to_string(), "A file may hold at most 100 probes.");
        let text: String = (0..100).map(|i| one.replace("{}", &i.to_string())).collect();
        assert_eq!(import(&text).unwrap().len(), 100);
    }

    #[test]
    fn positions() {
        assert_eq!(line_column("ab\ncdé\nf", 0), (1, 1));
        assert_eq!(line_column("ab\ncdé\nf", 3), (2, 1));
        assert_eq!(line_column("ab\ncdé\nf", 8), (3, 1));
        assert_eq!(line_column("ab\ncdé\nf", 6), (2, 3), "inside é: its start");
        assert_eq!(line_column("ab", 99), (1, 3));
        assert_eq!(probe_at("x = 1\n[[probe]]\na = 1\n[[probe]]\nb", 33), Some(2));
        assert_eq!(probe_at("x = 1\n[[probe]]", 2), None);
    }
}
