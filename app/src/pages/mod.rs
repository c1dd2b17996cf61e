//! One module per route.

pub mod account;
pub mod error;
pub mod home;
pub mod login;
pub mod not_found;
pub mod sessions;
pub mod setup;
pub mod status;
