//! Targets the default policy refuses: nothing reaches the listener, and the
//! refusal reads the same whatever the target.

mod support;

use outbound::{RequestError, REFUSAL_MESSAGE};
use support::{client, closed_port, url, within, Server};

/// Spellings of a loopback (or otherwise refused) target, `{port}` replaced
/// by the counting listener's port.
const CORPUS: &[&str] = &[
    "http://127.0.0.1:{port}/",
    "http://2130706433:{port}/",
    "http://0177.0.0.1:{port}/",
    "http://0x7f000001:{port}/",
    "http://0x7f.1:{port}/",
    "http://127.1:{port}/",
    "http://127.0.0.1.:{port}/",
    "https://127.0.0.1:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::ffff:7f00:1]:{port}/",
    "http://[::127.0.0.1]:{port}/",
    "http://[64:ff9b::7f00:1]:{port}/",
    "http://[2002:7f00:1::1]:{port}/",
    "http://0.0.0.0:{port}/",
    "http://0:{port}/",
    "http://[::]:{port}/",
    "http://localhost:{port}/",
    "http://localhost.:{port}/",
    "http://LocalHost:{port}/",
    "http://probe.localhost:{port}/",
    "http://example.com@127.0.0.1:{port}/",
    "http://does-not-exist.invalid@127.0.0.1:{port}/",
    "file:///etc/passwd",
    "ftp://127.0.0.1:{port}/",
    "gopher://127.0.0.1:{port}/",
    "ws://127.0.0.1:{port}/",
    "wss://example.com/",
    "data:text/plain,hello",
];

async fn assert_refused(client: &outbound::GuardedClient, raw: &str) {
    match client.get(url(raw)).await {
        Err(RequestError::Refused(refusal)) => assert_eq!(refusal.to_string(), REFUSAL_MESSAGE, "{raw}"),
        Err(RequestError::Http(err)) => panic!("{raw}: not refused by the guard: {err:?}"),
        Ok(response) => panic!("{raw}: allowed: {}", response.status()),
    }
}

#[tokio::test]
async fn every_spelling_of_loopback_is_refused_and_nothing_connects() {
    within(async {
        let listener = Server::counting().await;
        let (_guard, client) = client("");
        for template in CORPUS {
            let raw = template.replace("{port}", &listener.port().to_string());
            let before = listener.accepts();
            assert_refused(&client, &raw).await;
            listener.assert_untouched_since(before, &raw).await;
        }
    })
    .await;
}

#[tokio::test]
async fn ipv6_loopback_is_refused_and_nothing_connects() {
    within(async {
        let Some(listener) = Server::counting_v6().await else {
            eprintln!("skipped: no IPv6 loopback on this machine");
            return;
        };
        let (_guard, client) = client("");
        for raw in
            [format!("http://[::1]:{}/", listener.port()), format!("http://[0:0:0:0:0:0:0:1]:{}/", listener.port())]
        {
            let before = listener.accepts();
            assert_refused(&client, &raw).await;
            listener.assert_untouched_since(before, &raw).await;
        }
    })
    .await;
}

#[tokio::test]
async fn metadata_addresses_are_refused_even_when_allowed() {
    within(async {
        let (_guard, client) = client("169.254.0.0/16\n169.254.169.254:80\nfe80::/10\nfd00:ec2::254\n100.100.100.200");
        for raw in [
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:169.254.169.254]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[fd00:ec2::254]/",
            "http://[fe80::1]/",
            "http://100.100.100.200/",
            "http://2852039166/", // 169.254.169.254 in decimal
        ] {
            assert_refused(&client, raw).await;
        }
    })
    .await;
}

#[tokio::test]
async fn the_refusal_does_not_depend_on_the_port_state() {
    within(async {
        let open = Server::counting().await;
        let closed = closed_port().await;
        let (_guard, client) = client("");
        let mut messages = Vec::new();
        for raw in [
            format!("http://127.0.0.1:{}/", open.port()),
            format!("http://127.0.0.1:{closed}/"),
            format!("http://localhost:{}/", open.port()),
            format!("http://localhost:{closed}/"),
            format!("http://does-not-exist.invalid@127.0.0.1:{closed}/"),
        ] {
            match client.get(url(&raw)).await {
                Err(err @ RequestError::Refused(_)) => messages.push(err.to_string()),
                other => panic!("{raw}: {other:?}"),
            }
        }
        assert!(messages.iter().all(|m| m.as_bytes() == REFUSAL_MESSAGE.as_bytes()), "{messages:?}");
    })
    .await;
}

/// A name that does not resolve is a DNS failure, not a refusal: DNS is
/// public, and the guard never reached a judgement about an address.
#[tokio::test]
async fn an_unresolvable_name_is_a_dns_failure() {
    within(async {
        let (_guard, client) = client("");
        match client.get(url("http://does-not-exist.invalid/")).await {
            Err(RequestError::Http(err)) => assert!(err.is_connect(), "{err:?}"),
            other => panic!("{other:?}"),
        }
    })
    .await;
}

/// A name other than `localhost` that this machine's hosts file maps to
/// loopback, so that the system resolver (not the guard's own `localhost`
/// rule) is what answers. Container images usually map their host name.
fn loopback_alias() -> Option<String> {
    let hosts = std::fs::read_to_string("/etc/hosts").ok()?;
    hosts.lines().find_map(|line| {
        let mut fields = line.split('#').next()?.split_whitespace();
        let ip: std::net::IpAddr = fields.next()?.parse().ok()?;
        if !ip.is_loopback() {
            return None;
        }
        fields.find(|name| !name.contains("localhost") && !name.starts_with("ip6-")).map(str::to_owned)
    })
}

#[tokio::test]
async fn a_name_the_system_resolves_to_loopback_is_refused_like_the_literal() {
    within(async {
        let Some(alias) = loopback_alias() else {
            eprintln!("skipped: no loopback alias in /etc/hosts");
            return;
        };
        let listener = Server::counting_keep_alive().await;
        let raw = format!("http://{alias}:{}/", listener.port());
        let (guard, client) = client("");
        // The guard cannot tell before resolving: the name passes the URL check.
        assert!(guard.check_url(&url(&raw)).is_ok());
        assert_refused(&client, &raw).await;
        listener.assert_untouched_since(0, &raw).await;

        guard.set_policy(outbound::Policy::parse("127.0.0.0/8\n::1").unwrap());
        let response = client.get(url(&raw)).await.unwrap_or_else(|e| panic!("{raw}: {e:?}"));
        assert_eq!(response.text().await.unwrap(), "counted");

        // Back to the default: no pooled connection carries the name past the new policy.
        guard.set_policy(outbound::Policy::default());
        assert_refused(&client, &raw).await;
        listener.assert_untouched_since(2, &raw).await;
    })
    .await;
}
