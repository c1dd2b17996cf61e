//! Reusable view pieces.

pub mod burnup_chart;
pub mod field;
pub mod layout;
pub mod live;
pub mod local_time;
pub mod message_page;
pub mod print;
pub mod probe_chart;
pub mod readiness;
pub mod score_chart;
pub mod theme_toggle;
