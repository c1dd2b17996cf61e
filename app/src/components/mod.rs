//! Reusable view pieces.

pub mod layout;
pub mod theme_toggle;
pub mod local_time;
