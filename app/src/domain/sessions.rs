//! A signed-in browser as its owner sees it on the sessions page.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// The stored digest of the session token: names the session, cannot be
    /// used to take it over.
    pub id: String,
    pub device: String,
    pub started_at_ms: i64,
    pub last_seen_at_ms: i64,
    /// The session this request came from.
    pub current: bool,
}
