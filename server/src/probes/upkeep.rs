//! Upkeep beside the scheduler: alert rules are read against their probes
//! (`app::backend::alerts`), checklist items satisfied by live data are
//! judged (`app::backend::live_proofs`), raw checks past their keeping are deleted,
//! finished hours and days are rolled up and the stored uptime windows
//! refreshed (`app::backend::probe_rollups`). It has its own task, so a
//! long rollup never delays a check. Every replica runs it; the marks and
//! idempotent deletes make that safe.

use std::time::Duration;

use app::backend::probe_rollups::{self, Rolled};
use app::backend::{alerts, live_proofs, probe_runs, AppState};
use tokio_util::sync::CancellationToken;

/// Deletes at most this many blocks per statement
const PRUNE_BATCH: u64 = 1000;
/// and this many statements per round.
const PRUNE_BATCHES: usize = 10;

/// Runs a round every `every` until `stop`; a failed round is logged and
/// the next one tries again.
pub async fn run(state: AppState, raw_keep: Duration, every: Duration, stop: CancellationToken) {
    loop {
        if let Err(e) = round(&state, raw_keep).await {
            tracing::warn!(error = %e, "probe upkeep: deleting or rolling up checks failed; will retry");
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = stop.cancelled() => break,
        }
    }
}

/// One round at the state's clock: alert rules, live-data items,
/// retention, then rollups.
pub async fn round(state: &AppState, raw_keep: Duration) -> Result<Rolled, sqlx::Error> {
    let now = state.clock.now_millis();
    let moved = alerts::evaluate(&state.db, None, now).await?;
    // Pages showing these probes list their incidents again.
    state.probe_updates.publish(&state.db, &moved.probes).await;
    live_proofs::sweep(&state.db, now).await?;
    let before = now - raw_keep.as_millis() as i64;
    for _ in 0..PRUNE_BATCHES {
        if probe_runs::prune_blocks(&state.db, before, PRUNE_BATCH).await? < PRUNE_BATCH {
            break;
        }
    }
    probe_rollups::roll(&state.db, now).await
}
