//! The database layer on both backends: migrations and connection settings.

mod support;

use std::borrow::Cow;

use app::backend::migrations::{self, MigrationError};
use app::backend::Backend;
use server::ops::table_row_counts;
use sqlx::migrate::{Migration, MigrationType};
use support::TestDb;

both_backends!(
    migrations_apply_once_and_are_recorded,
    a_failing_migration_changes_nothing,
    an_edited_migration_stops_start_up,
    a_newer_schema_is_refused,
    an_optional_float_binds_empty_then_filled_on_one_connection,
);
watched!(sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout);

fn migration(version: i64, sql: &'static str) -> Migration {
    Migration::new(version, Cow::Borrowed("test"), MigrationType::Simple, Cow::Borrowed(sql), false)
}

async fn migrations_apply_once_and_are_recorded(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let first = migrations::migrate(&db).await.unwrap();
    let all: Vec<i64> = migrations::embedded(backend).iter().map(|m| m.version).collect();
    assert_eq!(first.applied, all);
    let second = migrations::migrate(&db).await.unwrap();
    assert!(second.applied.is_empty(), "second run applies nothing");
    assert_eq!(second.current, all.last().copied());

    let history = migrations::history(&db).await.unwrap();
    assert_eq!(history.iter().map(|m| m.version).collect::<Vec<_>>(), all);
    let tables = table_row_counts(&db).await.unwrap();
    assert!(tables.contains_key("audit_events") && tables.contains_key("instance_settings"), "{tables:?}");
}

async fn a_failing_migration_changes_nothing(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let set = [
        migration(1, "CREATE TABLE first_table (id BIGINT PRIMARY KEY);"),
        migration(2, "CREATE TABLE second_table (id BIGINT PRIMARY KEY); INSERT INTO no_such_table VALUES (1);"),
    ];
    let err = migrations::run(&db, &set).await.unwrap_err();
    match &err {
        MigrationError::Failed { version, .. } => assert_eq!(*version, 2),
        other => panic!("unexpected error {other:?}"),
    }
    assert!(err.to_string().contains("database is unchanged"), "{err}");
    let tables = table_row_counts(&db).await.unwrap();
    assert!(tables.is_empty(), "no table from the failed run may remain: {tables:?}");
}

async fn an_edited_migration_stops_start_up(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    migrations::run(&db, &[migration(1, "CREATE TABLE t (id BIGINT PRIMARY KEY);")]).await.unwrap();
    let edited = [migration(1, "CREATE TABLE t (id BIGINT PRIMARY KEY, extra TEXT);")];
    let err = migrations::run(&db, &edited).await.unwrap_err();
    assert!(matches!(err, MigrationError::Modified { version: 1 }), "{err:?}");
}

async fn a_newer_schema_is_refused(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let newer = [migration(1, "CREATE TABLE a (id BIGINT);"), migration(2, "CREATE TABLE b (id BIGINT);")];
    migrations::run(&db, &newer).await.unwrap();
    let err = migrations::run(&db, &newer[..1]).await.unwrap_err();
    assert!(matches!(err, MigrationError::TooNew { found: 2, known: 1 }), "{err:?}");
}

async fn sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout() {
    let test_db = TestDb::new(Backend::Sqlite).await;
    let db = test_db.migrated().await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(db.pool()).await.unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(db.pool()).await.unwrap();
    assert_eq!(fk, 1);
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout").fetch_one(db.pool()).await.unwrap();
    assert_eq!(busy, 5000);
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(db.pool()).await.unwrap();
    assert_eq!(sync, 1, "synchronous = NORMAL");
}

/// sqlx 0.8.6's Any driver declared a missing `f64` as a 4-byte float, and
/// PostgreSQL keeps the declared type with the prepared statement: the
/// first run of a statement with no value made every later run with one
/// fail ("incorrect binary data format"). That stopped the probe writer the
/// first time an HTTP probe's state (no error rate) was written before a
/// metrics probe's. Fixed in vendor/sqlx-core (see its PATCH.md).
async fn an_optional_float_binds_empty_then_filled_on_one_connection(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let mut conn = db.pool().acquire().await.unwrap();
    sqlx::query("CREATE TABLE floats (id BIGINT NOT NULL, value DOUBLE PRECISION)").execute(&mut *conn).await.unwrap();
    let values = [None, Some(0.25), None, Some(-1.5e300)];
    for (id, value) in values.iter().enumerate() {
        // The same text each time: one prepared statement, reused.
        sqlx::query("INSERT INTO floats (id, value) VALUES ($1, COALESCE($2, NULL))")
            .bind(id as i64)
            .bind(*value)
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("value {value:?}: {e}"));
    }
    let stored: Vec<Option<f64>> =
        sqlx::query_scalar("SELECT value FROM floats ORDER BY id").fetch_all(&mut *conn).await.unwrap();
    assert_eq!(stored, values);
}
