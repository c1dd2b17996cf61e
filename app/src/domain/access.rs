//! Who may do what. One pure function, [`can`], decides every permission
//! question on the server (and lets the UI hide controls it would refuse).
//! Anything not explicitly allowed is denied.

use serde::{Deserialize, Serialize};

/// A user's global role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Manages users, teams, templates and settings; may do everything.
    Admin,
    /// Reads everything and reviews evidence; changes no checklist or evidence.
    Auditor,
    /// Stakeholder: reads scorecards and services; changes nothing.
    Viewer,
    /// No global powers; what they may do comes from their team roles.
    Member,
}

impl Role {
    /// Every role, most powerful first (the order forms list them in).
    pub const ALL: [Role; 4] = [Role::Admin, Role::Auditor, Role::Member, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Auditor => "auditor",
            Role::Viewer => "viewer",
            Role::Member => "member",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "auditor" => Some(Role::Auditor),
            "viewer" => Some(Role::Viewer),
            "member" => Some(Role::Member),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Auditor => "Auditor",
            Role::Viewer => "Viewer",
            Role::Member => "Team member",
        }
    }

    /// Why people with this global role cannot be in a team, if they cannot.
    ///
    /// A team role is what gives a member powers over the team's services,
    /// and administrators have them all anyway. Auditors review the evidence
    /// teams produce, so they stay out of teams (separation of duties), and
    /// viewers change nothing: a "Lead" next to either name would promise
    /// powers they do not get.
    pub fn team_refusal(self) -> Option<&'static str> {
        match self {
            Role::Admin | Role::Member => None,
            Role::Auditor => Some(
                "Auditors review the teams' evidence, so they cannot be in a team. Make them a team member first if they should work on services.",
            ),
            Role::Viewer => Some(
                "Viewers only read, so they cannot be in a team. Make them a team member first if they should work on services.",
            ),
        }
    }

    /// One line on what the role may do, for forms and the people list.
    pub fn summary(self) -> &'static str {
        match self {
            Role::Admin => "Manages people, teams, templates and settings; can do everything.",
            Role::Auditor => "Reads everything and reviews evidence; changes no checklist or evidence.",
            Role::Viewer => "Reads scorecards and services; changes nothing.",
            Role::Member => "Works on the services of the teams they belong to.",
        }
    }
}

/// A user's role within one team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TeamRole {
    Lead,
    Member,
}

impl TeamRole {
    pub fn label(self) -> &'static str {
        match self {
            TeamRole::Lead => "Lead",
            TeamRole::Member => "Member",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TeamRole::Lead => "lead",
            TeamRole::Member => "member",
        }
    }

    pub fn parse(text: &str) -> Option<TeamRole> {
        match text {
            "lead" => Some(TeamRole::Lead),
            "member" => Some(TeamRole::Member),
            _ => None,
        }
    }
}

super::stored_word!(Role, "role");
super::stored_word!(TeamRole, "team role");

/// The signed-in user as permission checks see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub user_id: i64,
    pub role: Role,
    /// (team id, role in that team) for every team the user belongs to.
    pub teams: Vec<(i64, TeamRole)>,
}

impl Principal {
    fn team_role(&self, team_id: i64) -> Option<TeamRole> {
        self.teams.iter().find(|(id, _)| *id == team_id).map(|(_, role)| *role)
    }
}

/// Everything a caller may ask to do. Later features add variants here and
/// rows to the permission matrix test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read pages meant for signed-in users (overview, scorecards).
    ReadDashboard,
    ManageUsers,
    ManageTeams,
    ManageSettings,
    /// Create, import and edit checklist templates.
    ManageTemplates,
    /// Change the membership of one team.
    ManageTeamMembers {
        team_id: i64,
    },
    /// Register, edit and retire one team's services.
    ManageTeamServices {
        team_id: i64,
    },
    /// Tick checklist items and attach evidence for one team's services.
    EditTeamChecklists {
        team_id: i64,
    },
    /// Add, change, pause and delete the live probes of one team's services.
    ManageTeamProbes {
        team_id: i64,
    },
    /// Approve or reject evidence.
    ReviewEvidence,
    /// Download evidence files (viewers only when an admin allows it).
    DownloadEvidence,
    /// Browse, filter and export the audit trail.
    ReadAuditTrail,
    /// Change one's own name, email, password and MFA.
    ManageOwnAccount,
}

/// Instance settings that change what roles may do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Viewers (stakeholders) may download evidence files, not just see
    /// that they exist.
    pub viewers_may_download_evidence: bool,
}

