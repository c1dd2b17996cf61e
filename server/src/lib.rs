//! The `preflight` server: settings, HTTP wiring, operations.
//! `main.rs` only parses the command line and reports errors.
#![forbid(unsafe_code)]

pub mod badge;
pub mod cli;
pub mod client_addr;
pub mod csrf;
pub mod deadline;
pub mod dossier;
pub mod exports;
pub mod files;
pub mod gate;
pub mod headers;
pub mod health;
pub mod live;
pub mod logging;
pub mod metrics;
pub mod observe;
pub mod ops;
pub mod panic_page;
pub mod probes;
pub mod router;
pub mod serve;
pub mod session;
pub mod settings;
