//! Read-only looks into a database, used to verify backups and restores.

use std::collections::BTreeMap;

use sqlx::Row;

use app::backend::{Backend, Db};

/// Rows in every table of the application schema.
pub async fn table_row_counts(db: &Db) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    let list = match db.backend() {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        Backend::Postgres => "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
    };
    let names: Vec<String> =
        sqlx::query(list).fetch_all(db.pool()).await?.iter().map(|row| row.try_get(0)).collect::<Result<_, _>>()?;
    let mut counts = BTreeMap::new();
    for name in names {
        // Names come from the catalogue, quoted so no name can break the query.
        let sql = format!("SELECT COUNT(*) FROM \"{}\"", name.replace('"', "\"\""));
        let count: i64 = sqlx::query_scalar(&sql).fetch_one(db.pool()).await?;
        counts.insert(name, count);
    }
    Ok(counts)
}

/// Problems found by the database's own consistency check; empty means
/// healthy. SQLite runs `integrity_check` and `foreign_key_check`;
/// PostgreSQL guarantees both itself, so there we only confirm every table
/// can be read.
pub async fn integrity_problems(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    match db.backend() {
        Backend::Sqlite => {
            let mut problems: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_all(db.pool())
                .await?
                .into_iter()
                .filter(|line: &String| line != "ok")
                .collect();
            let fk = sqlx::query("PRAGMA foreign_key_check").fetch_all(db.pool()).await?;
            if !fk.is_empty() {
                problems.push(format!("{} rows break foreign keys", fk.len()));
            }
            Ok(problems)
        }
        Backend::Postgres => {
            table_row_counts(db).await?;
            Ok(Vec::new())
        }
    }
}
