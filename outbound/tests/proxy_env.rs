//! Proxy environment variables are ignored: a proxy would resolve names out
//! of the guard's sight. Environment variables are process-wide, so this
//! file holds a single test and runs in a process of its own.

mod support;

use support::{client, url, within, Server};

#[tokio::test]
async fn proxy_variables_are_ignored() {
    within(async {
        let proxy = Server::http(|_| support::Reply::ok("via the proxy")).await;
        let target = Server::http(|_| support::Reply::ok("direct")).await;
        let proxy_url = format!("http://127.0.0.1:{}", proxy.port());
        for name in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
            std::env::set_var(name, &proxy_url);
        }
        for name in ["NO_PROXY", "no_proxy"] {
            std::env::remove_var(name);
        }

        let (_guard, client) = client(&format!("127.0.0.1:{}", target.port()));
        for raw in [format!("http://127.0.0.1:{}/", target.port()), format!("http://localhost:{}/", target.port())] {
            let response = client.get(url(&raw)).await.unwrap_or_else(|e| panic!("{raw}: {e:?}"));
            assert_eq!(response.text().await.unwrap(), "direct", "{raw}");
        }
        proxy.assert_untouched_since(0, "guarded client").await;

        // The variables do work on a client that honours them, so the guard is what ignored them.
        let plain = reqwest::Client::new();
        let body =
            plain.get(format!("http://127.0.0.1:{}/", target.port())).send().await.unwrap().text().await.unwrap();
        assert_eq!(body, "via the proxy");
    })
    .await;
}
