//! Plain types and rules shared by server and browser. Nothing in here does
//! I/O, so both sides compute the same answer and tests are cheap.

pub mod access;
pub mod checklist;
pub mod device;
pub mod links;
pub mod people;
pub mod readiness;
pub mod sessions;
pub mod teams;
pub mod theme;
