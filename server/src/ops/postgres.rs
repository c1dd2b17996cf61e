//! PostgreSQL backup and restore through the standard client tools.
//!
//! `pg_dump` takes one consistent snapshot while Preflight keeps running;
//! `pg_restore --single-transaction` applies it all or nothing. The password
//! is handed over in `PGPASSWORD`, never on the command line where `ps`
//! would show it.

use std::path::Path;
use std::process::Stdio;

use percent_encoding::percent_decode_str;
use tokio::process::Command;
use url::Url;

use app::backend::{migrations, Db, DbOptions};

use super::{inspect, io_err, summarize, sync_dir, BackupReport, OpsError, RestoreReport};

/// The URL without its password, and the password.
fn split_password(database_url: &str) -> (String, Option<String>) {
    match Url::parse(database_url) {
        Ok(mut url) => {
            let password = url.password().map(|p| percent_decode_str(p).decode_utf8_lossy().into_owned());
            let _ = url.set_password(None);
            (url.to_string(), password)
        }
        Err(_) => (database_url.to_string(), None),
    }
}

async fn run_tool(tool: &'static str, args: &[&str], database_url: &str) -> Result<String, OpsError> {
    let (_, password) = split_password(database_url);
    let mut command = Command::new(tool);
    command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = command.output().await.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => OpsError::MissingTool { tool },
        _ => OpsError::ToolFailed { tool, message: e.to_string() },
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("no error output").to_string();
        return Err(OpsError::ToolFailed { tool, message });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

pub async fn backup(database_url: &str, dest: &Path) -> Result<BackupReport, OpsError> {
    let (url, _) = split_password(database_url);
    let mut partial = dest.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let partial_text = partial.to_string_lossy().to_string();
    run_tool(
        "pg_dump",
        &["--format=custom", "--no-owner", "--no-privileges", "--file", &partial_text, "--dbname", &url],
        database_url,
    )
    .await?;
    std::fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(io_err(&partial))?;
    // A readable table of contents means a complete archive.
    if let Err(e) = run_tool("pg_restore", &["--list", &partial_text], database_url).await {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, dest).map_err(io_err(dest))?;
    sync_dir(dest)?;
    let bytes = std::fs::metadata(dest).map_err(io_err(dest))?.len();
    Ok(BackupReport { path: dest.to_path_buf(), bytes, tables: None })
}

pub async fn restore(database_url: &str, src: &Path, force: bool) -> Result<RestoreReport, OpsError> {
    let src_text = src.to_string_lossy().to_string();
    run_tool("pg_restore", &["--list", &src_text], database_url)
        .await
        .map_err(|e| OpsError::BadBackup { path: src.to_path_buf(), reason: e.to_string() })?;

    let db = Db::connect(&DbOptions::new(database_url)).await?;
    let existing = inspect::table_row_counts(&db).await;
    db.close().await;
    let existing = existing?;
    if !existing.is_empty() && !force {
        return Err(OpsError::LiveDatabase { target: db.target().to_string(), summary: summarize(&existing) });
    }

    let (url, _) = split_password(database_url);
    run_tool(
        "pg_restore",
        &[
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            &url,
            &src_text,
        ],
        database_url,
    )
    .await?;

    let db = Db::connect(&DbOptions::new(database_url)).await?;
    let result = async {
        let problems = inspect::integrity_problems(&db).await?;
        if !problems.is_empty() {
            return Err(OpsError::RestoredCorrupt(problems.join("; ")));
        }
        let report = migrations::migrate(&db).await?;
        Ok(RestoreReport {
            target: db.target().to_string(),
            tables: inspect::table_row_counts(&db).await?,
            migrations_applied: report.applied,
        })
    }
    .await;
    db.close().await;
    result
}

#[cfg(test)]
mod tests {
    use super::split_password;

    #[test]
    fn password_is_taken_out_of_the_url() {
        let (url, password) = split_password("postgres://app:p%40ss@localhost:5432/preflight");
        assert_eq!(url, "postgres://app@localhost:5432/preflight");
        assert_eq!(password.as_deref(), Some("p@ss"));
        let (url, password) = split_password("postgres://localhost/preflight");
        assert_eq!(url, "postgres://localhost/preflight");
        assert_eq!(password, None);
    }
}
