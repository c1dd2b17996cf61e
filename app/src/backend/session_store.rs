//! tower-sessions store on Preflight's own database (SQLite or PostgreSQL),
//! so sessions survive restarts and are shared by replicas.
//!
//! Session ids are stored only as SHA-256 digests. The signed-in user's id is
//! copied into its own column so a user's sessions can be listed and ended.

use async_trait::async_trait;
use sqlx::Row;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};
use tower_sessions::SessionStore;

use super::{clock::Clock, Db};

/// The session key that holds the signed-in user's id.
pub const USER_ID_KEY: &str = "auth.user_id";

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: Db,
    clock: Clock,
}

impl DbSessionStore {
    pub fn new(db: Db, clock: Clock) -> Self {
        DbSessionStore { db, clock }
    }
}

/// Digest under which a session id is stored.
pub fn id_hash(id: &Id) -> String {
    super::secrets::sha256_hex(&id.to_string())
}

impl DbSessionStore {
    /// The record's expiry on our clock. tower-sessions computes expiry from
    /// the system clock; shifting it keeps expiry consistent with
    /// [`Clock::now_millis`], which tests move forward.
    fn expiry_millis(&self, record: &Record) -> i64 {
        (record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64 + self.clock.offset_millis()
    }
}

/// The record's data as stored, and the signed-in user it belongs to.
fn stored_columns(record: &Record) -> Result<(String, Option<i64>)> {
    let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
    Ok((data, record.data.get(USER_ID_KEY).and_then(|v| v.as_i64())))
}

fn backend(err: impl std::fmt::Display) -> Error {
    Error::Backend(err.to_string())
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error().is_some_and(|e| e.is_unique_violation())
}

const INSERT: &str = "INSERT INTO sessions (id_hash, user_id, data, expires_at, created_at, last_seen_at)
     VALUES ($1, $2, $3, $4, $5, $5)";
const UPSERT: &str = "INSERT INTO sessions (id_hash, user_id, data, expires_at, created_at, last_seen_at)
     VALUES ($1, $2, $3, $4, $5, $5)
     ON CONFLICT (id_hash) DO UPDATE SET
        user_id = excluded.user_id, data = excluded.data,
        expires_at = excluded.expires_at, last_seen_at = excluded.last_seen_at";

impl DbSessionStore {
    /// Writes the record with `sql` (a plain insert or an upsert).
    async fn write(&self, sql: &str, record: &Record) -> Result<std::result::Result<(), sqlx::Error>> {
        let (data, user_id) = stored_columns(record)?;
        Ok(sqlx::query(sql)
            .bind(id_hash(&record.id))
            .bind(user_id)
            .bind(data)
            .bind(self.expiry_millis(record))
            .bind(self.clock.now_millis())
            .execute(self.db.pool())
            .await
            .map(|_| ()))
    }
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // Ids are 128 random bits; a collision is astronomically unlikely,
        // but if one happens the new session gets a fresh id.
        loop {
            match self.write(INSERT, record).await? {
                Ok(()) => return Ok(()),
                Err(e) if is_unique_violation(&e) => record.id = Id::default(),
                Err(e) => return Err(backend(e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.write(UPSERT, record).await?.map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let row = sqlx::query("SELECT data, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2")
            .bind(id_hash(id))
            .bind(self.clock.now_millis())
            .fetch_optional(self.db.pool())
            .await
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let data: String = row.try_get(0).map_err(backend)?;
        let expires_at: i64 = row.try_get(1).map_err(backend)?;
        let data = serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?;
        let system_millis = expires_at - self.clock.offset_millis();
        let expiry_date = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(system_millis) * 1_000_000)
            .map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash(id))
            .execute(self.db.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }
}
