//! Save-time checks of a probe or webhook target, for field errors in forms.
//! Nothing here touches the network: names are not resolved (call
//! [`crate::Guard::resolve`] as well to report names that do not resolve or
//! resolve only to refused addresses).

use url::{Host, Url};

use crate::policy::Policy;
use crate::refusal::Refusal;

/// Why a target was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("not a valid URL: {0}")]
    Unparsable(url::ParseError),
    #[error("only http:// and https:// URLs can be checked")]
    Scheme,
    #[error("URLs with a user name or password are not accepted")]
    Userinfo,
    #[error("the address has no host")]
    NoHost,
    #[error("expected host:port, with IPv6 addresses in brackets ([2001:db8::1]:443)")]
    NotHostPort,
    #[error("the port must be a number from 1 to 65535")]
    Port,
    #[error("not a valid host name or IP address")]
    Host,
    #[error(transparent)]
    Refused(#[from] Refusal),
}

/// Checks a URL an HTTP probe or a webhook will request, and returns it
/// parsed (and normalised: `http://0x7f.1/` comes back as `http://127.0.0.1/`).
pub fn check_target_url(raw: &str, policy: &Policy) -> Result<Url, TargetError> {
    let url = Url::parse(raw.trim()).map_err(TargetError::Unparsable)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TargetError::Scheme);
    }
    // `http://example.com@10.0.0.1/` reads as example.com to a person; refusing
    // credentials in URLs removes the trick (and secrets do not belong there).
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::Userinfo);
    }
    let host = match url.host() {
        None | Some(Host::Domain("")) => return Err(TargetError::NoHost),
        Some(host) => host,
    };
    let port = url.port_or_known_default().ok_or(TargetError::Port)?;
    if port == 0 {
        return Err(TargetError::Port);
    }
    policy.check_host(&host, port)?;
    Ok(url)
}

/// Checks the `host:port` a TCP or TLS probe will connect to. IPv6
/// addresses go in brackets; IPv4 is normalised as in URLs (`127.1` is
/// 127.0.0.1), so the literal is judged as the connection would see it.
pub fn check_host_port(raw: &str, policy: &Policy) -> Result<(Host<String>, u16), TargetError> {
    let (host, port) = split_host_port(raw.trim())?;
    policy.check_host(&host, port)?;
    Ok((host, port))
}

pub(crate) fn split_host_port(text: &str) -> Result<(Host<String>, u16), TargetError> {
    let (host, port) = text.rsplit_once(':').ok_or(TargetError::NotHostPort)?;
    if host.contains(':') && !(host.starts_with('[') && host.ends_with(']')) {
        return Err(TargetError::NotHostPort);
    }
    let port = match port.parse::<u16>() {
        Ok(port) if port != 0 => port,
        _ => return Err(TargetError::Port),
    };
    Ok((parse_host(host)?, port))
}

/// Parses a host as URLs do: brackets around IPv6, IPv4 in any of the forms
/// `inet_aton` accepts, IDNA for names. A bare IPv6 address is accepted too,
/// since API callers pass hosts without brackets.
pub(crate) fn parse_host(host: &str) -> Result<Host<String>, TargetError> {
    if host.is_empty() {
        return Err(TargetError::NoHost);
    }
    if let Ok(ip) = host.parse::<std::net::Ipv6Addr>() {
        return Ok(Host::Ipv6(ip));
    }
    match Host::parse(host) {
        Ok(Host::Domain(name)) if name.is_empty() => Err(TargetError::NoHost),
        Ok(host) => Ok(host),
        Err(_) => Err(TargetError::Host),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn default() -> Policy {
        Policy::default()
    }

    #[test]
    fn urls_accepted_and_normalised() {
        let url = check_target_url(" https://Example.COM/health ", &default()).unwrap();
        assert_eq!(url.as_str(), "https://example.com/health");
        let url = check_target_url("http://8.8.8.8:8080/", &default()).unwrap();
        assert_eq!(url.host(), Some(Host::Ipv4(Ipv4Addr::new(8, 8, 8, 8))));
    }

    #[test]
    fn urls_refused() {
        type Expected = fn(&TargetError) -> bool;
        let cases: [(&str, Expected); 13] = [
            ("not a url", |e| matches!(e, TargetError::Unparsable(_))),
            ("http://", |e| matches!(e, TargetError::Unparsable(_))),
            ("file:///etc/passwd", |e| *e == TargetError::Scheme),
            ("ftp://example.com/", |e| *e == TargetError::Scheme),
            ("gopher://example.com/", |e| *e == TargetError::Scheme),
            ("ws://example.com/", |e| *e == TargetError::Scheme),
            ("http://user@example.com/", |e| *e == TargetError::Userinfo),
            ("http://example.com@127.0.0.1/", |e| *e == TargetError::Userinfo),
            ("http://:secret@example.com/", |e| *e == TargetError::Userinfo),
            ("http://example.com:0/", |e| *e == TargetError::Port),
            ("http://127.0.0.1/", |e| matches!(e, TargetError::Refused(_))),
            ("http://0x7f.1/", |e| matches!(e, TargetError::Refused(_))),
            ("http://localhost./", |e| matches!(e, TargetError::Refused(_))),
        ];
        for (raw, expected) in cases {
            let err = check_target_url(raw, &default()).unwrap_err();
            assert!(expected(&err), "{raw}: {err:?}");
        }
    }

    #[test]
    fn names_are_not_resolved_at_save_time() {
        assert!(check_target_url("http://does-not-exist.invalid/", &default()).is_ok());
    }

    #[test]
    fn allow_list_applies_at_save_time() {
        let policy = Policy::parse("10.0.0.5:8080").unwrap();
        assert!(check_target_url("http://10.0.0.5:8080/", &policy).is_ok());
        assert!(check_target_url("http://10.0.0.5/", &policy).is_err());
    }

    #[test]
    fn host_ports() {
        let policy = default();
        assert_eq!(check_host_port("Example.com:443", &policy), Ok((Host::Domain("example.com".into()), 443)));
        assert_eq!(
            check_host_port("[2606:4700::1111]:853", &policy),
            Ok((Host::Ipv6("2606:4700::1111".parse().unwrap()), 853))
        );
        let refused = [
            ("127.0.0.1:22", TargetError::Refused(Refusal::new())),
            ("2130706433:22", TargetError::Refused(Refusal::new())),
            ("[::1]:22", TargetError::Refused(Refusal::new())),
            ("[::ffff:127.0.0.1]:22", TargetError::Refused(Refusal::new())),
            ("localhost:22", TargetError::Refused(Refusal::new())),
            ("169.254.169.254:80", TargetError::Refused(Refusal::new())),
            ("example.com", TargetError::NotHostPort),
            ("::1:22", TargetError::NotHostPort),
            ("example.com:0", TargetError::Port),
            ("example.com:65536", TargetError::Port),
            ("example.com:", TargetError::Port),
            (":22", TargetError::NoHost),
            ("exa mple.com:22", TargetError::Host),
            ("http://example.com:80", TargetError::NotHostPort),
        ];
        for (raw, expected) in refused {
            assert_eq!(check_host_port(raw, &policy), Err(expected), "{raw}");
        }
    }
}
