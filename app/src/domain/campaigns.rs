//! Campaigns: drive a set of services to a goal by a deadline. The goal is
//! a level every service reaches, or chosen checklist items every service
//! satisfies. This module holds the shapes the pages read and the pure
//! rules: what a service still lacks, and the burn-up chart's geometry.

use serde::{Deserialize, Serialize};

use super::checklist::Level;
use super::history::{day_label, MILLIS_PER_DAY};
use super::readiness::{standing, ItemFacts};

/// What a service lacks, at most, as stored and shown (the rest is "and N
/// more").
pub const LACKS_SHOWN: usize = 4;

/// What every service of a campaign must reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Goal {
    /// The service's level is this one or higher.
    Level(Level),
    /// Each of these items ('template-key/item-key') passes, or does not
    /// apply to the service.
    Items(Vec<String>),
}

impl Goal {
    pub fn describe(&self) -> String {
        match self {
            Goal::Level(level) => format!("Every service reaches {} or higher", level.label()),
            Goal::Items(items) if items.len() == 1 => "Every service satisfies 1 chosen item".to_string(),
            Goal::Items(items) => format!("Every service satisfies {} chosen items", items.len()),
        }
    }
}

/// One item of a service, as a campaign goal reads it.
pub struct GoalItem<'a> {
    /// 'template-key/item-key'.
    pub key: &'a str,
    pub title: &'a str,
    pub facts: &'a ItemFacts,
}

/// Whether a service meets `goal` at `now`, and what it lacks (at most
/// [`LACKS_SHOWN`] lines, most severe first for a level goal, in the
/// goal's order for an items goal). `level` is the service's level;
/// `items` may be all of its items or only those the goal reads;
/// `titles` names each goal item ("Web application: TLS everywhere").
pub fn judge(
    goal: &Goal,
    level: Option<Level>,
    items: &[GoalItem],
    titles: &dyn Fn(&str) -> String,
    now: i64,
) -> (bool, Vec<String>) {
    let lacking = |item: &GoalItem| {
        let standing = standing(item.facts, now);
        (standing.counts() && !standing.passes()).then(|| standing.describe())
    };
    let (met, lacks) = match goal {
        Goal::Level(goal) => {
            if level_rank(level) >= level_rank(Some(*goal)) {
                return (true, Vec::new());
            }
            let mut behind: Vec<(&GoalItem, String)> =
                items.iter().filter(|i| i.facts.level <= *goal).filter_map(|i| Some((i, lacking(i)?))).collect();
            behind.sort_by_key(|(i, _)| (i.facts.severity, i.facts.level));
            let mut lacks: Vec<String> = behind.iter().map(|(i, why)| format!("{}: {why}", i.title)).collect();
            if lacks.is_empty() {
                // Nothing counts yet: no checklist with items at that level.
                lacks.push(format!("no items at {} or below are counted yet", goal.label()));
            }
            (false, lacks)
        }
        Goal::Items(keys) => {
            let lacks: Vec<String> = keys
                .iter()
                .filter_map(|key| match items.iter().find(|i| i.key == key) {
                    Some(item) => lacking(item).map(|why| format!("{}: {why}", titles(key))),
                    None => Some(format!("{}: its checklist is not applied", titles(key))),
                })
                .collect();
            (lacks.is_empty(), lacks)
        }
    };
    (met, shorten_lacks(lacks))
}

/// The first lacks and "and N more" for the rest, in [`LACKS_SHOWN`] lines.
fn shorten_lacks(mut lacks: Vec<String>) -> Vec<String> {
    if lacks.len() > LACKS_SHOWN {
        let more = lacks.len() - (LACKS_SHOWN - 1);
        lacks.truncate(LACKS_SHOWN - 1);
        lacks.push(format!("and {more} more"));
    }
    lacks
}

/// A level's rank, for "this level or higher" (`None` ranks lowest).
pub fn level_rank(level: Option<Level>) -> u8 {
    match level {
        None => 0,
        Some(Level::Bronze) => 1,
        Some(Level::Silver) => 2,
        Some(Level::Gold) => 3,
    }
}

/// A campaign in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignSummary {
    pub id: i64,
    pub name: String,
    pub goal: String,
    /// The last day, 'YYYY-MM-DD'.
    pub deadline: String,
    pub ended: bool,
    /// Services meeting the goal now, and covered.
    pub met: u32,
    pub total: u32,
    /// Whole days from today to the deadline (negative once past).
    pub days_left: i64,
}

impl CampaignSummary {
    pub fn percent(&self) -> u32 {
        (self.met * 100).checked_div(self.total).unwrap_or(0)
    }

