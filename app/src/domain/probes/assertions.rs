//! Assertions of HTTP probes, one per line in forms and files:
//!
//! ```text
//! body contains "status":"ok"
//! json /status = "up"
//! json /items/0/count = 3
//! latency < 500 ms
//! ```
//!
//! A JSON pointer (RFC 6901) is written as itself, up to the first space;
//! a space or `%` inside it is written percent-encoded (`/a%20b` for the key
//! `a b`), as in the URI-fragment form of RFC 6901, whose `#` prefix is
//! also accepted. The pointer to the whole document is written `#`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The most assertions a probe may have.
pub const MAX_ASSERTIONS: usize = 20;
/// The longest text a body assertion may look for, and the longest
/// expected JSON value.
pub const MAX_TEXT_LEN: usize = 1000;
/// The longest JSON pointer.
pub const MAX_POINTER_LEN: usize = 500;

/// A condition on an HTTP probe's answer.
///
/// `BodyContains` and `JsonPointerEquals` are hard conditions: a miss makes
/// the check fail. `LatencyUnder` is soft: a slow answer is degraded, not
/// down.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assertion {
    /// The body holds this text (bytes compared, no decoding).
    BodyContains(String),
    /// The JSON body has at `pointer` a value equal to `value`: compared as
    /// JSON when `value` is JSON (`3`, `"up"`, `true`, `{"a":1}`; numbers by
    /// value, so `3` equals `3.0`), and also equal when the target is a
    /// string whose text is `value` (so `up` matches `"up"`).
    JsonPointerEquals {
        /// Where to look (RFC 6901; "" is the whole document).
        pointer: String,
        /// The expected value, as written.
        value: String,
    },
    /// The whole check took less than this many milliseconds.
    LatencyUnder(u32),
}

impl Assertion {
    /// Reads one line; the error is a sentence for the person who wrote it.
    pub fn parse(line: &str) -> Result<Assertion, String> {
        let line = line.trim();
        let (keyword, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim_start();
        match keyword.to_ascii_lowercase().as_str() {
            "body" => parse_body(rest),
            "json" => parse_json(rest),
            "latency" => parse_latency(rest),
            _ => Err(format!("“{}” is not an assertion: start with body contains, json or latency.", shorten(line))),
        }
    }
}

fn parse_body(rest: &str) -> Result<Assertion, String> {
    let (word, text) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    if !word.eq_ignore_ascii_case("contains") {
        return Err("Write body contains TEXT.".into());
    }
    let text = text.trim();
    if text.is_empty() {
        return Err("Write the text the body must contain after body contains.".into());
    }
    if text.chars().count() > MAX_TEXT_LEN {
        return Err(format!("Look for at most {MAX_TEXT_LEN} characters in the body."));
    }
    Ok(Assertion::BodyContains(text.to_string()))
}

fn parse_json(rest: &str) -> Result<Assertion, String> {
    let shape = "Write json POINTER = VALUE, e.g. json /status = \"up\".";
    let (token, after) = rest.split_once(char::is_whitespace).ok_or(shape)?;
    let value = after.trim_start().strip_prefix('=').ok_or(shape)?.trim();
    let pointer = decode_pointer(token)?;
    check_pointer(&pointer)?;
    if value.is_empty() {
        return Err("Write the expected value after =; for an empty string write \"\".".into());
    }
    if value.chars().count() > MAX_TEXT_LEN {
        return Err(format!("Use an expected value of at most {MAX_TEXT_LEN} characters."));
    }
    Ok(Assertion::JsonPointerEquals { pointer, value: value.to_string() })
}

fn parse_latency(rest: &str) -> Result<Assertion, String> {
    let shape = "Write latency < MILLISECONDS, e.g. latency < 500 ms.";
    let number = rest.strip_prefix('<').ok_or(shape)?.trim();
    let number = number.strip_suffix("ms").unwrap_or(number).trim_end();
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(shape.into());
    }
    match number.parse::<u32>() {
        Ok(ms) if ms >= 1 => Ok(Assertion::LatencyUnder(ms)),
        _ => Err("The latency limit must be a whole number of milliseconds, at least 1.".into()),
    }
}

