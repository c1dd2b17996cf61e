//! The state every request handler and server function can reach.

use std::time::Instant;

use axum::extract::FromRef;
use leptos::prelude::*;

use super::Db;
use crate::error::AppError;

/// Shared, cheaply cloneable application state. Handed to `leptos_routes`,
/// which provides it as context to server functions (see [`app_state`]).
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub started_at: Instant,
}

/// The state inside a server function. Missing state is a wiring bug, so it
/// is logged and shown to the user as an internal error.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("app_state", "AppState was not provided"))
}
