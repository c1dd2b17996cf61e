//! Which address a request comes from.
//!
//! By default it is the TCP peer, whatever the request's headers say. Behind
//! a load balancer the peer is the balancer, so `PREFLIGHT_TRUSTED_PROXIES`
//! names the ranges whose forwarding headers are believed:
//!
//! * Only when the peer is in a trusted range are `X-Forwarded-For` and
//!   `Forwarded` (RFC 7239, `for=`) read at all. From an untrusted peer both
//!   are ignored completely, so nobody can choose their own address.
//! * The hops are walked from the right (the entry the nearest proxy added)
//!   and trusted proxies are skipped; the first untrusted address is the
//!   client. Entries further left were written by that client and are never
//!   looked at.
//! * An entry that names no address (`unknown`, an obfuscated `_name`, an
//!   element without `for=`, garbage) ends the walk: the client is the last
//!   trusted proxy seen, the nearest address that is known to be right.
//! * When every hop is trusted, the left-most one is the client.
//! * When a request carries both headers and they name different clients,
//!   neither is believed and the peer is used: a proxy that maintains one of
//!   them passes the other through from the client untouched, so a
//!   disagreement means one of them is a forgery.
//!
//! IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) count as their IPv4
//! address, for the peer, every hop and the result.
//!
//! [`resolve`] is pure; [`layer`] is the middleware that stores the result as
//! [`ClientAddr`] in the request's extensions, where the request log and the
//! session middleware (which hands it to the app as `Client::ip`) read it.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use forwarded_header_value::{ForwardedStanza, Identifier};
use http::header::{HeaderMap, HeaderName, FORWARDED};
use ipnet::IpNet;