/// Checks a JSON pointer's syntax (RFC 6901): empty, or starting with `/`;
/// `~` only as `~0` (for `~`) or `~1` (for `/`).
pub fn check_pointer(pointer: &str) -> Result<(), String> {
    if pointer.chars().count() > MAX_POINTER_LEN {
        return Err(format!("Use a JSON pointer of at most {MAX_POINTER_LEN} characters."));
    }
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err(format!(
            "“{}” is not a JSON pointer: start it with /, e.g. /status (or write # for the whole document).",
            shorten(pointer)
        ));
    }
    let mut chars = pointer.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err("In a JSON pointer, write ~ as ~0 and a / inside a key as ~1.".into());
        }
    }
    Ok(())
}

/// A pointer as written in an assertion line: `#` alone is the whole
/// document, a leading `#` is dropped, and `%XX` escapes are decoded.
fn decode_pointer(token: &str) -> Result<String, String> {
    let token = token.strip_prefix('#').unwrap_or(token);
    let bad_escape = "In a JSON pointer, write % as %25 (and a space as %20).";
    let bytes = token.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = token.get(i + 1..i + 3).filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit())).ok_or(bad_escape)?;
            decoded.push(u8::from_str_radix(hex, 16).map_err(|_| bad_escape)?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| bad_escape.to_string())
}

/// A pointer as written in an assertion line (see [`decode_pointer`]).
fn encode_pointer(pointer: &str) -> String {
    if pointer.is_empty() {
        return "#".into();
    }
    let mut encoded = String::with_capacity(pointer.len());
    for c in pointer.chars() {
        if c == '%' || c == '#' || c.is_whitespace() || c.is_control() {
            let mut buf = [0; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                encoded.push_str(&format!("%{byte:02X}"));
            }
        } else {
            encoded.push(c);
        }
    }
    encoded
}

/// Reads a text box of assertions, one per line (blank lines skipped); the
/// error names the line.
pub fn parse_lines(text: &str) -> Result<Vec<Assertion>, String> {
    let mut assertions = Vec::new();
    for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() {
            continue;
        }
        if assertions.len() == MAX_ASSERTIONS {
            return Err(format!("Use at most {MAX_ASSERTIONS} assertions."));
        }
        assertions.push(Assertion::parse(line).map_err(|e| format!("Line {number}: {e}"))?);
    }
    Ok(assertions)
}

/// The text box for assertions (read back by [`parse_lines`]).
pub fn to_lines(assertions: &[Assertion]) -> String {
    assertions.iter().map(Assertion::to_string).collect::<Vec<_>>().join("\n")
}

/// Quoted input in messages stays short.
fn shorten(text: &str) -> String {
    super::shorten(text, 40)
}

