//! Teams as the teams pages show them.

use serde::{Deserialize, Serialize};

use crate::domain::access::TeamRole;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSummary {
    pub id: i64,
    pub name: String,
    pub archived: bool,
    pub members: i64,
    pub leads: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub role: TeamRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamDetail {
    pub id: i64,
    pub name: String,
    pub archived: bool,
    /// Leads first.
    pub members: Vec<TeamMember>,
    /// The caller may add, re-role and remove members.
    pub can_manage_members: bool,
    /// The caller may rename and archive the team.
    pub can_manage_team: bool,
}

/// The teams page: the list, and whether the caller may create teams.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamsOverview {
    pub teams: Vec<TeamSummary>,
    pub can_manage_teams: bool,
}
