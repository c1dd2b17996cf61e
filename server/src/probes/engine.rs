//! The scheduler: one task that owns every probe this process runs.
//!
//! It keeps the leased probes in memory with their state and next slot,
//! starts each due check as its own task (a hanging target holds only its
//! own task, never the loop), moves the probe's state when the result
//! comes back, and hands batches of results to a flush task about once a
//! second. It syncs with the database every few seconds (or at once when a
//! person changes a probe here): leases, changed definitions, "check now".

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use app::backend::alerts;
use app::backend::probe_runs::{self, CheckDone, Leased, ProbeUpdate, Runnable};
use app::backend::AppState;
use app::domain::probes::metrics::Counters;
use app::domain::probes::schedule::{next_due, phase_ms};
use app::domain::probes::status::{next_state, ProbeStatus};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::check::{self, Checked, Clients};
use crate::metrics::ProbeMetrics;

/// A "check now" that finds its probe's check still running tries again
/// after this long.
const RETRY_BUSY_MS: i64 = 200;

/// How the engine runs; tests shorten the periods.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// This process's name in `probe_workers` and `lease_owner`.
    pub worker_id: String,
    /// A lease outlives a silent worker by this long.
    pub lease: Duration,
    /// Leases, definitions and "check now" are read this often.
    pub sync_every: Duration,
    /// Results are written this often.
    pub flush_every: Duration,
    /// Checks running at once, at most.
    pub max_in_flight: usize,
    /// Results kept in memory while the database refuses them; the oldest
    /// beyond this are dropped (with a warning) rather than the process.
    pub max_pending: usize,
    /// Run checks at their slots. Only tests that drive every check with
    /// "check now" (to count them) turn this off.
    pub run_slots: bool,
    /// Raw checks older than this are deleted (`PREFLIGHT_PROBE_RAW_DAYS`).
    pub raw_keep: Duration,
    /// Alert rules, retention and rollups run this often (`upkeep`).
    pub upkeep_every: Duration,
    /// Queued alert deliveries are looked for this often (`deliver`).
    pub deliver_every: Duration,
    /// Schedule drift and checks done, for `/metrics`.
    pub metrics: ProbeMetrics,
}

impl EngineConfig {
    /// Leases of `lease`, renewed at every sync: three syncs to a lease
    /// (at most 5 s apart), so one slow round never lets a live replica's
    /// probes go.
    pub fn with_lease(self, lease: Duration) -> EngineConfig {
        EngineConfig { lease, sync_every: (lease / 3).min(Duration::from_secs(5)), ..self }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            worker_id: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            lease: Duration::from_secs(30),
            sync_every: Duration::from_secs(5),
            flush_every: Duration::from_secs(1),
            max_in_flight: 4096,
            max_pending: 200_000,
            run_slots: true,
            raw_keep: Duration::from_secs(7 * 86_400),
            upkeep_every: Duration::from_secs(60),
            deliver_every: Duration::from_secs(5),
            metrics: ProbeMetrics::default(),
        }
    }
}

/// A probe in memory.
struct Slot {
    probe: Runnable,
    phase_ms: i64,
    /// Bumped when the definition is reloaded, so stale heap entries and
    /// results of the old definition are recognised.
    generation: u64,
    running: bool,
    /// The "check now" request already served.
    served_request: Option<i64>,
}

/// A finished check, back from its task.
struct Finished {
    id: i64,
    generation: u64,
    checked: Checked,
}

/// The flush task: a failed batch comes back to be tried again.
type Flush = JoinHandle<Result<(), (sqlx::Error, Vec<CheckDone>)>>;

pub struct Engine {
    state: AppState,
    config: EngineConfig,
    clients: Clients,
    slots: HashMap<i64, Slot>,
    /// (due at, probe id, generation, on demand), earliest first. Slot
    /// entries chain (each pushes the next); "check now" entries do not.
    queue: BinaryHeap<Reverse<(i64, i64, u64, bool)>>,
    permits: Arc<Semaphore>,
    finished_tx: mpsc::UnboundedSender<Finished>,
    finished_rx: mpsc::UnboundedReceiver<Finished>,
    pending: Vec<CheckDone>,
    /// Services a pending result took down or brought back up: their alert
    /// rules are read right after the results are written, not at the
    /// next upkeep round a minute later.
    moved: Vec<i64>,
    flushing: Option<Flush>,
    next_generation: u64,
}

impl Engine {
    pub fn new(state: AppState, config: EngineConfig, clients: Clients) -> Engine {
        let (finished_tx, finished_rx) = mpsc::unbounded_channel();
        Engine {
            permits: Arc::new(Semaphore::new(config.max_in_flight)),
            state,
            config,
            clients,
            slots: HashMap::new(),
            queue: BinaryHeap::new(),
            finished_tx,
            finished_rx,
            pending: Vec::new(),
            moved: Vec::new(),
            flushing: None,
            next_generation: 0,
        }
    }

    fn now(&self) -> i64 {
        self.state.clock.now_millis()
    }

