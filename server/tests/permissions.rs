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
    // Teams: the member caller leads team 1 (see the set-up below).
    ("GET", "/teams", &[], [200, 200, 200, 200, 303]),
    ("GET", "/teams/1", &[], [200, 200, 200, 200, 303]),
    ("POST", "/api/teams", &[], [200, 200, 200, 200, 401]),
    ("POST", "/api/teams/one", &[("team_id", "1")], [200, 200, 200, 200, 401]),
    ("POST", "/api/teams/create", &[("name", "")], [422, 403, 403, 403, 401]),
    ("POST", "/api/teams/rename", &[("team_id", "1"), ("name", "")], [422, 403, 403, 403, 401]),
    ("POST", "/api/teams/archive", &[("team_id", "999"), ("archived", "true")], [404, 403, 403, 403, 401]),
    ("POST", "/api/teams/candidates", &[("team_id", "1")], [200, 403, 403, 200, 401]),
    (
        "POST",
        "/api/teams/members/set",
        &[("team_id", "1"), ("user_id", "5"), ("role", "lead")],
        [200, 403, 403, 200, 401],
    ),
    ("POST", "/api/teams/members/remove", &[("team_id", "1"), ("user_id", "999")], [404, 403, 403, 404, 401]),
    // People and settings: administrators only.
    ("GET", "/admin/users", &[], [200, 403, 403, 403, 303]),
    ("GET", "/admin/users/1", &[], [200, 403, 403, 403, 303]),
    ("GET", "/admin/settings", &[], [200, 403, 403, 403, 303]),
    ("POST", "/api/admin/users", &[], [200, 403, 403, 403, 401]),
    ("POST", "/api/admin/users/one", &[("user_id", "1")], [200, 403, 403, 403, 401]),
    (
        "POST",
        "/api/admin/users/create",
        &[("name", ""), ("email", "x@example.com"), ("role", "viewer")],
        [422, 403, 403, 403, 401],
    ),
    ("POST", "/api/admin/users/role", &[("user_id", "999"), ("role", "viewer")], [404, 403, 403, 403, 401]),
    ("POST", "/api/admin/users/enabled", &[("user_id", "999"), ("enabled", "true")], [404, 403, 403, 403, 401]),
    ("POST", "/api/admin/users/end-sessions", &[("user_id", "999")], [404, 403, 403, 403, 401]),
    ("POST", "/api/admin/users/link", &[("user_id", "999")], [404, 403, 403, 403, 401]),
    ("POST", "/api/admin/users/reset-mfa", &[("user_id", "999")], [404, 403, 403, 403, 401]),
    ("POST", "/api/admin/settings", &[], [200, 403, 403, 403, 401]),
    ("POST", "/api/admin/settings/require-admin-mfa", &[("required", "false")], [200, 403, 403, 403, 401]),
    ("POST", "/api/admin/settings/viewer-evidence-downloads", &[("allowed", "false")], [200, 403, 403, 403, 401]),
    // One's own account and second factor.
    ("GET", "/account/mfa", &[], [200, 200, 200, 200, 303]),
    (
        "POST",
        "/api/account/profile",
        &[("name", ""), ("email", "x@example.com"), ("current_password", "")],
        [422, 422, 422, 422, 401],
    ),
    ("POST", "/api/account/mfa", &[], [200, 200, 200, 200, 401]),
    ("POST", "/api/account/mfa/begin", &[("password", PASSWORD)], [200, 200, 200, 200, 401]),
    ("POST", "/api/account/mfa/begin", &[("password", "not mine")], [422, 422, 422, 422, 401]),
    // A malformed call (a field missing) is the caller's mistake.
    ("POST", "/api/account/mfa/begin", &[], [422, 422, 422, 422, 422]),
    ("POST", "/api/account/mfa/confirm", &[("code", "000000")], [422, 422, 422, 422, 401]),
    ("POST", "/api/account/mfa/recovery-codes", &[("password", "not mine")], [422, 422, 422, 422, 401]),
    ("POST", "/api/account/mfa/disable", &[("password", "not mine")], [422, 422, 422, 422, 401]),
    // Sign-in steps and single-use links work without a session.
    ("GET", "/login", &[], [200, 200, 200, 200, 200]),
    ("POST", "/api/auth/needs-setup", &[], [200, 200, 200, 200, 200]),
    // A link page with an unknown token says so, with the link check's 422.
    ("GET", "/invite/forged-token", &[], [422, 422, 422, 422, 422]),
    ("GET", "/reset-password/forged-token", &[], [422, 422, 422, 422, 422]),
    ("GET", "/login/verify", &[], [200, 200, 200, 200, 200]),
    ("GET", "/forgot-password", &[], [200, 200, 200, 200, 200]),
    ("POST", "/api/auth/pending", &[], [200, 200, 200, 200, 200]),
    ("POST", "/api/auth/verify", &[("code", "123456")], [422, 422, 422, 422, 422]),
    ("POST", "/api/links/owner", &[("kind", "invite"), ("token", "forged")], [422, 422, 422, 422, 422]),
    ("POST", "/api/links/owner", &[("kind", "reset"), ("token", "forged")], [422, 422, 422, 422, 422]),
    (
        "POST",
        "/api/links/password",
        &[("kind", "invite"), ("token", "forged"), ("password", "a long enough passphrase")],
        [422, 422, 422, 422, 422],
    ),
    (
        "POST",
        "/api/links/password",
        &[("kind", "reset"), ("token", "forged"), ("password", "a long enough passphrase")],
        [422, 422, 422, 422, 422],
    ),
    ("POST", "/api/links/forgot", &[("email", "nobody@example.com")], [200, 200, 200, 200, 200]),
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
    // Team 1, led by the member caller (user 5: the first admin is 1).
    let team: i64 = server.post_json("/api/teams/create", &[("name", "Matrix team")]).await.json().await.unwrap();
    assert_eq!(team, 1);
    let lead =
        server.post_json("/api/teams/members/set", &[("team_id", "1"), ("user_id", "5"), ("role", "lead")]).await;
    assert_eq!(lead.status(), 200);
    let anonymous = support::cookieless_browser();
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
