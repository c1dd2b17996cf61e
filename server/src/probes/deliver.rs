//! Sends the alert deliveries the evaluation queued
//! (`app::backend::alerts`) through `app::backend::alert_send`. A failure
//! is retried with backoff and, after the last attempt, left failed for
//! the team's alerts page.

use std::time::Duration;

use app::backend::alerts;
use app::backend::AppState;
use outbound::GuardedClient;
use tokio_util::sync::CancellationToken;

pub use app::backend::alert_send::client;

/// Sends what is due every `every` until `stop`.
pub async fn run(state: AppState, client: GuardedClient, every: Duration, stop: CancellationToken) {
    loop {
        if let Err(e) = round(&state, &client).await {
            tracing::warn!(error = %e, "alert deliveries: reading or recording failed; will retry");
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = stop.cancelled() => break,
        }
    }
}

/// Sends every due delivery, a batch at a time; returns how many went out.
pub async fn round(state: &AppState, client: &GuardedClient) -> Result<u64, sqlx::Error> {
    let mut sent = 0;
    loop {
        let now = state.clock.now_millis();
        let due = alerts::claim_deliveries(&state.db, now).await?;
        if due.is_empty() {
            return Ok(sent);
        }
        for delivery in &due {
            let outcome = app::backend::alert_send::send(state, client, delivery, now).await;
            if let Err(e) = &outcome {
                tracing::warn!(delivery = delivery.id, attempts = delivery.attempts, error = %e, "an alert was not delivered");
            } else {
                sent += 1;
            }
            alerts::settle_delivery(&state.db, delivery, outcome, state.clock.now_millis()).await?;
        }
    }
}
