//! `#[server]` functions, grouped by area. Each one checks what the caller
//! may do on the server and returns `Result<_, AppError>`.

pub mod account;
pub mod auth;
pub mod sessions;
pub mod system;
