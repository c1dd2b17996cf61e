//! Sends the alert deliveries the evaluation queued
//! (`app::backend::alerts`): webhooks as the notice's JSON, signed with
//! the channel's key (`X-Preflight-Signature: t=<unix>,v1=<hex>`, see
//! `domain::probes::alerts::signature`), Slack as `{"text": …}`, email
//! through the configured SMTP server. Every URL goes through the same
//! outbound guard as probes, redirects not followed. A failure is retried
//! with backoff and, after the last attempt, left failed for the UI.

use std::time::Duration;

use app::backend::alerts::{self, DueDelivery};
use app::backend::AppState;
use app::domain::probes::alerts::{signature, Notice};
use outbound::{GuardedClient, HttpOptions};
use tokio_util::sync::CancellationToken;

/// How long one webhook may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The client deliveries use: guarded, no redirects, a short timeout.
pub fn client(state: &AppState) -> Result<GuardedClient, reqwest::Error> {
    state.outbound.http_client(&HttpOptions {
        follow_redirects: false,
        timeout: TIMEOUT,
        connect_timeout: TIMEOUT,
        ..HttpOptions::default()
    })
}

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
            let outcome = send(state, client, delivery, now).await;
            if let Err(e) = &outcome {
                tracing::warn!(delivery = delivery.id, attempts = delivery.attempts, error = %e, "an alert was not delivered");
            } else {
                sent += 1;
            }
            alerts::settle_delivery(&state.db, delivery, outcome, state.clock.now_millis()).await?;
        }
    }
}

async fn send(state: &AppState, client: &GuardedClient, delivery: &DueDelivery, now: i64) -> Result<(), String> {
    let notice: Notice = serde_json::from_str(&delivery.body).map_err(|e| format!("unreadable notice: {e}"))?;
    match delivery.kind.as_str() {
        "webhook" => {
            let key = delivery.signing_key.as_deref().unwrap_or_default();
            let signed = signature(key.as_bytes(), now.div_euclid(1000), delivery.body.as_bytes());
            post(
                client,
                &delivery.target,
                delivery.body.clone(),
                &[("x-preflight-signature", signed), ("x-preflight-event", notice.event.clone())],
            )
            .await
        }
        "slack" => {
            let text = serde_json::json!({ "text": format!("{}\n{}/services/{}", notice.headline(), state.public_url.as_str().trim_end_matches('/'), notice.service_slug) });
            post(client, &delivery.target, text.to_string(), &[]).await
        }
        "email" => {
            let Some(mailer) = &state.mailer else { return Err("email is not set up on this server (no SMTP)".into()) };
            let link = format!("{}/services/{}", state.public_url.as_str().trim_end_matches('/'), notice.service_slug);
            let body = format!("{}\n\nValue: {}\nService: {link}\n", notice.headline(), notice.value);
            mailer.send("", &delivery.target, &notice.headline(), body).await.map_err(|e| e.to_string())
        }
        other => Err(format!("unknown channel kind {other}")),
    }
}

async fn post(
    client: &GuardedClient,
    url: &str,
    body: String,
    headers: &[(&'static str, String)],
) -> Result<(), String> {
    let url = reqwest::Url::parse(url).map_err(|e| format!("bad URL: {e}"))?;
    let mut request = reqwest::Request::new(reqwest::Method::POST, url);
    let map = request.headers_mut();
    map.insert(reqwest::header::CONTENT_TYPE, reqwest::header::HeaderValue::from_static("application/json"));
    for (name, value) in headers {
        let value = reqwest::header::HeaderValue::from_str(value).map_err(|e| e.to_string())?;
        map.insert(*name, value);
    }
    *request.body_mut() = Some(body.into());
    *request.timeout_mut() = Some(TIMEOUT);
    let response = client.execute(request).await.map_err(|e| e.to_string())?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the receiver answered {status}"))
    }
}
