//! Every redirect hop is judged again, and the number of hops is limited.

mod support;

use std::sync::Arc;

use outbound::{GuardedClient, HttpOptions, RequestError, MAX_REDIRECTS, REFUSAL_MESSAGE};
use support::{options, url, within, Reply, Server};

/// Redirect targets, `{port}` replaced by the counting listener's port.
const TARGETS: &[&str] = &[
    "http://127.0.0.1:{port}/",
    "http://2130706433:{port}/",
    "http://0177.0.0.1:{port}/",
    "http://0x7f000001:{port}/",
    "http://127.1:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::ffff:7f00:1]:{port}/",
    "http://[64:ff9b::7f00:1]:{port}/",
    "http://0.0.0.0:{port}/",
    "http://localhost:{port}/",
    "http://localhost.:{port}/",
    "http://example.com@127.0.0.1:{port}/",
    "http://169.254.169.254/latest/meta-data/",
    "file:///etc/passwd",
    "ftp://127.0.0.1:{port}/",
    "gopher://127.0.0.1:{port}/",
    "ws://127.0.0.1:{port}/",
];

fn guarded(policy: &str, options: &HttpOptions) -> GuardedClient {
    outbound::Guard::new(outbound::Policy::parse(policy).unwrap()).http_client(options).unwrap()
}

#[tokio::test]
async fn redirects_to_refused_targets_are_refused_and_nothing_connects() {
    within(async {
        let listener = Server::counting().await;
        let targets: Arc<Vec<String>> =
            Arc::new(TARGETS.iter().map(|t| t.replace("{port}", &listener.port().to_string())).collect());
        let table = targets.clone();
        let redirector = Server::http(move |path| {
            let index: usize = path.trim_start_matches('/').parse().unwrap();
            Reply::redirect(table[index].clone())
        })
        .await;
        // Exactly the redirector's address and port.
        let client = guarded(&format!("127.0.0.1:{}", redirector.port()), &options());
        for (index, target) in targets.iter().enumerate() {
            let before = listener.accepts();
            let start = url(&format!("http://127.0.0.1:{}/{index}", redirector.port()));
            match client.get(start).await {
                Err(RequestError::Refused(refusal)) => assert_eq!(refusal.to_string(), REFUSAL_MESSAGE),
                other => panic!("redirect to {target}: {other:?}"),
            }
            listener.assert_untouched_since(before, target).await;
        }
    })
    .await;
}

/// `/hop/N` redirects to `/hop/N+1`, up to `/hop/{last}`, which answers 200.
async fn chain(last: usize) -> Server {
    Server::http(move |path| {
        let n: usize = path.trim_start_matches("/hop/").parse().unwrap();
        if n < last {
            Reply::redirect(format!("/hop/{}", n + 1))
        } else {
            Reply::ok(format!("end of chain at {n}"))
        }
    })
    .await
}

#[tokio::test]
async fn a_chain_within_the_hop_limit_is_followed() {
    within(async {
        let server = chain(MAX_REDIRECTS).await;
        let client = guarded(&format!("127.0.0.1:{}", server.port()), &options());
        let response = client.get(url(&format!("http://127.0.0.1:{}/hop/0", server.port()))).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), format!("end of chain at {MAX_REDIRECTS}"));
        assert_eq!(server.accepts(), MAX_REDIRECTS + 1);
    })
    .await;
}

#[tokio::test]
async fn a_chain_beyond_the_hop_limit_fails() {
    within(async {
        let server = chain(MAX_REDIRECTS + 1).await;
        let client = guarded(&format!("127.0.0.1:{}", server.port()), &options());
        match client.get(url(&format!("http://127.0.0.1:{}/hop/0", server.port()))).await {
            Err(RequestError::Http(err)) => assert!(err.is_redirect(), "{err:?}"),
            other => panic!("{other:?}"),
        }
        // The last hop was not requested.
        server.assert_untouched_since(MAX_REDIRECTS + 1, "hop beyond the limit").await;
    })
    .await;
}

#[tokio::test]
async fn without_following_the_redirect_itself_is_returned() {
    within(async {
        let listener = Server::counting().await;
        let target = format!("http://127.0.0.1:{}/", listener.port());
        let location = target.clone();
        let redirector = Server::http(move |_| Reply::redirect(location.clone())).await;
        let client = guarded("127.0.0.0/8", &HttpOptions { follow_redirects: false, ..options() });
        let response = client.get(url(&format!("http://127.0.0.1:{}/", redirector.port()))).await.unwrap();
        assert_eq!(response.status(), 302);
        assert_eq!(response.headers()["location"], target.as_str());
        listener.assert_untouched_since(0, "not followed").await;
    })
    .await;
}

/// A hop to a name: the resolver learns the hop's port, so an `address:port`
/// entry applies to a name that resolves to that address on that port only.
#[tokio::test]
async fn a_hop_to_a_name_is_judged_with_that_hops_port() {
    within(async {
        let listener = Server::counting().await;
        let allowed = format!("http://localhost:{}/", listener.port());
        let redirector = Server::http(move |path| match path {
            "/allowed" => Reply::redirect(allowed.clone()),
            _ => Reply::redirect("http://localhost:1/"),
        })
        .await;
        let client = guarded(&format!("127.0.0.1:{}\n127.0.0.1:{}", redirector.port(), listener.port()), &options());
        let response = client.get(url(&format!("http://127.0.0.1:{}/allowed", redirector.port()))).await.unwrap();
        assert_eq!(response.text().await.unwrap(), "counted");
        assert_eq!(listener.accepts(), 1);
        match client.get(url(&format!("http://127.0.0.1:{}/other", redirector.port()))).await {
            Err(RequestError::Refused(_)) => {}
            other => panic!("{other:?}"),
        }
    })
    .await;
}