/// The resolved client address of a request, stored in its extensions.
/// IPv4-mapped IPv6 addresses are stored as their IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub IpAddr);

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The address ranges of proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of CIDR ranges (`10.0.0.0/8,
    /// fd00::/8`); a bare address means just that address. Empty means none.
    /// The error names the entry that is not a range.
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for item in text.split(',').map(str::trim).filter(|item| !item.is_empty()) {
            let net = match IpNet::from_str(item) {
                Ok(net) => net.trunc(),
                Err(_) => match IpAddr::from_str(item) {
                    Ok(ip) => IpNet::from(ip),
                    Err(_) => {
                        return Err(format!(
                            "'{item}' is not an address range like 10.0.0.0/8 or fd00::/8 (or a single address)"
                        ))
                    }
                },
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` (IPv4-mapped IPv6 counts as IPv4) is in a trusted range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// The client address of a request that arrived from `peer` with `headers`.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let x_forwarded_for = hops(headers, &X_FORWARDED_FOR, x_forwarded_for_hop);
    let forwarded = hops(headers, &FORWARDED, forwarded_hop);
    match (x_forwarded_for, forwarded) {
        (None, None) => peer,
        (Some(hops), None) | (None, Some(hops)) => walk(peer, &hops, trusted),
        (Some(a), Some(b)) => {
            let (a, b) = (walk(peer, &a, trusted), walk(peer, &b, trusted));
            if a == b {
                a
            } else {
                peer
            }
        }
    }
}

/// The addresses a header lists, left to right (`None` for an entry that
/// names no address), or `None` when the request does not carry it. Several
/// header lines form one list, in order.
fn hops(headers: &HeaderMap, name: &HeaderName, parse: fn(&str) -> Option<IpAddr>) -> Option<Vec<Option<IpAddr>>> {
    let mut values = headers.get_all(name).iter().peekable();
    values.peek()?;
    let mut hops = Vec::new();
    for value in values {
        match value.to_str() {
            Ok(text) => hops.extend(
                text.split(',')
                    .map(str::trim)
                    .filter(|entry| !entry.is_empty())
                    .map(|entry| parse(entry).map(|ip| ip.to_canonical())),
            ),
            // Not visible ASCII: one entry we cannot read.
            Err(_) => hops.push(None),
        }
    }
    Some(hops)
}

/// One `X-Forwarded-For` entry: an address, also with a port or in brackets.
fn x_forwarded_for_hop(entry: &str) -> Option<IpAddr> {
    Identifier::from_str(entry).ok()?.ip()
}

/// One `Forwarded` element (`for=192.0.2.60;proto=https`): its `for=` address.
fn forwarded_hop(element: &str) -> Option<IpAddr> {
    ForwardedStanza::from_str(element).ok()?.forwarded_for_ip()
}

/// Walks `hops` from the right, starting at the trusted `peer`.
fn walk(peer: IpAddr, hops: &[Option<IpAddr>], trusted: &TrustedProxies) -> IpAddr {
    let mut nearest_trusted = peer;
    for hop in hops.iter().rev() {
        match *hop {
            Some(ip) if trusted.contains(ip) => nearest_trusted = ip,
            Some(ip) => return ip,
            None => return nearest_trusted,
        }
    }
    nearest_trusted
}

/// Middleware: stores the request's [`ClientAddr`] in its extensions. A
/// request without a TCP peer (no `ConnectInfo`, as in some tests) gets none.
pub async fn layer(State(trusted): State<Arc<TrustedProxies>>, mut req: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let client = resolve(peer.ip(), req.headers(), &trusted);
        req.extensions_mut().insert(ClientAddr(client));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(HeaderName::from_str(name).unwrap(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn resolve_with(trusted: &str, peer: &str, pairs: &[(&str, &str)]) -> IpAddr {
        resolve(ip(peer), &headers(pairs), &TrustedProxies::parse(trusted).unwrap())
    }

    #[test]
    fn parses_ranges_and_single_addresses() {
        let trusted = TrustedProxies::parse(" 10.0.0.0/8, fd00::/8 ,192.0.2.7,").unwrap();
        assert!(trusted.contains(ip("10.1.2.3")));
        assert!(trusted.contains(ip("fd12::1")));
        assert!(trusted.contains(ip("192.0.2.7")));
        assert!(!trusted.contains(ip("192.0.2.8")));
        assert!(!trusted.contains(ip("11.0.0.1")));
        assert!(trusted.contains(ip("::ffff:10.9.9.9")), "IPv4-mapped counts as IPv4");
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse(" , ").unwrap().is_empty());
        // Host bits are allowed and ignored.
        assert!(TrustedProxies::parse("10.1.2.3/8").unwrap().contains(ip("10.200.0.1")));
    }

    #[test]
    fn bad_ranges_are_named() {
        for bad in ["10.0.0.0/33", "localhost", "10.0.0.0/8;10.1.0.0/16", "fd00::/129", "*"] {
            let err = TrustedProxies::parse(&format!("127.0.0.1/32, {bad}")).unwrap_err();
            assert!(err.contains(&format!("'{bad}'")), "{err}");
        }
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_headers_say() {
        let spoofing = [("x-forwarded-for", "203.0.113.9"), ("forwarded", "for=198.51.100.1")];
        assert_eq!(resolve_with("", "192.0.2.1", &spoofing), ip("192.0.2.1"));
        // A trusted list that does not include the peer changes nothing either.
        assert_eq!(resolve_with("10.0.0.0/8", "192.0.2.1", &spoofing), ip("192.0.2.1"));
        assert_eq!(resolve_with("10.0.0.0/8", "192.0.2.1", &spoofing[..1]), ip("192.0.2.1"));
        assert_eq!(resolve_with("10.0.0.0/8", "192.0.2.1", &spoofing[1..]), ip("192.0.2.1"));
    }

    #[test]
    fn the_peer_is_reported_as_ipv4_when_it_is_ipv4_mapped() {
        assert_eq!(resolve_with("", "::ffff:192.0.2.1", &[]), ip("192.0.2.1"));
    }

    #[test]
    fn a_trusted_peer_without_headers_is_the_client() {
        assert_eq!(resolve_with("10.0.0.0/8", "10.0.0.5", &[]), ip("10.0.0.5"));
    }

    #[test]
    fn x_forwarded_for_is_walked_from_the_right_skipping_trusted_proxies() {
        let trusted = "10.0.0.0/8";
        let via = |xff: &str| resolve_with(trusted, "10.0.0.1", &[("x-forwarded-for", xff)]);
        assert_eq!(via("203.0.113.9"), ip("203.0.113.9"));
        // The client wrote "1.1.1.1" itself; the balancer appended the real address.
        assert_eq!(via("1.1.1.1, 203.0.113.9"), ip("203.0.113.9"));
        // Two trusted proxies in a row are skipped.
        assert_eq!(via("1.1.1.1, 203.0.113.9, 10.0.0.7, 10.2.0.1"), ip("203.0.113.9"));
        // Ports and brackets, as some balancers write them.
        assert_eq!(via("203.0.113.9:4711"), ip("203.0.113.9"));
        assert_eq!(via("[2001:db8::1]:4711"), ip("2001:db8::1"));
        assert_eq!(via("2001:db8::1"), ip("2001:db8::1"));
        assert_eq!(via("::ffff:203.0.113.9"), ip("203.0.113.9"));
        // Every hop trusted: the left-most is the client.
        assert_eq!(via("10.3.0.1, 10.2.0.1"), ip("10.3.0.1"));
        // An entry without an address ends the walk at the nearest trusted proxy.
        assert_eq!(via("203.0.113.9, unknown, 10.2.0.1"), ip("10.2.0.1"));
        assert_eq!(via("203.0.113.9, not-an-address"), ip("10.0.0.1"));
        // Empty entries are no hops.
        assert_eq!(via(" , 203.0.113.9 ,"), ip("203.0.113.9"));
    }

    #[test]
    fn several_header_lines_form_one_list() {
        let got = resolve_with(
            "10.0.0.0/8",
            "10.0.0.1",
            &[("x-forwarded-for", "1.1.1.1, 203.0.113.9"), ("x-forwarded-for", "10.2.0.1")],
        );
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn forwarded_for_is_understood() {
        let trusted = "10.0.0.0/8";
        let via = |value: &str| resolve_with(trusted, "10.0.0.1", &[("forwarded", value)]);
        assert_eq!(via("for=203.0.113.9"), ip("203.0.113.9"));
        assert_eq!(via("for=\"[2001:db8::1]:4711\""), ip("2001:db8::1"));
        assert_eq!(via("For=\"[2001:db8:cafe::17]\";proto=https"), ip("2001:db8:cafe::17"));
        assert_eq!(via("for=192.0.2.43:47011;proto=http;by=203.0.113.43"), ip("192.0.2.43"));
        assert_eq!(via("for=1.1.1.1, for=203.0.113.9;proto=https, for=10.2.0.1"), ip("203.0.113.9"));
        // Hidden or missing addresses end the walk at the nearest trusted proxy.
        assert_eq!(via("for=203.0.113.9, for=unknown, for=10.2.0.1"), ip("10.2.0.1"));
        assert_eq!(via("for=203.0.113.9, for=_hidden"), ip("10.0.0.1"));
        assert_eq!(via("for=203.0.113.9, proto=https"), ip("10.0.0.1"));
        assert_eq!(via("for=203.0.113.9, garbage"), ip("10.0.0.1"));
        // Garbage left of the client is the client's own business.
        assert_eq!(via("garbage, for=203.0.113.9"), ip("203.0.113.9"));
    }

    #[test]
    fn both_headers_count_only_when_they_agree() {
        let trusted = "10.0.0.0/8";
        let agree = [("x-forwarded-for", "203.0.113.9"), ("forwarded", "for=203.0.113.9")];
        assert_eq!(resolve_with(trusted, "10.0.0.1", &agree), ip("203.0.113.9"));
        // The balancer appends to X-Forwarded-For and passes a forged Forwarded through.
        let forged = [("x-forwarded-for", "203.0.113.9"), ("forwarded", "for=198.51.100.1")];
        assert_eq!(resolve_with(trusted, "10.0.0.1", &forged), ip("10.0.0.1"));
    }
}
