//! The database: one connection pool per process, SQLite or PostgreSQL.
//!
//! Both backends go through sqlx's `Any` driver so every query is written
//! once. Queries use `$1`-style placeholders (SQLite accepts them too) and
//! portable types only: integers, text, blobs. Timestamps are stored as
//! BIGINT milliseconds since the Unix epoch, UTC.
//!
//! SQLite settings (applied to every connection):
//! * `journal_mode = WAL`: readers never block the writer; set once, persists.
//! * `synchronous = NORMAL`: with WAL this is durable across application
//!   crashes; a power loss can drop the last transactions, never corrupt the
//!   file. FULL would fsync on every commit for little gain on a server.
//! * `foreign_keys = ON`, `busy_timeout = 5000` ms.

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Which backend a database URL selects, if any we support.
    pub fn from_url(url: &str) -> Option<Backend> {
        let scheme = url.split_once(':')?.0;
        match scheme {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the database URL must start with sqlite: or postgres:, got {0}")]
    UnsupportedUrl(String),
    #[error("cannot open the {backend} database at {target}: {source}")]
    Connect { backend: &'static str, target: String, source: sqlx::Error },
    #[error(transparent)]
    Migration(#[from] super::migrations::MigrationError),
    #[error(transparent)]
    Query(#[from] sqlx::Error),
}

#[derive(Debug, Clone)]
pub struct DbOptions {
    pub url: String,
    pub max_connections: u32,
    /// How long a request waits for a free connection before failing; also
    /// bounds how long `/readyz` takes to say the database is gone.
    pub acquire_timeout: Duration,
    /// Opens without changing anything (used to inspect backup files).
    pub read_only: bool,
}

impl DbOptions {
    pub fn new(url: impl Into<String>) -> Self {
        DbOptions { url: url.into(), max_connections: 8, acquire_timeout: Duration::from_secs(3), read_only: false }
    }
}

/// A handle to the pool. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    target: String,
    /// The URL as given (with its password), for [`Db::listener`].
    url: std::sync::Arc<str>,
}

impl Db {
    /// Opens the pool and checks the database answers. For SQLite the file
    /// is created when missing and switched to WAL.
    pub async fn connect(options: &DbOptions) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let backend =
            Backend::from_url(&options.url).ok_or_else(|| DbError::UnsupportedUrl(redact_url(&options.url)))?;
        let target = redact_url(&options.url);
        let connect_err = |source| DbError::Connect { backend: backend.name(), target: target.clone(), source };

        let connect_options: AnyConnectOptions = options.url.parse().map_err(connect_err)?;
        let pool = AnyPoolOptions::new()
            .max_connections(options.max_connections)
            .min_connections(0)
            .acquire_timeout(options.acquire_timeout)
            .idle_timeout(Some(Duration::from_secs(600)))
            // sqlx pings every connection it hands out unless told not to.
            // A SQLite connection is a file handle that cannot drop, and its
            // ping is a round trip through the connection's worker thread
            // that doubled the cost of every query. PostgreSQL connections
            // can be cut (failover, a restarted server), so those are still
            // checked before use.
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(connect_options)
            .await
            .map_err(connect_err)?;

        if backend == Backend::Sqlite && !options.read_only {
            // Persistent per database file; a no-op once set.
            sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await.map_err(connect_err)?;
        }
        Ok(Db { pool, backend, target, url: options.url.as_str().into() })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection of its own for PostgreSQL's `LISTEN` (the pool's
    /// connections come and go; a listener must stay). It reconnects by
    /// itself after a drop.
    pub async fn listener(&self) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
        sqlx::postgres::PgListener::connect(&self.url).await
    }

    /// Where the database is, safe to print (passwords removed).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Answers whether the database responds right now.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }

    /// Connections open, and how many of them are idle.
    pub fn pool_usage(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// Waits for checked-out connections to return, then closes all of them.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A value bound to a query whose filters are assembled at run time.
#[derive(Debug, Clone)]
pub enum Bind {
    Int(i64),
    Text(String),
}

/// The query types [`bind_all`] fills: sqlx has no common trait for `bind`.
pub trait Binds<'q>: Sized {
    fn bind_int(self, value: i64) -> Self;
    fn bind_text(self, value: &'q str) -> Self;
}

impl<'q> Binds<'q> for sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    fn bind_int(self, value: i64) -> Self {
        self.bind(value)
    }
    fn bind_text(self, value: &'q str) -> Self {
        self.bind(value)
    }
}

impl<'q, O> Binds<'q> for sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
    fn bind_int(self, value: i64) -> Self {
        self.bind(value)
    }
    fn bind_text(self, value: &'q str) -> Self {
        self.bind(value)
    }
}

/// Binds `binds` to `query` (`sqlx::query` or `sqlx::query_as`), in order.
pub fn bind_all<'q, Q: Binds<'q>>(query: Q, binds: &'q [Bind]) -> Q {
    binds.iter().fold(query, |query, b| match b {
        Bind::Int(v) => query.bind_int(*v),
        Bind::Text(v) => query.bind_text(v),
    })
}

/// A stored word (a role, a status) as the domain type it names. A word
/// this version does not know is a decode error, never some default.
///
/// Rows decode by name with `sqlx::FromRow` and keep such words as
/// `String`, converted here: sqlx's own `#[sqlx(try_from)]` loses the error
/// message ("unprintable error") in 0.8.
pub fn decode_word<T>(word: String) -> Result<T, sqlx::Error>
where
    T: TryFrom<String>,
    T::Error: std::error::Error + Send + Sync + 'static,
{
    T::try_from(word).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// The URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_string(),
        // Not a URL we can parse: show only the scheme, it may hold secrets.
        Err(_) => url.split_once(':').map(|(s, _)| format!("{s}:…")).unwrap_or_else(|| "(unparseable)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        let shown = redact_url("postgres://app:s3cret@db.internal:5432/preflight");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("app:***@db.internal"), "{shown}");
        assert_eq!(redact_url("sqlite://data/p.db?mode=rwc"), "sqlite://data/p.db?mode=rwc");
    }

    #[test]
    fn backend_is_chosen_by_scheme() {
        assert_eq!(Backend::from_url("sqlite://x.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::from_url("postgres://h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::from_url("postgresql://h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::from_url("mysql://h/db"), None);
        assert_eq!(Backend::from_url("nonsense"), None);
    }
}