    /// "12 days left", "due today", "3 days overdue", "ended".
    pub fn time_left(&self) -> String {
        match (self.ended, self.days_left) {
            (true, _) => "ended".to_string(),
            (false, 0) => "due today".to_string(),
            (false, 1) => "1 day left".to_string(),
            (false, d) if d > 1 => format!("{d} days left"),
            (false, -1) => "1 day overdue".to_string(),
            (false, d) => format!("{} days overdue", -d),
        }
    }
}

/// A covered service that does not meet the goal yet, with what it lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BehindService {
    pub slug: String,
    pub name: String,
    pub team_name: String,
    pub score: Option<u32>,
    pub level: Option<Level>,
    /// What stands between the service and the goal, most severe first:
    /// "Backups restored in a drill: awaiting 1 approval".
    pub lacks: Vec<String>,
}

/// The campaign page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignDetail {
    pub summary: CampaignSummary,
    pub goal: Goal,
    /// The chosen items' titles ("Web application: TLS everywhere"), for
    /// an items goal.
    pub goal_items: Vec<String>,
    /// How the services were chosen, in words.
    pub selection: String,
    pub started_by: String,
    pub started_at: i64,
    pub burnup: Burnup,
    /// One page of the services behind, by name.
    pub behind: Vec<BehindService>,
    /// The slug to continue after, when more are behind.
    pub next: Option<String>,
    /// The caller may end the campaign.
    pub can_manage: bool,
}

/// What the new-campaign form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignChoices {
    /// Teams the caller may cover.
    pub teams: Vec<(i64, String)>,
    /// Services the caller may pick: (slug, "Name — Team").
    pub services: Vec<(String, String)>,
    /// Items by checklist: (checklist name, [(template-key/item-key, title)]).
    pub items: Vec<(String, Vec<(String, String)>)>,
    /// Today, 'YYYY-MM-DD' (UTC), the earliest deadline.
    pub today: String,
}

/// Services meeting the goal at the end of one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurnupDay {
    pub day: i64,
    pub met: u32,
    pub total: u32,
}

/// The burn-up chart's data: from the first day to the deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Burnup {
    pub start_day: i64,
    /// Services meeting the goal when the campaign started.
    pub start_met: u32,
    pub deadline_day: i64,
    pub today: i64,
    pub days: Vec<BurnupDay>,
}

/// Drawing area of the burn-up chart, in SVG units.
pub const BURNUP_WIDTH: f64 = 640.0;
pub const BURNUP_HEIGHT: f64 = 220.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// Where everything of the burn-up chart goes.
#[derive(Debug, Clone, PartialEq)]
pub struct BurnupGeometry {
    /// Services meeting the goal over time (a step line).
    pub met_line: String,
    /// The covered services (the finish line).
    pub total_line: String,
    /// Even progress from the count at the start to all by the deadline.
    pub ideal_line: String,
    /// The x of today, while the campaign runs.
    pub today_x: Option<f64>,
    /// One hover target per recorded day: (x, y, text).
    pub dots: Vec<(f64, f64, String)>,
    pub y_ticks: Vec<(f64, String)>,
    pub x_ticks: Vec<(f64, String)>,
    pub plot_left: f64,
    pub plot_right: f64,
    pub plot_top: f64,
    pub plot_bottom: f64,
}

