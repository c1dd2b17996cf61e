//! The one error type every server function returns.
//!
//! Each variant carries only what is safe to show a user. Internal failures
//! are logged with full context on the server (see [`AppError::internal`])
//! and reach the browser as [`AppError::Internal`], which says nothing about
//! the cause.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The caller sent a value we cannot accept; `field` names the form field.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("That could not be found.")]
    NotFound,
    /// Someone else changed the thing since the caller read it.
    #[error("Someone else changed this since you opened it. Reload the page to see their change, then try again.")]
    Conflict,
    #[error("Too many attempts. Try again in {}.", wait_text(*retry_after_secs))]
    TooManyRequests { retry_after_secs: u64 },
    /// Our fault. Details are in the server log, never here.
    #[error("Something went wrong on our side. Please try again; if it keeps happening, tell your administrator.")]
    Internal,
    /// The request did not reach the server or its answer could not be read.
    #[error("Preflight could not be reached. Check your connection and try again.")]
    Unreachable,
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid { field: field.into(), message: message.into() }
    }

    /// The message for `field`, when this error is about that form field.
    pub fn field_message(&self, field: &str) -> Option<&str> {
        match self {
            AppError::Invalid { field: f, message } if f == field => Some(message),
            _ => None,
        }
    }

    /// HTTP status the server answers with for this error.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Invalid { .. } => 422,
            AppError::Unauthenticated => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Conflict => 409,
            AppError::TooManyRequests { .. } => 429,
            AppError::Internal => 500,
            AppError::Unreachable => 502,
        }
    }

    /// Log an internal failure with its full context and return the
    /// user-safe variant. Use this at the point where an I/O error becomes
    /// an answer to a caller.
    #[cfg(feature = "ssr")]
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        tracing::error!(context, error = %err, "internal error");
        AppError::Internal
    }
}

/// "40 seconds", "1 minute", "15 minutes" (rounded up).
fn wait_text(seconds: u64) -> String {
    match seconds {
        0 | 1 => "1 second".to_string(),
        2..=59 => format!("{seconds} seconds"),
        60..=119 => "1 minute".to_string(),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        AppError::internal("database", err)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Transport and decoding problems: the browser could not talk to us.
            ServerFnErrorErr::Request(_)
            | ServerFnErrorErr::Response(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::Serialization(_) => AppError::Unreachable,
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                let err = AppError::invalid("request", "The request was incomplete or malformed.");
                // The caller's mistake: 422, not the framework's default 500.
                #[cfg(feature = "ssr")]
                let err = crate::backend::respond::<()>(Err(err)).unwrap_err();
                err
            }
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function failed");
                #[cfg(not(feature = "ssr"))]
                let _ = other;
                AppError::Internal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_message_only_matches_its_field() {
        let err = AppError::invalid("email", "That email is already used.");
        assert_eq!(err.field_message("email"), Some("That email is already used."));
        assert_eq!(err.field_message("name"), None);
        assert_eq!(AppError::Internal.field_message("email"), None);
    }

    #[test]
    fn internal_message_reveals_nothing() {
        let shown = AppError::Internal.to_string();
        assert!(!shown.to_lowercase().contains("sql"));
        assert_eq!(AppError::Internal.status_code(), 500);
    }

    #[test]
    fn errors_round_trip_through_the_wire_encoding() {
        let err = AppError::invalid("name", "Name is required.");
        let bytes = err.ser();
        assert_eq!(AppError::de(bytes), err);
    }

    #[test]
    fn waits_read_naturally() {
        let err = AppError::TooManyRequests { retry_after_secs: 900 };
        assert_eq!(err.to_string(), "Too many attempts. Try again in 15 minutes.");
        assert_eq!(wait_text(0), "1 second");
        assert_eq!(wait_text(40), "40 seconds");
        assert_eq!(wait_text(75), "1 minute");
        assert_eq!(wait_text(61 * 2), "3 minutes");
    }

    #[test]
    fn transport_failures_become_unreachable() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::Request("timeout".into()));
        assert_eq!(err, AppError::Unreachable);
    }
}
