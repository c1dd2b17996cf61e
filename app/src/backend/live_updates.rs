//! Telling live pages which probes have new results.
//!
//! In one process a broadcast channel carries each change to the pages
//! open on it (server-sent events, `server::live`). With PostgreSQL several
//! replicas share the work, and a page on one replica must also hear of
//! checks another replica ran: [`LiveUpdates::publish`] also sends a
//! `NOTIFY` on [`CHANNEL`], and every replica runs [`relay`], which
//! `LISTEN`s on its own connection and passes on what the other replicas
//! published. A relay that loses its connection reconnects and tells its
//! pages to fetch everything ([`LiveEvent::Resync`]): what was published
//! meanwhile is not replayed, so pages catch up by reading the database.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::probe_runs::ProbeUpdate;
use super::{Backend, Db};

/// The PostgreSQL notification channel.
pub const CHANNEL: &str = "preflight_probe_updates";

/// Events a slow page may fall behind by before it is told to resync.
const BUFFER: usize = 1024;

/// PostgreSQL refuses payloads of 8000 bytes or more; one notification
/// carries at most this much, and longer lists go in several.
const MAX_PAYLOAD: usize = 7000;

/// How long a relay waits before connecting again after a failure.
const RECONNECT_AFTER: Duration = Duration::from_secs(2);

/// What a live page hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveEvent {
    /// The probe has new results (or a new incident).
    Probe(ProbeUpdate),
    /// Updates may have been missed: fetch everything again.
    Resync,
}

/// This process's side of live updates. Cheap to clone.
#[derive(Clone)]
pub struct LiveUpdates {
    local: broadcast::Sender<LiveEvent>,
    /// Names this process in its notifications, so its relay skips its own.
    origin: Arc<str>,
}

impl Default for LiveUpdates {
    fn default() -> Self {
        // 64 hex characters: no two processes share one.
        LiveUpdates { local: broadcast::channel(BUFFER).0, origin: super::secrets::random_token().into() }
    }
}

impl LiveUpdates {
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.local.subscribe()
    }

    /// Tells this process's pages at once and, on PostgreSQL, the other
    /// replicas'. A failed notification is logged: those replicas' pages
    /// miss this change until their next update or resync, which is no
    /// reason to fail the write that caused it.
    pub async fn publish(&self, db: &Db, updates: &[ProbeUpdate]) {
        for update in updates {
            // No page listening is not an error.
            let _ = self.local.send(LiveEvent::Probe(*update));
        }
        if db.backend() != Backend::Postgres || updates.is_empty() {
            return;
        }
        for payload in payloads(&self.origin, updates) {
            let sent = sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(&payload).execute(db.pool()).await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "live updates: could not notify the other replicas");
                return;
            }
        }
    }

    /// Tells this process's pages to fetch everything again.
    pub fn resync(&self) {
        let _ = self.local.send(LiveEvent::Resync);
    }

    /// Passes on a notification another replica published.
    fn relay_payload(&self, payload: &str) {
        match parse(payload) {
            Some((origin, _)) if origin == &*self.origin => {}
            Some((_, updates)) => {
                for update in updates {
                    let _ = self.local.send(LiveEvent::Probe(update));
                }
            }
            None => tracing::warn!(payload, "live updates: ignored a notification in an unknown form"),
        }
    }
}

/// `"<origin> <service>:<probe> <service>:<probe> …"`, split so that none
/// is longer than [`MAX_PAYLOAD`].
fn payloads(origin: &str, updates: &[ProbeUpdate]) -> Vec<String> {
    let mut payloads = Vec::new();
    let mut current = origin.to_string();
    for update in updates {
        let item = format!(" {}:{}", update.service_id, update.probe_id);
        if current.len() + item.len() > MAX_PAYLOAD {
            payloads.push(std::mem::replace(&mut current, origin.to_string()));
        }
        current.push_str(&item);
    }
    payloads.push(current);
    payloads
}

fn parse(payload: &str) -> Option<(&str, Vec<ProbeUpdate>)> {
    let mut words = payload.split(' ');
    let origin = words.next().filter(|o| !o.is_empty())?;
    let updates = words
        .map(|word| {
            let (service, probe) = word.split_once(':')?;
            Some(ProbeUpdate { service_id: service.parse().ok()?, probe_id: probe.parse().ok()? })
        })
        .collect::<Option<Vec<_>>>()?;
    Some((origin, updates))
}

/// Passes on the other replicas' updates until `stop` (PostgreSQL only;
/// returns at once on SQLite, where one process does all the work).
pub async fn relay(db: Db, live: LiveUpdates, stop: CancellationToken) {
    if db.backend() != Backend::Postgres {
        return;
    }
    let mut connected_before = false;
    while !stop.is_cancelled() {
        let listening = async {
            let mut listener = db.listener().await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = match listening.await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "live updates: cannot listen for other replicas' updates; will retry");
                tokio::select! {
                    () = tokio::time::sleep(RECONNECT_AFTER) => continue,
                    () = stop.cancelled() => return,
                }
            }
        };
        if connected_before {
            // Whatever was published while this relay was away is lost.
            live.resync();
        }
        connected_before = true;
        loop {
            let next = tokio::select! {
                next = listener.try_recv() => next,
                () = stop.cancelled() => return,
            };
            match next {
                Ok(Some(notification)) => live.relay_payload(notification.payload()),
                // The connection dropped; the listener reconnects (and
                // listens again) on the next call. Missed updates: resync.
                Ok(None) => live.resync(),
                Err(e) => {
                    tracing::warn!(error = %e, "live updates: lost the connection for other replicas' updates; will retry");
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(service_id: i64, probe_id: i64) -> ProbeUpdate {
        ProbeUpdate { service_id, probe_id }
    }

    #[test]
    fn payloads_carry_the_origin_and_every_update_within_the_size_limit() {
        let updates: Vec<ProbeUpdate> = (0..2000).map(|n| update(1000 + n, 100_000 + n)).collect();
        let sent = payloads("abc", &updates);
        assert!(sent.len() > 1, "2,000 updates do not fit one notification");
        let mut read = Vec::new();
        for payload in &sent {
            assert!(payload.len() <= MAX_PAYLOAD);
            let (origin, updates) = parse(payload).unwrap();
            assert_eq!(origin, "abc");
            read.extend(updates);
        }
        assert_eq!(read, updates);
    }

    #[test]
    fn malformed_payloads_are_refused() {
        assert_eq!(parse("abc"), Some(("abc", vec![])));
        assert_eq!(parse("abc 1:2"), Some(("abc", vec![update(1, 2)])));
        for bad in ["", " 1:2", "abc 1", "abc 1:x", "abc 1:2 3"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[tokio::test]
    async fn a_process_skips_its_own_notifications_and_passes_on_others() {
        let live = LiveUpdates::default();
        let mut heard = live.subscribe();
        live.relay_payload(&format!("{} 1:2", live.origin));
        live.relay_payload("another-replica 3:4");
        assert_eq!(heard.try_recv().unwrap(), LiveEvent::Probe(update(3, 4)));
        assert!(heard.try_recv().is_err());
    }
}
