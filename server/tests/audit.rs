//! The tamper-evident audit trail on a real database: the chain verifies
//! after activity, catches rows edited, deleted, swapped or slipped in
//! behind Preflight's back at the right entry, and stays one unbroken chain
//! under concurrent appends (on PostgreSQL also from two server processes).

mod support;

use std::time::Duration;

use app::backend::audit::{self, AuditEntry, VerifyError};
use app::backend::audit_chain::ChainBreak;
use app::backend::{Backend, Db};
use support::{Replica, TestDb, TestServer, ADMIN_FORM};

both_backends!(
    existing_entries_join_the_chain_and_activity_extends_it,
    an_edited_row_is_caught_at_its_entry,
    a_deleted_row_is_caught_at_its_entry,
    swapped_rows_are_caught_at_the_first,
    rows_cut_off_the_end_or_slipped_in_are_caught,
    concurrent_appends_leave_one_chain,
    exports_verify_offline_and_a_changed_byte_is_named,
);

fn entry(n: usize) -> AuditEntry<'static> {
    AuditEntry {
        actor_user_id: Some(1),
        actor_label: "Ada",
        action: "item.status_changed",
        subject_type: Some("item"),
        subject_id: Some(n.to_string()),
        detail: Some(format!("not started → done ({n})")),
        service_id: Some(3),
        ..AuditEntry::default()
    }
}

/// A migrated database (whose built-in templates recorded 3 entries) with
/// `n` more entries.
async fn chain_of(backend: Backend, n: usize) -> (TestDb, Db) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.migrated().await;
    for i in 0..n {
        audit::record(db.pool(), 1_000 + i as i64, entry(i)).await.unwrap();
    }
    (test_db, db)
}

