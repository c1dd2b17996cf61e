//! The audit trail: one append-only row per security-relevant event.

use sqlx::{Acquire, Any, AnyConnection};

use super::audit_chain::{ChainBreak, ChainEntry, ChainHead, SealedEntry, Verifier};
use super::db::{bind_all, Bind};

/// One event. `actor_label` is copied at the time so the entry still reads
/// correctly after the actor is renamed or removed.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry<'a> {
    pub actor_user_id: Option<i64>,
    pub actor_label: &'a str,
    /// Dotted name, e.g. `login.succeeded`, `setup.admin_created`.
    pub action: &'a str,
    pub subject_type: Option<&'a str>,
    pub subject_id: Option<String>,
    /// Free text or JSON; never a secret.
    pub detail: Option<String>,
    /// The client address and request id of the request that made the
    /// change (see [`super::caller::Client`]), when there was one.
    pub client_ip: Option<&'a str>,
    pub request_id: Option<&'a str>,
    /// The service the entry concerns, so a service's activity is one read.
    pub service_id: Option<i64>,
}

/// Who is acting, for the audit trail: a signed-in user, and the request
/// they acted through (when there is one).
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub id: i64,
    pub name: &'a str,
    pub client: Option<&'a super::caller::Client>,
}

impl<'a> Actor<'a> {
    /// An entry of this actor's about `subject_type` `subject_id`.
    pub fn entry(
        self,
        action: &'a str,
        subject_type: &'a str,
        subject_id: impl ToString,
        detail: Option<String>,
    ) -> AuditEntry<'a> {
        AuditEntry {
            actor_user_id: Some(self.id),
            actor_label: self.name,
            action,
            subject_type: Some(subject_type),
            subject_id: Some(subject_id.to_string()),
            detail,
            client_ip: self.client.map(|c| c.ip.as_str()),
            request_id: self.client.map(|c| c.request_id.as_str()),
            service_id: None,
        }
    }
}

impl<'a> AuditEntry<'a> {
    /// This entry, filed under service `service_id`.
    pub fn for_service(self, service_id: i64) -> Self {
        AuditEntry { service_id: Some(service_id), ..self }
    }

    /// This entry, stamped with the request that caused it.
    pub fn from_client(self, client: &'a super::caller::Client) -> Self {
        AuditEntry { client_ip: Some(&client.ip), request_id: Some(&client.request_id), ..self }
    }
}

