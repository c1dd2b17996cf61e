//! Request headers of HTTP and metrics probes, and how forms write them:
//! one `Name: value` per line, plain headers in one text box and secret
//! ones (tokens, passwords) in another.
//!
//! A secret header's value is never sent back to a browser nor exported;
//! forms and files show its name alone. An empty secret value therefore
//! means "keep the value stored for this header" (see
//! `definition::keep_secrets`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The most headers a probe may send.
pub const MAX_HEADERS: usize = 30;
/// The longest header name.
pub const MAX_NAME_LEN: usize = 100;
/// The longest header value.
pub const MAX_VALUE_LEN: usize = 4096;

/// Headers Preflight's HTTP client sets itself. Overriding them could
/// misframe the request (length, encoding), defeat the host the outbound
/// guard checked, or change the connection's handling.
pub const RESERVED: [&str; 9] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
];

/// One request header.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Header {
    /// The header's name, as sent.
    pub name: String,
    /// Empty on a secret header means "the stored value" (not yet filled in).
    pub value: String,
    /// Kept from pages, exports and logs.
    pub secret: bool,
}

impl fmt::Debug for Header {
    /// Secret values stay out of logs and panic messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = if self.secret && !self.value.is_empty() { "<secret>" } else { self.value.as_str() };
        f.debug_struct("Header").field("name", &self.name).field("value", &value).field("secret", &self.secret).finish()
    }
}

/// An RFC 7230 token: the characters a header name may have.
pub fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A header value: visible ASCII, spaces and tabs, no leading or trailing
/// whitespace. (RFC 7230 also allows obsolete non-ASCII bytes; HTTP clients
/// refuse them, so Preflight does too.)
pub fn is_header_value(text: &str) -> bool {
    text.trim_matches([' ', '\t']) == text && text.bytes().all(|b| (0x20..0x7f).contains(&b) || b == b'\t')
}

/// Reads a text box of `Name: value` lines (blank lines skipped). In the
/// secret box, a line with a name alone (`Authorization` or
/// `Authorization:`) keeps the stored value.
pub fn parse_lines(text: &str, secret: bool) -> Result<Vec<Header>, String> {
    let mut headers = Vec::new();
    for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() {
            continue;
        }
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (name.trim_end(), value.trim()),
            None if secret => (line, ""),
            None => return Err(format!("Line {number}: write each header as Name: value.")),
        };
        headers.push(Header { name: name.to_string(), value: value.to_string(), secret });
    }
    Ok(headers)
}

/// The text box for headers: plain or secret ones, secret values left out.
pub fn to_lines(headers: &[Header], secret: bool) -> String {
    headers
        .iter()
        .filter(|h| h.secret == secret)
        .map(|h| if secret { format!("{}:", h.name) } else { format!("{}: {}", h.name, h.value) })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Checks a probe's headers: names, values, reserved names, no name twice
/// (case ignored, across plain and secret), at most [`MAX_HEADERS`].
pub fn check(headers: &[Header]) -> Result<(), String> {
    if headers.len() > MAX_HEADERS {
        return Err(format!("Use at most {MAX_HEADERS} headers."));
    }
    for (i, header) in headers.iter().enumerate() {
        let name = header.name.as_str();
        if name.len() > MAX_NAME_LEN || !is_token(name) {
            return Err(format!(
                "“{}” is not a header name: use letters, digits and - (e.g. X-Api-Key).",
                shorten(name)
            ));
        }
        if RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(format!("Preflight sets the {name} header itself; remove it."));
        }
        if header.value.len() > MAX_VALUE_LEN {
            return Err(format!("The value of {name} is too long: use at most {MAX_VALUE_LEN} characters."));
        }
        if !is_header_value(&header.value) {
            return Err(format!("The value of {name} may only have printable ASCII characters, spaces and tabs."));
        }
        if headers[..i].iter().any(|other| other.name.eq_ignore_ascii_case(name)) {
            return Err(format!("The {name} header is given twice; put its values on one line, separated by commas."));
        }
    }
    Ok(())
}

