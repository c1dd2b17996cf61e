//! Notification mail through the real server and a real SMTP server
//! (aiosmtpd) on both databases: a gate regression mails the team's leads
//! why, the weekly digest lists expiring approvals and waivers once a week,
//! a campaign reminder lists the services behind, and a person who turned
//! a kind off gets none of it.

mod support;

use app::backend::mail::Mailer;
use app::backend::{notifications, Backend};
use support::readiness::*;
use support::smtp::SmtpSink;
use support::TestServer;

both_backends!(gate_regressions_and_weekly_mail_reach_the_leads);

/// A critical item approvals of which go stale after 10 days, and one a
/// waiver can stand in for.
const EXPIRING: &str = r#"
[template]
id = "expiring"
name = "Expiring checklist"
version = 1

[[sections]]
id = "e"
name = "Basics"

[[items]]
id = "e.runbook"
title = "Runbook written"
severity = "critical"
level = "bronze"
evidence = "none"
valid_days = 10

[[items]]
id = "e.pentest"
title = "Penetration test"
severity = "high"
level = "bronze"
evidence = "link"
approvals = 1
"#;

const PUBLIC_URL: &str = "https://preflight.example.com/";

async fn outbox(server: &TestServer, kind: &str) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT u.email, m.subject FROM mail_outbox m JOIN users u ON u.id = m.user_id WHERE m.kind = $1 ORDER BY m.id",
    )
    .bind(kind)
    .fetch_all(server.db.pool())
    .await
    .unwrap()
}

fn in_days(server: &TestServer, days: i64) -> String {
    let at = chrono::DateTime::from_timestamp_millis(server.clock.now_millis() + days * 86_400_000).unwrap();
    at.format("%Y-%m-%d").to_string()
}

