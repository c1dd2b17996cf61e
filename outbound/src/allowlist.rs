//! The administrator's allow-list: parsed from, and written back to, the text
//! edited in settings (one entry per line, `#` comments, blank lines ignored).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use ipnet::IpNet;
use url::Host;

/// One allow-list line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// `10.1.0.0/16`, `fd12::/48`, or a single address (`10.0.0.5`, stored
    /// with the full prefix length): any port.
    Network(IpNet),
    /// `10.0.0.5:8080`, `[fd12::5]:8080`: that address on that port only.
    Address(SocketAddr),
    /// `intranet.example:8080`: that host name on that port only, whatever it
    /// resolves to (except the always-refused addresses).
    HostPort { host: String, port: u16 },
}

/// Why one line of the allow-list was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("expected a CIDR range (10.1.0.0/16), an IP address (10.0.0.5) or host:port (intranet.example:8080)")]
    NotAnEntry,
    #[error("not a valid CIDR range (an IP address, `/`, a prefix length)")]
    BadRange,
    #[error("bits are set after the prefix; the range would be {0}")]
    HostBits(IpNet),
    #[error("the port must be a number from 1 to 65535")]
    BadPort,
    #[error("not a valid host name or IP address")]
    BadHost,
    #[error("a host name needs a port (host:port); to allow an address on any port, write the address or a range")]
    MissingPort,
    #[error("write IPv6 addresses with a port in brackets: [fd12::5]:8080")]
    UnbracketedIpv6,
}

/// A rejected line, numbered from 1 as the administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: `{text}`: {problem}")]
pub struct LineError {
    pub line: usize,
    pub text: String,
    pub problem: Problem,
}

/// Every rejected line of an allow-list, so the settings page can show them all at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowListError {
    pub errors: Vec<LineError>,
}

impl fmt::Display for AllowListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AllowListError {}

/// Parses allow-list text into entries.
pub(crate) fn parse(text: &str) -> Result<Vec<Entry>, AllowListError> {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        match line.parse::<Entry>() {
            Ok(entry) => entries.push(entry),
            Err(problem) => errors.push(LineError { line: index + 1, text: line.to_owned(), problem }),
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(AllowListError { errors })
    }
}

impl FromStr for Entry {
    type Err = Problem;

    fn from_str(text: &str) -> Result<Self, Problem> {
        if text.contains('/') {
            let net: IpNet = text.parse().map_err(|_| Problem::BadRange)?;
            // A typo such as 10.1.2.0/8 would silently allow far more than meant.
            if net != net.trunc() {
                return Err(Problem::HostBits(net.trunc()));
            }
            return Ok(Entry::Network(net));
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Entry::Network(IpNet::from(ip)));
        }
        if let Ok(addr) = text.parse::<SocketAddr>() {
            return match addr.port() {
                0 => Err(Problem::BadPort),
                _ => Ok(Entry::Address(addr)),
            };
        }
        // The same parser as URLs use, so `127.1` and `[fd12::5]` mean what they would in a URL.
        match Host::parse(text) {
            Ok(Host::Ipv4(ip)) => return Ok(Entry::Network(IpNet::from(IpAddr::from(ip)))),
            Ok(Host::Ipv6(ip)) => return Ok(Entry::Network(IpNet::from(IpAddr::from(ip)))),
            Ok(Host::Domain(_)) => return Err(Problem::MissingPort),
            Err(_) => {}
        }
        let Some((host, port)) = text.rsplit_once(':') else {
            return Err(Problem::NotAnEntry);
        };
        if host.contains(':') && !host.starts_with('[') {
            return Err(Problem::UnbracketedIpv6);
        }
        let port = match port.parse::<u16>() {
            Ok(port) if port != 0 => port,
            _ => return Err(Problem::BadPort),
        };
        match Host::parse(host).map_err(|_| Problem::BadHost)? {
            Host::Ipv4(ip) => Ok(Entry::Address(SocketAddr::new(ip.into(), port))),
            Host::Ipv6(ip) => Ok(Entry::Address(SocketAddr::new(ip.into(), port))),
            Host::Domain(name) if name.is_empty() => Err(Problem::BadHost),
            Host::Domain(name) => Ok(Entry::HostPort { host: crate::policy::normalize_name(&name), port }),
        }
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::Network(net) if net.prefix_len() == net.max_prefix_len() => write!(f, "{}", net.addr()),
            Entry::Network(net) => write!(f, "{net}"),
            Entry::Address(addr) => write!(f, "{addr}"),
            Entry::HostPort { host, port } => write!(f, "{host}:{port}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(text: &str) -> Entry {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn ranges_and_single_addresses() {
        assert_eq!(entry("10.1.0.0/16"), Entry::Network("10.1.0.0/16".parse().unwrap()));
        assert_eq!(entry("fd12::/48"), Entry::Network("fd12::/48".parse().unwrap()));
        assert_eq!(entry("10.0.0.5"), Entry::Network("10.0.0.5/32".parse().unwrap()));
        assert_eq!(entry("fd12::5"), Entry::Network("fd12::5/128".parse().unwrap()));
        assert_eq!(entry("[fd12::5]"), Entry::Network("fd12::5/128".parse().unwrap()));
        assert_eq!(entry("2130706433"), Entry::Network("127.0.0.1/32".parse().unwrap()));
    }

