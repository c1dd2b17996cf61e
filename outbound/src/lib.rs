//! The outbound guard: the one way Preflight reaches an address a user typed
//! in (uptime probes, alert webhooks).
//!
//! Without it, anyone who can add a probe could make the server fetch its
//! own admin endpoints, the cloud metadata service, or anything else on the
//! internal network, and read the answer back from the probe result (SSRF).
//!
//! The guard:
//! - allows only `http` and `https` URLs, and `host:port` for TCP/TLS probes;
//! - judges the address after DNS resolution, and connects to exactly the
//!   address it judged (no second lookup, so no DNS rebinding);
//! - judges IP-literal hosts too (`url` normalises `http://2130706433/`,
//!   `http://0x7f.1/` and the like to an IPv4 first), and the IPv4 inside
//!   IPv6 forms (mapped, compatible, NAT64, 6to4, Teredo);
//! - checks every redirect hop again;
//! - never uses a proxy;
//! - refuses loopback, private, shared and other non-global addresses unless
//!   the administrator's allow-list covers them, and link-local and metadata
//!   addresses always;
//! - refuses with one fixed message ([`REFUSAL_MESSAGE`]) before any
//!   connection is attempted, so results reveal nothing about refused targets.
//!
//! ```no_run
//! # async fn probe() -> Result<(), Box<dyn std::error::Error>> {
//! use outbound::{Guard, HttpOptions, Policy, RequestError};
//!
//! let guard = Guard::new(Policy::parse("10.1.0.0/16\nintranet.example:8080")?);
//! let client = guard.http_client(&HttpOptions::default())?;
//! match client.get("https://example.com/health".parse()?).await {
//!     Ok(response) => println!("{}", response.status()),
//!     Err(RequestError::Refused(refusal)) => println!("{refusal}"),
//!     Err(RequestError::Http(err)) if err.is_timeout() => println!("timed out"),
//!     Err(RequestError::Http(err)) => println!("failed: {err}"),
//! }
//! // An administrator edits the allow-list: the same client obeys it from the next request.
//! guard.set_policy(Policy::default());
//! # Ok(())
//! # }
//! ```

mod allowlist;
mod http;
mod policy;
mod ranges;
mod refusal;
mod resolve;
mod target;
mod tcp;

use std::sync::{Arc, PoisonError, RwLock};

use url::Url;

pub use allowlist::{AllowListError, Entry, LineError, Problem};
pub use http::{GuardedClient, HttpOptions, RequestError, MAX_REDIRECTS};
pub use policy::Policy;
pub use refusal::{refusal_of, Refusal, REFUSAL_MESSAGE};
pub use resolve::ResolveError;
pub use target::{check_host_port, check_target_url, TargetError};
pub use tcp::ConnectError;

/// Holds the policy in force; cheap to clone, clones share the policy.
#[derive(Clone, Debug, Default)]
pub struct Guard {
    policy: Arc<RwLock<Arc<Policy>>>,
}

impl Guard {
    pub fn new(policy: Policy) -> Guard {
        Guard { policy: Arc::new(RwLock::new(Arc::new(policy))) }
    }

    /// Replaces the policy for every client and connection made from this
    /// guard (or its clones), from the next check on.
    pub fn set_policy(&self, policy: Policy) {
        *self.policy.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(policy);
    }

    pub fn policy(&self) -> Arc<Policy> {
        self.policy.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The checks that need no DNS (scheme, literal host) under the current
    /// policy. [`GuardedClient`] makes them itself.
    pub fn check_url(&self, url: &Url) -> Result<(), Refusal> {
        self.policy().check_url(url)
    }
}
