//! The rules: which address and port may be reached, given the allow-list.
//! Pure functions, no I/O.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use url::{Host, Url};

use crate::allowlist::{self, AllowListError, Entry};
use crate::ranges::{self, Class};
use crate::refusal::Refusal;

/// The allow-list in force. `Policy::default()` allows nothing beyond
/// globally reachable addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    entries: Vec<Entry>,
}

impl Policy {
    /// Parses the allow-list text an administrator edits in settings.
    pub fn parse(text: &str) -> Result<Policy, AllowListError> {
        allowlist::parse(text).map(Policy::from_entries)
    }

    pub fn from_entries(entries: Vec<Entry>) -> Policy {
        Policy { entries }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// May a connection be made to this address and port?
    pub fn check_ip(&self, ip: IpAddr, port: u16) -> Result<(), Refusal> {
        self.judge(None, ip, Some(port))
    }

    /// The part of the check that can be made without DNS: IP literals are
    /// judged, and so are `localhost` names (they never leave the machine,
    /// whatever a resolver says). Other names pass; their addresses are
    /// judged when they are resolved.
    pub fn check_host<S: AsRef<str>>(&self, host: &Host<S>, port: u16) -> Result<(), Refusal> {
        match host {
            Host::Ipv4(ip) => self.check_ip((*ip).into(), port),
            Host::Ipv6(ip) => self.check_ip((*ip).into(), port),
            Host::Domain(name) => {
                let name = name.as_ref();
                // `url` never yields an IP as a domain, but hosts also come from other parsers.
                if let Ok(ip) = name.parse::<IpAddr>() {
                    return self.check_ip(ip, port);
                }
                let name = normalize_name(name);
                if is_localhost(&name) {
                    let mut loopback = localhost_addresses().into_iter();
                    if !loopback.any(|ip| self.judge(Some(&name), ip, Some(port)).is_ok()) {
                        return Err(Refusal::new());
                    }
                }
                Ok(())
            }
        }
    }

    /// Everything about a URL that can be judged without DNS: the scheme is
    /// `http` or `https`, and the host is not a refused literal. The user
    /// name part is ignored: `http://example.com@127.0.0.1/` is judged by its
    /// real host, 127.0.0.1.
    pub fn check_url(&self, url: &Url) -> Result<(), Refusal> {
        if !matches!(url.scheme(), "http" | "https") {
            tracing::debug!(scheme = url.scheme(), "outbound guard refused a scheme");
            return Err(Refusal::new());
        }
        match (url.host(), url.port_or_known_default()) {
            (Some(host), Some(port)) => self.check_host(&host, port),
            _ => Err(Refusal::new()),
        }
    }

    /// Judges one address a name resolved to. Without a port, entries that
    /// name a port do not apply (they cannot be shown to match).
    pub(crate) fn check_resolved(&self, name: &str, ip: IpAddr, port: Option<u16>) -> Result<(), Refusal> {
        self.judge(Some(name), ip, port)
    }

    fn judge(&self, name: Option<&str>, ip: IpAddr, port: Option<u16>) -> Result<(), Refusal> {
        for judged in ranges::judged_addresses(ip) {
            let refused = match ranges::class_of(judged) {
                Class::Global => false,
                Class::Forbidden => true,
                Class::Internal => !self.allows(name, ip, judged, port),
            };
            if refused {
                tracing::debug!(%ip, %judged, ?port, ?name, "outbound guard refused an address");
                return Err(Refusal::new());
            }
        }
        Ok(())
    }

    /// Does an entry cover this internal address? `judged` is `ip` itself or
    /// an IPv4 carried inside it; an entry may name either.
    fn allows(&self, name: Option<&str>, ip: IpAddr, judged: IpAddr, port: Option<u16>) -> bool {
        self.entries.iter().any(|entry| match entry {
            Entry::Network(net) => net.contains(&judged) || net.contains(&ip),
            Entry::Address(addr) => {
                let allowed = addr.ip().to_canonical();
                port == Some(addr.port()) && (allowed == judged.to_canonical() || allowed == ip.to_canonical())
            }
            Entry::HostPort { host, port: allowed } => port == Some(*allowed) && name == Some(host.as_str()),
        })
    }
}

impl FromStr for Policy {
    type Err = AllowListError;

    fn from_str(text: &str) -> Result<Self, AllowListError> {
        Policy::parse(text)
    }
}

/// The allow-list as text, one entry per line; parsing it gives the same policy.
impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for entry in &self.entries {
            writeln!(f, "{entry}")?;
        }
        Ok(())
    }
}

/// Host names compare case-insensitively and with or without the root's trailing dot.
pub(crate) fn normalize_name(name: &str) -> String {
    let name = name.strip_suffix('.').unwrap_or(name);
    name.to_ascii_lowercase()
}

/// `localhost` and its subdomains are loopback by definition (RFC 6761), so
/// they are answered without asking DNS.
pub(crate) fn is_localhost(normalized: &str) -> bool {
    normalized == "localhost" || normalized.ends_with(".localhost")
}

pub(crate) fn localhost_addresses() -> [IpAddr; 2] {
    [Ipv4Addr::LOCALHOST.into(), Ipv6Addr::LOCALHOST.into()]
}

#[cfg(test)]
mod tests;
