//! Server-sent events for live pages.
//!
//! `GET /services/{slug}/probes/events` sends the id of each of the
//! service's probes that has new results, as it is written; the page then
//! fetches the figures through the same server function as its first
//! paint, so what it shows is always what the database holds. An event
//! `resync` means the stream fell behind and the page should fetch
//! everything.

use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::StreamExt;
use tokio::sync::broadcast::error::RecvError;

use app::backend::caller::RequestAuth;
use app::backend::AppState;

use crate::files::readable_service;

pub fn routes() -> Router<AppState> {
    Router::new().route("/services/{slug}/probes/events", get(probe_events))
}

async fn probe_events(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(slug): Path<String>,
) -> Response {
    let service_id = match readable_service(&state, &auth, &slug).await {
        Ok(id) => id,
        Err(answer) => return answer,
    };
    let updates = state.probe_updates.subscribe();
    let events = futures_util::stream::unfold(updates, move |mut updates| async move {
        loop {
            let event = match updates.recv().await {
                Ok(update) if update.service_id == service_id => Event::default().data(update.probe_id.to_string()),
                Ok(_) => continue,
                Err(RecvError::Lagged(_)) => Event::default().event("resync").data(""),
                Err(RecvError::Closed) => return None,
            };
            return Some((Ok::<_, Infallible>(event), updates));
        }
    });
    let events = events.take_until(state.shutdown.clone().cancelled_owned());
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}
