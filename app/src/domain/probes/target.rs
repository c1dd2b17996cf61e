//! Where a probe goes: an http(s) URL, or a `host:port`.
//!
//! These are syntax checks for field errors. The server's outbound guard
//! checks the address itself (private ranges, metadata addresses, the
//! allow-list) when the probe is saved and again on every connection.

use std::fmt;
use std::net::Ipv6Addr;

use serde::{Deserialize, Serialize};
use url::{Host, Url};

/// The longest URL accepted.
pub const MAX_URL_LEN: usize = 2000;

/// Checks the URL an HTTP or metrics probe requests and returns it
/// normalised (`HTTPS://Example.COM` becomes `https://example.com/`): http
/// or https, with a host, without a user name or password, port not 0.
pub fn probe_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Enter the URL to check, e.g. https://api.example.com/health.".into());
    }
    if text.chars().count() > MAX_URL_LEN {
        return Err(format!("Use a URL of at most {MAX_URL_LEN} characters."));
    }
    let url = Url::parse(text).map_err(|e| format!("This is not a valid URL ({e})."))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("Use an http:// or https:// URL.".into());
    }
    // `http://example.com@10.0.0.1/` reads as example.com to a person, and
    // credentials belong in a secret header, not in a URL shown on pages.
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Leave the user name and password out of the URL; send credentials in a secret header.".into());
    }
    match url.host() {
        None | Some(Host::Domain("")) => return Err("The URL has no host.".into()),
        Some(_) => {}
    }
    if url.port() == Some(0) {
        return Err("Port 0 cannot be checked.".into());
    }
    Ok(url.to_string())
}

/// Whether a URL (as returned by [`probe_url`]) uses TLS.
pub fn is_https(url: &str) -> bool {
    url.starts_with("https:")
}

/// A host and port for TCP and TLS probes: a DNS name (lower-case, IDNA
/// applied) or an IP address, and a port from 1 to 65535. Written
/// `host:port`, IPv6 in brackets (`[2001:db8::1]:443`); serde uses that text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HostPort {
    host: String,
    port: u16,
}

impl HostPort {
    /// Reads `host:port`; the error is a sentence for the person who wrote it.
    pub fn parse(text: &str) -> Result<HostPort, String> {
        let text = text.trim();
        let shape = "Write host:port, e.g. db.example.com:5432 (IPv6 in brackets: [2001:db8::1]:443).";
        if text.is_empty() {
            return Err(shape.into());
        }
        let (host, port) = text.rsplit_once(':').ok_or(shape)?;
        if host.contains(':') && !(host.starts_with('[') && host.ends_with(']')) {
            return Err(shape.into());
        }
        // Digits only: Rust's parser would also take "+80".
        let digits = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
        let port = match port.parse::<u16>() {
            Ok(port) if port != 0 && digits => port,
            _ => return Err("The port must be a number from 1 to 65535.".into()),
        };
        Ok(HostPort { host: parse_host(host)?, port })
    }

    /// The name or address to connect to: no brackets around IPv6.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port to connect to.
    pub fn port(&self) -> u16 {
        self.port
    }
}

/// The host of `host:port`, normalised as URLs do (so `127.1` is
/// `127.0.0.1`, as the connection will see it).
fn parse_host(host: &str) -> Result<String, String> {
    if host.is_empty() {
        return Err("Enter a host name or IP address before the port.".into());
    }
    let invalid = || format!("“{host}” is not a valid host name or IP address.");
    match Host::parse(host).map_err(|_| invalid())? {
        Host::Ipv4(ip) => Ok(ip.to_string()),
        Host::Ipv6(ip) => Ok(ip.to_string()),
        Host::Domain(name) if is_dns_name(&name) => Ok(name),
        Host::Domain(_) => Err(invalid()),
    }
}