/// Whether `who` (None = anonymous) may perform `action`.
pub fn can(who: Option<&Principal>, action: Action, policy: &Policy) -> bool {
    let Some(p) = who else { return false };
    if p.role == Role::Admin {
        return true;
    }
    match action {
        Action::ReadDashboard | Action::ManageOwnAccount => true,
        Action::ManageUsers | Action::ManageTeams | Action::ManageSettings | Action::ManageTemplates => false,
        Action::ReviewEvidence | Action::ReadAuditTrail => p.role == Role::Auditor,
        Action::DownloadEvidence => p.role != Role::Viewer || policy.viewers_may_download_evidence,
        Action::ManageTeamMembers { team_id } | Action::ManageTeamServices { team_id } => {
            p.role == Role::Member && p.team_role(team_id) == Some(TeamRole::Lead)
        }
        Action::EditTeamChecklists { team_id } | Action::ManageTeamProbes { team_id } => {
            p.role == Role::Member && p.team_role(team_id).is_some()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(role: Role, teams: &[(i64, TeamRole)]) -> Principal {
        Principal { user_id: 1, role, teams: teams.to_vec() }
    }

    #[test]
    fn the_role_table() {
        let policy = Policy::default();
        let admin = who(Role::Admin, &[]);
        let auditor = who(Role::Auditor, &[]);
        let viewer = who(Role::Viewer, &[]);
        let lead = who(Role::Member, &[(7, TeamRole::Lead)]);
        let member = who(Role::Member, &[(7, TeamRole::Member)]);
        let outsider = who(Role::Member, &[(8, TeamRole::Lead)]);
        let team7 = [
            Action::ManageTeamMembers { team_id: 7 },
            Action::ManageTeamServices { team_id: 7 },
            Action::EditTeamChecklists { team_id: 7 },
            Action::ManageTeamProbes { team_id: 7 },
        ];
        // (action, admin, auditor, viewer, lead of 7, member of 7, lead of 8, anonymous)
        let table: Vec<(Action, [bool; 7])> = vec![
            (Action::ReadDashboard, [true, true, true, true, true, true, false]),
            (Action::ManageUsers, [true, false, false, false, false, false, false]),
            (Action::ManageTeams, [true, false, false, false, false, false, false]),
            (Action::ManageSettings, [true, false, false, false, false, false, false]),
            (Action::ManageTemplates, [true, false, false, false, false, false, false]),
            (team7[0], [true, false, false, true, false, false, false]),
            (team7[1], [true, false, false, true, false, false, false]),
            (team7[2], [true, false, false, true, true, false, false]),
            (team7[3], [true, false, false, true, true, false, false]),
            (Action::ReviewEvidence, [true, true, false, false, false, false, false]),
            (Action::ReadAuditTrail, [true, true, false, false, false, false, false]),
            (Action::ManageOwnAccount, [true, true, true, true, true, true, false]),
            (Action::DownloadEvidence, [true, true, false, true, true, true, false]),
        ];
        for (action, expected) in table {
            let actual = [
                can(Some(&admin), action, &policy),
                can(Some(&auditor), action, &policy),
                can(Some(&viewer), action, &policy),
                can(Some(&lead), action, &policy),
                can(Some(&member), action, &policy),
                can(Some(&outsider), action, &policy),
                can(None, action, &policy),
            ];
            assert_eq!(actual, expected, "{action:?}");
        }
    }

    #[test]
    fn viewers_download_evidence_only_when_allowed() {
        let viewer = who(Role::Viewer, &[]);
        let allowed = Policy { viewers_may_download_evidence: true };
        assert!(!can(Some(&viewer), Action::DownloadEvidence, &Policy::default()));
        assert!(can(Some(&viewer), Action::DownloadEvidence, &allowed));
        assert!(!can(None, Action::DownloadEvidence, &allowed));
        assert!(!can(Some(&viewer), Action::ReviewEvidence, &allowed), "the setting grants nothing else");
    }

    #[test]
    fn only_members_and_admins_join_teams() {
        assert_eq!(Role::Admin.team_refusal(), None);
        assert_eq!(Role::Member.team_refusal(), None);
        assert!(Role::Auditor.team_refusal().is_some());
        assert!(Role::Viewer.team_refusal().is_some());
    }

    #[test]
    fn roles_round_trip() {
        for role in [Role::Admin, Role::Auditor, Role::Viewer, Role::Member] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
        assert_eq!(TeamRole::parse("lead"), Some(TeamRole::Lead));
    }
}
