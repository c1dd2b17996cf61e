//! Server-sent events for live pages.
//!
//! `GET /services/{slug}/probes/events` sends the id of each of the
//! service's probes that has new results, as it is written; the page then
//! fetches the figures through the same server function as its first
//! paint, so what it shows is always what the database holds. An event
//! `resync` means the stream fell behind and the page should fetch
//! everything; so does a replica's relay after it lost its connection
//! (`app::backend::live_updates`).
//!
//! `GET /probes/events` is the organisation's: an event (no data) at most
//! every [`ORG_EVERY`] while any probe has new results, since at thousands
//! of probes a page cannot fetch once per result.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::StreamExt;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use app::backend::caller::RequestAuth;
use app::backend::live_updates::LiveEvent;
use app::backend::AppState;
use app::domain::access::Action;

use crate::files::{readable_service, refusal, signed_in};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/services/{slug}/probes/events", get(probe_events))
        .route("/probes/events", get(org_probe_events))
}

/// The organisation's probes page fetches at most this often.
const ORG_EVERY: Duration = Duration::from_secs(2);

async fn org_probe_events(State(state): State<AppState>, Extension(auth): Extension<RequestAuth>) -> Response {
    let me = match signed_in(&auth) {
        Ok(me) => me,
        Err(refused) => return refused,
    };
    if let Err(e) = me.require(Action::ReadDashboard) {
        return refusal(e);
    }
    let updates = state.probe_updates.subscribe();
    let events = futures_util::stream::unfold((updates, false), move |(mut updates, told)| async move {
        if told {
            // One event a moment at most: results that arrive meanwhile
            // are told together by the next one, at once.
            tokio::time::sleep(ORG_EVERY).await;
            let mut piled = false;
            loop {
                match updates.try_recv() {
                    Ok(_) | Err(TryRecvError::Lagged(_)) => piled = true,
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Closed) => return None,
                }
            }
            if piled {
                return Some((Ok::<_, Infallible>(Event::default().data("probes")), (updates, true)));
            }
        }
        let event = match updates.recv().await {
            Ok(LiveEvent::Probe(_)) => Event::default().data("probes"),
            Ok(LiveEvent::Resync) | Err(RecvError::Lagged(_)) => Event::default().event("resync").data(""),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok::<_, Infallible>(event), (updates, true)))
    });
    let events = events.take_until(state.shutdown.clone().cancelled_owned());
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
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
                Ok(LiveEvent::Probe(update)) if update.service_id == service_id => {
                    Event::default().data(update.probe_id.to_string())
                }
                Ok(LiveEvent::Probe(_)) => continue,
                Ok(LiveEvent::Resync) | Err(RecvError::Lagged(_)) => Event::default().event("resync").data(""),
                Err(RecvError::Closed) => return None,
            };
            return Some((Ok::<_, Infallible>(event), updates));
        }
    });
    let events = events.take_until(state.shutdown.clone().cancelled_owned());
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}
