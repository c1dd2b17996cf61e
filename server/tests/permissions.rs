//! The permission matrix: every server function and route that changes or
//! reveals something, called by every role and by an anonymous caller, with
//! the status each must get. Later features add rows here.

mod support;

use app::backend::Backend;
use reqwest::Method;
use support::TestServer;

both_backends!(every_role_gets_exactly_what_the_matrix_says);

const PASSWORD: &str = "matrix test passphrase";
const ROLES: [&str; 4] = ["admin", "auditor", "viewer", "member"];

/// (method, path, form body, expected status for [admin, auditor, viewer, member, anonymous]).
type Row = (&'static str, &'static str, &'static [(&'static str, &'static str)], [u16; 5]);

/// Rows run in order with one session per caller; logout comes last.
const MATRIX: &[Row] = &[
    ("GET", "/", &[], [200, 200, 200, 200, 303]),
    ("GET", "/status", &[], [200, 200, 200, 200, 303]),
    ("GET", "/setup", &[], [404, 404, 404, 404, 404]),
    ("GET", "/account", &[], [200, 200, 200, 200, 303]),
    ("GET", "/account/sessions", &[], [200, 200, 200, 200, 303]),
    (
        "POST",
        "/api/account/password",
        &[("current_password", "not the current one"), ("new_password", "a brand new passphrase")],
        [422, 422, 422, 422, 401],
    ),
    ("POST", "/api/account/sessions", &[], [200, 200, 200, 200, 401]),
    ("POST", "/api/account/sessions/end", &[("id", "not-a-session-of-yours")], [404, 404, 404, 404, 401]),
    ("POST", "/api/account/sessions/end-others", &[], [200, 200, 200, 200, 401]),
    ("POST", "/api/system/status", &[], [200, 200, 200, 200, 401]),
    ("POST", "/api/auth/me", &[], [200, 200, 200, 200, 200]),
    (
        "POST",
        "/api/auth/setup",
        &[("name", "Mallory"), ("email", "mallory@example.com"), ("password", "a long enough passphrase")],
        [404, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/api/auth/login",
        &[("email", "nobody@example.com"), ("password", "wrong but long")],
        [422, 422, 422, 422, 422],
    ),
    ("POST", "/api/auth/logout", &[], [200, 200, 200, 200, 200]),
];

async fn every_role_gets_exactly_what_the_matrix_says(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let mut callers = Vec::new();
    for role in ROLES {
        let email = format!("{role}.matrix@example.com");
        server.seed_user(&email, role, PASSWORD).await;
        callers.push((role, server.client_signed_in_as(&email, PASSWORD).await));
    }
    let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    callers.push(("anonymous", anonymous));

    let mut mismatches = Vec::new();
    for (method, path, form, expected) in MATRIX {
        for ((who, client), want) in callers.iter().zip(expected) {
            let mut request = client
                .request(Method::from_bytes(method.as_bytes()).unwrap(), server.url(path))
                .header("origin", &server.base)
                .header("accept", "application/json");
            if *method == "POST" {
                request = request.form(form);
            }
            let got = request.send().await.unwrap().status().as_u16();
            if got != *want {
                mismatches.push(format!("{method} {path} as {who}: expected {want}, got {got}"));
            }
        }
    }
    assert!(mismatches.is_empty(), "permission matrix mismatches:\n{}", mismatches.join("\n"));
}
