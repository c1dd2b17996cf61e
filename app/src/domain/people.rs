//! People as the administrators' pages show them: status, memberships, and
//! the sign-in links handed out for them.

use serde::{Deserialize, Serialize};

use crate::domain::access::{Role, TeamRole};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserStatus {
    Active,
    /// Has not chosen a password yet; the invitation link (if any is live)
    /// expires at the given time.
    Invited {
        expires_at_ms: Option<i64>,
    },
    Disabled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserMembership {
    pub team_id: i64,
    pub team_name: String,
    pub role: TeamRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub status: UserStatus,
    /// Has a confirmed second factor.
    pub mfa: bool,
    /// Most recent request of any live or recent session.
    pub last_seen_ms: Option<i64>,
    pub teams: Vec<UserMembership>,
}

/// Someone who can be added to a team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub email: String,
}

/// A single-use link an administrator passes on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedLink {
    pub user_name: String,
    /// "invitation" or "password reset".
    pub kind: String,
    pub url: String,
    pub expires_at_ms: i64,
    /// Also sent by mail (SMTP is configured).
    pub mailed: bool,
}
