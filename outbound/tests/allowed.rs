//! What an allow-list lets through, and that a policy change applies to the
//! next request of a client already built.

mod support;

use outbound::{Policy, RequestError};
use support::{client, url, within, Server};

#[tokio::test]
async fn the_sentinel_notices_a_connection() {
    within(async {
        let listener = Server::counting().await;
        let _ = tokio::net::TcpStream::connect(listener.addr).await.unwrap();
        assert_eq!(listener.sentinel().await, 2);
    })
    .await;
}

#[tokio::test]
async fn a_range_lets_requests_through() {
    within(async {
        let server = Server::counting().await;
        let (_guard, client) = client("127.0.0.0/8");
        for raw in [
            format!("http://127.0.0.1:{}/", server.port()),
            format!("http://2130706433:{}/", server.port()),
            format!("http://[::ffff:127.0.0.1]:{}/", server.port()),
            format!("http://localhost:{}/", server.port()),
        ] {
            let before = server.accepts();
            let response = client.get(url(&raw)).await.unwrap_or_else(|e| panic!("{raw}: {e:?}"));
            assert_eq!(response.text().await.unwrap(), "counted", "{raw}");
            assert_eq!(server.accepts(), before + 1, "{raw}");
        }
    })
    .await;
}

#[tokio::test]
async fn an_address_and_port_entry_allows_that_port_only() {
    within(async {
        let allowed = Server::counting().await;
        let other = Server::counting().await;
        let (_guard, client) = client(&format!("127.0.0.1:{}", allowed.port()));

        let response = client.get(url(&format!("http://127.0.0.1:{}/", allowed.port()))).await.unwrap();
        assert_eq!(response.status(), 200);
        // A name resolving to the address, on the same port: the resolver knows the port.
        let response = client.get(url(&format!("http://localhost:{}/", allowed.port()))).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(allowed.accepts(), 2);

        for raw in [format!("http://127.0.0.1:{}/", other.port()), format!("http://localhost:{}/", other.port())] {
            match client.get(url(&raw)).await {
                Err(RequestError::Refused(_)) => {}
                result => panic!("{raw}: {result:?}"),
            }
        }
        other.assert_untouched_since(0, "another port").await;
    })
    .await;
}

#[tokio::test]
async fn a_host_and_port_entry_allows_that_name_on_that_port_only() {
    within(async {
        let allowed = Server::counting().await;
        let other = Server::counting().await;
        let (_guard, client) = client(&format!("localhost:{}", allowed.port()));
        let response = client.get(url(&format!("http://localhost:{}/", allowed.port()))).await.unwrap();
        assert_eq!(response.status(), 200);
        for raw in [format!("http://localhost:{}/", other.port()), format!("http://127.0.0.1:{}/", allowed.port())] {
            assert!(matches!(client.get(url(&raw)).await, Err(RequestError::Refused(_))), "{raw}");
        }
        other.assert_untouched_since(0, "another port").await;
        allowed.assert_untouched_since(1, "the literal").await;
    })
    .await;
}

#[tokio::test]
async fn a_policy_change_applies_to_the_next_request_on_the_same_client() {
    within(async {
        let server = Server::counting().await;
        let (guard, client) = client("");
        let literal = url(&format!("http://127.0.0.1:{}/", server.port()));
        let name = url(&format!("http://localhost:{}/", server.port()));

        assert!(matches!(client.get(literal.clone()).await, Err(RequestError::Refused(_))));
        server.assert_untouched_since(0, "before the change").await;

        guard.set_policy(Policy::parse("127.0.0.0/8").unwrap());
        assert_eq!(client.get(literal.clone()).await.unwrap().status(), 200);
        assert_eq!(client.get(name.clone()).await.unwrap().status(), 200);
        assert_eq!(server.accepts(), 3);

        guard.set_policy(Policy::default());
        assert!(matches!(client.get(literal).await, Err(RequestError::Refused(_))));
        assert!(matches!(client.get(name).await, Err(RequestError::Refused(_))));
        server.assert_untouched_since(3, "after the change back").await;
    })
    .await;
}

#[tokio::test]
async fn requests_carry_method_headers_and_body() {
    within(async {
        let server = Server::http(|path| support::Reply::ok(format!("path {path}"))).await;
        let (_guard, client) = client("127.0.0.1");
        let mut request =
            reqwest::Request::new(reqwest::Method::POST, url(&format!("http://127.0.0.1:{}/hook", server.port())));
        request.headers_mut().insert("content-type", "application/json".parse().unwrap());
        *request.body_mut() = Some("{}".into());
        let response = client.execute(request).await.unwrap();
        assert_eq!(response.text().await.unwrap(), "path /hook");
    })
    .await;
}

/// TLS is compiled in (rustls): an https request is attempted, and a server
/// that does not speak TLS makes it fail as a connection error, not a refusal.
#[tokio::test]
async fn https_is_spoken() {
    within(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let (mut stream, _) = listener.accept().await.unwrap();
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").await;
        });
        let guard = outbound::Guard::new(Policy::parse("127.0.0.1").unwrap());
        let client = guard.http_client(&outbound::HttpOptions { tls_info: true, ..support::options() }).unwrap();
        match client.get(url(&format!("https://127.0.0.1:{port}/"))).await {
            Err(RequestError::Http(err)) => assert!(err.is_connect(), "{err:?}"),
            other => panic!("{other:?}"),
        }
    })
    .await;
}
