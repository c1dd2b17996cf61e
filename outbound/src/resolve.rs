//! Name resolution that judges every address before anyone can connect to it.
//!
//! Names are resolved once, the addresses are checked, and only the allowed
//! ones are handed to whoever connects; nothing resolves the name a second
//! time, so a DNS answer that changes between check and connect (rebinding)
//! has nothing to exploit.

use std::cell::RefCell;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Host;

use crate::policy::{is_localhost, localhost_addresses, normalize_name, Policy};
use crate::refusal::Refusal;
use crate::target::parse_host;
use crate::Guard;

/// Why [`Guard::resolve`] gave no addresses.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("not a valid host name or IP address")]
    InvalidHost,
    #[error("the host name could not be resolved: {0}")]
    Dns(#[source] io::Error),
    #[error(transparent)]
    Refused(#[from] Refusal),
}

tokio::task_local! {
    /// The host and port of the URL a guarded request is fetching right now.
    ///
    /// reqwest asks a resolver about a name only, never the port, yet entries
    /// such as `10.0.0.5:8080` or `intranet.example:8080` depend on it. The
    /// guarded client sets this around each request and its redirect policy
    /// moves it to each hop; the resolver is called from that same task while
    /// the connection is being set up. Where it is absent, or names another
    /// host, port-specific entries simply do not apply.
    static TARGET: RefCell<Option<(String, u16)>>;
}

/// Runs a request with `host:port` as the current target.
pub(crate) async fn with_target<F: std::future::Future>(host: &str, port: u16, request: F) -> F::Output {
    TARGET.scope(RefCell::new(Some((normalize_name(host), port))), request).await
}

/// Moves the current target to the next redirect hop.
pub(crate) fn retarget(host: &str, port: u16) {
    let _ = TARGET.try_with(|target| *target.borrow_mut() = Some((normalize_name(host), port)));
}

fn target_port(name: &str) -> Option<u16> {
    TARGET
        .try_with(|target| target.borrow().as_ref().filter(|(host, _)| host == name).map(|(_, port)| *port))
        .ok()
        .flatten()
}

/// Resolves a name (no IP literals) to all of its addresses.
async fn lookup(name: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    if is_localhost(name) {
        return Ok(localhost_addresses().into_iter().map(|ip| SocketAddr::new(ip, port)).collect());
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name, port)).await?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(io::ErrorKind::NotFound, "no addresses"));
    }
    Ok(addrs)
}

/// Keeps the allowed addresses; refuses if none is left.
fn allowed(policy: &Policy, name: &str, port: Option<u16>, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, Refusal> {
    let allowed: Vec<SocketAddr> =
        addrs.into_iter().filter(|addr| policy.check_resolved(name, addr.ip(), port).is_ok()).collect();
    if allowed.is_empty() {
        Err(Refusal::new())
    } else {
        Ok(allowed)
    }
}

impl Guard {
    /// Resolves `host` (a name or an IP literal, IPv6 with or without
    /// brackets) and returns the addresses the policy allows on `port`.
    ///
    /// For save-time field errors: a name that does not resolve is a
    /// [`ResolveError::Dns`], one that resolves only to refused addresses is
    /// refused exactly as the literal would be.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, ResolveError> {
        let host = parse_host(host).map_err(|_| ResolveError::InvalidHost)?;
        let policy = self.policy();
        let ip: IpAddr = match host {
            Host::Ipv4(ip) => ip.into(),
            Host::Ipv6(ip) => ip.into(),
            Host::Domain(name) => {
                let name = normalize_name(&name);
                let addrs = lookup(&name, port).await.map_err(ResolveError::Dns)?;
                return Ok(allowed(&policy, &name, Some(port), addrs)?);
            }
        };
        policy.check_ip(ip, port)?;
        Ok(vec![SocketAddr::new(ip, port)])
    }
}

/// The resolver the guarded HTTP client uses for every name.
pub(crate) struct GuardedResolver {
    pub(crate) guard: Guard,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let name = normalize_name(name.as_str());
        // Read now, synchronously: this call is made from the request's task.
        let port = target_port(&name);
        let policy: Arc<Policy> = self.guard.policy();
        Box::pin(async move {
            let addrs = lookup(&name, port.unwrap_or(0)).await?;
            // The refusal itself is the error, so `refusal_of` finds it in reqwest's error chain.
            let addrs = allowed(&policy, &name, port, addrs)?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal_of;

    async fn resolve(guard: &Guard, name: &str) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
        let resolver = GuardedResolver { guard: guard.clone() };
        Ok(resolver.resolve(name.parse().unwrap()).await?.collect())
    }

    fn guard(policy: &str) -> Guard {
        Guard::new(Policy::parse(policy).unwrap())
    }

    #[tokio::test]
    async fn the_refusal_is_the_error_itself() {
        let err = resolve(&guard(""), "localhost").await.unwrap_err();
        assert!(err.is::<Refusal>());
        assert!(refusal_of(&*err).is_some());
        assert!(err.source().is_none());
    }

    #[tokio::test]
    async fn only_allowed_addresses_are_returned() {
        let addrs = resolve(&guard("127.0.0.0/8"), "localhost").await.unwrap();
        assert_eq!(addrs, ["127.0.0.1:0".parse().unwrap()]);
        let addrs = resolve(&guard("127.0.0.0/8\n::1"), "localhost").await.unwrap();
        assert_eq!(addrs.len(), 2);
    }

    /// Whatever the system resolver makes of a name (here `inet_aton`
    /// spellings reach it as names), its answers are judged.
    #[tokio::test]
    async fn system_resolver_answers_are_judged() {
        for name in ["127.0.0.1", "2130706433", "0x7f.1"] {
            let err = resolve(&guard(""), name).await.unwrap_err();
            assert!(err.is::<Refusal>(), "{name}: {err}");
        }
        assert!(resolve(&guard("127.0.0.0/8"), "2130706433").await.is_ok());
    }

    #[tokio::test]
    async fn port_entries_apply_only_with_the_targets_port() {
        let guard = guard("127.0.0.1:8080\nlocalhost:9090");
        assert!(resolve(&guard, "localhost").await.is_err(), "no target: the port is unknown");
        assert!(with_target("localhost", 8080, resolve(&guard, "localhost")).await.is_ok());
        assert!(with_target("localhost", 9090, resolve(&guard, "localhost")).await.is_ok());
        assert!(with_target("localhost", 8081, resolve(&guard, "localhost")).await.is_err());
        // The target names another host: its port says nothing about this one.
        assert!(with_target("example.com", 8080, resolve(&guard, "localhost")).await.is_err());
        let hop = async {
            retarget("LocalHost.", 9090);
            resolve(&guard, "localhost").await
        };
        assert!(with_target("example.com", 80, hop).await.is_ok());
    }
}
