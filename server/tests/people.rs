//! Administering people and teams on both databases: invitations, roles,
//! disabling, sessions, sign-in links, team membership.

mod support;

use std::time::Duration;

use app::backend::Backend;
use support::{
    audit_actions, browser, invalid_field, session_set_cookie, session_token, TestServer, ADMIN_EMAIL, ADMIN_PASSWORD,
};

both_backends!(
    an_invited_person_joins_with_their_teams_through_a_single_use_link,
    invitations_expire,
    bad_new_people_are_refused_field_by_field_and_nothing_is_stored,
    role_changes_take_effect_at_once_and_rotate_the_session,
    disabling_signs_out_at_once_and_enabling_lets_back_in,
    admins_end_all_sessions_and_hand_out_reset_links,
    admins_cannot_lock_themselves_out,
    two_admins_removing_each_other_at_once_leave_one,
    team_roles_are_only_for_members_and_administrators,
    teams_are_created_renamed_archived_and_led,
    access_settings_are_stored_and_audited,
    a_role_this_version_does_not_know_is_an_error_not_a_viewer,
);

const PASSWORD: &str = "a sturdy passphrase here";

/// Creates a person as the signed-in admin; returns the JSON answer.
async fn create(server: &TestServer, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let response = server.post_json("/api/admin/users/create", form).await;
    (response.status().as_u16(), response.json().await.unwrap())
}

/// The token at the end of an issued link.
fn token_of(link: &serde_json::Value) -> String {
    link["url"].as_str().unwrap().rsplit('/').next().unwrap().to_string()
}

async fn user_id(server: &TestServer, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email).fetch_one(server.db.pool()).await.unwrap()
}

async fn create_team(server: &TestServer, name: &str) -> i64 {
    let response = server.post_json("/api/teams/create", &[("name", name)]).await;
    assert_eq!(response.status(), 200, "create team {name}");
    response.json().await.unwrap()
}