/// Appends `entry` to the chain: takes the next sequence number from the
/// chain head (whose row lock serialises appends, across replicas too),
/// hashes the entry with its predecessor's hash and moves the head on.
/// Inside a transaction this runs in a savepoint, so the entry commits or
/// rolls back with the change it records.
///
/// The head row stays locked until the surrounding transaction ends, so
/// record the entry as the transaction's last write: a transaction that
/// took the head and then waited for another row could deadlock with one
/// holding that row and waiting for the head.
pub async fn record<'c, A>(conn: A, at_millis: i64, entry: AuditEntry<'_>) -> Result<(), sqlx::Error>
where
    A: Acquire<'c, Database = Any>,
{
    let mut tx = conn.begin().await?;
    let (seq, prev_hash): (i64, String) =
        sqlx::query_as("UPDATE audit_chain_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut *tx)
            .await?;
    let chained = ChainEntry {
        seq,
        prev_hash,
        occurred_at: at_millis,
        actor_user_id: entry.actor_user_id,
        actor_label: entry.actor_label.to_string(),
        action: entry.action.to_string(),
        subject_type: entry.subject_type.map(str::to_string),
        subject_id: entry.subject_id,
        detail: entry.detail,
        client_ip: entry.client_ip.map(str::to_string),
        request_id: entry.request_id.map(str::to_string),
        service_id: entry.service_id,
    };
    let hash = chained.hash();
    insert(&mut tx, &chained, &hash).await?;
    sqlx::query("UPDATE audit_chain_head SET hash = $1 WHERE id = 1").bind(&hash).execute(&mut *tx).await?;
    tx.commit().await
}

async fn insert(conn: &mut AnyConnection, e: &ChainEntry, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_events (occurred_at, actor_user_id, actor_label, action, subject_type, subject_id, detail,
                                   client_ip, request_id, service_id, seq, prev_hash, entry_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(e.occurred_at)
    .bind(e.actor_user_id)
    .bind(&e.actor_label)
    .bind(&e.action)
    .bind(&e.subject_type)
    .bind(&e.subject_id)
    .bind(&e.detail)
    .bind(&e.client_ip)
    .bind(&e.request_id)
    .bind(e.service_id)
    .bind(e.seq)
    .bind(&e.prev_hash)
    .bind(hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// The columns of a chained entry, in [`ChainEntry`] order, then its hash.
const CHAIN_COLUMNS: &str = "seq, prev_hash, occurred_at, actor_user_id, actor_label, action, subject_type, \
                             subject_id, detail, client_ip, request_id, service_id, entry_hash";

/// A chained entry as read back, in [`CHAIN_COLUMNS`] order. The hashes are
/// optional so that a row stripped of them reads as changed rather than as
/// unreadable.
type ChainRow = (
    i64,
    Option<String>,
    i64,
    Option<i64>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

fn sealed_from_row(row: ChainRow) -> SealedEntry {
    let (
        seq,
        prev_hash,
        occurred_at,
        actor_user_id,
        actor_label,
        action,
        subject_type,
        subject_id,
        detail,
        client_ip,
        request_id,
        service_id,
        hash,
    ) = row;
    SealedEntry {
        entry: ChainEntry {
            seq,
            prev_hash: prev_hash.unwrap_or_default(),
            occurred_at,
            actor_user_id,
            actor_label,
            action,
            subject_type,
            subject_id,
            detail,
            client_ip,
            request_id,
            service_id,
        },
        hash: hash.unwrap_or_default(),
    }
}

/// Brings rows written before the chain existed into it, in the order they
/// were written. Runs inside the migration's transaction.
pub async fn seal_unchained(conn: &mut AnyConnection) -> Result<u64, sqlx::Error> {
    type Unsealed = (
        i64,
        i64,
        Option<i64>,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
    );
    let rows: Vec<Unsealed> = sqlx::query_as(
        "SELECT id, occurred_at, actor_user_id, actor_label, action, subject_type, subject_id, detail, client_ip,
                request_id, service_id
         FROM audit_events WHERE seq IS NULL ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let (mut seq, mut prev): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_chain_head WHERE id = 1").fetch_one(&mut *conn).await?;
    let sealed = rows.len() as u64;
    for (
        id,
        occurred_at,
        actor_user_id,
        actor_label,
        action,
        subject_type,
        subject_id,
        detail,
        client_ip,
        request_id,
        service_id,
    ) in rows
    {
        seq += 1;
        let entry = ChainEntry {
            seq,
            prev_hash: prev,
            occurred_at,
            actor_user_id,
            actor_label,
            action,
            subject_type,
            subject_id,
            detail,
            client_ip,
            request_id,
            service_id,
        };
        let hash = entry.hash();
        sqlx::query("UPDATE audit_events SET seq = $1, prev_hash = $2, entry_hash = $3 WHERE id = $4")
            .bind(seq)
            .bind(&entry.prev_hash)
            .bind(&hash)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        prev = hash;
    }
    sqlx::query("UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&prev)
        .execute(&mut *conn)
        .await?;
    Ok(sealed)
}

/// The chain head as committed now.
pub async fn head(db: &super::Db) -> Result<ChainHead, sqlx::Error> {
    let (seq, hash) =
        sqlx::query_as("SELECT seq, hash FROM audit_chain_head WHERE id = 1").fetch_one(db.pool()).await?;
    Ok(ChainHead { seq, hash })
}

/// Why the stored chain does not verify.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("cannot read the audit trail: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Broken(#[from] ChainBreak),
    #[error("{count} audit entries are outside the chain (the first has row id {first_id}): they were written behind Preflight's back")]
    Unchained { count: i64, first_id: i64 },
}

/// What a good chain holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: u64,
    pub head: ChainHead,
}

/// Entries checked per read: each read is one row holding a JSON array of
/// the entries, built by the database. Row by row, the driver's per-row
/// hand-over cost more than hashing (a million entries took 13 s; in
/// chunks it is hashing and parsing).
const VERIFY_CHUNK: i64 = 10_000;

/// The entry columns as a JSON array per entry, in [`ChainEntry`] order
/// and then the hash, aggregated in sequence order.
fn chunk_sql(backend: super::Backend) -> String {
    match backend {
        super::Backend::Sqlite => format!(
            "SELECT json_group_array(json_array({CHAIN_COLUMNS}) ORDER BY seq) FROM audit_events
             WHERE seq > $1 AND seq <= $2"
        ),
        super::Backend::Postgres => format!(
            "SELECT CAST(json_agg(json_build_array({CHAIN_COLUMNS}) ORDER BY seq) AS TEXT) FROM audit_events
             WHERE seq > $1 AND seq <= $2"
        ),
    }
}

/// Checks the whole stored chain, entry by entry, up to the head committed
/// when the check starts (entries appended meanwhile are left for the next
/// check). Memory stays flat: entries are read a chunk at a time.
pub async fn verify(db: &super::Db) -> Result<Verified, VerifyError> {
    let head = head(db).await?;
    let sql = std::sync::Arc::new(chunk_sql(db.backend()));
    // The next chunk is read while this one is checked (two cores: the
    // database's thread builds JSON while this one hashes).
    let read = |from: i64| {
        let (pool, sql) = (db.pool().clone(), sql.clone());
        let to = (from + VERIFY_CHUNK).min(head.seq);
        let task = tokio::spawn(async move {
            sqlx::query_scalar::<_, Option<String>>(&sql).bind(from).bind(to).fetch_one(&pool).await
        });
        (to, task)
    };
    let mut verifier = Verifier::whole_chain();
    let mut pending = (head.seq > 0).then(|| read(0));
    while let Some((to, task)) = pending.take() {
        let json = task.await.map_err(|e| sqlx::Error::Protocol(format!("the chunk reader stopped: {e}")))??;
        if to < head.seq {
            pending = Some(read(to));
        }
        let rows: Vec<ChainRow> =
            serde_json::from_str(json.as_deref().unwrap_or("[]")).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        for sealed in rows.into_iter().map(sealed_from_row) {
            verifier.push(&sealed.entry, &sealed.hash)?;
        }
    }
    verifier.finish(&head)?;
    // Rows without a place in the chain, or past its head as committed now:
    // inserts that bypassed `record`. (One statement, so one snapshot.)
    let (count, first_id): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(id) FROM audit_events
         WHERE seq IS NULL OR seq > (SELECT seq FROM audit_chain_head WHERE id = 1)",
    )
    .fetch_one(db.pool())
    .await?;
    if count > 0 {
        return Err(VerifyError::Unchained { count, first_id: first_id.unwrap_or_default() });
    }
    Ok(Verified { entries: verifier.checked(), head })
}

/// The newest `limit` entries filed under a service, newest first.
pub async fn for_service(
    db: &super::Db,
    service_id: i64,
    limit: i64,
) -> Result<Vec<crate::domain::services::ActivityEntry>, sqlx::Error> {
    let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT occurred_at, actor_label, action, detail FROM audit_events WHERE service_id = $1
         ORDER BY id DESC LIMIT $2",
    )
    .bind(service_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, actor, action, detail)| crate::domain::services::ActivityEntry { at, actor, action, detail })
        .collect())
}

/// An [`AuditFilter`] with the service's slug looked up.
#[derive(Debug, Clone, Default)]
pub struct TrailFilter {
    pub person: Option<i64>,
    pub service_id: Option<i64>,
    /// The first word of the action (`item`, `login`, …).
    pub kind: Option<String>,
    pub from_ms: Option<i64>,
    pub until_ms: Option<i64>,
}

impl TrailFilter {
    /// The filter's conditions on `audit_events` (aliased `e`), numbering
    /// placeholders from `first`, and their values in order.
    fn conditions(&self, first: usize) -> (String, Vec<Bind>) {
        let mut sql = String::new();
        let mut binds = Vec::new();
        let mut add = |condition: &str, bind: Bind| {
            sql.push_str(&format!(" AND {condition}${}", first + binds.len()));
            binds.push(bind);
        };
        if let Some(p) = self.person {
            add("e.actor_user_id = ", Bind::Int(p));
        }
        if let Some(s) = self.service_id {
            add("e.service_id = ", Bind::Int(s));
        }
        if let Some(k) = &self.kind {
            add("e.action LIKE ", Bind::Text(format!("{k}.%")));
        }
        if let Some(t) = self.from_ms {
            add("e.occurred_at >= ", Bind::Int(t));
        }
        if let Some(t) = self.until_ms {
            add("e.occurred_at < ", Bind::Int(t));
        }
        (sql, binds)
    }
}

/// One page of the trail, newest first: up to `limit` entries older than
/// `before` (a sequence number), and the sequence number to continue from
/// when there are more.
pub async fn page(
    db: &super::Db,
    filter: &TrailFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<crate::domain::audit::AuditRow>, Option<i64>), sqlx::Error> {
    type Row = (
        i64,
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    );
    let (conditions, mut binds) = filter.conditions(1);
    let mut sql = format!(
        "SELECT e.seq, e.occurred_at, e.actor_label, e.action, e.subject_type, e.subject_id, e.detail, s.slug, s.name,
                e.client_ip, e.entry_hash
         FROM audit_events e LEFT JOIN services s ON s.id = e.service_id
         WHERE e.seq IS NOT NULL{conditions}"
    );
    if let Some(before) = before {
        sql.push_str(&format!(" AND e.seq < ${}", binds.len() + 1));
        binds.push(Bind::Int(before));
    }
    sql.push_str(&format!(" ORDER BY e.seq DESC LIMIT ${}", binds.len() + 1));
    binds.push(Bind::Int(limit + 1));
    let mut rows: Vec<Row> = bind_all(sqlx::query_as(&sql), &binds).fetch_all(db.pool()).await?;
    let older = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.0)
    } else {
        None
    };
    let rows = rows
        .into_iter()
        .map(|(seq, occurred_at, actor, action, subject_type, subject_id, detail, slug, name, client_ip, hash)| {
            crate::domain::audit::AuditRow {
                seq,
                occurred_at,
                actor,
                action,
                subject: subject_type.map(|t| match subject_id {
                    Some(id) => format!("{t} {id}"),
                    None => t,
                }),
                detail,
                service: slug.zip(name),
                client_ip,
                hash,
            }
        })
        .collect();
    Ok((rows, older))
}

