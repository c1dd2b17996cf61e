//! `#[server]` functions, grouped by area. Each one checks what the caller
//! may do on the server and returns `Result<_, AppError>`.

pub mod account;
pub mod admin_settings;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod history;
pub mod items;
pub mod links;
pub mod mfa;
pub mod milestones;
pub mod probes;
pub mod scorecard;
pub mod services;
pub mod sessions;
pub mod system;
pub mod teams;
pub mod templates;
pub mod users;
