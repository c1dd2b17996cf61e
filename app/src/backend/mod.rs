//! Server-only code: database, application state, security helpers.
//! Nothing here is compiled into the browser bundle.

pub mod db;
pub mod migrations;
pub mod security;
pub mod state;

pub use db::{Backend, Db, DbError, DbOptions};
pub use state::{app_state, AppState};