/// Quoted input in messages stays short.
fn shorten(text: &str) -> String {
    super::shorten(text, 40)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(name: &str, value: &str) -> Header {
        Header { name: name.into(), value: value.into(), secret: false }
    }

    fn secret(name: &str, value: &str) -> Header {
        Header { name: name.into(), value: value.into(), secret: true }
    }

    #[test]
    fn lines_parse() {
        let text = "Accept: application/json\n\n  X-Trace :  a:b:c  \nX-Empty:\r\n";
        assert_eq!(
            parse_lines(text, false).unwrap(),
            vec![plain("Accept", "application/json"), plain("X-Trace", "a:b:c"), plain("X-Empty", "")]
        );
        assert_eq!(
            parse_lines("Authorization: Bearer abc\nX-Key\nX-Other:", true).unwrap(),
            vec![secret("Authorization", "Bearer abc"), secret("X-Key", ""), secret("X-Other", "")]
        );
        assert_eq!(parse_lines("ok: 1\nno colon", false), Err("Line 2: write each header as Name: value.".into()));
        assert_eq!(parse_lines("", false).unwrap(), vec![]);
    }

    #[test]
    fn lines_round_trip_without_secret_values() {
        let headers = vec![plain("Accept", "*/*"), secret("Authorization", "Bearer abc"), plain("X-A", "")];
        assert_eq!(to_lines(&headers, false), "Accept: */*\nX-A: ");
        assert_eq!(to_lines(&headers, true), "Authorization:");
        assert_eq!(
            parse_lines(&to_lines(&headers, false), false).unwrap(),
            vec![plain("Accept", "*/*"), plain("X-A", "")]
        );
        assert_eq!(parse_lines(&to_lines(&headers, true), true).unwrap(), vec![secret("Authorization", "")]);
    }

    #[test]
    fn good_headers_pass() {
        let headers = vec![
            plain("Accept", "application/json"),
            plain("X-Weird_Name!#$%&'*+.^`|~", "tab\tinside and spaces"),
            plain("X-Empty", ""),
            secret("Authorization", "Bearer abc.def"),
            secret("X-Kept", ""),
        ];
        assert_eq!(check(&headers), Ok(()));
    }

    #[test]
    fn bad_headers_are_named() {
        let cases = [
            (
                vec![plain("Bad Name", "x")],
                "“Bad Name” is not a header name: use letters, digits and - (e.g. X-Api-Key).",
            ),
            (vec![plain("", "x")], "“” is not a header name: use letters, digits and - (e.g. X-Api-Key)."),
            (vec![plain("X(y)", "x")], "“X(y)” is not a header name: use letters, digits and - (e.g. X-Api-Key)."),
            (vec![plain("Ünï", "x")], "“Ünï” is not a header name: use letters, digits and - (e.g. X-Api-Key)."),
            (vec![plain("Host", "evil.example")], "Preflight sets the Host header itself; remove it."),
            (vec![plain("content-length", "5")], "Preflight sets the content-length header itself; remove it."),
            (
                vec![secret("Transfer-Encoding", "chunked")],
                "Preflight sets the Transfer-Encoding header itself; remove it.",
            ),
            (vec![plain("CONNECTION", "close")], "Preflight sets the CONNECTION header itself; remove it."),
            (vec![plain("X-A", "é")], "The value of X-A may only have printable ASCII characters, spaces and tabs."),
            (
                vec![plain("X-A", "a\nInjected: yes")],
                "The value of X-A may only have printable ASCII characters, spaces and tabs.",
            ),
            (vec![plain("X-A", "a\r")], "The value of X-A may only have printable ASCII characters, spaces and tabs."),
            (
                vec![plain("X-A", " padded")],
                "The value of X-A may only have printable ASCII characters, spaces and tabs.",
            ),
            (
                vec![plain("X-A", "\u{7f}")],
                "The value of X-A may only have printable ASCII characters, spaces and tabs.",
            ),
            (
                vec![plain("X-A", "1"), secret("x-a", "2")],
                "The x-a header is given twice; put its values on one line, separated by commas.",
            ),
        ];
        for (headers, message) in cases {
            assert_eq!(check(&headers), Err(message.to_string()), "{headers:?}");
        }
        let long_name = "X".repeat(101);
        assert!(check(&[plain(&long_name, "")]).unwrap_err().contains("XXXX…"));
        assert_eq!(
            check(&[plain("X-A", &"v".repeat(4097))]),
            Err("The value of X-A is too long: use at most 4096 characters.".into())
        );
        let many: Vec<Header> = (0..31).map(|i| plain(&format!("X-{i}"), "")).collect();
        assert_eq!(check(&many), Err("Use at most 30 headers.".into()));
    }

    #[test]
    fn debug_hides_secret_values() {
        let shown = format!("{:?}", vec![secret("Authorization", "Bearer hunter2"), plain("Accept", "text/plain")]);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<secret>") && shown.contains("text/plain"), "{shown}");
    }
}