async fn broken_at(db: &Db) -> ChainBreak {
    match audit::verify(db).await {
        Err(VerifyError::Broken(b)) => b,
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

async fn existing_entries_join_the_chain_and_activity_extends_it(backend: Backend) {
    // Entries written before the chain existed: migrate to 6, write, then
    // let the chain migration seal them.
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let before: Vec<_> =
        app::backend::migrations::embedded(backend).iter().filter(|m| m.version < 7).cloned().collect();
    app::backend::migrations::run(&db, &before).await.unwrap();
    for i in 0..5 {
        sqlx::query("INSERT INTO audit_events (occurred_at, actor_label, action) VALUES ($1, 'old', 'login.failed')")
            .bind(i as i64)
            .execute(db.pool())
            .await
            .unwrap();
    }
    app::backend::migrations::migrate(&db).await.unwrap();
    let verified = audit::verify(&db).await.unwrap();
    assert_eq!(verified.entries, 5);
    assert_eq!(verified.head.seq, 5);

    for i in 0..10 {
        audit::record(db.pool(), 100 + i, entry(i as usize)).await.unwrap();
    }
    // Inside a transaction the entry commits with the change it records…
    let mut tx = db.pool().begin().await.unwrap();
    audit::record(&mut *tx, 200, entry(99)).await.unwrap();
    tx.commit().await.unwrap();
    // …and rolls back with it.
    let mut tx = db.pool().begin().await.unwrap();
    audit::record(&mut *tx, 201, entry(100)).await.unwrap();
    tx.rollback().await.unwrap();

    let verified = audit::verify(&db).await.unwrap();
    assert_eq!(verified.entries, 16);
    assert_eq!(verified.head, audit::head(&db).await.unwrap());
    let seqs: Vec<i64> =
        sqlx::query_scalar("SELECT seq FROM audit_events ORDER BY id").fetch_all(db.pool()).await.unwrap();
    assert_eq!(seqs, (1..=16).collect::<Vec<i64>>(), "sealed in the order they were written");
}

async fn an_edited_row_is_caught_at_its_entry(backend: Backend) {
    let (_t, db) = chain_of(backend, 20).await;
    assert_eq!(audit::verify(&db).await.unwrap().entries, 23);
    let original: String =
        sqlx::query_scalar("SELECT detail FROM audit_events WHERE seq = 10").fetch_one(db.pool()).await.unwrap();
    sqlx::query("UPDATE audit_events SET detail = 'nothing happened' WHERE seq = 10").execute(db.pool()).await.unwrap();
    assert_eq!(broken_at(&db).await, ChainBreak::ContentChanged { seq: 10 });

    // Putting it back mends it; changing who did it is caught the same way.
    sqlx::query("UPDATE audit_events SET detail = $1 WHERE seq = 10").bind(&original).execute(db.pool()).await.unwrap();
    audit::verify(&db).await.unwrap();
    sqlx::query("UPDATE audit_events SET actor_label = 'Mallory' WHERE seq = 17").execute(db.pool()).await.unwrap();
    let broken = broken_at(&db).await;
    assert_eq!(broken, ChainBreak::ContentChanged { seq: 17 });
    assert!(broken.to_string().starts_with("entry 17 was changed"), "{broken}");
}

async fn a_deleted_row_is_caught_at_its_entry(backend: Backend) {
    let (_t, db) = chain_of(backend, 20).await;
    sqlx::query("DELETE FROM audit_events WHERE seq = 12").execute(db.pool()).await.unwrap();
    let broken = broken_at(&db).await;
    assert_eq!(broken, ChainBreak::OutOfSequence { expected: 12, found: 13, previous: 11 });
    assert_eq!(broken.seq(), 12);
}

async fn swapped_rows_are_caught_at_the_first(backend: Backend) {
    let (_t, db) = chain_of(backend, 20).await;
    // Reorder two entries: exchange their places in the chain.
    for (from, to) in [(5, -1), (14, 5), (-1, 14)] {
        sqlx::query("UPDATE audit_events SET seq = $1 WHERE seq = $2")
            .bind(to)
            .bind(from)
            .execute(db.pool())
            .await
            .unwrap();
    }
    let broken = broken_at(&db).await;
    assert!(matches!(broken, ChainBreak::LinkBroken { seq: 5, .. }), "{broken:?}");

    // Swapping everything but the place (the content of two rows) is
    // caught at the first too.
    let (_t, db) = chain_of(backend, 20).await;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM audit_events WHERE seq IN (6, 9) ORDER BY seq")
        .fetch_all(db.pool())
        .await
        .unwrap();
    sqlx::query(
        "UPDATE audit_events SET subject_id = CASE WHEN id = $1 THEN (SELECT subject_id FROM audit_events WHERE id = $2)
                                                  ELSE (SELECT subject_id FROM audit_events WHERE id = $1) END
         WHERE id IN ($1, $2)",
    )
    .bind(ids[0])
    .bind(ids[1])
    .execute(db.pool())
    .await
    .unwrap();
    assert_eq!(broken_at(&db).await, ChainBreak::ContentChanged { seq: 6 });
}

async fn rows_cut_off_the_end_or_slipped_in_are_caught(backend: Backend) {
    let (_t, db) = chain_of(backend, 10).await;
    sqlx::query("DELETE FROM audit_events WHERE seq >= 12").execute(db.pool()).await.unwrap();
    assert_eq!(broken_at(&db).await, ChainBreak::Truncated { last: 11, head: 13 });

    let (_t, db) = chain_of(backend, 10).await;
    sqlx::query("INSERT INTO audit_events (occurred_at, actor_label, action) VALUES (5, 'Mallory', 'login.succeeded')")
        .execute(db.pool())
        .await
        .unwrap();
    match audit::verify(&db).await {
        Err(VerifyError::Unchained { count: 1, .. }) => {}
        other => panic!("{other:?}"),
    }
    // A forged entry past the head, hashes and all, is no better.
    sqlx::query("UPDATE audit_events SET seq = 14, prev_hash = 'x', entry_hash = 'y' WHERE seq IS NULL")
        .execute(db.pool())
        .await
        .unwrap();
    match audit::verify(&db).await {
        Err(VerifyError::Unchained { count: 1, .. }) => {}
        other => panic!("{other:?}"),
    }
}

async fn concurrent_appends_leave_one_chain(backend: Backend) {
    let (_t, db) = chain_of(backend, 0).await;
    let tasks: Vec<_> = (0..16)
        .map(|t| {
            let db = db.clone();
            tokio::spawn(async move {
                for i in 0..25 {
                    if i % 2 == 0 {
                        audit::record(db.pool(), i, entry(t * 100 + i as usize)).await.unwrap();
                    } else {
                        // With another write in the same transaction, as the
                        // workflow does.
                        let mut tx = db.pool().begin().await.unwrap();
                        sqlx::query("UPDATE instance_settings SET updated_at = updated_at WHERE 1 = 0")
                            .execute(&mut *tx)
                            .await
                            .unwrap();
                        audit::record(&mut *tx, i, entry(t * 100 + i as usize)).await.unwrap();
                        tx.commit().await.unwrap();
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(60), task).await.expect("appends finish").unwrap();
    }
    let verified = audit::verify(&db).await.unwrap();
    assert_eq!(verified.entries, 3 + 16 * 25);
    assert_eq!(verified.head.seq, 3 + 16 * 25);
}

#[test]
fn two_server_processes_append_to_one_chain_on_postgres() {
    support::run_test("two_server_processes_append_to_one_chain_on_postgres", async {
        let test_db = TestDb::new(Backend::Postgres).await;
        let db = test_db.migrated().await;
        let (port_a, port_b) = (support::free_port(), support::free_port());
        let dir_b = tempfile::tempdir().unwrap();
        let _a = Replica::start(&test_db.url, &test_db.data_dir(), port_a, &[]);
        let _b = Replica::start(&test_db.url, dir_b.path(), port_b, &[]);
        let bases = [format!("http://127.0.0.1:{port_a}"), format!("http://127.0.0.1:{port_b}")];
        let client = support::browser();
        for base in &bases {
            support::wait_ready(&client, base).await;
        }
        // Sign in through the first; the session is in the shared database,
        // and the cookie (host-wide) goes to both.
        let setup = client
            .post(format!("{}/api/auth/setup", bases[0]))
            .header("origin", &bases[0])
            .header("accept", "text/html")
            .form(&ADMIN_FORM)
            .send()
            .await
            .unwrap();
        assert!(setup.status().is_redirection(), "setup: {}", setup.status());

        let mut calls = Vec::new();
        for i in 0..40 {
            let (client, base) = (client.clone(), bases[i % 2].clone());
            calls.push(tokio::spawn(async move {
                let response = client
                    .post(format!("{base}/api/teams/create"))
                    .header("origin", &base)
                    .header("accept", "application/json")
                    .form(&[("name", format!("Team {i}"))])
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success(), "{}", response.text().await.unwrap());
            }));
        }
        for call in calls {
            call.await.unwrap();
        }
        let verified = audit::verify(&db).await.unwrap();
        let created: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'team.created'")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(created, 40);
        // Built-in templates (3), the admin's setup and sign-in, 40 teams.
        assert!(verified.entries >= 44, "{verified:?}");
    });
}

/// `preflight audit verify [--file]` against `url`: (exit code, stdout, stderr).
async fn verify_command(
    url: &str,
    data_dir: &std::path::Path,
    file: Option<&std::path::Path>,
) -> (i32, String, String) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_preflight"));
    command
        .env_clear()
        .env("PREFLIGHT_DATABASE_URL", url)
        .env("PREFLIGHT_DATA_DIR", data_dir)
        .args(["audit", "verify"])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    if let Some(file) = file {
        command.arg("--file").arg(file);
    }
    let output =
        tokio::time::timeout(Duration::from_secs(60), command.output()).await.expect("verify finishes").unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn exports_verify_offline_and_a_changed_byte_is_named(backend: Backend) {
    let (server, test_db) = TestServer::for_backend(backend).await;
    server.setup_admin().await;
    for i in 0..5 {
        let response = server.post_json("/api/teams/create", &[("name", &format!("Team {i}"))]).await;
        assert!(response.status().is_success());
    }
    let head = audit::head(&server.db).await.unwrap();

    let response = server.get("/audit/export?format=jsonl").await;
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.starts_with("attachment;") && disposition.contains(".jsonl"), "{disposition}");
    let body = response.text().await.unwrap();
    let report = app::backend::audit_chain::verify_export(body.as_bytes()).unwrap();
    assert!(report.header.complete);
    assert_eq!(report.header.head, head);
    assert_eq!(report.entries, head.seq as u64);

    // Offline, without the database: a URL that leads nowhere.
    let offline = tempfile::tempdir().unwrap();
    let nowhere = format!("sqlite://{}/absent/none.db", offline.path().display());
    let file = offline.path().join("trail.jsonl");
    std::fs::write(&file, &body).unwrap();
    let (code, stdout, stderr) = verify_command(&nowhere, offline.path(), Some(&file)).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&format!("{} entries of the whole chain verified", head.seq)), "{stdout}");
    assert!(stdout.contains(&head.hash), "{stdout}");

    // One changed byte: the team's name in its entry.
    let line =
        body.lines().position(|l| l.contains("\"action\":\"team.created\"") && l.contains("Team 3")).unwrap() + 1;
    std::fs::write(&file, body.replacen("Team 3", "Team 8", 1)).unwrap();
    let (code, _, stderr) = verify_command(&nowhere, offline.path(), Some(&file)).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains(&format!("line {line}: entry ")) && stderr.contains("was changed"), "{stderr}");

    // A filtered export holds only what the filter keeps, and verifies.
    let body = server.get("/audit/export?format=jsonl&kind=team").await.text().await.unwrap();
    let report = app::backend::audit_chain::verify_export(body.as_bytes()).unwrap();
    assert!(!report.header.complete);
    assert_eq!(report.header.filter, "kind team");
    assert_eq!(report.entries, 5);

    // CSV: a header row and one row per entry.
    let response = server.get("/audit/export?format=csv").await;
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = response.text().await.unwrap();
    assert!(csv.starts_with("seq,occurred_at,actor_user_id,actor,action,"), "{csv}");
    assert_eq!(csv.lines().count() as i64, head.seq + 1);

    // The database check, then again after an entry is edited behind
    // Preflight's back.
    let (code, stdout, stderr) = verify_command(&test_db.url, &test_db.data_dir(), None).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with(&format!("{} audit entries verified", head.seq)), "{stdout}");
    sqlx::query("UPDATE audit_events SET detail = 'Team 9' WHERE detail = 'Team 2'")
        .execute(server.db.pool())
        .await
        .unwrap();
    let edited: i64 = sqlx::query_scalar("SELECT seq FROM audit_events WHERE detail = 'Team 9'")
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    let (code, _, stderr) = verify_command(&test_db.url, &test_db.data_dir(), None).await;
    assert_eq!(code, 1);
    assert!(stderr.contains(&format!("entry {edited} was changed")), "{stderr}");
}
