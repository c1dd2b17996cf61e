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

/// (method, path, form body, expected status for each caller, in order).
type Row<const N: usize> = (&'static str, &'static str, &'static [(&'static str, &'static str)], [u16; N]);

/// Callers: [admin, auditor, viewer, member (in no team), anonymous].
/// Rows run in order with one session per caller; logout comes last.
const MATRIX: &[Row<5>] = &[
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
    ("POST", "/api/admin/settings/outbound-allow", &[("allow", "10.20.0.0/16")], [200, 403, 403, 403, 401]),
    ("POST", "/api/admin/settings/outbound-allow", &[("allow", "10.20.0.0/8")], [422, 403, 403, 403, 401]),
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
    // The audit trail: administrators and auditors.
    ("GET", "/audit", &[], [200, 200, 403, 403, 303]),
    ("GET", "/audit?kind=login&from=2026-01-01", &[], [200, 200, 403, 403, 303]),
    ("POST", "/api/audit/page", &[("query", "")], [200, 200, 403, 403, 401]),
    ("GET", "/audit/export?format=jsonl", &[], [200, 200, 403, 403, 303]),
    ("GET", "/audit/export?format=csv&kind=login", &[], [200, 200, 403, 403, 303]),
    ("GET", "/audit/export?format=xml", &[], [422, 422, 403, 403, 303]),
    ("GET", "/audit/export?service=no-such-service", &[], [422, 422, 403, 403, 303]),
    // The organisation scorecard and score history: everyone signed in.
    ("POST", "/api/scorecard", &[("query", "")], [200, 200, 200, 200, 401]),
    ("POST", "/api/scorecard/team", &[("team_id", "999")], [404, 404, 404, 404, 401]),
    ("POST", "/api/history", &[("scope", "org"), ("days", "90")], [200, 200, 200, 200, 401]),
    ("POST", "/api/history", &[("scope", "service:no-such-service"), ("days", "90")], [404, 404, 404, 404, 401]),
    ("GET", "/services/no-such-service/scorecard?format=json", &[], [404, 404, 404, 404, 303]),
    // Status badges answer alike for everyone: 404 unless made public.
    ("GET", "/badge/no-such-service.svg", &[], [404, 404, 404, 404, 404]),
    ("POST", "/api/services/badge", &[("service_id", "999"), ("public", "true")], [404, 404, 404, 404, 401]),
    // Everyone chooses their own notification mail.
    ("POST", "/api/account/mail", &[], [200, 200, 200, 200, 401]),
    ("POST", "/api/account/mail/save", &[("on[0]", "expiry-digest")], [200, 200, 200, 200, 401]),
    ("POST", "/api/auth/logout", &[], [200, 200, 200, 200, 200]),
];

/// Team endpoints, with callers whose powers also come from team roles:
/// [admin, auditor, viewer, member (in no team), member of team 1, lead of
/// team 1, lead of team 2, anonymous]. Users: 1 is the first admin, then
/// 2 admin, 3 auditor, 4 viewer, 5 member, 6 team member, 7 team lead,
/// 8 other lead. Membership changes target user 1 (an admin may be in a
/// team), so no caller's powers change while the rows run.
const TEAM_MATRIX: &[Row<8>] = &[
    ("GET", "/teams", &[], [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/teams/1", &[], [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/teams/999", &[], [404, 404, 404, 404, 404, 404, 404, 303]),
    ("GET", "/teams/not-a-team", &[], [404, 404, 404, 404, 404, 404, 404, 303]),
    ("POST", "/api/teams", &[], [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST", "/api/teams/one", &[("team_id", "1")], [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST", "/api/teams/one", &[("team_id", "999")], [404, 404, 404, 404, 404, 404, 404, 401]),
    // Creating, renaming and archiving: administrators only, leads included.
    ("POST", "/api/teams/create", &[("name", "")], [422, 403, 403, 403, 403, 403, 403, 401]),
    ("POST", "/api/teams/rename", &[("team_id", "1"), ("name", "")], [422, 403, 403, 403, 403, 403, 403, 401]),
    (
        "POST",
        "/api/teams/archive",
        &[("team_id", "999"), ("archived", "true")],
        [404, 403, 403, 403, 403, 403, 403, 401],
    ),
    // Membership: administrators and the team's own leads.
    ("POST", "/api/teams/candidates", &[("team_id", "1")], [200, 403, 403, 403, 403, 200, 403, 401]),
    ("POST", "/api/teams/candidates", &[("team_id", "2")], [200, 403, 403, 403, 403, 403, 200, 401]),
    (
        "POST",
        "/api/teams/members/set",
        &[("team_id", "1"), ("user_id", "1"), ("role", "member")],
        [200, 403, 403, 403, 403, 200, 403, 401],
    ),
    (
        "POST",
        "/api/teams/members/set",
        &[("team_id", "2"), ("user_id", "1"), ("role", "member")],
        [200, 403, 403, 403, 403, 403, 200, 401],
    ),
    // Allowed to manage, but auditors cannot be in a team (a field error).
    (
        "POST",
        "/api/teams/members/set",
        &[("team_id", "1"), ("user_id", "3"), ("role", "lead")],
        [422, 403, 403, 403, 403, 422, 403, 401],
    ),
    (
        "POST",
        "/api/teams/members/set",
        &[("team_id", "999"), ("user_id", "1"), ("role", "member")],
        [404, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/teams/members/remove",
        &[("team_id", "1"), ("user_id", "999")],
        [404, 403, 403, 403, 403, 404, 403, 401],
    ),
    (
        "POST",
        "/api/teams/members/remove",
        &[("team_id", "2"), ("user_id", "999")],
        [404, 403, 403, 403, 403, 403, 404, 401],
    ),
];

/// A valid service form for team `team` (the slug is taken: service 1's).
const TAKEN_SLUG_FORM: &[(&str, &str)] = &[
    ("form[name]", "Another"),
    ("form[slug]", "matrix-one"),
    ("form[team_id]", "1"),
    ("form[tier]", "2"),
    ("form[environment]", "production"),
    ("form[description]", ""),
    ("form[repository_url]", ""),
    ("form[docs_url]", ""),
    ("form[launch_date]", ""),
];

/// A whole service form with no name.
const EMPTY_NAME_FORM: &[(&str, &str)] = &[
    ("form[name]", ""),
    ("form[slug]", "new-one"),
    ("form[team_id]", "1"),
    ("form[tier]", "2"),
    ("form[environment]", "production"),
    ("form[description]", ""),
    ("form[repository_url]", ""),
    ("form[docs_url]", ""),
    ("form[launch_date]", ""),
];

/// The readiness workflow, with the same callers as [`TEAM_MATRIX`].
/// Service 1 (`matrix-one`, team 1) has the web-app checklist (items 1–23);
/// service 2 (`matrix-two`) belongs to team 2.
const SERVICE_MATRIX: &[Row<8>] = &[
    // Campaigns: everyone reads; administrators and leads start them (over
    // their own teams: the other lead's try covers team 1); whoever started
    // one, or an administrator, ends it. Campaign 1 is the admin's, 2 the lead's.
    ("GET", "/campaigns", &[], [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/campaigns/new", &[], [200, 403, 403, 403, 403, 200, 200, 303]),
    ("POST", "/api/campaigns/choices", &[], [200, 403, 403, 403, 403, 200, 200, 401]),
    (
        "POST",
        "/api/campaigns/start",
        &[("name", "Matrix"), ("goal", "level"), ("level", "bronze"), ("team", "1"), ("deadline", "2099-12-31")],
        [200, 403, 403, 403, 403, 200, 422, 401],
    ),
    ("POST", "/api/campaigns", &[], [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST", "/api/campaigns/one", &[("id", "1")], [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST", "/api/campaigns/one", &[("id", "999")], [404, 404, 404, 404, 404, 404, 404, 401]),
    ("GET", "/campaigns/1", &[], [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/campaigns/999", &[], [404, 404, 404, 404, 404, 404, 404, 303]),
    ("POST", "/api/campaigns/end", &[("id", "1")], [200, 403, 403, 403, 403, 403, 403, 401]),
    ("POST", "/api/campaigns/end", &[("id", "2")], [200, 403, 403, 403, 403, 409, 403, 401]),
    ("GET", "/services", &[], [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/services/new", &[], [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/services/matrix-one", &[], [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/services/no-such-service", &[], [404, 404, 404, 404, 404, 404, 404, 303]),
    ("GET", "/services/matrix-one/edit", &[], [200, 403, 403, 403, 403, 200, 403, 303]),
    // Live probes: everyone reads; the owning team (members included) and
    // administrators change them. Probe 999 does not exist.
    ("GET", "/services/matrix-one/probes/new", &[], [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/services/matrix-one/probes/999", &[], [404, 404, 404, 404, 404, 404, 404, 303]),
    ("GET", "/probes", &[], [200, 200, 200, 200, 200, 200, 200, 303]),
    ("POST", "/api/probes/org", &[("status", "down")], [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST", "/api/probes/org", &[("status", "sideways")], [422, 422, 422, 422, 422, 422, 422, 401]),
    ("POST", "/api/probes/list", &[("slug", "matrix-one")], [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST", "/api/probes/list", &[("slug", "nope")], [404, 404, 404, 404, 404, 404, 404, 401]),
    ("GET", "/services/matrix-one/probes.toml", &[], [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/services/nope/probes.toml", &[], [404, 404, 404, 404, 404, 404, 404, 303]),
    ("POST", "/api/probes/import", &[("service_id", "1"), ("text", "")], [422, 403, 403, 403, 422, 422, 403, 401]),
    (
        "POST",
        "/api/probes/one",
        &[("slug", "matrix-one"), ("probe_id", "999")],
        [404, 404, 404, 404, 404, 404, 404, 401],
    ),
    (
        "POST",
        "/api/probes/series",
        &[("slug", "matrix-one"), ("probe_id", "999"), ("window", "7d")],
        [404, 404, 404, 404, 404, 404, 404, 401],
    ),
    (
        "POST",
        "/api/probes/create",
        &[("service_id", "1"), ("form[kind]", "tcp"), ("form[name]", ""), ("form[target]", "db.example.com:5432")],
        [422, 403, 403, 403, 422, 422, 403, 401],
    ),
    (
        "POST",
        "/api/probes/create",
        &[("service_id", "999"), ("form[kind]", "tcp"), ("form[name]", "x"), ("form[target]", "db.example.com:5432")],
        [404, 404, 404, 404, 404, 404, 404, 401],
    ),
    (
        "POST",
        "/api/probes/update",
        &[("service_id", "1"), ("probe_id", "999"), ("version", "1"), ("form[kind]", "tcp"), ("form[name]", "")],
        [422, 403, 403, 403, 422, 422, 403, 401],
    ),
    (
        "POST",
        "/api/probes/pause",
        &[("service_id", "1"), ("probe_id", "999"), ("paused", "true")],
        [404, 403, 403, 403, 404, 404, 403, 401],
    ),
    (
        "POST",
        "/api/probes/delete",
        &[("service_id", "1"), ("probe_id", "999")],
        [404, 403, 403, 403, 404, 404, 403, 401],
    ),
    (
        "POST",
        "/api/probes/check-now",
        &[("service_id", "1"), ("probe_id", "999")],
        [404, 403, 403, 403, 404, 404, 403, 401],
    ),
    (
        "POST",
        "/api/probes/check-now",
        &[("service_id", "2"), ("probe_id", "999")],
        [404, 403, 403, 403, 403, 403, 404, 401],
    ),
    // Alerts: everyone reads; the owning team (members included) and
    // administrators change channels, rules and windows. Id 999 is none.
    ("GET", "/teams/1/alerts", &[], [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/teams/999/alerts", &[], [404, 404, 404, 404, 404, 404, 404, 303]),
    ("GET", "/services/matrix-one/alerts", &[], [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/services/nope/alerts", &[], [404, 404, 404, 404, 404, 404, 404, 303]),
    ("POST", "/api/alerts/team", &[("team_id", "1")], [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST", "/api/alerts/team", &[("team_id", "999")], [404, 404, 404, 404, 404, 404, 404, 401]),
    (
        "POST",
        "/api/alerts/channels/add",
        &[("team_id", "1"), ("form[kind]", "webhook"), ("form[name]", ""), ("form[target]", "https://example.com/")],
        [422, 403, 403, 403, 422, 422, 403, 401],
    ),
    (
        "POST",
        "/api/alerts/channels/add",
        &[("team_id", "999"), ("form[kind]", "webhook"), ("form[name]", ""), ("form[target]", "")],
        [404, 404, 404, 404, 404, 404, 404, 401],
    ),
    (
        "POST",
        "/api/alerts/channels/test",
        &[("team_id", "1"), ("channel_id", "999")],
        [404, 403, 403, 403, 404, 404, 403, 401],
    ),
    (
        "POST",
        "/api/alerts/channels/test",
        &[("team_id", "2"), ("channel_id", "999")],
        [404, 403, 403, 403, 403, 403, 404, 401],
    ),
    (
        "POST",
        "/api/alerts/channels/remove",
        &[("team_id", "1"), ("channel_id", "999")],
        [404, 403, 403, 403, 404, 404, 403, 401],
    ),
    ("POST", "/api/alerts/service", &[("slug", "matrix-one")], [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST", "/api/alerts/service", &[("slug", "nope")], [404, 404, 404, 404, 404, 404, 404, 401]),
    (
        "POST",
        "/api/alerts/rules/add",
        &[("service_id", "1"), ("form[kind]", "down")],
        [422, 403, 403, 403, 422, 422, 403, 401],
    ),
    (
        "POST",
        "/api/alerts/rules/add",
        &[("service_id", "999"), ("form[kind]", "down")],
        [404, 404, 404, 404, 404, 404, 404, 401],
    ),
    (
        "POST",
        "/api/alerts/rules/remove",
        &[("service_id", "1"), ("rule_id", "999")],
        [404, 403, 403, 403, 404, 404, 403, 401],
    ),
    (
        "POST",
        "/api/alerts/maintenance/add",
        &[("service_id", "1"), ("form[kind]", "once")],
        [422, 403, 403, 403, 422, 422, 403, 401],
    ),
    (
        "POST",
        "/api/alerts/maintenance/remove",
        &[("service_id", "2"), ("window_id", "999")],
        [404, 403, 403, 403, 403, 403, 404, 401],
    ),
    ("GET", "/services/matrix-two/edit", &[], [200, 403, 403, 403, 403, 403, 200, 303]),
    ("GET", "/items/1", &[], [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/items/9999", &[], [404, 404, 404, 404, 404, 404, 404, 303]),
    ("POST", "/api/services", &[("query", "tier=2")], [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST", "/api/services/choices", &[], [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST", "/api/services/one", &[("slug", "matrix-one")], [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST", "/api/services/one", &[("slug", "nope")], [404, 404, 404, 404, 404, 404, 404, 401]),
    ("POST", "/api/services/edit-form", &[("slug", "matrix-one")], [200, 403, 403, 403, 403, 200, 403, 401]),
    // Registering: administrators and leads, for their own teams.
    ("POST", "/api/services/create", EMPTY_NAME_FORM, [422, 403, 403, 403, 403, 422, 422, 401]),
    ("POST", "/api/services/create", TAKEN_SLUG_FORM, [422, 403, 403, 403, 403, 422, 403, 401]),
    // Editing on a stale version: allowed callers are told to reload.
    (
        "POST",
        "/api/services/update",
        &[
            ("service_id", "1"),
            ("version", "999"),
            ("form[name]", "One"),
            ("form[slug]", "matrix-one"),
            ("form[team_id]", "1"),
            ("form[tier]", "2"),
            ("form[environment]", "production"),
            ("form[description]", ""),
            ("form[repository_url]", ""),
            ("form[docs_url]", ""),
            ("form[launch_date]", ""),
        ],
        [409, 403, 403, 403, 403, 409, 403, 401],
    ),
    (
        "POST",
        "/api/services/archive",
        &[("service_id", "999"), ("archived", "true")],
        [404, 404, 404, 404, 404, 404, 404, 401],
    ),
    (
        "POST",
        "/api/services/archive",
        &[("service_id", "2"), ("archived", "false")],
        [200, 403, 403, 403, 403, 403, 200, 401],
    ),
    (
        "POST",
        "/api/services/apply-template",
        &[("service_id", "1"), ("template_id", "1")],
        [422, 403, 403, 403, 403, 422, 403, 401],
    ),
    // Items: everyone reads; the owning team works them; the team and
    // auditors discuss them.
    ("POST", "/api/items/one", &[("item_id", "1")], [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST", "/api/items/one", &[("item_id", "9999")], [404, 404, 404, 404, 404, 404, 404, 401]),
    (
        "POST",
        "/api/items/status",
        &[("item_id", "1"), ("version", "999"), ("status", "done"), ("justification", "")],
        [409, 403, 403, 403, 409, 409, 403, 401],
    ),
    ("POST", "/api/items/comment", &[("item_id", "1"), ("body", " ")], [422, 422, 403, 403, 422, 422, 403, 401]),
    // Review: auditors and administrators.
    ("GET", "/reviews", &[], [200, 200, 403, 403, 403, 403, 403, 303]),
    ("POST", "/api/reviews", &[("query", "")], [200, 200, 403, 403, 403, 403, 403, 401]),
    (
        "POST",
        "/api/items/review",
        &[("item_id", "1"), ("version", "999"), ("decision", "approve"), ("comment", "")],
        [409, 409, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/items/review",
        &[("item_id", "9999"), ("version", "1"), ("decision", "approve"), ("comment", "")],
        [404, 404, 403, 403, 403, 403, 403, 401],
    ),
    // Waivers: the team's leads ask, reviewers decide.
    (
        "POST",
        "/api/items/waivers/request",
        &[("item_id", "1"), ("reason", ""), ("compensating_control", ""), ("expires_on", "")],
        [422, 403, 403, 403, 403, 422, 403, 401],
    ),
    (
        "POST",
        "/api/items/waivers/decide",
        &[("waiver_id", "999"), ("grant", "true"), ("comment", "")],
        [404, 404, 403, 403, 403, 403, 403, 401],
    ),
    // Evidence: the team adds and withdraws; downloads follow the viewer setting (off).
    (
        "POST",
        "/api/items/evidence/link",
        &[("item_id", "1"), ("url", "ftp://x"), ("note", "")],
        [422, 403, 403, 403, 422, 422, 403, 401],
    ),
    (
        "POST",
        "/api/items/evidence/document",
        &[("item_id", "1"), ("document_version_id", "x"), ("note", "")],
        [422, 403, 403, 403, 422, 422, 403, 401],
    ),
    ("POST", "/api/items/evidence/withdraw", &[("evidence_id", "999")], [404, 404, 404, 404, 404, 404, 404, 401]),
    ("GET", "/evidence/999/download", &[], [404, 404, 403, 404, 404, 404, 404, 303]),
    ("GET", "/documents/versions/999/download", &[], [404, 404, 403, 404, 404, 404, 404, 303]),
    // Evidence dossiers: whoever reads the service and downloads evidence.
    ("GET", "/services/matrix-one/dossier.zip", &[], [200, 200, 403, 200, 200, 200, 200, 303]),
    ("GET", "/services/no-such-service/dossier.zip", &[], [404, 404, 403, 404, 404, 404, 404, 303]),
    ("GET", "/due-soon", &[], [200, 200, 200, 200, 200, 200, 200, 303]),
    ("POST", "/api/services/due-soon", &[], [200, 200, 200, 200, 200, 200, 200, 401]),
    // Templates: everyone reads and exports; administrators import and edit.
    ("GET", "/templates", &[], [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/templates/1", &[], [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/templates/999", &[], [404, 404, 404, 404, 404, 404, 404, 303]),
    ("GET", "/templates/1/export", &[], [200, 200, 200, 200, 200, 200, 200, 303]),
    ("POST", "/api/templates", &[], [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST", "/api/templates/one", &[("template_id", "1")], [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST", "/api/templates/import", &[("source", "")], [422, 403, 403, 403, 403, 403, 403, 401]),
    // Milestones: everyone reads (milestone 1 is matrix-one's, recorded by
    // the admin); the service's leads and administrators record.
    ("POST", "/api/milestones/list", &[("slug", "matrix-one")], [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST", "/api/milestones/list", &[("slug", "nope")], [404, 404, 404, 404, 404, 404, 404, 401]),
    ("POST", "/api/milestones/one", &[("slug", "matrix-one"), ("id", "1")], [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST", "/api/milestones/one", &[("slug", "matrix-two"), ("id", "1")], [404, 404, 404, 404, 404, 404, 404, 401]),
    ("POST", "/api/milestones/one", &[("slug", "matrix-one"), ("id", "999")], [404, 404, 404, 404, 404, 404, 404, 401]),
    ("GET", "/services/matrix-one/milestones/1", &[], [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/services/matrix-two/milestones/1", &[], [404, 404, 404, 404, 404, 404, 404, 303]),
    ("GET", "/services/matrix-one/milestones/not-a-number", &[], [404, 404, 404, 404, 404, 404, 404, 303]),
    (
        "POST",
        "/api/milestones/record",
        &[("service_id", "1"), ("name", ""), ("note", "")],
        [422, 403, 403, 403, 403, 422, 403, 401],
    ),
    (
        "POST",
        "/api/milestones/record",
        &[("service_id", "2"), ("name", ""), ("note", "")],
        [422, 403, 403, 403, 403, 403, 422, 401],
    ),
    (
        "POST",
        "/api/milestones/record",
        &[("service_id", "1"), ("name", "Matrix review"), ("note", "")],
        [422, 403, 403, 403, 403, 422, 403, 401],
    ),
    (
        "POST",
        "/api/milestones/record",
        &[("service_id", "999"), ("name", "x"), ("note", "")],
        [404, 404, 404, 404, 404, 404, 404, 401],
    ),
    // Upgrading a service's checklist: its leads and administrators.
    ("GET", "/services/matrix-one/upgrade/1", &[], [200, 403, 403, 403, 403, 200, 403, 303]),
    (
        "POST",
        "/api/services/upgrade-preview",
        &[("slug", "matrix-one"), ("template_id", "1")],
        [200, 403, 403, 403, 403, 200, 403, 401],
    ),
    (
        "POST",
        "/api/services/upgrade",
        &[("slug", "matrix-one"), ("template_id", "1"), ("to_version", "1")],
        [422, 403, 403, 403, 403, 422, 403, 401],
    ),
];

/// Sends every row as every caller; returns one line per unexpected status.
async fn run<const N: usize>(server: &TestServer, callers: &[(&str, reqwest::Client)], rows: &[Row<N>]) -> Vec<String> {
    assert_eq!(callers.len(), N);
    let mut mismatches = Vec::new();
    for (method, path, form, expected) in rows {
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
                mismatches.push(format!("{method} {path} {form:?} as {who}: expected {want}, got {got}"));
            }
        }
    }
    mismatches
}

async fn every_role_gets_exactly_what_the_matrix_says(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let mut callers = Vec::new();
    for role in ROLES {
        let email = format!("{role}.matrix@example.com");
        server.seed_user(&email, role, PASSWORD).await;
        callers.push((role, server.client_signed_in_as(&email, PASSWORD).await));
    }
    // Team callers: users 6 (member of team 1), 7 (lead of team 1), 8 (lead of team 2).
    let mut team_callers = Vec::new();
    for who in ["team member", "team lead", "other lead"] {
        let email = format!("{}.matrix@example.com", who.replace(' ', "."));
        server.seed_user(&email, "member", PASSWORD).await;
        team_callers.push((who, server.client_signed_in_as(&email, PASSWORD).await));
    }
    for (name, id) in [("Matrix team", 1), ("Other team", 2)] {
        let team: i64 = server.post_json("/api/teams/create", &[("name", name)]).await.json().await.unwrap();
        assert_eq!(team, id);
    }
    for (team, user, role) in [("1", "6", "member"), ("1", "7", "lead"), ("2", "8", "lead")] {
        let set =
            server.post_json("/api/teams/members/set", &[("team_id", team), ("user_id", user), ("role", role)]).await;
        assert_eq!(set.status(), 200, "user {user} into team {team}");
    }
    let anonymous = support::cookieless_browser();

    let mut all = callers.clone();
    all.extend(team_callers);
    all.push(("anonymous", anonymous.clone()));
    let mut mismatches = run(&server, &all, TEAM_MATRIX).await;
    for (slug, team) in [("matrix-one", "1"), ("matrix-two", "2")] {
        let mut form: Vec<(&str, &str)> = TAKEN_SLUG_FORM.to_vec();
        form[1] = ("form[slug]", slug);
        form[2] = ("form[team_id]", team);
        let created = server.post_json("/api/services/create", &form).await;
        assert!(created.status().is_success(), "create {slug}: {}", created.status());
    }
    let applied = server.post_json("/api/services/apply-template", &[("service_id", "1"), ("template_id", "1")]).await;
    assert_eq!(applied.status(), 200);
    let recorded = server
        .post_json("/api/milestones/record", &[("service_id", "1"), ("name", "Matrix review"), ("note", "")])
        .await;
    assert_eq!(recorded.status(), 200, "record milestone 1");
    mismatches.extend(run(&server, &all, SERVICE_MATRIX).await);

    callers.push(("anonymous", anonymous));
    mismatches.extend(run(&server, &callers, MATRIX).await);
    assert!(mismatches.is_empty(), "permission matrix mismatches:\n{}", mismatches.join("\n"));
}