/// A DNS name: at most 253 characters, dot-separated labels of 1 to 63
/// letters, digits, `-` and `_` (service names use it), a final dot allowed.
fn is_dns_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.parse::<Ipv6Addr>().is_ok() {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl TryFrom<String> for HostPort {
    type Error = String;

    fn try_from(text: String) -> Result<HostPort, String> {
        HostPort::parse(&text)
    }
}

impl From<HostPort> for String {
    fn from(target: HostPort) -> String {
        target.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_accepted_and_normalised() {
        let cases = [
            (" HTTPS://Example.COM/health ", "https://example.com/health"),
            ("http://example.com", "http://example.com/"),
            ("http://10.0.0.1:8080/x?y=1", "http://10.0.0.1:8080/x?y=1"),
            ("http://0x7f.1/", "http://127.0.0.1/"),
            ("https://[2001:db8::1]:8443/", "https://[2001:db8::1]:8443/"),
            ("https://bücher.example/", "https://xn--bcher-kva.example/"),
            ("https://example.com:443/", "https://example.com/"),
        ];
        for (text, normalised) in cases {
            assert_eq!(probe_url(text).as_deref(), Ok(normalised), "{text}");
        }
        assert!(is_https("https://example.com/"));
        assert!(!is_https("http://example.com/"));
    }

    #[test]
    fn urls_refused() {
        let cases = [
            ("", "Enter the URL to check, e.g. https://api.example.com/health."),
            ("   ", "Enter the URL to check, e.g. https://api.example.com/health."),
            ("ftp://example.com/", "Use an http:// or https:// URL."),
            ("file:///etc/passwd", "Use an http:// or https:// URL."),
            ("javascript:alert(1)", "Use an http:// or https:// URL."),
            (
                "http://user@example.com/",
                "Leave the user name and password out of the URL; send credentials in a secret header.",
            ),
            (
                "http://:pw@example.com/",
                "Leave the user name and password out of the URL; send credentials in a secret header.",
            ),
            ("http://example.com:0/", "Port 0 cannot be checked."),
        ];
        for (text, message) in cases {
            assert_eq!(probe_url(text), Err(message.to_string()), "{text}");
        }
        for text in ["not a url", "http://", "example.com/health", "http://exa mple.com/", "http://[::1/"] {
            let err = probe_url(text).unwrap_err();
            assert!(err.starts_with("This is not a valid URL ("), "{text}: {err}");
        }
        let long = format!("https://example.com/{}", "a".repeat(2000));
        assert_eq!(probe_url(&long), Err("Use a URL of at most 2000 characters.".into()));
    }

    #[test]
    fn host_ports_accepted() {
        let cases = [
            ("db.example.com:5432", "db.example.com", 5432, "db.example.com:5432"),
            (" DB.Example.com:1 ", "db.example.com", 1, "db.example.com:1"),
            ("_srv.example.com.:65535", "_srv.example.com.", 65535, "_srv.example.com.:65535"),
            ("192.0.2.1:80", "192.0.2.1", 80, "192.0.2.1:80"),
            ("127.1:22", "127.0.0.1", 22, "127.0.0.1:22"),
            ("[2001:db8::1]:443", "2001:db8::1", 443, "[2001:db8::1]:443"),
            ("[::ffff:192.0.2.1]:443", "::ffff:192.0.2.1", 443, "[::ffff:192.0.2.1]:443"),
            ("localhost:8080", "localhost", 8080, "localhost:8080"),
            ("bücher.example:443", "xn--bcher-kva.example", 443, "xn--bcher-kva.example:443"),
        ];
        for (text, host, port, printed) in cases {
            let target = HostPort::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!((target.host(), target.port()), (host, port), "{text}");
            assert_eq!(target.to_string(), printed);
            assert_eq!(HostPort::parse(&target.to_string()).unwrap(), target);
        }
    }

    #[test]
    fn host_ports_refused() {
        let shape = "Write host:port, e.g. db.example.com:5432 (IPv6 in brackets: [2001:db8::1]:443).";
        let port = "The port must be a number from 1 to 65535.";
        let cases = [
            ("", shape.to_string()),
            ("db.example.com", shape.to_string()),
            ("2001:db8::1:443", shape.to_string()),
            ("[2001:db8::1]", shape.to_string()),
            ("db:0", port.to_string()),
            ("db:65536", port.to_string()),
            ("db:-1", port.to_string()),
            ("db:+80", port.to_string()),
            ("db:", port.to_string()),
            ("db:http", port.to_string()),
            (":80", "Enter a host name or IP address before the port.".to_string()),
            ("exa mple:80", "“exa mple” is not a valid host name or IP address.".to_string()),
            ("a..b:80", "“a..b” is not a valid host name or IP address.".to_string()),
            ("a/b:80", "“a/b” is not a valid host name or IP address.".to_string()),
            ("[nonsense]:80", "“[nonsense]” is not a valid host name or IP address.".to_string()),
            ("a*b:80", "“a*b” is not a valid host name or IP address.".to_string()),
        ];
        for (text, message) in cases {
            assert_eq!(HostPort::parse(text), Err(message), "{text:?}");
        }
        let long_label = format!("{}.example:80", "a".repeat(64));
        assert!(HostPort::parse(&long_label).is_err());
        let long_name = format!("{}:80", ["abcdefghi"; 26].join("."));
        assert!(HostPort::parse(&long_name).is_err());
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn serde_uses_the_text() {
        let target = HostPort::parse("[2001:db8::1]:443").unwrap();
        assert_eq!(serde_json::to_string(&target).unwrap(), r#""[2001:db8::1]:443""#);
        assert_eq!(serde_json::from_str::<HostPort>(r#""[2001:db8::1]:443""#).unwrap(), target);
        assert!(serde_json::from_str::<HostPort>(r#""nope""#).is_err());
    }
}
