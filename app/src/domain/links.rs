//! Single-use links: invitations (choose a first password, valid for days)
//! and password resets (valid for 30 minutes). One type for the database,
//! the server functions and the pages.

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkKind {
    Invite,
    Reset,
}

impl LinkKind {
    /// As stored in `user_tokens.purpose` and sent by forms.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Invite => "invite",
            LinkKind::Reset => "reset",
        }
    }

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            LinkKind::Invite => "invitation",
            LinkKind::Reset => "password reset",
        }
    }

    /// How long a link of this kind stays valid.
    pub fn lifetime(self) -> Duration {
        match self {
            LinkKind::Invite => Duration::from_secs(7 * 24 * 3600),
            LinkKind::Reset => Duration::from_secs(30 * 60),
        }
    }

    /// The path of the page that opens the link.
    pub fn path(self, token: &str) -> String {
        match self {
            LinkKind::Invite => format!("/invite/{token}"),
            LinkKind::Reset => format!("/reset-password/{token}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitations_last_a_week_and_resets_half_an_hour() {
        assert_eq!(LinkKind::Invite.lifetime(), Duration::from_secs(604_800));
        assert_eq!(LinkKind::Reset.lifetime(), Duration::from_secs(1_800));
        assert_eq!(LinkKind::Reset.path("abc"), "/reset-password/abc");
    }
}
