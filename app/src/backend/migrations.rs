//! Schema migrations, embedded in the binary.
//!
//! Each backend has its own folder (`migrations/sqlite`, `migrations/postgres`)
//! with the same version numbers and the same meaning. A migration file is
//! never edited once it has shipped: the stored checksum would no longer
//! match and start-up stops.
//!
//! All pending migrations are applied in ONE transaction (both SQLite and
//! PostgreSQL have transactional DDL), so a failure leaves the database
//! exactly as it was. On PostgreSQL an advisory lock makes replicas that
//! start together take turns.

use sqlx::migrate::{Migration, Migrator};
use sqlx::Acquire;

use super::clock::Clock;
use super::db::{Backend, Db};

static SQLITE: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("../migrations/postgres");

/// The migration that turns the audit trail into a hash chain.
const AUDIT_CHAIN_VERSION: i64 = 7;
/// The migration that stores each campaign service's standing.
const CAMPAIGN_STANDING_VERSION: i64 = 13;

/// Arbitrary constant naming Preflight's migration lock in PostgreSQL.
const PG_MIGRATION_LOCK: i64 = 0x5052_4546_4c49_4748; // "PREFLIGH"

/// The migrations this binary carries for `backend`.
pub fn embedded(backend: Backend) -> &'static [Migration] {
    match backend {
        Backend::Sqlite => &SQLITE.migrations,
        Backend::Postgres => &POSTGRES.migrations,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("migration {version} ({description}) failed, so no migration was applied and the database is unchanged: {source}")]
    Failed { version: i64, description: String, source: sqlx::Error },
    #[error("migration {version} differs from the one applied to this database; migration files must not be edited after they ship")]
    Modified { version: i64 },
    #[error("the database schema is at version {found}, newer than this Preflight knows ({known}); run the newer Preflight or restore a backup")]
    TooNew { found: i64, known: i64 },
    #[error("cannot read or write the migration history: {0}")]
    History(#[source] sqlx::Error),
}

/// What a migration run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Versions applied by this run, in order.
    pub applied: Vec<i64>,
    /// The schema version afterwards.
    pub current: Option<i64>,
}

/// One row of the migration history.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AppliedMigration {
    pub version: i64,
    pub description: String,
    pub applied_at_ms: i64,
}

/// Applies this binary's migrations for the database's backend.
pub async fn migrate(db: &Db) -> Result<MigrationReport, MigrationError> {
    run(db, embedded(db.backend())).await
}

/// Applies whatever of `migrations` is pending, all or nothing.
pub async fn run(db: &Db, migrations: &[Migration]) -> Result<MigrationReport, MigrationError> {
    use MigrationError::History;
    let mut conn = db.pool().acquire().await.map_err(History)?;
    let mut tx = conn.begin().await.map_err(History)?;

    if db.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(PG_MIGRATION_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(History)?;
    }
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS preflight_migrations (
            version BIGINT PRIMARY KEY,
            description TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at BIGINT NOT NULL
        )",
    )
    .execute(&mut *tx)
    .await
    .map_err(History)?;

    let applied: Vec<(i64, String)> =
        sqlx::query_as("SELECT version, checksum FROM preflight_migrations ORDER BY version")
            .fetch_all(&mut *tx)
            .await
            .map_err(History)?;

    let known = migrations.iter().map(|m| m.version).max().unwrap_or(0);
    if let Some(&(found, _)) = applied.last() {
        if found > known {
            return Err(MigrationError::TooNew { found, known });
        }
    }
    for (version, checksum) in &applied {
        if let Some(m) = migrations.iter().find(|m| m.version == *version) {
            if hex::encode(&m.checksum) != *checksum {
                return Err(MigrationError::Modified { version: *version });
            }
        }
    }

    let mut report = MigrationReport { applied: Vec::new(), current: applied.last().map(|(v, _)| *v) };
    for m in migrations.iter().filter(|m| m.migration_type.is_up_migration()) {
        if applied.iter().any(|(v, _)| *v == m.version) {
            continue;
        }
        let failed =
            |source| MigrationError::Failed { version: m.version, description: m.description.to_string(), source };
        sqlx::raw_sql(&m.sql).execute(&mut *tx).await.map_err(failed)?;
        sqlx::query(
            "INSERT INTO preflight_migrations (version, description, checksum, applied_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(m.version)
        .bind(m.description.to_string())
        .bind(hex::encode(&m.checksum))
        .bind(Clock::system().now_millis())
        .execute(&mut *tx)
        .await
        .map_err(History)?;
        report.applied.push(m.version);
        report.current = Some(m.version);
        if m.version == AUDIT_CHAIN_VERSION {
            // Entries written before the chain existed join it now, in the
            // same transaction as the columns that hold their hashes.
            super::audit::seal_unchained(&mut tx).await.map_err(failed)?;
        }
        if m.version == CAMPAIGN_STANDING_VERSION {
            // Campaigns started before standings were stored are judged
            // now (ended ones as they stand today: the best there is).
            super::campaigns::judge_all(&mut tx, Clock::system().now_millis()).await.map_err(failed)?;
        }
    }
    tx.commit().await.map_err(History)?;
    Ok(report)
}

/// The migration history, oldest first. Empty when the database was never
/// migrated.
pub async fn history(db: &Db) -> Result<Vec<AppliedMigration>, sqlx::Error> {
    let exists = match db.backend() {
        Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'preflight_migrations'",
        Backend::Postgres => "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'preflight_migrations'",
    };
    let count: i64 = sqlx::query_scalar(exists).fetch_one(db.pool()).await?;
    if count == 0 {
        return Ok(Vec::new());
    }
    sqlx::query_as(
        "SELECT version, description, applied_at AS applied_at_ms FROM preflight_migrations ORDER BY version",
    )
    .fetch_all(db.pool())
    .await
}
