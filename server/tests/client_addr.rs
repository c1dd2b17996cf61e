//! The client address behind load balancers (`PREFLIGHT_TRUSTED_PROXIES`)
//! and the sign-in budget per address, through the real router. The test
//! client always connects from 127.0.0.1; forwarding headers stand in for
//! clients elsewhere, and are only believed when 127.0.0.1 is trusted.

mod support;

use app::backend::Backend;
use support::TestServer;

both_backends!(
    forwarding_headers_from_an_untrusted_peer_are_ignored,
    behind_a_trusted_proxy_the_forwarded_client_counts,
    ipv6_clients_share_a_budget_per_64_and_ipv4_clients_have_one_each,
);

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(support::REQUEST_TIMEOUT)
        .build()
        .unwrap()
}

/// A failed sign-in (unknown email, so the per-email lock stays out of the
/// way) carrying `headers`; returns the status.
async fn failed_login(server: &TestServer, email: &str, headers: &[(&str, &str)]) -> u16 {
    let mut request = client()
        .post(server.url("/api/auth/login"))
        .header("origin", &server.base)
        .header("accept", "application/json")
        .form(&[("email", email), ("password", "a long wrong guess")]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("sign-in request").status().as_u16()
}

/// The client addresses the audit log recorded for failed sign-ins, oldest first.
async fn audited_clients(server: &TestServer) -> Vec<String> {
    let clients: Vec<Option<String>> =
        sqlx::query_scalar("SELECT client_ip FROM audit_events WHERE action = 'login.failed' ORDER BY id")
            .fetch_all(server.db.pool())
            .await
            .unwrap();
    clients.into_iter().map(Option::unwrap_or_default).collect()
}

async fn forwarding_headers_from_an_untrusted_peer_are_ignored(backend: Backend) {
    // No trusted proxies (the default): the headers are the client's own words.
    let (server, _db) = TestServer::for_backend_with(backend, &[("PREFLIGHT_LOGIN_IP_ATTEMPTS", "2")]).await;
    assert_eq!(failed_login(&server, "a@example.com", &[("x-forwarded-for", "203.0.113.1")]).await, 422);
    assert_eq!(failed_login(&server, "b@example.com", &[("forwarded", "for=203.0.113.2")]).await, 422);
    // A third "address" is still 127.0.0.1, whose budget is spent.
    let spoofed = [("x-forwarded-for", "203.0.113.3"), ("forwarded", "for=203.0.113.3")];
    assert_eq!(failed_login(&server, "c@example.com", &spoofed).await, 429);
    assert_eq!(audited_clients(&server).await, ["127.0.0.1", "127.0.0.1"]);

    // Trusting some other range does not make 127.0.0.1's headers count.
    let (server, _db) = TestServer::for_backend_with(
        backend,
        &[("PREFLIGHT_LOGIN_IP_ATTEMPTS", "2"), ("PREFLIGHT_TRUSTED_PROXIES", "10.0.0.0/8")],
    )
    .await;
    assert_eq!(failed_login(&server, "d@example.com", &[("x-forwarded-for", "203.0.113.4")]).await, 422);
    assert_eq!(audited_clients(&server).await, ["127.0.0.1"]);
}

async fn behind_a_trusted_proxy_the_forwarded_client_counts(backend: Backend) {
    let (server, _db) = TestServer::for_backend_with(backend, &[("PREFLIGHT_TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    // The client wrote 198.51.100.1 itself; the balancer appended the real address.
    failed_login(&server, "a@example.com", &[("x-forwarded-for", "198.51.100.1, 203.0.113.7")]).await;
    failed_login(&server, "b@example.com", &[("forwarded", "for=\"[2001:db8::1]:4711\";proto=https")]).await;
    // Both headers, naming different clients: one is forged, the peer counts.
    let disagreeing = [("x-forwarded-for", "203.0.113.7"), ("forwarded", "for=198.51.100.1")];
    failed_login(&server, "c@example.com", &disagreeing).await;
    // No header: the trusted peer itself.
    failed_login(&server, "d@example.com", &[]).await;
    assert_eq!(audited_clients(&server).await, ["203.0.113.7", "2001:db8::1", "127.0.0.1", "127.0.0.1"]);
}

async fn ipv6_clients_share_a_budget_per_64_and_ipv4_clients_have_one_each(backend: Backend) {
    let (server, _db) = TestServer::for_backend_with(
        backend,
        &[("PREFLIGHT_TRUSTED_PROXIES", "127.0.0.1/32"), ("PREFLIGHT_LOGIN_IP_ATTEMPTS", "2")],
    )
    .await;
    let from = |addr: &'static str| [("x-forwarded-for", addr)];
    let mut n = 0;
    let mut attempt = |addr: &'static str| {
        n += 1;
        let email = format!("guess{n}@example.com");
        let server = &server;
        async move { failed_login(server, &email, &from(addr)).await }
    };

    // Two addresses of one /64 spend one budget of two attempts.
    assert_eq!(attempt("2001:db8:1:2::1").await, 422);
    assert_eq!(attempt("2001:db8:1:2:aaaa:bbbb:cccc:dddd").await, 422);
    assert_eq!(attempt("2001:db8:1:2::ffff").await, 429, "a third address in the same /64");
    assert_eq!(attempt("2001:db8:1:3::1").await, 422, "the next /64 has its own budget");

    // IPv4 addresses have one budget each; the IPv4-mapped form is the same address.
    assert_eq!(attempt("192.0.2.1").await, 422);
    assert_eq!(attempt("::ffff:192.0.2.1").await, 422);
    assert_eq!(attempt("192.0.2.1").await, 429);
    assert_eq!(attempt("192.0.2.2").await, 422, "the neighbour has its own budget");
}
