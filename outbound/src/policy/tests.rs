use std::net::IpAddr;

use super::*;

/// How the default policy, and an allow-everything list, treat an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Globally reachable: allowed by default.
    Allowed,
    /// Refused by default, allowed by an allow-list entry.
    Internal,
    /// Refused even when an allow-list entry covers it.
    Forbidden,
}
use Expect::*;

/// Both sides of every boundary, then the IPv6 forms that carry an IPv4.
const TABLE: &[(&str, Expect)] = &[
    ("0.0.0.0", Internal),
    ("0.255.255.255", Internal),
    ("1.0.0.0", Allowed),
    ("1.1.1.1", Allowed),
    ("8.8.8.8", Allowed),
    ("9.255.255.255", Allowed),
    ("10.0.0.0", Internal),
    ("10.255.255.255", Internal),
    ("11.0.0.0", Allowed),
    ("100.63.255.255", Allowed),
    ("100.64.0.0", Internal),
    ("100.100.100.199", Internal),
    ("100.100.100.200", Forbidden),
    ("100.100.100.201", Internal),
    ("100.127.255.255", Internal),
    ("100.128.0.0", Allowed),
    ("126.255.255.255", Allowed),
    ("127.0.0.0", Internal),
    ("127.0.0.1", Internal),
    ("127.255.255.255", Internal),
    ("128.0.0.0", Allowed),
    ("169.253.255.255", Allowed),
    ("169.254.0.0", Forbidden),
    ("169.254.169.254", Forbidden),
    ("169.254.255.255", Forbidden),
    ("169.255.0.0", Allowed),
    ("172.15.255.255", Allowed),
    ("172.16.0.0", Internal),
    ("172.31.255.255", Internal),
    ("172.32.0.0", Allowed),
    ("191.255.255.255", Allowed),
    ("192.0.0.0", Internal),
    ("192.0.0.8", Internal),
    ("192.0.0.9", Allowed),
    ("192.0.0.10", Allowed),
    ("192.0.0.11", Internal),
    ("192.0.0.170", Internal),
    ("192.0.0.255", Internal),
    ("192.0.1.0", Allowed),
    ("192.0.1.255", Allowed),
    ("192.0.2.0", Internal),
    ("192.0.2.255", Internal),
    ("192.0.3.0", Allowed),
    ("192.31.196.1", Allowed),
    ("192.52.193.1", Allowed),
    ("192.88.98.255", Allowed),
    ("192.88.99.0", Internal),
    ("192.88.99.255", Internal),
    ("192.88.100.0", Allowed),
    ("192.167.255.255", Allowed),
    ("192.168.0.0", Internal),
    ("192.168.255.255", Internal),
    ("192.169.0.0", Allowed),
    ("192.175.48.1", Allowed),
    ("198.17.255.255", Allowed),
    ("198.18.0.0", Internal),
    ("198.19.255.255", Internal),
    ("198.20.0.0", Allowed),
    ("198.51.99.255", Allowed),
    ("198.51.100.0", Internal),
    ("198.51.100.255", Internal),
    ("198.51.101.0", Allowed),
    ("203.0.112.255", Allowed),
    ("203.0.113.0", Internal),
    ("203.0.113.255", Internal),
    ("203.0.114.0", Allowed),
    ("223.255.255.255", Allowed),
    ("224.0.0.0", Internal),
    ("239.255.255.255", Internal),
    ("240.0.0.0", Internal),
    ("255.255.255.254", Internal),
    ("255.255.255.255", Internal),
    // IPv6 outside 2000::/3
    ("::", Internal),
    ("::1", Internal),
    ("100::", Internal),
    ("100::ffff:ffff:ffff:ffff", Internal),
    ("100:0:0:1::", Internal),
    ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Internal),
    ("4000::", Internal),
    ("5f00::1", Internal),
    ("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Internal),
    ("fc00::", Internal),
    ("fd12:3456::1", Internal),
    ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Internal),
    ("fd00:ec2::253", Internal),
    ("fd00:ec2::254", Forbidden),
    ("fd00:ec2::255", Internal),
    ("fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Internal),
    ("fe80::", Forbidden),
    ("fe80::1", Forbidden),
    ("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Forbidden),
    ("fec0::", Internal),
    ("ff02::1", Internal),
    ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Internal),
    // IPv6 global unicast and its special blocks
    ("2000::", Allowed),
    ("2001:1::1", Allowed),
    ("2001:1::2", Allowed),
    ("2001:1::3", Allowed),
    ("2001:1::4", Internal),
    ("2001:2::1", Internal),
    ("2001:3::1", Allowed),
    ("2001:3:ffff::1", Allowed),
    ("2001:4:112::1", Allowed),
    ("2001:4:113::1", Internal),
    ("2001:10::1", Internal),
    ("2001:1f:ffff::1", Internal),
    ("2001:20::1", Allowed),
    ("2001:3f:ffff::1", Allowed),
    ("2001:40::1", Internal),
    ("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", Internal),
    ("2001:200::", Allowed),
    ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", Allowed),
    ("2001:db8::", Internal),
    ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", Internal),
    ("2001:db9::", Allowed),
    ("2606:4700:4700::1111", Allowed),
    ("2a00:1450:4001::1", Allowed),
    ("3ffe::1", Allowed),
    ("3fff::", Internal),
    ("3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", Internal),
    ("3fff:1000::", Allowed),
    // IPv4-mapped
    ("::ffff:127.0.0.1", Internal),
    ("::ffff:7f00:1", Internal),
    ("::ffff:10.0.0.1", Internal),
    ("::ffff:169.254.169.254", Forbidden),
    ("::ffff:0.0.0.0", Internal),
    ("::ffff:8.8.8.8", Allowed),
    // IPv4-compatible (deprecated)
    ("::127.0.0.1", Internal),
    ("::0.0.0.2", Internal),
    ("::169.254.169.254", Forbidden),
    ("::8.8.8.8", Allowed),
    // NAT64, well-known prefix: judged by the IPv4 alone
    ("64:ff9b::7f00:1", Internal),
    ("64:ff9b::10.0.0.1", Internal),
    ("64:ff9b::169.254.169.254", Forbidden),
    ("64:ff9b::8.8.8.8", Allowed),
    // NAT64, local-use prefix: internal itself, and the IPv4 is judged too
    ("64:ff9b:1::8.8.8.8", Internal),
    ("64:ff9b:1::169.254.169.254", Forbidden),
    ("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", Internal),
    // 6to4: the IPv4 is bits 16..48
    ("2002:7f00:1::1", Internal),
    ("2002:a00:1::", Internal),
    ("2002:a9fe:a9fe::1", Forbidden),
    ("2002:808:808::1", Allowed),
    // Teredo: server IPv4 in bits 32..64, client IPv4 inverted in the last 32 bits
    ("2001:0:808:808:0:0:f7f7:fbfb", Allowed), // server 8.8.8.8, client 8.8.4.4
    ("2001:0:7f00:1:0:0:f7f7:fbfb", Internal), // server 127.0.0.1
    ("2001:0:808:808:0:0:80ff:fffe", Internal), // client 127.0.0.1
    ("2001:0:808:808:0:0:5601:5601", Forbidden), // client 169.254.169.254
    ("2001:0:a9fe:a9fe:0:0:f7f7:fbfb", Forbidden), // server 169.254.169.254
];

