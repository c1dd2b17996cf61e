//! The probe engine: runs every probe this process holds a lease on and
//! writes the results. See docs/probes.md for the design.

pub mod cert;
pub mod check;
pub mod deliver;
pub mod engine;
pub mod upkeep;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use app::backend::AppState;
pub use engine::EngineConfig;

/// A running engine; [`Running::stop`] writes what it holds and gives its
/// leases back.
pub struct Running {
    stop: CancellationToken,
    task: JoinHandle<()>,
    upkeep: JoinHandle<()>,
    deliveries: JoinHandle<()>,
}

impl Running {
    pub async fn stop(self) {
        self.stop.cancel();
        if let Err(e) = self.task.await {
            tracing::warn!(error = %e, "the probe engine ended abnormally");
        }
        if let Err(e) = self.upkeep.await {
            tracing::warn!(error = %e, "the probe upkeep ended abnormally");
        }
        if let Err(e) = self.deliveries.await {
            tracing::warn!(error = %e, "the alert deliveries ended abnormally");
        }
    }
}

/// Starts the engine on `state`'s database, reaching targets through
/// `state`'s outbound guard.
pub fn start(state: AppState, config: EngineConfig) -> Result<Running, reqwest::Error> {
    let clients = check::Clients::new(state.outbound.clone())?;
    let stop = CancellationToken::new();
    let upkeep = tokio::spawn(upkeep::run(state.clone(), config.raw_keep, config.upkeep_every, stop.clone()));
    let sender = deliver::client(&state)?;
    let deliveries = tokio::spawn(deliver::run(state.clone(), sender, config.deliver_every, stop.clone()));
    let task = tokio::spawn(engine::Engine::new(state, config, clients).run(stop.clone()));
    Ok(Running { stop, task, upkeep, deliveries })
}
