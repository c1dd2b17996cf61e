//! `preflight backup` while writes happen, then `preflight restore`.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::backend::{Backend, Db};
use server::ops::{self, table_row_counts, OpsError};
use support::TestDb;

both_backends!(backup_during_writes_restores_a_consistent_copy, restore_refuses_a_live_database_without_force);
watched!(sqlite_restore_rejects_a_file_that_is_not_a_backup);

/// Each write is one transaction adding one row to each of two tables, so
/// any consistent snapshot has equal counts in both.
async fn create_probe_tables(db: &Db) {
    sqlx::raw_sql(
        "CREATE TABLE probe_parent (id BIGINT PRIMARY KEY, note TEXT NOT NULL);
         CREATE TABLE probe_child (id BIGINT PRIMARY KEY, parent_id BIGINT NOT NULL REFERENCES probe_parent (id));",
    )
    .execute(db.pool())
    .await
    .unwrap();
}

async fn write_pair(db: &Db, id: i64) {
    let mut tx = db.pool().begin().await.unwrap();
    sqlx::query("INSERT INTO probe_parent (id, note) VALUES ($1, $2)")
        .bind(id)
        .bind(format!("row {id} {}", "x".repeat(200)))
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("INSERT INTO probe_child (id, parent_id) VALUES ($1, $1)").bind(id).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

async fn backup_during_writes_restores_a_consistent_copy(backend: Backend) {
    let source = TestDb::new(backend).await;
    let db = source.migrated().await;
    create_probe_tables(&db).await;
    for id in 0..200 {
        write_pair(&db, id).await;
    }
    let initial = table_row_counts(&db).await.unwrap()["probe_parent"];

    // Keep writing from another task for the whole backup.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, stop) = (db.clone(), stop.clone());
        tokio::spawn(async move {
            let mut id = 200;
            while !stop.load(Ordering::Relaxed) {
                write_pair(&db, id).await;
                id += 1;
            }
            id
        })
    };
    // The backup starts once the writer is really writing.
    let started = std::time::Instant::now();
    let before = loop {
        let count = table_row_counts(&db).await.unwrap()["probe_parent"];
        if count > initial {
            break count;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the writer never wrote");
        tokio::task::yield_now().await;
    };
    let file = source.dir.path().join("backup.file");
    let report = ops::backup(&source.url, &file).await.expect("backup while writing");
    let after = table_row_counts(&db).await.unwrap()["probe_parent"];
    stop.store(true, Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert!(after > before, "writes really happened during the backup ({before} -> {after})");
    assert!(report.bytes > 0);
    assert!(!ops_partial_left(&file), "no partial file is left behind");

    let target = TestDb::new(backend).await;
    let restored = ops::restore(&target.url, &file, false).await.expect("restore into an empty database");
    let parents = restored.tables["probe_parent"];
    let children = restored.tables["probe_child"];
    assert_eq!(parents, children, "the copy is one consistent snapshot");
    assert!(
        parents >= before && parents <= after,
        "snapshot taken during the backup: {before} <= {parents} <= {after}"
    );
    assert!(parents < written, "later writes are not in the backup");
    match backend {
        // SQLite backups are counted as they are written; pg_dump's are not.
        Backend::Sqlite => {
            assert_eq!(report.tables, Some(restored.tables.clone()), "restored rows equal the rows in the backup file")
        }
        Backend::Postgres => assert_eq!(report.tables, None),
    }
    for (table, rows) in table_row_counts(&db).await.unwrap() {
        if !table.starts_with("probe_") {
            assert_eq!(restored.tables.get(&table), Some(&rows), "{table}");
        }
    }
}

fn ops_partial_left(file: &std::path::Path) -> bool {
    let mut partial = file.as_os_str().to_owned();
    partial.push(".partial");
    std::path::Path::new(&partial).exists()
}

async fn restore_refuses_a_live_database_without_force(backend: Backend) {
    let source = TestDb::new(backend).await;
    let db = source.migrated().await;
    create_probe_tables(&db).await;
    write_pair(&db, 1).await;
    let file = source.dir.path().join("backup.file");
    ops::backup(&source.url, &file).await.unwrap();
    assert!(
        matches!(ops::backup(&source.url, &file).await, Err(OpsError::DestinationExists(_))),
        "never overwrites a backup"
    );

    // The live database moves on after the backup...
    write_pair(&db, 2).await;
    let err = ops::restore(&source.url, &file, false).await.unwrap_err();
    assert!(matches!(err, OpsError::LiveDatabase { .. }), "{err:?}");
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(table_row_counts(&db).await.unwrap()["probe_parent"], 2, "refusal changed nothing");
    db.close().await;

    // ...and --force puts it back to the backup's state.
    let restored = ops::restore(&source.url, &file, true).await.unwrap();
    assert_eq!(restored.tables["probe_parent"], 1);

    let missing = source.dir.path().join("missing.file");
    assert!(matches!(ops::restore(&source.url, &missing, true).await, Err(OpsError::MissingBackup(_))));
}

async fn sqlite_restore_rejects_a_file_that_is_not_a_backup() {
    let target = TestDb::new(Backend::Sqlite).await;
    let bogus = target.dir.path().join("bogus.db");
    std::fs::write(&bogus, b"this is not a database").unwrap();
    let err = ops::restore(&target.url, &bogus, true).await.unwrap_err();
    assert!(matches!(err, OpsError::BadBackup { .. }), "{err:?}");
}
