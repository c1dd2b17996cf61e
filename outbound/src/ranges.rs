//! What kind of address an IP is, before any allow-list is consulted.
//!
//! `std`'s `is_global` is unstable, so the ranges are spelled out here from
//! the IANA IPv4 and IPv6 Special-Purpose Address Registries (entries whose
//! "Globally Reachable" is False or N/A), plus multicast and reserved space.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

/// How an address is treated by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Reachable on the public internet: allowed.
    Global,
    /// Loopback, private, shared, reserved and the like: refused unless an
    /// administrator allows it.
    Internal,
    /// Link-local and cloud metadata endpoints: refused even when an
    /// allow-list entry covers them, because they hand out instance
    /// credentials and no probe has a reason to reach them.
    Forbidden,
}

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

#[allow(clippy::too_many_arguments)]
const fn v6(a: u16, b: u16, c: u16, d: u16, e: u16, f: u16, g: u16, h: u16, len: u8) -> Ipv6Net {
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, e, f, g, h), len)
}

const FORBIDDEN_V4: &[Ipv4Net] = &[
    v4(169, 254, 0, 0, 16),     // link-local; AWS, GCP, Azure, OCI metadata at .169.254
    v4(100, 100, 100, 200, 32), // Alibaba Cloud metadata
];

const FORBIDDEN_V6: &[Ipv6Net] = &[
    v6(0xfe80, 0, 0, 0, 0, 0, 0, 0, 10),          // link-local
    v6(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254, 128), // AWS metadata over IPv6
];

/// Globally reachable islands inside the internal ranges below.
const GLOBAL_V4: &[Ipv4Net] = &[
    v4(192, 0, 0, 9, 32),  // Port Control Protocol anycast
    v4(192, 0, 0, 10, 32), // TURN anycast
];

const INTERNAL_V4: &[Ipv4Net] = &[
    v4(0, 0, 0, 0, 8),          // "this network"; 0.0.0.0 reaches the local host
    v4(10, 0, 0, 0, 8),         // private
    v4(100, 64, 0, 0, 10),      // shared address space (carrier-grade NAT)
    v4(127, 0, 0, 0, 8),        // loopback
    v4(172, 16, 0, 0, 12),      // private
    v4(192, 0, 0, 0, 24),       // IETF protocol assignments (incl. DS-Lite, NAT64 discovery)
    v4(192, 0, 2, 0, 24),       // documentation (TEST-NET-1)
    v4(192, 88, 99, 0, 24),     // deprecated 6to4 relay anycast
    v4(192, 168, 0, 0, 16),     // private
    v4(198, 18, 0, 0, 15),      // benchmarking
    v4(198, 51, 100, 0, 24),    // documentation (TEST-NET-2)
    v4(203, 0, 113, 0, 24),     // documentation (TEST-NET-3)
    v4(224, 0, 0, 0, 4),        // multicast
    v4(240, 0, 0, 0, 4),        // reserved
    v4(255, 255, 255, 255, 32), // limited broadcast (inside 240/4; listed for the reader)
];

/// Globally reachable islands inside 2001::/23 (IETF protocol assignments).
const GLOBAL_V6: &[Ipv6Net] = &[
    v6(0x2001, 0x1, 0, 0, 0, 0, 0, 0x1, 128),  // Port Control Protocol anycast
    v6(0x2001, 0x1, 0, 0, 0, 0, 0, 0x2, 128),  // TURN anycast
    v6(0x2001, 0x1, 0, 0, 0, 0, 0, 0x3, 128),  // DNS-SD service registration anycast
    v6(0x2001, 0x3, 0, 0, 0, 0, 0, 0, 32),     // AMT
    v6(0x2001, 0x4, 0x112, 0, 0, 0, 0, 0, 48), // AS112-v6
    v6(0x2001, 0x20, 0, 0, 0, 0, 0, 0, 28),    // ORCHIDv2
    v6(0x2001, 0x30, 0, 0, 0, 0, 0, 0, 28),    // drone remote ID
];

