//! The organisation scorecard: totals for the whole organisation and for
//! each team, read from the services' stored figures.

use serde::{Deserialize, Serialize};

use super::services::ServiceSummary;

/// How a group of live services stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub services: u32,
    pub ready: u32,
    /// Of the ready ones, those passing by exception.
    pub ready_with_waivers: u32,
    /// Services with a score, and the sum of their scores.
    pub scored: u32,
    pub score_sum: u64,
    pub bronze: u32,
    pub silver: u32,
    pub gold: u32,
}

impl Totals {
    /// Whole-percent average score of the scored services.
    pub fn average(&self) -> Option<u32> {
        (self.scored > 0).then(|| ((self.score_sum as f64) / f64::from(self.scored)).round() as u32)
    }

    /// Services below bronze.
    pub fn below_bronze(&self) -> u32 {
        self.services.saturating_sub(self.bronze + self.silver + self.gold)
    }

    pub fn add(&mut self, other: &Totals) {
        self.services += other.services;
        self.ready += other.ready;
        self.ready_with_waivers += other.ready_with_waivers;
        self.scored += other.scored;
        self.score_sum += other.score_sum;
        self.bronze += other.bronze;
        self.silver += other.silver;
        self.gold += other.gold;
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamTotals {
    pub team_id: i64,
    pub name: String,
    pub totals: Totals,
}

/// The home page once services exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgScorecard {
    pub org: Totals,
    pub teams: Vec<TeamTotals>,
    /// One page of services, in the filter's order.
    pub services: Vec<ServiceSummary>,
    /// Score change over the last 30 days per service on the page, in
    /// points (`None` without a score then and now).
    pub trends: Vec<(i64, Option<i64>)>,
    pub next: Option<String>,
    /// When this was read, and the audit chain head it reflects.
    pub as_of: i64,
    pub chain_reference: String,
}

/// A team's scorecard: its totals, its services (lowest score first, with
/// their gates and what blocks them) and what goes stale soon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamScorecard {
    pub totals: Totals,
    pub services: Vec<ServiceSummary>,
    pub trends: Vec<(i64, Option<i64>)>,
    /// More services than one page: the services list continues.
    pub more: bool,
    pub due: Vec<super::services::DueItem>,
}

/// Days the trend arrows look back.
pub const TREND_DAYS: i64 = 30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_up_and_average_only_scored_services() {
        let mut org = Totals::default();
        assert_eq!(org.average(), None);
        org.add(&Totals { services: 3, ready: 1, scored: 2, score_sum: 101, bronze: 1, gold: 1, ..Totals::default() });
        org.add(&Totals { services: 2, scored: 1, score_sum: 0, ..Totals::default() });
        assert_eq!(org.services, 5);
        assert_eq!(org.average(), Some(34), "101 / 3 rounded");
        assert_eq!(org.below_bronze(), 3);
    }
}
