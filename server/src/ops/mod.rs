//! Operational commands: `preflight backup` and `preflight restore`.
//!
//! SQLite: a backup is `VACUUM INTO`, a consistent copy taken while the
//! server keeps running; restore checks the copy, swaps the file in
//! atomically and checks the result.
//!
//! PostgreSQL: a backup is `pg_dump --format=custom` (one consistent
//! snapshot, also while the server runs); restore is `pg_restore` in a single
//! transaction. Both need the PostgreSQL client tools on PATH.

mod inspect;
mod postgres;
mod sqlite;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use app::backend::{migrations::MigrationError, Backend, DbError};

pub use inspect::{integrity_problems, table_row_counts};

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("{} already exists; choose a new file name so no backup is overwritten", .0.display())]
    DestinationExists(PathBuf),
    #[error("backup file {} was not found", .0.display())]
    MissingBackup(PathBuf),
    #[error("{} is not a usable Preflight backup: {reason}", path.display())]
    BadBackup { path: PathBuf, reason: String },
    #[error("refusing to overwrite the database at {target}, which already holds Preflight data ({summary}); stop Preflight and pass --force to replace it")]
    LiveDatabase { target: String, summary: String },
    #[error("the restored database failed its integrity check: {0}")]
    RestoredCorrupt(String),
    #[error("{tool} was not found on PATH; install the PostgreSQL client tools (Debian: postgresql-client)")]
    MissingTool { tool: &'static str },
    #[error("{tool} failed: {message}")]
    ToolFailed { tool: &'static str, message: String },
    #[error("file error on {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Migration(#[from] MigrationError),
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> OpsError + '_ {
    move |source| OpsError::Io { path: path.to_path_buf(), source }
}

#[derive(Debug, Clone)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    /// Rows per table inside the backup, when the format lets us read it.
    pub tables: Option<BTreeMap<String, i64>>,
}

#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub target: String,
    pub tables: BTreeMap<String, i64>,
    pub migrations_applied: Vec<i64>,
}

/// Writes a consistent copy of the database at `database_url` to `dest`.
pub async fn backup(database_url: &str, dest: &Path) -> Result<BackupReport, OpsError> {
    if dest.exists() {
        return Err(OpsError::DestinationExists(dest.to_path_buf()));
    }
    match Backend::from_url(database_url) {
        Some(Backend::Sqlite) => sqlite::backup(database_url, dest).await,
        Some(Backend::Postgres) => postgres::backup(database_url, dest).await,
        None => Err(DbError::UnsupportedUrl(app::backend::db::redact_url(database_url)).into()),
    }
}

/// Replaces the database at `database_url` with the backup in `src`.
pub async fn restore(database_url: &str, src: &Path, force: bool) -> Result<RestoreReport, OpsError> {
    if !src.is_file() {
        return Err(OpsError::MissingBackup(src.to_path_buf()));
    }
    match Backend::from_url(database_url) {
        Some(Backend::Sqlite) => sqlite::restore(database_url, src, force).await,
        Some(Backend::Postgres) => postgres::restore(database_url, src, force).await,
        None => Err(DbError::UnsupportedUrl(app::backend::db::redact_url(database_url)).into()),
    }
}

/// Flushes a directory entry change (a rename) to disk.
pub(crate) fn sync_dir(path: &Path) -> Result<(), OpsError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(dir))
}

/// Summary of a database's contents for the "refusing to overwrite" message.
pub(crate) fn summarize(tables: &BTreeMap<String, i64>) -> String {
    let rows: i64 = tables.values().sum();
    format!("{} tables, {rows} rows", tables.len())
}
