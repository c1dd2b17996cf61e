//! The outbound guard's save-time judgement of an address someone typed (a
//! probe's URL or host:port, a webhook's URL), as a field error: a scheme
//! or literal address it refuses, or a name that does not resolve or
//! resolves only to refused addresses. Names are judged again at every
//! request (see the `outbound` crate); this only spares people a probe or
//! channel that can never work.

use crate::error::AppError;

/// Checks URL `raw` for form field `field`.
pub async fn check_url(guard: &outbound::Guard, raw: &str, field: &'static str) -> Result<(), AppError> {
    let url =
        outbound::check_target_url(raw, &guard.policy()).map_err(|e| AppError::invalid(field, target_message(&e)))?;
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string();
    check_host(guard, &host, url.port_or_known_default().unwrap_or(0), field).await
}

/// Checks that `host` resolves to an address the guard lets `port` reach.
pub async fn check_host(guard: &outbound::Guard, host: &str, port: u16, field: &'static str) -> Result<(), AppError> {
    match guard.resolve(host, port).await {
        Ok(_) => Ok(()),
        Err(outbound::ResolveError::Refused(refusal)) => Err(AppError::invalid(field, refusal.to_string())),
        Err(outbound::ResolveError::InvalidHost) => {
            Err(AppError::invalid(field, "The host is not a valid name or address."))
        }
        Err(outbound::ResolveError::Dns(_)) => Err(AppError::invalid(
            field,
            format!("The host name {host} could not be resolved; check the spelling, or try again if DNS is down."),
        )),
    }
}

fn target_message(err: &outbound::TargetError) -> String {
    use outbound::TargetError as E;
    match err {
        E::Unparsable(_) => "Enter a full URL, e.g. https://api.example.com/health.".into(),
        E::Scheme => "Only http and https URLs are allowed.".into(),
        E::Userinfo => "Leave the user name and password out of the URL; send them as a secret header.".into(),
        E::NoHost | E::Host => "The URL needs a valid host.".into(),
        E::NotHostPort | E::Port => "Write host:port, e.g. db.example.com:5432.".into(),
        E::Refused(refusal) => refusal.to_string(),
    }
}
