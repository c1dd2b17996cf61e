//! SQLite backup (`VACUUM INTO`) and restore (verified file swap).

use std::path::{Path, PathBuf};

use app::backend::{migrations, Db, DbOptions};

use super::{inspect, io_err, summarize, sync_dir, BackupReport, OpsError, RestoreReport};

/// The database file a `sqlite:` URL points at.
pub fn file_of(url: &str) -> PathBuf {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    PathBuf::from(rest.split('?').next().unwrap_or(rest))
}

fn url_for(path: &Path, mode: &str) -> String {
    format!("sqlite://{}?mode={mode}", path.display())
}

/// Opens a SQLite file without changing it.
async fn open_read_only(path: &Path) -> Result<Db, OpsError> {
    let mut options = DbOptions::new(url_for(path, "ro"));
    options.read_only = true;
    options.max_connections = 1;
    Ok(Db::connect(&options).await?)
}

/// Checks a backup file and returns its row counts.
async fn verify_backup(path: &Path) -> Result<std::collections::BTreeMap<String, i64>, OpsError> {
    let bad = |reason: String| OpsError::BadBackup { path: path.to_path_buf(), reason };
    let db = open_read_only(path).await.map_err(|e| bad(e.to_string()))?;
    let result = async {
        let problems = inspect::integrity_problems(&db).await.map_err(|e| bad(e.to_string()))?;
        if !problems.is_empty() {
            return Err(bad(problems.join("; ")));
        }
        if migrations::history(&db).await.map_err(|e| bad(e.to_string()))?.is_empty() {
            return Err(bad("it holds no Preflight schema".into()));
        }
        inspect::table_row_counts(&db).await.map_err(|e| bad(e.to_string()))
    }
    .await;
    db.close().await;
    result
}

pub async fn backup(database_url: &str, dest: &Path) -> Result<BackupReport, OpsError> {
    let partial = with_suffix(dest, ".partial");
    let _ = std::fs::remove_file(&partial);
    let db = Db::connect(&DbOptions::new(database_url)).await?;
    let vacuum = sqlx::query("VACUUM INTO $1").bind(partial.to_string_lossy().to_string()).execute(db.pool()).await;
    db.close().await;
    vacuum?;

    std::fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(io_err(&partial))?;
    let tables = match verify_backup(&partial).await {
        Ok(tables) => tables,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, dest).map_err(io_err(dest))?;
    sync_dir(dest)?;
    let bytes = std::fs::metadata(dest).map_err(io_err(dest))?.len();
    Ok(BackupReport { path: dest.to_path_buf(), bytes, tables: Some(tables) })
}

pub async fn restore(database_url: &str, src: &Path, force: bool) -> Result<RestoreReport, OpsError> {
    verify_backup(src).await?;
    let target = file_of(database_url);

    if target.exists() {
        let existing = open_read_only(&target).await?;
        let tables = inspect::table_row_counts(&existing).await;
        existing.close().await;
        let tables = tables?;
        if !tables.is_empty() && !force {
            return Err(OpsError::LiveDatabase { target: target.display().to_string(), summary: summarize(&tables) });
        }
    }

    // Copy beside the target, flush, then swap in with one rename so a crash
    // leaves either the old database or the new one, never half of each.
    let partial = with_suffix(&target, ".restoring");
    std::fs::copy(src, &partial).map_err(io_err(&partial))?;
    std::fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(io_err(&partial))?;
    for stale in [with_suffix(&target, "-wal"), with_suffix(&target, "-shm")] {
        match std::fs::remove_file(&stale) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&stale)(e)),
        }
    }
    std::fs::rename(&partial, &target).map_err(io_err(&target))?;
    sync_dir(&target)?;

    let db = Db::connect(&DbOptions::new(url_for(&target, "rw"))).await?;
    let result = async {
        let problems = inspect::integrity_problems(&db).await?;
        if !problems.is_empty() {
            return Err(OpsError::RestoredCorrupt(problems.join("; ")));
        }
        let report = migrations::migrate(&db).await?;
        Ok(RestoreReport {
            target: target.display().to_string(),
            tables: inspect::table_row_counts(&db).await?,
            migrations_applied: report.applied,
        })
    }
    .await;
    db.close().await;
    result
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::file_of;
    use std::path::PathBuf;

    #[test]
    fn finds_the_file_in_sqlite_urls() {
        assert_eq!(file_of("sqlite://./data/preflight.db?mode=rwc"), PathBuf::from("./data/preflight.db"));
        assert_eq!(file_of("sqlite:///var/lib/p.db"), PathBuf::from("/var/lib/p.db"));
        assert_eq!(file_of("sqlite:p.db"), PathBuf::from("p.db"));
    }
}