async fn gate_regressions_and_weekly_mail_reach_the_leads(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let sink = SmtpSink::start().await;
    let mailer = Mailer::new(&sink.url(), "Preflight <preflight@example.com>").unwrap();
    let org = org(server).await;
    let template = create_template(server, EXPIRING).await;
    service_with(server, "pay", template).await;

    // Ready: the runbook done, the pen test waived by an auditor for a week.
    let runbook = item_by_key(server, "pay", "e.runbook").await;
    let pentest = item_by_key(server, "pay", "e.pentest").await;
    assert_eq!(set_status(server, &org.member, runbook, "done", "").await.status(), 200);
    let until = in_days(server, 7);
    let asked = server
        .post_with(
            &org.lead,
            "/api/items/waivers/request",
            &[
                ("item_id", &pentest.to_string()),
                ("reason", "Vendor booked for next month."),
                ("compensating_control", "WAF rules reviewed weekly."),
                ("expires_on", &until),
            ],
        )
        .await;
    assert_eq!(asked.status(), 200);
    let waiver: i64 = sqlx::query_scalar("SELECT MAX(id) FROM waivers").fetch_one(server.db.pool()).await.unwrap();
    let granted = server
        .post_with(
            &org.auditor,
            "/api/items/waivers/decide",
            &[("waiver_id", &waiver.to_string()), ("grant", "true"), ("comment", "Fine for a week.")],
        )
        .await;
    assert_eq!(granted.status(), 200);
    assert_eq!(stored(server, "pay").await.1, 1, "the service is ready");
    assert!(outbox(server, "gate-regression").await.is_empty(), "becoming ready mails nobody");

    // The runbook goes back to in progress: the gate closes, and the
    // team's lead (not the member, not the other team's lead) is told why.
    assert_eq!(set_status(server, &org.member, runbook, "in-progress", "Rewriting it.").await.status(), 200);
    assert_eq!(stored(server, "pay").await.1, 0);
    let queued = outbox(server, "gate-regression").await;
    assert_eq!(queued, [("lead@example.com".to_string(), "pay is no longer ready to launch".to_string())]);
    let now = server.clock.now_millis();
    let sent = notifications::deliver_due(&server.db, &mailer, PUBLIC_URL, now).await.unwrap();
    assert_eq!(sent.sent, 1);
    let mails = sink.wait_for(1).await;
    let mail = &mails[0];
    assert!(mail.contains("To: lead@example.com") || mail.contains("<lead@example.com>"), "{mail}");
    assert!(mail.contains("Runbook written: in progress"), "the reason is named: {mail}");
    assert!(mail.contains("https://preflight.example.com/services/pay"), "a link to the service: {mail}");
    // Delivered once: a second pass finds nothing due.
    let again = notifications::deliver_due(&server.db, &mailer, PUBLIC_URL, now).await.unwrap();
    assert_eq!(again.sent, 0);

    // The weekly digest: the waiver ends within 14 days. Once per week.
    assert_eq!(set_status(server, &org.member, runbook, "done", "").await.status(), 200);
    let queued = notifications::queue_weekly(&server.db, now).await.unwrap();
    assert_eq!(queued.digests, 1, "one digest, for the one lead with something expiring");
    assert_eq!(notifications::queue_weekly(&server.db, now).await.unwrap().digests, 0, "once a week");
    notifications::deliver_due(&server.db, &mailer, PUBLIC_URL, now).await.unwrap();
    let mails = sink.wait_for(2).await;
    let digest = mails.iter().find(|m| m.contains("expiring within 14 days")).expect("the digest");
    assert!(
        digest.contains("Penetration test =E2=80=94 waiver ends") || digest.contains("Penetration test — waiver ends"),
        "{digest}"
    );
    assert!(digest.contains("Runbook written"), "the approval going stale in 10 days: {digest}");
    assert!(digest.contains(&format!("{until}: pay: Penetration test")), "dated: {digest}");

    // The lead turns regressions off: the next regression mails nobody.
    let saved = server
        .post_with(&org.lead, "/api/account/mail/save", &[("on[0]", "expiry-digest"), ("on[1]", "campaign-reminder")])
        .await;
    assert_eq!(saved.status(), 200);
    let prefs: serde_json::Value = server.post_with(&org.lead, "/api/account/mail", &[]).await.json().await.unwrap();
    assert_eq!(prefs["kinds"][0], serde_json::json!(["GateRegression", false]));
    assert_eq!(prefs["kinds"][1], serde_json::json!(["ExpiryDigest", true]));
    let bad = server.post_with(&org.lead, "/api/account/mail/save", &[("on[0]", "spam")]).await;
    assert_eq!(bad.status(), 422);
    assert_eq!(set_status(server, &org.member, runbook, "in-progress", "Again.").await.status(), 200);
    assert_eq!(stored(server, "pay").await.1, 0);
    assert_eq!(outbox(server, "gate-regression").await.len(), 1, "no new regression mail after the opt-out");

    // A campaign reminder: pay is behind bronze; the lead still gets it.
    let deadline = in_days(server, 20);
    let started = server
        .post_with(
            &org.lead,
            "/api/campaigns/start",
            &[("name", "Bronze everywhere"), ("goal", "level"), ("level", "bronze"), ("deadline", &deadline)],
        )
        .await;
    assert_eq!(started.status(), 200);
    let queued = notifications::queue_weekly(&server.db, now).await.unwrap();
    assert_eq!(queued.reminders, 1);
    notifications::deliver_due(&server.db, &mailer, PUBLIC_URL, now).await.unwrap();
    let mails = sink.wait_for(3).await;
    let reminder = mails.iter().find(|m| m.contains("Bronze everywhere")).expect("the reminder");
    assert!(reminder.contains("pay (pay)"), "{reminder}");
    assert!(reminder.contains("needs Bronze"), "{reminder}");
    assert_eq!(sink.messages().len(), 3, "no mail beyond these three");

    // Turning reminders off too: next week's round queues none.
    let saved = server.post_with(&org.lead, "/api/account/mail/save", &[("on[0]", "expiry-digest")]).await;
    assert_eq!(saved.status(), 200);
    let next_week = now + 7 * 86_400_000;
    assert_eq!(notifications::queue_weekly(&server.db, next_week).await.unwrap().reminders, 0);
    let actions = support::audit_actions(server, "account.mail").await;
    assert_eq!(actions.len(), 2, "each change of mail settings is audited: {actions:?}");
}