/// Invites `email` with `role` and accepts the invitation in a new browser,
/// which is returned signed in.
async fn invite_and_join(server: &TestServer, email: &str, role: &str) -> (i64, reqwest::Client) {
    let (status, link) = create(server, &[("name", "Grace Hopper"), ("email", email), ("role", role)]).await;
    assert_eq!(status, 200, "{link}");
    let person = browser();
    let accepted = server
        .post_with(
            &person,
            "/api/links/password",
            &[("kind", "invite"), ("token", &token_of(&link)), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(accepted.status(), 200, "{}", accepted.text().await.unwrap());
    (user_id(server, email).await, person)
}

async fn an_invited_person_joins_with_their_teams_through_a_single_use_link(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let platform = create_team(&server, "Platform").await;
    let payments = create_team(&server, "Payments").await;

    let (status, link) = create(
        &server,
        &[
            ("name", "Grace Hopper"),
            ("email", "Grace@Example.com"),
            ("role", "member"),
            ("teams[0]", &format!("{platform}:lead")),
            ("teams[1]", ""),
            ("teams[2]", &format!("{payments}:member")),
        ],
    )
    .await;
    assert_eq!(status, 200, "{link}");
    assert_eq!(link["kind"], "invitation");
    assert_eq!(link["mailed"], false, "no SMTP configured");
    let token = token_of(&link);
    assert_eq!(token.len(), 64);
    let grace = user_id(&server, "grace@example.com").await;
    let teams: Vec<(i64, String)> =
        sqlx::query_as("SELECT team_id, role FROM team_members WHERE user_id = $1 ORDER BY team_id")
            .bind(grace)
            .fetch_all(server.db.pool())
            .await
            .unwrap();
    assert_eq!(teams, [(platform, "lead".to_string()), (payments, "member".to_string())]);
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM user_tokens WHERE user_id = $1")
        .bind(grace)
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    assert_ne!(stored, token, "only the digest is stored");

    // Before accepting, the person cannot sign in with any password.
    let person = browser();
    let early = server.post_with(&person, "/api/auth/login", &[("email", "grace@example.com"), ("password", "")]).await;
    assert_eq!(early.status(), 422);

    // The page shows whose link it is; a weak password is refused and the link survives.
    let owner = server.post_with(&person, "/api/links/owner", &[("kind", "invite"), ("token", &token)]).await;
    assert_eq!(owner.json::<serde_json::Value>().await.unwrap()["email"], "grace@example.com");
    let weak = server
        .post_with(&person, "/api/links/password", &[("kind", "invite"), ("token", &token), ("password", "short")])
        .await;
    assert_eq!(weak.status(), 422);
    assert_eq!(invalid_field(&weak.json().await.unwrap()), "password");

    let accepted = server
        .post_with(&person, "/api/links/password", &[("kind", "invite"), ("token", &token), ("password", PASSWORD)])
        .await;
    assert_eq!(accepted.status(), 200);
    assert_eq!(person.get(server.url("/teams")).send().await.unwrap().status(), 200, "signed in straight away");

    // The link worked once.
    let again = server
        .post_with(&browser(), "/api/links/password", &[("kind", "invite"), ("token", &token), ("password", PASSWORD)])
        .await;
    assert_eq!(again.status(), 422);
    assert_eq!(invalid_field(&again.json().await.unwrap()), "link");
    server.client_signed_in_as("grace@example.com", PASSWORD).await;
    assert_eq!(audit_actions(&server, "user.").await, ["user.created", "user.invite_accepted"]);
}

async fn invitations_expire(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let (_, link) =
        create(&server, &[("name", "Late Larry"), ("email", "larry@example.com"), ("role", "viewer")]).await;
    server.clock.advance(Duration::from_secs(7 * 24 * 3600 + 1));
    let admin = server.client_signed_in_as(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let person = browser();
    let late = server
        .post_with(
            &person,
            "/api/links/password",
            &[("kind", "invite"), ("token", &token_of(&link)), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(late.status(), 422);
    assert_eq!(invalid_field(&late.json().await.unwrap()), "link");

    // The admin makes a fresh one from the person's page; it works.
    let larry = user_id(&server, "larry@example.com").await;
    let fresh = server.post_with(&admin, "/api/admin/users/link", &[("user_id", &larry.to_string())]).await;
    let fresh: serde_json::Value = fresh.json().await.unwrap();
    assert_eq!(fresh["kind"], "invitation");
    let ok = server
        .post_with(
            &person,
            "/api/links/password",
            &[("kind", "invite"), ("token", &token_of(&fresh)), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(ok.status(), 200);
}

async fn bad_new_people_are_refused_field_by_field_and_nothing_is_stored(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let team = create_team(&server, "Platform").await;
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("name", ""), ("email", "a@example.com"), ("role", "member")], "name"),
        (&[("name", "A"), ("email", "not an email"), ("role", "member")], "email"),
        (&[("name", "A"), ("email", ADMIN_EMAIL), ("role", "member")], "email"),
        (&[("name", "A"), ("email", "a@example.com"), ("role", "root")], "role"),
        (&[("name", "A"), ("email", "a@example.com"), ("role", "member"), ("teams[0]", "9999:lead")], "teams"),
    ];
    for (form, field) in cases {
        let (status, body) = create(&server, form).await;
        assert_eq!(status, 422, "{form:?}");
        assert_eq!(invalid_field(&body), field, "{form:?}: {body}");
    }
    let taken = create(&server, &[("name", "A"), ("email", "ADA@example.com"), ("role", "member")]).await.1;
    assert_eq!(taken["Invalid"]["message"], "That email is already used by another account.");
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(server.db.pool()).await.unwrap();
    let members: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM team_members").fetch_one(server.db.pool()).await.unwrap();
    assert_eq!((users, members), (1, 0), "nothing half-written (team {team})");
}

async fn role_changes_take_effect_at_once_and_rotate_the_session(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let (grace, person) = invite_and_join(&server, "grace@example.com", "viewer").await;
    assert_eq!(person.get(server.url("/api/admin/users")).send().await.unwrap().status(), 405, "GET is not the way in");
    let refused = server.post_with(&person, "/api/admin/users", &[]).await;
    assert_eq!(refused.status(), 403);

    // A browser whose cookie we hold ourselves, to see the token change.
    let raw = support::cookieless_browser();
    let signed_in = raw
        .post(server.url("/api/auth/login"))
        .header("origin", &server.base)
        .form(&[("email", "grace@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let before = session_token(&signed_in).expect("sign-in sets the session cookie");
    let as_grace = |token: String| {
        raw.post(server.url("/api/admin/users"))
            .header("origin", &server.base)
            .header("accept", "application/json")
            .header("cookie", format!("preflight_session={token}"))
            .send()
    };
    let still_viewer = as_grace(before.clone()).await.unwrap();
    assert_eq!(still_viewer.status(), 403);
    assert_eq!(session_set_cookie(&still_viewer), None, "nothing changed, nothing to tell the browser");

    let changed =
        server.post_json("/api/admin/users/role", &[("user_id", &grace.to_string()), ("role", "admin")]).await;
    assert_eq!(changed.status(), 200);
    // The next requests run with the new role; two of them at once (two
    // tabs): one gets the session a new token, and neither is signed out.
    let (first, second) = tokio::join!(as_grace(before.clone()), as_grace(before.clone()));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!((first.status().as_u16(), second.status().as_u16()), (200, 200), "concurrent requests stay signed in");
    let rotated = session_token(&first)
        .or_else(|| session_token(&second))
        .expect("privilege change gives the session a new token");
    assert_ne!(rotated, before);
    assert!(session_token(&first).is_none() || session_token(&second).is_none(), "one new token, not two");
    // The replaced token works a few seconds longer, for requests already on
    // their way, and then never again.
    assert_eq!(as_grace(before.clone()).await.unwrap().status(), 200);
    server.clock.advance(std::time::Duration::from_secs(31));
    assert_eq!(as_grace(before).await.unwrap().status(), 401, "the old token is worth nothing now");
    let after = as_grace(rotated).await.unwrap();
    assert_eq!(after.status(), 200);
    assert_eq!(session_set_cookie(&after), None, "only once");
    assert_eq!(person.get(server.url("/teams")).send().await.unwrap().status(), 200, "other sessions rotate too");
    assert_eq!(audit_actions(&server, "user.role").await, ["user.role_changed"]);
}

async fn disabling_signs_out_at_once_and_enabling_lets_back_in(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let (grace, person) = invite_and_join(&server, "grace@example.com", "member").await;
    let id = grace.to_string();

    let off = server.post_json("/api/admin/users/enabled", &[("user_id", &id), ("enabled", "false")]).await;
    assert_eq!(off.status(), 200);
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
        .bind(grace)
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    assert_eq!(sessions, 0, "their sessions are deleted, not just refused later");
    assert_eq!(person.get(server.url("/")).send().await.unwrap().status(), 303);
    let login = server
        .post_with(&browser(), "/api/auth/login", &[("email", "grace@example.com"), ("password", PASSWORD)])
        .await;
    assert_eq!(login.status(), 422, "disabled accounts cannot sign in");
    let link = server.post_json("/api/admin/users/link", &[("user_id", &id)]).await;
    assert_eq!(link.status(), 422, "no sign-in links for a disabled account");

    let on = server.post_json("/api/admin/users/enabled", &[("user_id", &id), ("enabled", "true")]).await;
    assert_eq!(on.status(), 200);
    server.client_signed_in_as("grace@example.com", PASSWORD).await;
    assert_eq!(audit_actions(&server, "user.").await[2..], ["user.disabled", "user.enabled"]);
}

async fn admins_end_all_sessions_and_hand_out_reset_links(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let (grace, laptop) = invite_and_join(&server, "grace@example.com", "member").await;
    let phone = server.client_signed_in_as("grace@example.com", PASSWORD).await;
    let id = grace.to_string();

    let ended = server.post_json("/api/admin/users/end-sessions", &[("user_id", &id)]).await;
    assert_eq!(ended.text().await.unwrap(), "2");
    for device in [&laptop, &phone] {
        assert_eq!(device.get(server.url("/")).send().await.unwrap().status(), 303);
    }

    // A reset link (she has a password now): single use, 30 minutes, ends sessions.
    let phone = server.client_signed_in_as("grace@example.com", PASSWORD).await;
    let link: serde_json::Value =
        server.post_json("/api/admin/users/link", &[("user_id", &id)]).await.json().await.unwrap();
    assert_eq!(link["kind"], "password reset");
    let token = token_of(&link);
    let new_password = "another sturdy passphrase";
    let reset = server
        .post_with(
            &browser(),
            "/api/links/password",
            &[("kind", "reset"), ("token", &token), ("password", new_password)],
        )
        .await;
    assert_eq!(reset.status(), 200);
    assert_eq!(phone.get(server.url("/")).send().await.unwrap().status(), 303, "reset ends every session");
    let reused = server
        .post_with(&browser(), "/api/links/password", &[("kind", "reset"), ("token", &token), ("password", PASSWORD)])
        .await;
    assert_eq!(reused.status(), 422, "single use");
    server.client_signed_in_as("grace@example.com", new_password).await;

    let late: serde_json::Value =
        server.post_json("/api/admin/users/link", &[("user_id", &id)]).await.json().await.unwrap();
    server.clock.advance(Duration::from_secs(30 * 60 + 1));
    let expired = server
        .post_with(
            &browser(),
            "/api/links/password",
            &[("kind", "reset"), ("token", &token_of(&late)), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(expired.status(), 422, "expired after 30 minutes");
}

async fn admins_cannot_lock_themselves_out(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let me = user_id(&server, ADMIN_EMAIL).await.to_string();
    for (path, form) in [
        ("/api/admin/users/role", [("user_id", me.as_str()), ("role", "viewer")]),
        ("/api/admin/users/enabled", [("user_id", me.as_str()), ("enabled", "false")]),
    ] {
        let refused = server.post_json(path, &form).await;
        assert_eq!(refused.status(), 422, "{path}");
    }
    server.client_signed_in_as(ADMIN_EMAIL, ADMIN_PASSWORD).await;
}

/// Two administrators take each other's powers at the same moment, by role
/// change and by disabling, several times: one wins each time, and an
/// active administrator always remains.
async fn two_admins_removing_each_other_at_once_leave_one(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let ada = user_id(&server, ADMIN_EMAIL).await;
    for (round, (path, field, value)) in
        [("/api/admin/users/role", "role", "viewer"), ("/api/admin/users/enabled", "enabled", "false")]
            .into_iter()
            .cycle()
            .take(6)
            .enumerate()
    {
        let email = format!("second-admin-{round}@example.com");
        let other = server.seed_user(&email, "admin", PASSWORD).await;
        let other_browser = server.client_signed_in_as(&email, PASSWORD).await;
        let (ada_s, other_s) = (ada.to_string(), other.to_string());
        let (ada_form, other_form) =
            ([("user_id", other_s.as_str()), (field, value)], [("user_id", ada_s.as_str()), (field, value)]);
        let (by_ada, by_other) =
            tokio::join!(server.post_json(path, &ada_form), server.post_with(&other_browser, path, &other_form));
        let mut statuses = [by_ada.status().as_u16(), by_other.status().as_u16()];
        statuses.sort();
        // The loser is refused by the last-admin check (422), or, when the
        // winner committed before its request began, as no longer an
        // administrator (403) or no longer signed in (401).
        assert!(
            statuses[0] == 200 && [401, 403, 422].contains(&statuses[1]),
            "round {round} ({path}): exactly one wins, got {statuses:?}"
        );
        let active: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL")
            .fetch_one(server.db.pool())
            .await
            .unwrap();
        assert_eq!(active, 1, "round {round}: one active administrator remains");
        if by_other.status() == 200 {
            // Ada lost: the other admin restores her for the next round.
            let restore = if field == "role" {
                server.post_with(&other_browser, path, &[("user_id", ada_s.as_str()), ("role", "admin")]).await
            } else {
                server.post_with(&other_browser, path, &[("user_id", ada_s.as_str()), ("enabled", "true")]).await
            };
            assert_eq!(restore.status(), 200);
            // Ada's sessions may have ended: sign the test client in again.
            let again =
                server.post_form("/api/auth/login", &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)]).await;
            assert!(again.status().is_redirection());
            // The next round starts with Ada as the only administrator again.
            let demoted =
                server.post_json("/api/admin/users/role", &[("user_id", other_s.as_str()), ("role", "viewer")]).await;
            assert_eq!(demoted.status(), 200);
        }
    }
}

/// A team role gives a member powers over the team's services; auditors
/// (separation of duties) and viewers (read only) cannot hold one, so the
/// UI never shows a "Lead" without a lead's powers.
async fn team_roles_are_only_for_members_and_administrators(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let team = create_team(&server, "Platform").await.to_string();
    let viewer = server.seed_user("vera@example.com", "viewer", PASSWORD).await.to_string();
    let auditor = server.seed_user("otto@example.com", "auditor", PASSWORD).await.to_string();
    let member = server.seed_user("mia@example.com", "member", PASSWORD).await.to_string();

    for (who, role) in [(&viewer, "member"), (&auditor, "lead")] {
        let refused =
            server.post_json("/api/teams/members/set", &[("team_id", &team), ("user_id", who), ("role", role)]).await;
        assert_eq!(refused.status(), 422, "user {who}");
        assert_eq!(invalid_field(&refused.json().await.unwrap()), "user_id");
    }
    let candidates: Vec<serde_json::Value> =
        server.post_json("/api/teams/candidates", &[("team_id", &team)]).await.json().await.unwrap();
    let offered: Vec<&str> = candidates.iter().map(|p| p["email"].as_str().unwrap()).collect();
    assert!(offered.contains(&"mia@example.com") && !offered.contains(&"vera@example.com"), "{offered:?}");
    assert!(!offered.contains(&"otto@example.com"), "{offered:?}");

    let created = create(
        &server,
        &[
            ("name", "Ann Auditor"),
            ("email", "ann@example.com"),
            ("role", "auditor"),
            ("teams[0]", &format!("{team}:member")),
        ],
    )
    .await;
    assert_eq!(created.0, 422);
    assert_eq!(invalid_field(&created.1), "teams");

    let joined =
        server.post_json("/api/teams/members/set", &[("team_id", &team), ("user_id", &member), ("role", "lead")]).await;
    assert_eq!(joined.status(), 200);
    let to_auditor = server.post_json("/api/admin/users/role", &[("user_id", &member), ("role", "auditor")]).await;
    assert_eq!(to_auditor.status(), 422, "a lead does not silently become a powerless lead");
    assert_eq!(invalid_field(&to_auditor.json().await.unwrap()), "role");
    let removed = server.post_json("/api/teams/members/remove", &[("team_id", &team), ("user_id", &member)]).await;
    assert_eq!(removed.status(), 200);
    let now_auditor = server.post_json("/api/admin/users/role", &[("user_id", &member), ("role", "auditor")]).await;
    assert_eq!(now_auditor.status(), 200, "out of the team, the role can change");
}

async fn teams_are_created_renamed_archived_and_led(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let team = create_team(&server, "Platform").await;
    let dup = server.post_json("/api/teams/create", &[("name", " platform ")]).await;
    assert_eq!(dup.status(), 422, "names are unique ignoring case");
    // Also beyond ASCII, the same on both databases (the database enforces it).
    assert_eq!(server.post_json("/api/teams/create", &[("name", "Équipe")]).await.status(), 200);
    let accented = server.post_json("/api/teams/create", &[("name", "ÉQUIPE")]).await;
    assert_eq!(accented.status(), 422);
    assert_eq!(invalid_field(&accented.json().await.unwrap()), "name");
    let direct = sqlx::query("INSERT INTO teams (name, name_key, created_at) VALUES ('ÉQUIPE', 'équipe', 0)")
        .execute(server.db.pool())
        .await;
    assert!(direct.is_err(), "the unique key lives in the database, not only in the code");
    let (lead, lead_browser) = invite_and_join(&server, "lead@example.com", "member").await;
    let (other, other_browser) = invite_and_join(&server, "other@example.com", "member").await;
    let t = team.to_string();

    // Only managers may change membership: the lead once made lead.
    let form = [("team_id", t.as_str()), ("user_id", &other.to_string()), ("role", "member")];
    assert_eq!(server.post_with(&lead_browser, "/api/teams/members/set", &form).await.status(), 403);
    let made_lead = server
        .post_json("/api/teams/members/set", &[("team_id", &t), ("user_id", &lead.to_string()), ("role", "lead")])
        .await;
    assert_eq!(made_lead.status(), 200);
    assert_eq!(server.post_with(&lead_browser, "/api/teams/members/set", &form).await.status(), 200);
    let detail: serde_json::Value =
        server.post_with(&other_browser, "/api/teams/one", &[("team_id", &t)]).await.json().await.unwrap();
    assert_eq!(detail["members"].as_array().unwrap().len(), 2);
    assert_eq!(detail["members"][0]["role"], "Lead", "leads first");
    assert_eq!(detail["can_manage_members"], false);
    let removed = server
        .post_with(&other_browser, "/api/teams/members/remove", &[("team_id", &t), ("user_id", &lead.to_string())])
        .await;
    assert_eq!(removed.status(), 403, "members cannot remove people");
    // Leads cannot rename or archive; admins can.
    assert_eq!(
        server.post_with(&lead_browser, "/api/teams/rename", &[("team_id", &t), ("name", "Mine")]).await.status(),
        403
    );
    assert_eq!(
        server.post_json("/api/teams/rename", &[("team_id", &t), ("name", "Core Platform")]).await.status(),
        200
    );
    assert_eq!(server.post_json("/api/teams/archive", &[("team_id", &t), ("archived", "true")]).await.status(), 200);
    let frozen = server
        .post_with(&lead_browser, "/api/teams/members/remove", &[("team_id", &t), ("user_id", &other.to_string())])
        .await;
    assert_eq!(frozen.status(), 422, "archived teams keep their membership");
    let list: serde_json::Value = server.post_json("/api/teams", &[]).await.json().await.unwrap();
    assert_eq!(list["teams"][0]["name"], "Core Platform");
    assert_eq!(list["teams"][0]["archived"], true);
    assert_eq!(
        audit_actions(&server, "team.").await,
        ["team.created", "team.created", "team.member_set", "team.member_set", "team.renamed", "team.archived"]
    );
}

async fn access_settings_are_stored_and_audited(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let read =
        || async { server.post_json("/api/admin/settings", &[]).await.json::<serde_json::Value>().await.unwrap() };
    assert_eq!(read().await["viewers_may_download_evidence"], false, "off by default");
    let allowed = server.post_json("/api/admin/settings/viewer-evidence-downloads", &[("allowed", "true")]).await;
    assert_eq!(allowed.status(), 200);
    let settings = read().await;
    assert_eq!(settings["viewers_may_download_evidence"], true);
    assert_eq!(settings["require_admin_mfa"], false, "other settings untouched");
    assert_eq!(audit_actions(&server, "settings.").await, ["settings.changed"]);
}

/// A role written by a newer version (after a downgrade, say) must not turn
/// into some role this version knows: listing people fails loudly, and the
/// person is never treated as a viewer.
async fn a_role_this_version_does_not_know_is_an_error_not_a_viewer(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    let id = server.seed_user("future@example.com", "viewer", PASSWORD).await;
    // Only a newer schema would allow the word; step around this one's CHECK.
    let mut conn = server.db.pool().acquire().await.unwrap();
    let lift_check = match backend {
        Backend::Sqlite => "PRAGMA ignore_check_constraints = ON",
        Backend::Postgres => "ALTER TABLE users DROP CONSTRAINT users_role_check",
    };
    sqlx::query(lift_check).execute(&mut *conn).await.unwrap();
    sqlx::query("UPDATE users SET role = 'owner' WHERE id = $1").bind(id).execute(&mut *conn).await.unwrap();
    drop(conn);

    let listed = app::backend::user_admin::list(&server.db, 0, None).await;
    let err = listed.expect_err("an unknown role must not decode").to_string();
    assert!(err.contains("unknown role \"owner\""), "{err}");
    let found = app::backend::accounts::find_by_id(&server.db, id).await;
    assert!(found.is_err(), "{found:?}");
    let people = server.post_json("/api/admin/users", &[]).await;
    assert_eq!(people.status(), 500, "the people page says something is wrong");
}