impl Burnup {
    pub fn geometry(&self) -> BurnupGeometry {
        let last_day = self.deadline_day.max(self.days.last().map_or(self.start_day, |d| d.day));
        let span = (last_day - self.start_day).max(1) as f64;
        let (plot_left, plot_right, plot_top, plot_bottom) = (LEFT, BURNUP_WIDTH - RIGHT, TOP, BURNUP_HEIGHT - BOTTOM);
        let top_value = self.days.iter().map(|d| d.total.max(d.met)).max().unwrap_or(0).max(1);
        let x = |day: i64| plot_left + (plot_right - plot_left) * (day - self.start_day) as f64 / span;
        let y = |value: u32| plot_bottom - (plot_bottom - plot_top) * f64::from(value) / f64::from(top_value);

        let mut met_line = String::new();
        let mut total_line = String::new();
        let mut dots = Vec::with_capacity(self.days.len());
        for (i, d) in self.days.iter().enumerate() {
            let (px, py, ty) = (x(d.day), y(d.met), y(d.total));
            if i == 0 {
                met_line.push_str(&format!("M{px:.1},{py:.1}"));
                total_line.push_str(&format!("M{px:.1},{ty:.1}"));
            } else {
                // Steps: a count holds until the day it changed.
                met_line.push_str(&format!(" H{px:.1} V{py:.1}"));
                total_line.push_str(&format!(" H{px:.1} V{ty:.1}"));
            }
            dots.push((px, py, format!("{}: {} of {} services meet the goal", day_label(d.day), d.met, d.total)));
        }
        // The finish line runs on to the deadline at the latest total.
        if let Some(d) = self.days.last() {
            if d.day < last_day {
                total_line.push_str(&format!(" H{:.1}", x(last_day)));
            }
        }
        let ideal_line = match self.days.last() {
            Some(latest) => format!(
                "M{:.1},{:.1} L{:.1},{:.1}",
                x(self.start_day),
                y(self.start_met),
                x(self.deadline_day),
                y(latest.total)
            ),
            None => String::new(),
        };
        let today_x = (self.today >= self.start_day && self.today <= last_day).then(|| x(self.today));
        // Whole numbers on the y axis, about four steps.
        let step = (top_value / 4).max(1);
        let mut y_ticks = Vec::new();
        let mut value = 0;
        while value <= top_value {
            y_ticks.push((y(value), value.to_string()));
            value += step;
        }
        let date_step = ((span + 1.0) / 5.0).ceil().max(1.0) as i64;
        let mut x_ticks = Vec::new();
        let mut day = self.start_day;
        while day < last_day {
            x_ticks.push((x(day), day_label(day)[5..].to_string()));
            day += date_step;
        }
        x_ticks.push((x(last_day), day_label(last_day)[5..].to_string()));
        // A tick too close to the deadline's would overlap its label.
        if x_ticks.len() > 2 {
            let n = x_ticks.len();
            if x_ticks[n - 1].0 - x_ticks[n - 2].0 < 50.0 {
                x_ticks.remove(n - 2);
            }
        }
        BurnupGeometry {
            met_line,
            total_line,
            ideal_line,
            today_x,
            dots,
            y_ticks,
            x_ticks,
            plot_left,
            plot_right,
            plot_top,
            plot_bottom,
        }
    }
}

/// Whole days from `now` to the end of `deadline` ('YYYY-MM-DD').
pub fn days_left(deadline: &str, now: i64) -> i64 {
    parse_day(deadline).map_or(0, |day| day - now.div_euclid(MILLIS_PER_DAY))
}

