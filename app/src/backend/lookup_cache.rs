//! A process-local copy of recent session lookups, so that a signed-in
//! browser's page loads do not each ask the database who they are.
//!
//! Every page and server call needs its caller ([`super::caller::resolve`]),
//! and with SQLite that one statement was a fifth of a signed-in page's cost
//! (a round trip through sqlx's connection thread, plus the ping sqlx sends
//! when the connection goes back to its pool). A copy is used only while it
//! is certainly current:
//!
//! * **Every state-changing request empties the cache.** All changes that
//!   a lookup can see — signing in or out, ending sessions, roles, teams,
//!   disabling, second factor, settings — are POSTs, and the server calls
//!   [`LookupCache::invalidate_all`] after each one has committed and before
//!   its answer leaves ([`server::session`]). A lookup that read the
//!   database before such a change is stored under the generation it
//!   started in, which is then already old, so it is never served.
//! * **The caller's own writes forget the entry**: the activity touch and a
//!   token rotation ([`LookupCache::forget`]).
//! * **Copies live one second at most** (`PREFLIGHT_SESSION_CACHE_MILLISECONDS`).
//!   That bounds what this process cannot see: the `preflight` command line
//!   writing to the same file.
//! * **SQLite only.** With PostgreSQL several replicas may serve one
//!   database, and an ended session must end on all of them at once; there
//!   every request asks the database.
//!
//! [`server::session`]: ../../../server/session/index.html

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::sessions::{self, Lookup};
use super::{Backend, Db};

/// More live sessions than this in one second empties the cache rather
/// than growing it (a flood of signed-in clients gains nothing from it).
const MAX_ENTRIES: usize = 10_000;

pub struct LookupCache {
    enabled: bool,
    ttl_ms: i64,
    generation: AtomicU64,
    entries: Mutex<HashMap<String, Entry>>,
}

struct Entry {
    generation: u64,
    fetched_at: i64,
    lookup: Lookup,
}

impl LookupCache {
    /// A cache whose copies live `ttl`, used only with SQLite and a `ttl`
    /// above zero.
    pub fn new(backend: Backend, ttl: Duration) -> LookupCache {
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        LookupCache {
            enabled: backend == Backend::Sqlite && ttl_ms > 0,
            ttl_ms,
            generation: AtomicU64::new(0),
            entries: Mutex::default(),
        }
    }

    /// The session whose token digest is `id_hash`, from a current copy or
    /// from the database (see [`sessions::lookup`]). `now` is the
    /// application clock's time in milliseconds.
    pub async fn lookup(&self, db: &Db, id_hash: &str, now: i64) -> Result<Option<Lookup>, sqlx::Error> {
        if !self.enabled {
            return sessions::lookup(db, id_hash).await;
        }
        // Read before the database, so a change that commits meanwhile
        // makes this copy stale at once.
        let generation = self.generation.load(Ordering::Acquire);
        if let Some(found) = self.current(id_hash, generation, now) {
            return Ok(Some(found));
        }
        let found = sessions::lookup(db, id_hash).await?;
        if let Some(found) = &found {
            self.store(id_hash, generation, now, found.clone());
        }
        Ok(found)
    }

    /// Every copy is stale from now on: called after each state-changing
    /// request.
    pub fn invalidate_all(&self) {
        if !self.enabled {
            return;
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries().clear();
    }

    /// Drops the copy for `id_hash` (its row has just been written).
    pub fn forget(&self, id_hash: &str) {
        if self.enabled {
            self.entries().remove(id_hash);
        }
    }

    fn current(&self, id_hash: &str, generation: u64, now: i64) -> Option<Lookup> {
        let entries = self.entries();
        let entry = entries.get(id_hash)?;
        let fresh = entry.generation == generation
            && (entry.fetched_at..entry.fetched_at.saturating_add(self.ttl_ms)).contains(&now);
        fresh.then(|| entry.lookup.clone())
    }

    fn store(&self, id_hash: &str, generation: u64, now: i64, lookup: Lookup) {
        let mut entries = self.entries();
        // Checked under the lock that `invalidate_all` clears under: a
        // change that began after our read cannot be overtaken.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(id_hash.to_string(), Entry { generation, fetched_at: now, lookup });
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock leaves only a cache behind.
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