    /// Runs until `stop` is cancelled, then writes what it holds and gives
    /// its leases back.
    pub async fn run(mut self, stop: CancellationToken) {
        let changed = self.state.probes_changed.clone();
        let mut sync_at = self.now();
        let mut flush_at = self.now() + self.config.flush_every.as_millis() as i64;
        loop {
            let now = self.now();
            if now >= sync_at {
                if let Err(e) = self.sync(now).await {
                    tracing::warn!(error = %e, "probe engine: reading leases and probes failed; will retry");
                }
                sync_at = now + self.config.sync_every.as_millis() as i64;
            }
            self.start_due(now);
            if now >= flush_at {
                self.flush().await;
                flush_at = now + self.config.flush_every.as_millis() as i64;
            }
            let next_due = self.queue.peek().map_or(i64::MAX, |Reverse((due, ..))| *due);
            let wake = next_due.min(sync_at).min(flush_at);
            let sleep = Duration::from_millis((wake - self.now()).clamp(0, 60_000) as u64);
            tokio::select! {
                () = tokio::time::sleep(sleep) => {}
                Some(finished) = self.finished_rx.recv() => self.finish(finished),
                () = changed.notified() => sync_at = self.now(),
                () = stop.cancelled() => break,
            }
        }
        self.shut_down().await;
    }

    /// Leases, then (re)loads what changed.
    async fn sync(&mut self, now: i64) -> Result<(), sqlx::Error> {
        let db = &self.state.db;
        // Another replica's administrator may have changed the allow-list.
        app::backend::instance_settings::apply_outbound_allow(db, &self.state.outbound).await?;
        let lease_ms = self.config.lease.as_millis() as i64;
        let alive = probe_runs::heartbeat(db, &self.config.worker_id, now, lease_ms).await?;
        let held = probe_runs::balance(db, &self.config.worker_id, alive, now, lease_ms).await?;
        let held_ids: std::collections::HashSet<i64> = held.iter().map(|l| l.id).collect();
        self.slots.retain(|id, _| held_ids.contains(id));
        let stale: Vec<i64> = held
            .iter()
            .filter(|l| self.slots.get(&l.id).is_none_or(|slot| slot.probe.version != l.version))
            .map(|l| l.id)
            .collect();
        for probe in probe_runs::load(db, &stale).await? {
            self.install(probe, now);
        }
        for lease in &held {
            self.serve_request(lease, now);
        }
        Ok(())
    }

    /// Puts a (re)loaded probe in place and schedules its next slot.
    fn install(&mut self, probe: Runnable, now: i64) {
        self.next_generation += 1;
        let generation = self.next_generation;
        let interval = probe.def.interval_ms();
        let phase_ms = phase_ms(probe.id, interval);
        // After a restart or a move, the next slot after the last check (a
        // check another process ran a moment ago may not be written yet, so
        // not before the flush period has passed either).
        let after = now.max(probe.last_check_at.unwrap_or(i64::MIN)) + self.config.flush_every.as_millis() as i64;
        let due = next_due(after, interval, phase_ms);
        let id = probe.id;
        let run_slots = self.config.run_slots;
        // A "check now" asked within the last interval still waits (it may
        // have come while this probe was loading); older ones were overtaken
        // by a slot, and serving them after a restart would be a burst.
        let recent = |at: &i64| *at >= now - interval;
        let served_request = match self.slots.get(&id) {
            Some(slot) => slot.served_request,
            None => probe.check_requested_at.filter(|at| !recent(at)),
        };
        let running = self.slots.get(&id).is_some_and(|s| s.running);
        self.slots.insert(id, Slot { probe, phase_ms, generation, running, served_request });
        if run_slots {
            self.queue.push(Reverse((due, id, generation, false)));
        }
    }

    /// "Check now": run at once, unless that request was served already.
    fn serve_request(&mut self, lease: &Leased, now: i64) {
        let Some(slot) = self.slots.get_mut(&lease.id) else { return };
        if lease.check_requested_at.is_some() && lease.check_requested_at > slot.served_request {
            slot.served_request = lease.check_requested_at;
            self.queue.push(Reverse((now, lease.id, slot.generation, true)));
        }
    }

    /// Starts every check whose slot has come.
    fn start_due(&mut self, now: i64) {
        while let Some(Reverse((due, id, generation, on_demand))) = self.queue.peek().copied() {
            if due > now {
                break;
            }
            self.queue.pop();
            let Some(slot) = self.slots.get_mut(&id) else { continue };
            if slot.generation != generation {
                continue;
            }
            if !on_demand {
                let interval = slot.probe.def.interval_ms();
                self.queue.push(Reverse((next_due(due, interval, slot.phase_ms), id, generation, false)));
            }
            // Paused probes keep their slots (so resuming needs no reload) but
            // are not checked. A check still running skips this slot; a
            // "check now" waits for it instead.
            if slot.probe.state.status == ProbeStatus::Paused {
                continue;
            }
            if slot.running {
                if on_demand {
                    self.queue.push(Reverse((now + RETRY_BUSY_MS, id, generation, true)));
                }
                continue;
            }
            slot.running = true;
            let def = slot.probe.def.clone();
            let previous = slot.probe.counters.map(|(requests, errors)| Counters { requests, errors });
            let clients = self.clients.clone();
            let permits = self.permits.clone();
            let finished = self.finished_tx.clone();
            let clock = self.state.clock.clone();
            let drift = self.config.metrics.drift.clone();
            tokio::spawn(async move {
                let Ok(_permit) = permits.acquire_owned().await else { return };
                // The check's own start, not its slot, is when it ran.
                let at_ms = clock.now_millis();
                if !on_demand {
                    drift.observe((at_ms - due).max(0) as f64 / 1000.0);
                }
                let checked = check::run(&clients, &def, at_ms, previous).await;
                let _ = finished.send(Finished { id, generation, checked });
            });
        }
    }

