//! The guarded HTTP client for HTTP probes and webhooks.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::redirect;
use url::Url;

use crate::refusal::{refusal_of, Refusal};
use crate::resolve::{retarget, with_target, GuardedResolver};
use crate::Guard;

/// Redirect hops followed before giving up.
pub const MAX_REDIRECTS: usize = 10;

/// How a guarded HTTP client behaves.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Follow up to [`MAX_REDIRECTS`] redirects (each hop checked again), or
    /// return the redirect response itself.
    pub follow_redirects: bool,
    /// The whole request, from connecting to the end of the body.
    pub timeout: Duration,
    /// Resolving and connecting.
    pub connect_timeout: Duration,
    pub user_agent: String,
    /// Put a `reqwest::tls::TlsInfo` (the peer certificate) in each HTTPS
    /// response's extensions.
    pub tls_info: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            follow_redirects: true,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            user_agent: concat!("Preflight/", env!("CARGO_PKG_VERSION")).to_owned(),
            tls_info: false,
        }
    }
}

/// Why a guarded request failed: the guard refused it, or HTTP did (DNS,
/// connect, TLS, timeout, too many redirects: see `reqwest::Error`'s `is_*`).
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Http(reqwest::Error),
}

impl From<reqwest::Error> for RequestError {
    fn from(err: reqwest::Error) -> Self {
        match refusal_of(&err) {
            Some(refusal) => RequestError::Refused(*refusal),
            None => RequestError::Http(err),
        }
    }
}

#[derive(Debug)]
struct TooManyRedirects;

impl fmt::Display for TooManyRedirects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "more than {MAX_REDIRECTS} redirects")
    }
}

impl std::error::Error for TooManyRedirects {}

/// An HTTP client whose every request and redirect hop goes through the guard.
///
/// The reqwest client inside is not handed out: its `send` would skip the
/// check of IP-literal hosts, which never reach a resolver.
#[derive(Clone, Debug)]
pub struct GuardedClient {
    guard: Guard,
    client: reqwest::Client,
    follow_redirects: bool,
}

impl GuardedClient {
    /// Sends a request if the guard allows its URL. Build it with
    /// `reqwest::Request::new(method, url)` and its `headers_mut()`,
    /// `body_mut()` and `timeout_mut()`.
    pub async fn execute(&self, request: reqwest::Request) -> Result<reqwest::Response, RequestError> {
        let url = request.url();
        self.guard.check_url(url)?;
        let (host, port) = host_and_port(url);
        let client = self.client.clone();
        let response = with_target(&host, port, async move { client.execute(request).await }).await?;
        if self.follow_redirects {
            self.check_unfollowed_redirect(&response)?;
        }
        Ok(response)
    }

    /// A redirect the client did not follow although it follows redirects
    /// pointed somewhere it could not even express as a request
    /// (`file:///etc/passwd` has no host). Nothing was fetched, but the
    /// answer should read as the refusal it is, not as a plain 302.
    fn check_unfollowed_redirect(&self, response: &reqwest::Response) -> Result<(), Refusal> {
        if !matches!(response.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
            return Ok(());
        }
        let location = response.headers().get(reqwest::header::LOCATION).and_then(|value| value.to_str().ok());
        match location.and_then(|location| response.url().join(location).ok()) {
            Some(next) => self.guard.check_url(&next),
            None => Ok(()),
        }
    }

    /// `GET url`.
    pub async fn get(&self, url: Url) -> Result<reqwest::Response, RequestError> {
        self.execute(reqwest::Request::new(reqwest::Method::GET, url)).await
    }
}

/// `check_url` has made sure both exist.
fn host_and_port(url: &Url) -> (String, u16) {
    (url.host_str().unwrap_or_default().to_owned(), url.port_or_known_default().unwrap_or_default())
}

fn redirect_policy(guard: Guard, follow: bool) -> redirect::Policy {
    if !follow {
        return redirect::Policy::none();
    }
    redirect::Policy::custom(move |attempt| {
        // `previous` starts with the original URL, so this allows MAX_REDIRECTS hops.
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(TooManyRedirects);
        }
        match guard.check_url(attempt.url()) {
            Err(refusal) => attempt.error(refusal),
            Ok(()) => {
                let (host, port) = host_and_port(attempt.url());
                retarget(&host, port);
                attempt.follow()
            }
        }
    })
}

impl Guard {
    /// Builds an HTTP client that only reaches what the policy allows, the
    /// policy in force at the time of each request and hop.
    ///
    /// Proxies are never used, not even from `HTTP_PROXY` and friends: a
    /// proxy resolves names itself, out of the guard's sight. Connections are
    /// not pooled, so a policy change applies to the very next request.
    pub fn http_client(&self, options: &HttpOptions) -> Result<GuardedClient, reqwest::Error> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver { guard: self.clone() }))
            .redirect(redirect_policy(self.clone(), options.follow_redirects))
            .referer(false)
            .pool_max_idle_per_host(0)
            .use_rustls_tls()
            .tls_built_in_root_certs(true)
            .tls_info(options.tls_info)
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .user_agent(options.user_agent.as_str())
            .build()?;
        Ok(GuardedClient { guard: self.clone(), client, follow_redirects: options.follow_redirects })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Policy;

    /// The resolver's refusal survives reqwest's wrapping, for `refusal_of`
    /// and for `RequestError`. (`GuardedClient` checks `localhost` before
    /// the resolver would see it, so the inner client is called directly.)
    #[tokio::test]
    async fn a_refusal_from_the_resolver_is_found_in_reqwests_error() {
        let guard = Guard::new(Policy::default());
        let client = guard.http_client(&HttpOptions::default()).unwrap();
        let err = client.client.get("http://localhost:9/").send().await.unwrap_err();
        assert!(err.is_connect(), "{err:?}");
        assert!(refusal_of(&err).is_some(), "{err:?}");
        assert!(matches!(RequestError::from(err), RequestError::Refused(_)));
    }
}
