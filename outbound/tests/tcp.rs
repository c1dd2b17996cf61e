//! `Guard::connect_tcp` and `Guard::resolve`: refused, allowed, closed port.

mod support;

use std::time::Duration;

use outbound::{ConnectError, Guard, Policy, ResolveError, REFUSAL_MESSAGE};
use support::{closed_port, within, Server};

const TIMEOUT: Duration = Duration::from_secs(5);

fn guard(policy: &str) -> Guard {
    Guard::new(Policy::parse(policy).unwrap())
}

#[tokio::test]
async fn refused_targets_are_never_connected() {
    within(async {
        let listener = Server::counting().await;
        let guard = guard("");
        for host in
            ["127.0.0.1", "2130706433", "127.1", "::ffff:127.0.0.1", "[::ffff:127.0.0.1]", "localhost", "0.0.0.0"]
        {
            let before = listener.accepts();
            match guard.connect_tcp(host, listener.port(), TIMEOUT).await {
                Err(err @ ConnectError::Refused(_)) => assert_eq!(err.to_string(), REFUSAL_MESSAGE),
                other => panic!("{host}: {other:?}"),
            }
            listener.assert_untouched_since(before, host).await;
        }
        let guard = self::guard("169.254.0.0/16");
        assert!(matches!(guard.connect_tcp("169.254.169.254", 80, TIMEOUT).await, Err(ConnectError::Refused(_))));
    })
    .await;
}

#[tokio::test]
async fn the_refusal_does_not_depend_on_the_port_state() {
    within(async {
        let open = Server::counting().await;
        let closed = closed_port().await;
        let guard = guard("");
        let mut messages = Vec::new();
        for (host, port) in
            [("127.0.0.1", open.port()), ("127.0.0.1", closed), ("localhost", open.port()), ("localhost", closed)]
        {
            messages.push(guard.connect_tcp(host, port, TIMEOUT).await.unwrap_err().to_string());
        }
        assert!(messages.iter().all(|m| m == REFUSAL_MESSAGE), "{messages:?}");
    })
    .await;
}

#[tokio::test]
async fn allowed_targets_connect_to_the_checked_address() {
    within(async {
        let listener = Server::counting().await;
        let guard = guard(&format!("127.0.0.1:{}", listener.port()));
        for host in ["127.0.0.1", "localhost", "LOCALHOST."] {
            let (stream, addr) = guard.connect_tcp(host, listener.port(), TIMEOUT).await.unwrap();
            assert_eq!(addr, listener.addr, "{host}");
            assert_eq!(stream.peer_addr().unwrap(), listener.addr, "{host}");
        }
        // The entry names one port.
        assert!(matches!(
            guard.connect_tcp("127.0.0.1", closed_port().await, TIMEOUT).await,
            Err(ConnectError::Refused(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn a_closed_port_is_a_connect_failure() {
    within(async {
        let guard = guard("127.0.0.0/8");
        match guard.connect_tcp("127.0.0.1", closed_port().await, TIMEOUT).await {
            Err(ConnectError::Connect(err)) => assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused),
            other => panic!("{other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn bad_hosts_and_unknown_names_are_told_apart_from_refusals() {
    within(async {
        let guard = guard("");
        assert!(matches!(guard.connect_tcp("exa mple.com", 80, TIMEOUT).await, Err(ConnectError::InvalidHost)));
        assert!(matches!(guard.connect_tcp("", 80, TIMEOUT).await, Err(ConnectError::InvalidHost)));
        assert!(matches!(guard.connect_tcp("does-not-exist.invalid", 80, TIMEOUT).await, Err(ConnectError::Dns(_))));
    })
    .await;
}

#[tokio::test]
async fn resolve_checks_every_address() {
    within(async {
        let guard = guard("127.0.0.1:8080");
        assert_eq!(guard.resolve("localhost", 8080).await.unwrap(), ["127.0.0.1:8080".parse().unwrap()]);
        assert!(matches!(guard.resolve("localhost", 8081).await, Err(ResolveError::Refused(_))));
        assert!(matches!(guard.resolve("::1", 8080).await, Err(ResolveError::Refused(_))));
        assert_eq!(guard.resolve("127.0.0.1", 8080).await.unwrap(), ["127.0.0.1:8080".parse().unwrap()]);
        assert!(matches!(guard.resolve("does-not-exist.invalid", 80).await, Err(ResolveError::Dns(_))));
        assert!(matches!(guard.resolve("[::1", 80).await, Err(ResolveError::InvalidHost)));
    })
    .await;
}
