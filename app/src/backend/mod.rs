//! Server-only code: database, application state, security helpers.
//! Nothing here is compiled into the browser bundle.

pub mod accounts;
pub mod audit;
pub mod audit_chain;
pub mod auth;
pub mod caller;
pub mod campaigns;
pub mod checklists;
pub mod clock;
pub mod db;
pub mod documents;
pub mod dossier;
pub mod evidence;
pub mod figures;
pub mod file_store;
pub mod history;
pub mod housekeeping;
pub mod instance_settings;
pub mod items;
pub mod lookup_cache;
pub mod mail;
pub mod mfa;
pub mod migrations;
pub mod milestones;
pub mod notifications;
pub mod passwords;
pub mod probe_rollups;
pub mod probe_runs;
pub mod probes;
pub mod reviews;
pub mod scorecard;
pub mod secrets;
pub mod security;
pub mod services;
pub mod sessions;
pub mod state;
pub mod teams;
pub mod template_format;
pub mod templates;
pub mod throttle;
pub mod tokens;
pub mod upgrades;
pub mod user_admin;
pub mod waivers;

pub use db::{Backend, Db, DbError, DbOptions};
pub use state::{app_state, respond, AppState};