fn allow_everything() -> Policy {
    Policy::parse("0.0.0.0/0\n::/0").unwrap()
}

#[test]
fn address_table() {
    let default = Policy::default();
    let everything = allow_everything();
    for &(text, expect) in TABLE {
        let ip: IpAddr = text.parse().unwrap();
        let by_default = default.check_ip(ip, 80).is_ok();
        let when_allowed = everything.check_ip(ip, 80).is_ok();
        let actual = match (by_default, when_allowed) {
            (true, true) => Allowed,
            (false, true) => Internal,
            (false, false) => Forbidden,
            (true, false) => panic!("{text}: allowed by default but not by an allow-list"),
        };
        assert_eq!(actual, expect, "{text}");
    }
}

#[test]
fn forbidden_addresses_win_over_every_kind_of_entry() {
    let policy = Policy::parse(
        "169.254.0.0/16\n169.254.169.254\n169.254.169.254:80\nfe80::/10\nfd00:ec2::254\n[fd00:ec2::254]:80\n\
         100.100.100.200:80\n100.64.0.0/10\nmetadata.example:80\n::ffff:0:0/96\n64:ff9b::/96",
    )
    .unwrap();
    for text in [
        "169.254.169.254",
        "fe80::1",
        "fd00:ec2::254",
        "100.100.100.200",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",
    ] {
        let ip: IpAddr = text.parse().unwrap();
        assert!(policy.check_ip(ip, 80).is_err(), "{text}");
        assert!(policy.check_resolved("metadata.example", ip, Some(80)).is_err(), "{text} by name");
    }
    // The rest of the shared range is allowed by its entry.
    assert!(policy.check_ip("100.100.100.201".parse().unwrap(), 80).is_ok());
}

#[test]
fn a_range_allows_any_port_and_the_ipv4_inside_ipv6_forms() {
    let policy = Policy::parse("10.1.0.0/16\nfd12::/48").unwrap();
    for (text, allowed) in [
        ("10.1.2.3", true),
        ("10.0.255.255", false),
        ("10.2.0.0", false),
        ("::ffff:10.1.2.3", true),
        ("64:ff9b::10.1.2.3", true),
        ("2002:a01:203::1", true),
        ("fd12::1", true),
        ("fd12:0:0:ffff::1", true),
        ("fd12:0:1::1", false),
        ("fd13::1", false),
    ] {
        let ip: IpAddr = text.parse().unwrap();
        for port in [80, 443, 22] {
            assert_eq!(policy.check_ip(ip, port).is_ok(), allowed, "{text}:{port}");
            assert_eq!(policy.check_resolved("a.example", ip, None).is_ok(), allowed, "{text} resolved");
        }
    }
}

