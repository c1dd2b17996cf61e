//! Kinds of notification mail; each person can turn each kind off.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MailKind {
    /// A service of a team you lead stopped being ready to launch.
    GateRegression,
    /// Weekly: approvals and waivers of your teams' services expiring
    /// within 14 days.
    ExpiryDigest,
    /// Weekly, while a campaign runs: your services still behind.
    CampaignReminder,
}

impl MailKind {
    pub const ALL: [MailKind; 3] = [MailKind::GateRegression, MailKind::ExpiryDigest, MailKind::CampaignReminder];

    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::GateRegression => "gate-regression",
            MailKind::ExpiryDigest => "expiry-digest",
            MailKind::CampaignReminder => "campaign-reminder",
        }
    }

    pub fn parse(text: &str) -> Option<MailKind> {
        MailKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            MailKind::GateRegression => "A service stops being ready to launch",
            MailKind::ExpiryDigest => "Weekly digest of expiring approvals and waivers",
            MailKind::CampaignReminder => "Weekly campaign reminders",
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            MailKind::GateRegression => "For services of teams you lead: which items now stand in the way.",
            MailKind::ExpiryDigest => "Approvals going stale and waivers ending within 14 days, for teams you lead.",
            MailKind::CampaignReminder => "Your teams' services still behind a running campaign, and what they lack.",
        }
    }
}

/// A person's mail settings, for the account page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailPreferences {
    /// Each kind and whether it is on.
    pub kinds: Vec<(MailKind, bool)>,
    /// This server sends mail (SMTP is configured).
    pub mail_configured: bool,
}

/// The ISO week of a day number, e.g. "2026-W49": the period of weekly mail.
pub fn iso_week(day: i64) -> String {
    use chrono::Datelike;
    let date = chrono::DateTime::from_timestamp_millis(day * super::history::MILLIS_PER_DAY)
        .map(|t| t.date_naive())
        .unwrap_or_default();
    let week = date.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::campaigns::parse_day;

    #[test]
    fn kinds_round_trip() {
        for kind in MailKind::ALL {
            assert_eq!(MailKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(MailKind::parse("spam"), None);
    }

    #[test]
    fn weeks_run_monday_to_sunday_across_new_year() {
        let day = |d: &str| parse_day(d).unwrap();
        assert_eq!(iso_week(day("2026-12-04")), "2026-W49");
        assert_eq!(iso_week(day("2026-12-06")), "2026-W49");
        assert_eq!(iso_week(day("2026-12-07")), "2026-W50");
        // 2027-01-01 is a Friday: still the last week of 2026.
        assert_eq!(iso_week(day("2027-01-01")), "2026-W53");
    }
}