/// Sends the entries that match `filter`, up to sequence number `up_to`,
/// oldest first, into `out` as they are read (an export streams the trail
/// rather than holding it). Stops early when the receiver has gone.
pub async fn send_entries(
    db: &super::Db,
    filter: &TrailFilter,
    up_to: i64,
    out: tokio::sync::mpsc::Sender<Result<SealedEntry, sqlx::Error>>,
) {
    use futures_util::TryStreamExt;
    let (conditions, mut binds) = filter.conditions(2);
    binds.insert(0, Bind::Int(up_to));
    let sql = format!(
        "SELECT {} FROM audit_events e WHERE e.seq IS NOT NULL AND e.seq <= $1{conditions} ORDER BY e.seq",
        CHAIN_COLUMNS.split(", ").map(|c| format!("e.{}", c.trim())).collect::<Vec<_>>().join(", ")
    );
    let mut rows = bind_all(sqlx::query_as::<_, ChainRow>(&sql), &binds).fetch(db.pool());
    loop {
        let next = match rows.try_next().await {
            Ok(Some(row)) => Ok(sealed_from_row(row)),
            Ok(None) => return,
            Err(e) => Err(e),
        };
        let failed = next.is_err();
        if out.send(next).await.is_err() || failed {
            return;
        }
    }
}

/// People who can appear in the trail, for its filter: (id, name).
pub async fn people(db: &super::Db) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, name FROM users ORDER BY name, id").fetch_all(db.pool()).await
}

/// The filter with its service slug looked up; a slug that names no
/// service is a problem of the `service` field.
pub async fn resolve(
    db: &super::Db,
    filter: &crate::domain::audit::AuditFilter,
) -> Result<Result<TrailFilter, crate::domain::audit::FilterProblem>, sqlx::Error> {
    let service_id = match &filter.service {
        None => None,
        Some(slug) => {
            let id: Option<i64> = sqlx::query_scalar("SELECT id FROM services WHERE slug = $1")
                .bind(slug)
                .fetch_optional(db.pool())
                .await?;
            match id {
                Some(id) => Some(id),
                None => {
                    return Ok(Err(crate::domain::audit::FilterProblem {
                        field: "service".into(),
                        message: "No service has this slug.".into(),
                    }))
                }
            }
        }
    };
    let (from_ms, until_ms) = filter.millis_range();
    Ok(Ok(TrailFilter { person: filter.person, service_id, kind: filter.kind.clone(), from_ms, until_ms }))
}