const INTERNAL_V6: &[Ipv6Net] = &[
    v6(0, 0, 0, 0, 0, 0, 0, 0, 128),          // unspecified; reaches the local host
    v6(0, 0, 0, 0, 0, 0, 0, 1, 128),          // loopback
    v6(0x64, 0xff9b, 0x1, 0, 0, 0, 0, 0, 48), // local-use NAT64
    v6(0x100, 0, 0, 0, 0, 0, 0, 0, 64),       // discard-only
    v6(0x2001, 0, 0, 0, 0, 0, 0, 0, 23),      // IETF protocol assignments (Teredo is judged by its IPv4s)
    v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0, 32),  // documentation
    v6(0x3fff, 0, 0, 0, 0, 0, 0, 0, 20),      // documentation
    v6(0x5f00, 0, 0, 0, 0, 0, 0, 0, 16),      // SRv6 segment identifiers
    v6(0xfc00, 0, 0, 0, 0, 0, 0, 0, 7),       // unique local
    v6(0xfec0, 0, 0, 0, 0, 0, 0, 0, 10),      // site-local (deprecated)
    v6(0xff00, 0, 0, 0, 0, 0, 0, 0, 8),       // multicast
];

/// The only IPv6 space handed out for global unicast; everything outside it
/// (apart from the NAT64 prefix, judged by its IPv4) is special or unassigned.
const GLOBAL_UNICAST_V6: Ipv6Net = v6(0x2000, 0, 0, 0, 0, 0, 0, 0, 3);

const NAT64_V6: Ipv6Net = v6(0x64, 0xff9b, 0, 0, 0, 0, 0, 0, 96);
const NAT64_LOCAL_V6: Ipv6Net = v6(0x64, 0xff9b, 0x1, 0, 0, 0, 0, 0, 48);
const SIX_TO_FOUR_V6: Ipv6Net = v6(0x2002, 0, 0, 0, 0, 0, 0, 0, 16);
const TEREDO_V6: Ipv6Net = v6(0x2001, 0, 0, 0, 0, 0, 0, 0, 32);
const COMPATIBLE_V6: Ipv6Net = v6(0, 0, 0, 0, 0, 0, 0, 0, 96);

/// The addresses an IP is judged by: itself, or the IPv4 addresses that an
/// IPv6 form carries (packets to those forms end up at the IPv4 host, so a
/// mapped or translated loopback is still loopback).
///
/// Every returned address must pass for the IP to pass.
pub(crate) fn judged_addresses(ip: IpAddr) -> Vec<IpAddr> {
    let v6 = match ip {
        IpAddr::V4(_) => return vec![ip],
        IpAddr::V6(v6) => v6,
    };
    let bits = u128::from(v6);
    let low32 = Ipv4Addr::from(bits as u32);
    if let Some(mapped) = v6.to_ipv4_mapped() {
        return vec![mapped.into()];
    }
    if COMPATIBLE_V6.contains(&v6) && bits > 1 {
        // ::a.b.c.d (deprecated "IPv4-compatible"); :: and ::1 are judged as themselves.
        return vec![low32.into()];
    }
    if NAT64_V6.contains(&v6) {
        return vec![low32.into()];
    }
    if NAT64_LOCAL_V6.contains(&v6) {
        // The local-use prefix is internal in itself; translators using it
        // with a /96 carry the IPv4 in the last 32 bits, which is judged too.
        return vec![ip, low32.into()];
    }
    if SIX_TO_FOUR_V6.contains(&v6) {
        return vec![Ipv4Addr::from((bits >> 80) as u32).into()];
    }
    if TEREDO_V6.contains(&v6) {
        let server = Ipv4Addr::from((bits >> 64) as u32);
        let client = Ipv4Addr::from(!(bits as u32));
        return vec![server.into(), client.into()];
    }
    vec![ip]
}

/// The class of one address, without looking inside IPv6 forms (see
/// [`judged_addresses`]).
pub(crate) fn class_of(ip: IpAddr) -> Class {
    match ip {
        IpAddr::V4(ip) => {
            if FORBIDDEN_V4.iter().any(|net| net.contains(&ip)) {
                Class::Forbidden
            } else if GLOBAL_V4.iter().any(|net| net.contains(&ip)) {
                Class::Global
            } else if INTERNAL_V4.iter().any(|net| net.contains(&ip)) {
                Class::Internal
            } else {
                Class::Global
            }
        }
        IpAddr::V6(ip) => {
            if FORBIDDEN_V6.iter().any(|net| net.contains(&ip)) {
                Class::Forbidden
            } else if GLOBAL_V6.iter().any(|net| net.contains(&ip)) {
                Class::Global
            } else if INTERNAL_V6.iter().any(|net| net.contains(&ip)) || !GLOBAL_UNICAST_V6.contains(&ip) {
                Class::Internal
            } else {
                Class::Global
            }
        }
    }
}