/// The day number of 'YYYY-MM-DD'.
pub fn parse_day(text: &str) -> Option<i64> {
    let date = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    Some((date - epoch).num_days())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checklist::{EvidenceRule, Severity};
    use crate::domain::readiness::ItemStatus;

    fn burnup(days: &[(i64, u32, u32)]) -> Burnup {
        Burnup {
            start_day: 100,
            start_met: days.first().map_or(0, |d| d.1),
            deadline_day: 110,
            today: 104,
            days: days.iter().map(|&(day, met, total)| BurnupDay { day, met, total }).collect(),
        }
    }

    #[test]
    fn the_met_line_steps_and_the_finish_line_runs_to_the_deadline() {
        let g = burnup(&[(100, 1, 4), (102, 3, 4), (104, 4, 4)]).geometry();
        assert_eq!(g.met_line.matches('H').count(), 2, "{}", g.met_line);
        assert!(g.met_line.starts_with("M40.0,"), "{}", g.met_line);
        assert!(g.total_line.ends_with(&format!("H{:.1}", BURNUP_WIDTH - RIGHT)), "{}", g.total_line);
        assert_eq!(g.dots.len(), 3);
        assert!(g.dots[1].2.contains("3 of 4"), "{}", g.dots[1].2);
        // All four met: the last dot is at the top of the plot.
        assert!((g.dots[2].1 - TOP).abs() < 0.01);
        // Today (day 104 of 100..110) is 40 % across.
        let today = g.today_x.unwrap();
        assert!((today - (LEFT + (BURNUP_WIDTH - RIGHT - LEFT) * 0.4)).abs() < 0.01);
        assert_eq!(g.y_ticks.first().map(|t| t.1.as_str()), Some("0"));
        assert_eq!(g.y_ticks.last().map(|t| t.1.as_str()), Some("4"));
    }

    #[test]
    fn the_ideal_line_goes_from_the_first_count_to_all_by_the_deadline() {
        let g = burnup(&[(100, 2, 10)]).geometry();
        let y_of = |v: f64| BURNUP_HEIGHT - BOTTOM - (BURNUP_HEIGHT - BOTTOM - TOP) * v / 10.0;
        assert_eq!(
            g.ideal_line,
            format!("M{:.1},{:.1} L{:.1},{:.1}", LEFT, y_of(2.0), BURNUP_WIDTH - RIGHT, y_of(10.0))
        );
    }

    #[test]
    fn an_empty_campaign_draws_nothing_and_does_not_divide_by_zero() {
        let g = burnup(&[]).geometry();
        assert!(g.met_line.is_empty() && g.ideal_line.is_empty());
        assert_eq!(g.x_ticks.last().map(|t| t.1.as_str()), Some(&day_label(110)[5..]));
    }

    #[test]
    fn time_left_reads_naturally() {
        let mut c = CampaignSummary {
            id: 1,
            name: "x".into(),
            goal: String::new(),
            deadline: "2026-12-31".into(),
            ended: false,
            met: 1,
            total: 3,
            days_left: 12,
        };
        assert_eq!(c.time_left(), "12 days left");
        assert_eq!(c.percent(), 33);
        c.days_left = 0;
        assert_eq!(c.time_left(), "due today");
        c.days_left = -3;
        assert_eq!(c.time_left(), "3 days overdue");
        c.ended = true;
        assert_eq!(c.time_left(), "ended");
        c.total = 0;
        assert_eq!(c.percent(), 0);
    }

    #[test]
    fn days_are_counted_in_utc() {
        assert_eq!(parse_day("1970-01-02"), Some(1));
        assert_eq!(parse_day("not a date"), None);
        let noon = 10 * MILLIS_PER_DAY + MILLIS_PER_DAY / 2;
        assert_eq!(days_left(&day_label(12), noon), 2);
    }

    #[test]
    fn higher_levels_rank_higher() {
        assert!(level_rank(Some(Level::Gold)) > level_rank(Some(Level::Silver)));
        assert!(level_rank(Some(Level::Bronze)) > level_rank(None));
    }

    /// An item of `level` and `severity`, done and complete when `done`.
    fn facts(level: Level, severity: Severity, done: bool) -> ItemFacts {
        ItemFacts {
            severity,
            level,
            evidence: EvidenceRule::None,
            approvals_required: 0,
            valid_days: 0,
            auto: None,
            live: None,
            applies: true,
            status: if done { ItemStatus::Done } else { ItemStatus::NotStarted },
            not_applicable_accepted: false,
            has_link: false,
            has_file: false,
            approvals: 0,
            complete_since: done.then_some(0),
            rejection: None,
            waiver_expires_at: None,
        }
    }

    fn title(key: &str) -> String {
        format!("Checklist: {key}")
    }

    #[test]
    fn a_level_goal_lists_what_is_behind_at_or_below_it_most_severe_first() {
        let low = facts(Level::Bronze, Severity::Low, false);
        let critical = facts(Level::Silver, Severity::Critical, false);
        let gold = facts(Level::Gold, Severity::Critical, false);
        let done = facts(Level::Bronze, Severity::High, true);
        let items = [
            GoalItem { key: "t/low", title: "Low", facts: &low },
            GoalItem { key: "t/gold", title: "Gold", facts: &gold },
            GoalItem { key: "t/crit", title: "Critical", facts: &critical },
            GoalItem { key: "t/done", title: "Done", facts: &done },
        ];
        let (met, lacks) = judge(&Goal::Level(Level::Silver), Some(Level::Bronze), &items, &title, 1);
        assert!(!met);
        assert_eq!(lacks, ["Critical: not started", "Low: not started"]);
        let (met, lacks) = judge(&Goal::Level(Level::Silver), Some(Level::Gold), &items, &title, 1);
        assert!(met && lacks.is_empty(), "a higher level meets the goal");
        let (_, lacks) = judge(&Goal::Level(Level::Silver), None, &[], &title, 1);
        assert_eq!(lacks, ["no items at Silver or below are counted yet"]);
    }

    #[test]
    fn an_items_goal_names_each_missing_item_in_the_goal_order() {
        let done = facts(Level::Bronze, Severity::High, true);
        let open = facts(Level::Gold, Severity::Low, false);
        let items = [
            GoalItem { key: "t/done", title: "Done", facts: &done },
            GoalItem { key: "t/open", title: "Open", facts: &open },
        ];
        let goal = Goal::Items(vec!["t/open".into(), "t/done".into(), "u/absent".into()]);
        let (met, lacks) = judge(&goal, Some(Level::Gold), &items, &title, 1);
        assert!(!met, "the service's level does not matter to an items goal");
        assert_eq!(lacks, ["Checklist: t/open: not started", "Checklist: u/absent: its checklist is not applied"]);
        let goal = Goal::Items(vec!["t/done".into()]);
        assert_eq!(judge(&goal, None, &items, &title, 1), (true, Vec::new()));
    }

    #[test]
    fn long_lists_end_with_how_many_more() {
        let open = facts(Level::Bronze, Severity::Low, false);
        let keys: Vec<String> = (0..6).map(|n| format!("t/{n}")).collect();
        let items: Vec<GoalItem> = keys.iter().map(|k| GoalItem { key: k, title: k, facts: &open }).collect();
        let (_, lacks) = judge(&Goal::Level(Level::Bronze), None, &items, &title, 1);
        assert_eq!(lacks.len(), LACKS_SHOWN);
        assert_eq!(lacks.last().unwrap(), "and 3 more");
    }
}