#[test]
fn an_address_entry_allows_that_port_only() {
    let policy = Policy::parse("127.0.0.1:8080\n[fd12::5]:443").unwrap();
    let loopback: IpAddr = "127.0.0.1".parse().unwrap();
    assert!(policy.check_ip(loopback, 8080).is_ok());
    assert!(policy.check_ip(loopback, 8081).is_err());
    assert!(policy.check_ip("127.0.0.2".parse().unwrap(), 8080).is_err());
    assert!(policy.check_ip("::ffff:127.0.0.1".parse().unwrap(), 8080).is_ok());
    assert!(policy.check_ip("fd12::5".parse().unwrap(), 443).is_ok());
    assert!(policy.check_ip("fd12::5".parse().unwrap(), 80).is_err());
    // A name that resolves to the address, with the port known.
    assert!(policy.check_resolved("a.example", loopback, Some(8080)).is_ok());
    assert!(policy.check_resolved("a.example", loopback, Some(22)).is_err());
    // Without the port, a port-specific entry cannot be shown to match.
    assert!(policy.check_resolved("a.example", loopback, None).is_err());
}

#[test]
fn a_host_port_entry_allows_that_name_on_that_port_only() {
    let policy = Policy::parse("Intranet.Example:8080").unwrap();
    let private: IpAddr = "10.0.0.1".parse().unwrap();
    assert!(policy.check_resolved("intranet.example", private, Some(8080)).is_ok());
    assert!(policy.check_resolved("intranet.example", "::1".parse().unwrap(), Some(8080)).is_ok());
    assert!(policy.check_resolved("intranet.example", private, Some(8081)).is_err());
    assert!(policy.check_resolved("intranet.example", private, None).is_err());
    assert!(policy.check_resolved("other.example", private, Some(8080)).is_err());
    // The name does not make the address itself allowed.
    assert!(policy.check_ip(private, 8080).is_err());
}

#[test]
fn urls_are_judged_by_scheme_and_literal_host() {
    let policy = Policy::default();
    for (raw, allowed) in [
        ("http://example.com/", true),
        ("https://example.com:8443/", true),
        ("http://8.8.8.8/", true),
        ("http://[2606:4700:4700::1111]/", true),
        ("http://127.0.0.1/", false),
        ("http://2130706433/", false),
        ("http://0177.0.0.1/", false),
        ("http://0x7f000001/", false),
        ("http://0x7f.1/", false),
        ("http://127.1/", false),
        ("http://127.0.0.1./", false),
        ("http://[::1]/", false),
        ("http://[::ffff:127.0.0.1]/", false),
        ("http://[64:ff9b::7f00:1]/", false),
        ("http://0.0.0.0/", false),
        ("http://0/", false),
        ("http://localhost/", false),
        ("http://LOCALHOST./", false),
        ("http://app.localhost/", false),
        ("http://example.com@127.0.0.1/", false),
        ("http://127.0.0.1@example.com/", true),
        ("http://169.254.169.254/latest/meta-data/", false),
        ("file:///etc/passwd", false),
        ("ftp://example.com/", false),
        ("gopher://example.com/", false),
        ("ws://example.com/", false),
        ("wss://example.com/", false),
        ("data:text/plain,hi", false),
    ] {
        let url = Url::parse(raw).unwrap();
        assert_eq!(policy.check_url(&url).is_ok(), allowed, "{raw}");
    }
}

#[test]
fn localhost_follows_the_loopback_entries() {
    let url = Url::parse("http://localhost:8080/").unwrap();
    assert!(Policy::parse("127.0.0.0/8").unwrap().check_url(&url).is_ok());
    assert!(Policy::parse("::1").unwrap().check_url(&url).is_ok());
    assert!(Policy::parse("127.0.0.1:8080").unwrap().check_url(&url).is_ok());
    assert!(Policy::parse("127.0.0.1:8081").unwrap().check_url(&url).is_err());
    assert!(Policy::parse("localhost:8080").unwrap().check_url(&url).is_ok());
}

#[test]
fn url_normalises_ipv4_spellings() {
    let loopback = url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST);
    for raw in [
        "http://127.0.0.1/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://0x7f000001/",
        "http://0x7f.1/",
        "http://127.1/",
        "http://127.0.0.1./",
        "http://0x7F.0.0.01/",
    ] {
        let url = Url::parse(raw).unwrap();
        assert_eq!(url.host(), Some(loopback.clone()), "{raw}");
    }
}

#[test]
fn policy_text_round_trips() {
    let text =
        "# office\n10.1.0.0/16\n\nfd12::/48 # lab\n10.0.0.5\n10.0.0.6:8080\n[fd12::5]:443\nIntranet.Example.:8080\n";
    let policy = Policy::parse(text).unwrap();
    assert_eq!(policy.entries().len(), 6);
    let written = policy.to_string();
    assert_eq!(written, "10.1.0.0/16\nfd12::/48\n10.0.0.5\n10.0.0.6:8080\n[fd12::5]:443\nintranet.example:8080\n");
    assert_eq!(Policy::parse(&written).unwrap(), policy);
    assert_eq!(written.parse::<Policy>().unwrap(), policy);
    assert_eq!(Policy::parse("").unwrap(), Policy::default());
    assert_eq!(Policy::default().to_string(), "");
}