impl fmt::Display for Assertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Assertion::BodyContains(text) => write!(f, "body contains {text}"),
            Assertion::JsonPointerEquals { pointer, value } => write!(f, "json {} = {value}", encode_pointer(pointer)),
            Assertion::LatencyUnder(ms) => write!(f, "latency < {ms} ms"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(pointer: &str, value: &str) -> Assertion {
        Assertion::JsonPointerEquals { pointer: pointer.into(), value: value.into() }
    }

    #[test]
    fn lines_parse() {
        let cases = [
            ("body contains ok", Assertion::BodyContains("ok".into())),
            ("  Body CONTAINS   \"status\": \"ok\"  ", Assertion::BodyContains("\"status\": \"ok\"".into())),
            ("json /status = \"up\"", json("/status", "\"up\"")),
            ("json /status=x = up", json("/status=x", "up")),
            ("JSON /items/0/count   =   3", json("/items/0/count", "3")),
            ("json # = {\"a\": 1}", json("", "{\"a\": 1}")),
            ("json #/a%20b = 1", json("/a b", "1")),
            ("json /a~1b/c~0d = \"\"", json("/a~1b/c~0d", "\"\"")),
            ("json /100%25 = true", json("/100%", "true")),
            ("json /caf%C3%A9 = 1", json("/café", "1")),
            ("json /café = 1", json("/café", "1")),
            ("json / = 1", json("/", "1")),
            ("latency < 500 ms", Assertion::LatencyUnder(500)),
            ("latency <500ms", Assertion::LatencyUnder(500)),
            ("Latency < 1", Assertion::LatencyUnder(1)),
        ];
        for (line, expected) in cases {
            assert_eq!(Assertion::parse(line).as_ref(), Ok(&expected), "{line}");
        }
    }

    #[test]
    fn display_round_trips() {
        let assertions = [
            Assertion::BodyContains("ok: 1 = 2".into()),
            json("/status", "\"up\""),
            json("", "null"),
            json("/a b/c\td", "1"),
            json("/%/#x", "1"),
            json("/café", "{\"x\": [1, 2]}"),
            json("/a~0~1", "x"),
            Assertion::LatencyUnder(250),
        ];
        for assertion in assertions {
            let line = assertion.to_string();
            assert_eq!(Assertion::parse(&line).as_ref(), Ok(&assertion), "{line}");
        }
        assert_eq!(json("/a b", "1").to_string(), "json /a%20b = 1");
        assert_eq!(json("", "1").to_string(), "json # = 1");
        assert_eq!(Assertion::LatencyUnder(5).to_string(), "latency < 5 ms");
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases = [
            ("status is up", "“status is up” is not an assertion: start with body contains, json or latency."),
            ("body has ok", "Write body contains TEXT."),
            ("body contains", "Write the text the body must contain after body contains."),
            ("body contains    ", "Write the text the body must contain after body contains."),
            ("json /status", "Write json POINTER = VALUE, e.g. json /status = \"up\"."),
            ("json /status=up", "Write json POINTER = VALUE, e.g. json /status = \"up\"."),
            ("json /status up", "Write json POINTER = VALUE, e.g. json /status = \"up\"."),
            ("json /status =", "Write the expected value after =; for an empty string write \"\"."),
            (
                "json status = up",
                "“status” is not a JSON pointer: start it with /, e.g. /status (or write # for the whole document).",
            ),
            ("json /a~2 = 1", "In a JSON pointer, write ~ as ~0 and a / inside a key as ~1."),
            ("json /a~ = 1", "In a JSON pointer, write ~ as ~0 and a / inside a key as ~1."),
            ("json /100% = 1", "In a JSON pointer, write % as %25 (and a space as %20)."),
            ("json /%zz = 1", "In a JSON pointer, write % as %25 (and a space as %20)."),
            ("json /%+f = 1", "In a JSON pointer, write % as %25 (and a space as %20)."),
            ("json /%ff = 1", "In a JSON pointer, write % as %25 (and a space as %20)."),
            ("latency 500", "Write latency < MILLISECONDS, e.g. latency < 500 ms."),
            ("latency < fast", "Write latency < MILLISECONDS, e.g. latency < 500 ms."),
            ("latency < -5", "Write latency < MILLISECONDS, e.g. latency < 500 ms."),
            ("latency < 0", "The latency limit must be a whole number of milliseconds, at least 1."),
            ("latency < 99999999999", "The latency limit must be a whole number of milliseconds, at least 1."),
        ];
        for (line, message) in cases {
            assert_eq!(Assertion::parse(line), Err(message.to_string()), "{line}");
        }
        let long = format!("body contains {}", "x".repeat(1001));
        assert_eq!(Assertion::parse(&long), Err("Look for at most 1000 characters in the body.".into()));
        let long_pointer = format!("json /{} = 1", "p".repeat(500));
        assert_eq!(Assertion::parse(&long_pointer), Err("Use a JSON pointer of at most 500 characters.".into()));
    }

    #[test]
    fn pointer_rules() {
        for good in ["", "/", "/a", "/a/0", "/~0/~1", "/a b", "//"] {
            assert_eq!(check_pointer(good), Ok(()), "{good:?}");
        }
        for bad in ["a", "~0", "/~", "/~2", "/a~b"] {
            assert!(check_pointer(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn text_boxes() {
        let text = "body contains ok\n\n  latency < 300 ms  \njson /a = 1\n";
        let assertions = parse_lines(text).unwrap();
        assert_eq!(
            assertions,
            vec![Assertion::BodyContains("ok".into()), Assertion::LatencyUnder(300), json("/a", "1")]
        );
        assert_eq!(parse_lines(&to_lines(&assertions)).unwrap(), assertions);
        assert_eq!(
            parse_lines("body contains ok\nlatency > 5"),
            Err("Line 2: Write latency < MILLISECONDS, e.g. latency < 500 ms.".into())
        );
        let many = vec!["latency < 5"; 21].join("\n");
        assert_eq!(parse_lines(&many), Err("Use at most 20 assertions.".into()));
        assert_eq!(parse_lines("").unwrap(), vec![]);
    }
}
