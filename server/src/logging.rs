//! Structured logs through `tracing`, as text for people or JSON for log
//! pipelines. Request logging itself is in [`crate::observe`].

use tracing_subscriber::{fmt, EnvFilter};

use crate::settings::LogFormat;

/// Installs the global subscriber. Safe to call more than once (tests):
/// later calls keep the first subscriber.
pub fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.with_target(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init(),
    };
}
