//! One module per route.

pub mod account;
pub mod admin_settings;
pub mod alerts;
pub mod audit;
pub mod campaigns;
pub mod due_soon;
pub mod error;
pub mod forgot;
pub mod home;
pub mod item;
pub mod link;
pub mod login;
pub mod mfa;
pub mod milestones;
pub mod not_found;
pub mod people;
pub mod probes;
pub mod reviews;
pub mod services;
pub mod sessions;
pub mod setup;
pub mod status;
pub mod teams;
pub mod templates;
pub mod verify;
