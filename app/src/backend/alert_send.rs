//! Sends one alert delivery (`alerts::DueDelivery`): a webhook as the
//! notice's JSON, signed with the channel's key (`X-Preflight-Signature:
//! t=<unix>,v1=<hex>`, see `domain::probes::alerts::signature`), Slack as
//! `{"text": …}`, email through the configured SMTP server. Every URL goes
//! through the outbound guard, redirects not followed. The delivery loop
//! (`server::probes::deliver`) and "send test" (`api::alerts`) both send
//! here.

use std::time::Duration;

use outbound::{GuardedClient, HttpOptions};

use super::alerts::DueDelivery;
use super::AppState;
use crate::domain::probes::alerts::{signature, Notice};

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

/// Sends `delivery` at `now`; the error says why it did not arrive.
pub async fn send(state: &AppState, client: &GuardedClient, delivery: &DueDelivery, now: i64) -> Result<(), String> {
    let notice: Notice = serde_json::from_str(&delivery.body).map_err(|e| format!("unreadable notice: {e}"))?;
    // A test names no service: its link is Preflight's front page.
    let link = format!(
        "{}/{}",
        state.public_url.as_str().trim_end_matches('/'),
        if notice.service_slug.is_empty() { String::new() } else { format!("services/{}", notice.service_slug) }
    );
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
            let text = serde_json::json!({ "text": format!("{}\n{link}", notice.headline()) });
            post(client, &delivery.target, text.to_string(), &[]).await
        }
        "email" => {
            let Some(mailer) = &state.mailer else { return Err("email is not set up on this server (no SMTP)".into()) };
            let body = format!("{}\n\nValue: {}\n{link}\n", notice.headline(), notice.value);
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