    /// Moves the probe's state by a finished check and queues the result.
    fn finish(&mut self, finished: Finished) {
        self.config.metrics.checks.inc();
        let Some(slot) = self.slots.get_mut(&finished.id) else { return };
        slot.running = false;
        if slot.generation != finished.generation {
            // The definition changed while it ran: the result is for the old one.
            return;
        }
        let record = finished.checked.record;
        let def = &slot.probe.def;
        let (state, transition) =
            next_state(slot.probe.state, record.outcome, def.failure_threshold, def.recovery_threshold, record.at_ms);
        if transition.is_some_and(|t| t.from == ProbeStatus::Down || t.to == ProbeStatus::Down) {
            self.moved.push(slot.probe.service_id);
        }
        slot.probe.state = state;
        slot.probe.last_check_at = Some(record.at_ms);
        let counters = finished.checked.counters.map(|c| (c.requests, c.errors));
        if counters.is_some() {
            slot.probe.counters = counters;
        }
        self.pending.push(CheckDone {
            probe_id: finished.id,
            service_id: slot.probe.service_id,
            version: slot.probe.version,
            record,
            state,
            message: finished.checked.message,
            tls_not_after: finished.checked.tls_not_after,
            counters,
            error_rate: finished.checked.error_rate,
        });
    }

    /// Hands the pending results to a flush task, unless one is still
    /// writing; a failed batch comes back to be written next time.
    async fn flush(&mut self) {
        if let Some(task) = &self.flushing {
            if !task.is_finished() {
                return;
            }
        }
        if let Some(task) = self.flushing.take() {
            if let Ok(Err((e, mut batch))) = task.await {
                tracing::warn!(error = %e, results = batch.len(), "probe engine: writing results failed; will retry");
                batch.append(&mut self.pending);
                self.pending = batch;
            }
        }
        if self.pending.len() > self.config.max_pending {
            let dropped = self.pending.len() - self.config.max_pending;
            self.pending.drain(..dropped);
            tracing::warn!(dropped, "probe engine: the database has refused results for too long; dropped the oldest");
        }
        if self.pending.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.pending);
        let mut moved = std::mem::take(&mut self.moved);
        moved.sort_unstable();
        moved.dedup();
        let db = self.state.db.clone();
        let live = self.state.probe_updates.clone();
        let clock = self.state.clock.clone();
        self.flushing = Some(tokio::spawn(async move {
            match probe_runs::record(&db, &batch).await {
                Ok(_) => {
                    // Pages showing these probes fetch them again.
                    let mut updates: Vec<ProbeUpdate> = batch
                        .iter()
                        .map(|done| ProbeUpdate { service_id: done.service_id, probe_id: done.probe_id })
                        .collect();
                    // Down and back up alert at once. Should this fail, the
                    // upkeep round reads the same rules within a minute.
                    match alerts::evaluate(&db, Some(&moved), clock.now_millis()).await {
                        Ok(done) => updates.extend(done.probes),
                        Err(e) => tracing::warn!(error = %e, "probe engine: reading alert rules failed; upkeep will"),
                    }
                    updates.sort_by_key(|u| (u.service_id, u.probe_id));
                    updates.dedup();
                    live.publish(&db, &updates).await;
                    Ok(())
                }
                Err(e) => Err((e, batch)),
            }
        }));
    }

    /// Writes what is left and gives the leases back. Checks still running
    /// are abandoned: their slots will be run by whoever takes the probe.
    async fn shut_down(mut self) {
        if let Some(task) = self.flushing.take() {
            if let Ok(Err((e, mut batch))) = task.await {
                tracing::warn!(error = %e, "probe engine: a batch of results failed; trying once more");
                batch.append(&mut self.pending);
                self.pending = batch;
            }
        }
        while let Ok(finished) = self.finished_rx.try_recv() {
            self.finish(finished);
        }
        let db = &self.state.db;
        if let Err(e) = probe_runs::record(db, &self.pending).await {
            tracing::warn!(error = %e, results = self.pending.len(), "probe engine: results lost at shutdown");
        }
        if let Err(e) = probe_runs::release_all(db, &self.config.worker_id).await {
            tracing::warn!(error = %e, "probe engine: could not give the leases back; they lapse by themselves");
        }
    }
}