    #[test]
    fn addresses_with_ports() {
        assert_eq!(entry("10.0.0.5:8080"), Entry::Address("10.0.0.5:8080".parse().unwrap()));
        assert_eq!(entry("[fd12::5]:8080"), Entry::Address("[fd12::5]:8080".parse().unwrap()));
        assert_eq!(entry("127.1:80"), Entry::Address("127.0.0.1:80".parse().unwrap()));
    }

    #[test]
    fn host_names_with_ports() {
        assert_eq!(entry("Intranet.Example:8080"), Entry::HostPort { host: "intranet.example".into(), port: 8080 });
        assert_eq!(entry("intranet.example.:443"), Entry::HostPort { host: "intranet.example".into(), port: 443 });
    }

    #[test]
    fn problems() {
        let cases = [
            ("10.0.0.0/33", Problem::BadRange),
            ("10.0.0/8", Problem::BadRange),
            ("10.1.2.0/8", Problem::HostBits("10.0.0.0/8".parse().unwrap())),
            ("fd12::1/48", Problem::HostBits("fd12::/48".parse().unwrap())),
            ("intranet.example", Problem::MissingPort),
            ("intranet.example:0", Problem::BadPort),
            ("intranet.example:65536", Problem::BadPort),
            ("intranet.example:http", Problem::BadPort),
            ("10.0.0.5:0", Problem::BadPort),
            ("fd12::5:99999", Problem::UnbracketedIpv6),
            ("http://intranet.example:80", Problem::BadRange),
            ("exa mple:80", Problem::BadHost),
            (":80", Problem::BadHost),
            ("[fd12::zz]:80", Problem::BadHost),
            ("a b", Problem::NotAnEntry),
        ];
        for (text, problem) in cases {
            assert_eq!(text.parse::<Entry>(), Err(problem), "{text}");
        }
    }

    #[test]
    fn comments_blank_lines_and_line_numbers() {
        let text = "# office network\n10.1.0.0/16  # VPN\n\n   \nnot an entry\nintranet.example:8080\n10.0.0.0/33\n";
        let err = parse(text).unwrap_err();
        assert_eq!(err.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [5, 7]);
        assert_eq!(err.errors[0].text, "not an entry");
        assert!(err.to_string().starts_with("line 5: `not an entry`: expected"), "{err}");
        let ok = parse("# office network\n10.1.0.0/16  # VPN\n\nintranet.example:8080\n").unwrap();
        assert_eq!(ok.len(), 2);
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "10.1.0.0/16",
            "fd12::/48",
            "10.0.0.5",
            "fd12::5",
            "10.0.0.5:8080",
            "[fd12::5]:8080",
            "intranet.example:8080",
        ] {
            let e = entry(text);
            assert_eq!(e.to_string(), text);
            assert_eq!(entry(&e.to_string()), e);
        }
    }
}
