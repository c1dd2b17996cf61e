//! Score history as the charts read it: one point per day for a service,
//! a team or the whole organisation, and the geometry of a score-over-time
//! chart. Pure, so the server renders the SVG and tests check it cheaply.

use serde::{Deserialize, Serialize};

use super::checklist::Level;

pub const MILLIS_PER_DAY: i64 = 86_400_000;

/// The UTC day (days since 1970-01-01) of an instant.
pub fn day_of(millis: i64) -> i64 {
    millis.div_euclid(MILLIS_PER_DAY)
}

/// "2026-12-04" for a day number.
pub fn day_label(day: i64) -> String {
    chrono::DateTime::from_timestamp_millis(day * MILLIS_PER_DAY)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// "Dec 4" for a day number (axis labels).
fn short_label(day: i64) -> String {
    chrono::DateTime::from_timestamp_millis(day * MILLIS_PER_DAY)
        .map(|t| t.format("%b %-d").to_string())
        .unwrap_or_default()
}

/// Windows a chart can show, in days.
pub const WINDOWS: [(i64, &str); 3] = [(30, "30 days"), (90, "90 days"), (365, "1 year")];

/// Reads a `?days=` value: one of [`WINDOWS`], 90 otherwise.
pub fn window(days: Option<&str>) -> i64 {
    days.and_then(|d| d.parse().ok()).filter(|d| WINDOWS.iter().any(|(w, _)| w == d)).unwrap_or(90)
}

/// One day of a chart: the score then (percent, `None` while nothing
/// counted), whether the gate was open, and the level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayPoint {
    pub day: i64,
    pub score: Option<u32>,
    pub ready: bool,
    pub level: Option<Level>,
    /// "2 of 10 services ready" for a team or the organisation; empty for
    /// one service.
    pub note: String,
}

/// A score history ready to draw: the window and its days (missing days
/// carry the day before forward, as nothing changed on them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub from_day: i64,
    pub to_day: i64,
    pub points: Vec<DayPoint>,
}

/// Drawing area of the chart, in SVG units.
pub const WIDTH: f64 = 640.0;
pub const HEIGHT: f64 = 220.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
/// Below the plot: the ready strip, the level strip and the date labels.
const BOTTOM: f64 = 58.0;

/// Where everything of a chart goes.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartGeometry {
    /// The score line, as an SVG path ("" when nothing was ever scored).
    pub line: String,
    /// One dot per recorded day: (x, y, hover text).
    pub dots: Vec<(f64, f64, String)>,
    /// Horizontal grid lines: (y, label).
    pub y_ticks: Vec<(f64, String)>,
    /// Date labels: (x, label).
    pub x_ticks: Vec<(f64, String)>,
    /// Spans where the gate was open: (x, width).
    pub ready_spans: Vec<(f64, f64)>,
    /// Spans of each level: (x, width, level).
    pub level_spans: Vec<(f64, f64, Level)>,
    pub plot_left: f64,
    pub plot_right: f64,
    pub plot_top: f64,
    pub plot_bottom: f64,
    /// The y of the ready and level strips.
    pub ready_y: f64,
    pub level_y: f64,
    pub strip_height: f64,
}

impl ChartGeometry {
    /// The days that get a hover target. A month or less: every day. Longer
    /// windows: every 7th day, every day the line moves and the last day, so
    /// a year's chart does not carry 365 targets (most of them saying the
    /// same as the day before) into every page.
    pub fn hover_dots(&self, days_shown: i64) -> Vec<&(f64, f64, String)> {
        if days_shown <= 31 {
            return self.dots.iter().collect();
        }
        let last = self.dots.len().saturating_sub(1);
        self.dots
            .iter()
            .enumerate()
            .filter(|(i, (_, y, _))| *i % 7 == 0 || *i == last || (*i > 0 && (self.dots[*i - 1].1 - *y).abs() > 0.01))
            .map(|(_, dot)| dot)
            .collect()
    }
}

impl History {
    /// The points of every day of the window, the last known day carried
    /// forward over days without a row (before the first row: nothing).
    pub fn filled(&self) -> Vec<Option<DayPoint>> {
        let mut out = Vec::with_capacity((self.to_day - self.from_day + 1).max(0) as usize);
        let mut rows = self.points.iter().peekable();
        let mut last: Option<DayPoint> = None;
        for day in self.from_day..=self.to_day {
            while let Some(p) = rows.peek() {
                if p.day > day {
                    break;
                }
                last = rows.next().cloned();
            }
            out.push(last.clone().map(|p| DayPoint { day, ..p }));
        }
        out
    }

    pub fn geometry(&self) -> ChartGeometry {
        let days = (self.to_day - self.from_day).max(1) as f64;
        let (plot_left, plot_right, plot_top) = (LEFT, WIDTH - RIGHT, TOP);
        let plot_bottom = HEIGHT - BOTTOM;
        let day_width = (plot_right - plot_left) / (days + 1.0);
        let x = |day: i64| plot_left + (day - self.from_day) as f64 * day_width + day_width / 2.0;
        let y = |score: u32| plot_bottom - (plot_bottom - plot_top) * f64::from(score.min(100)) / 100.0;

        let filled = self.filled();
        let mut line = String::new();
        let mut pen_down = false;
        let mut dots = Vec::new();
        let mut ready_spans: Vec<(f64, f64)> = Vec::new();
        let mut level_spans: Vec<(f64, f64, Level)> = Vec::new();
        for point in filled.iter().flatten() {
            let px = x(point.day);
            match point.score {
                Some(score) => {
                    let py = y(score);
                    line.push_str(&format!("{}{px:.1},{py:.1}", if pen_down { " L" } else { "M" }));
                    pen_down = true;
                    let gate = if point.ready { "ready" } else { "not ready" };
                    let level = point.level.map(|l| l.label()).unwrap_or("no level");
                    let note = if point.note.is_empty() { String::new() } else { format!(" · {}", point.note) };
                    dots.push((px, py, format!("{}: {score}% · {level} · {gate}{note}", day_label(point.day))));
                }
                None => pen_down = false,
            }
            let left = px - day_width / 2.0;
            if point.ready {
                match ready_spans.last_mut() {
                    Some((start, width)) if (*start + *width - left).abs() < 0.01 => *width += day_width,
                    _ => ready_spans.push((left, day_width)),
                }
            }
            if let Some(level) = point.level {
                match level_spans.last_mut() {
                    Some((start, width, l)) if *l == level && (*start + *width - left).abs() < 0.01 => {
                        *width += day_width
                    }
                    _ => level_spans.push((left, day_width, level)),
                }
            }
        }
        let y_ticks = [0, 25, 50, 75, 100].iter().map(|s| (y(*s), format!("{s}%"))).collect();
        // About five date labels, the last one today.
        let step = ((days + 1.0) / 5.0).ceil().max(1.0) as i64;
        let mut x_ticks: Vec<(f64, String)> = Vec::new();
        let mut day = self.to_day;
        while day >= self.from_day {
            x_ticks.push((x(day), short_label(day)));
            day -= step;
        }
        x_ticks.reverse();
        let strip_height = 8.0;
        ChartGeometry {
            line,
            dots,
            y_ticks,
            x_ticks,
            ready_spans,
            level_spans,
            plot_left,
            plot_right,
            plot_top,
            plot_bottom,
            ready_y: plot_bottom + 8.0,
            level_y: plot_bottom + 8.0 + strip_height + 4.0,
            strip_height,
        }
    }

    /// The score change over the window: latest minus the first scored day
    /// (`None` without two scored days).
    pub fn change(&self) -> Option<i64> {
        let scored: Vec<u32> = self.points.iter().filter_map(|p| p.score).collect();
        match (scored.first(), scored.last()) {
            (Some(a), Some(b)) if scored.len() > 1 => Some(i64::from(*b) - i64::from(*a)),
            _ => None,
        }
    }
}

/// A trend arrow for a score change in points: up, down or level.
pub fn trend_arrow(change: Option<i64>) -> (&'static str, &'static str) {
    match change {
        Some(c) if c > 0 => ("↑", "up"),
        Some(c) if c < 0 => ("↓", "down"),
        Some(_) => ("→", "flat"),
        None => ("·", "none"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(day: i64, score: Option<u32>, ready: bool, level: Option<Level>) -> DayPoint {
        DayPoint { day, score, ready, level, note: String::new() }
    }

    #[test]
    fn days_are_utc_and_labelled() {
        assert_eq!(day_of(1_767_225_600_000), 20_454);
        assert_eq!(day_of(1_767_225_599_999), 20_453);
        assert_eq!(day_label(20_454), "2026-01-01");
        assert_eq!(short_label(20_454), "Jan 1");
        assert_eq!(window(Some("365")), 365);
        assert_eq!(window(Some("12")), 90);
        assert_eq!(window(None), 90);
    }

    #[test]
    fn missing_days_carry_the_day_before() {
        let h = History {
            from_day: 10,
            to_day: 15,
            points: vec![point(12, Some(40), false, None), point(14, Some(60), true, Some(Level::Bronze))],
        };
        let filled: Vec<Option<u32>> = h.filled().iter().map(|p| p.as_ref().and_then(|p| p.score)).collect();
        assert_eq!(filled, [None, None, Some(40), Some(40), Some(60), Some(60)]);
        assert_eq!(h.change(), Some(20));
    }

    #[test]
    fn the_chart_spans_its_window_and_marks_ready_and_level_spans() {
        let h = History {
            from_day: 0,
            to_day: 9,
            points: vec![
                point(0, Some(0), false, None),
                point(3, Some(50), true, Some(Level::Bronze)),
                point(6, Some(100), true, Some(Level::Gold)),
            ],
        };
        let g = h.geometry();
        assert_eq!(g.dots.len(), 10);
        // 0 % sits on the x axis, 100 % at the top.
        assert!((g.dots[0].1 - g.plot_bottom).abs() < 0.01);
        assert!((g.dots[9].1 - g.plot_top).abs() < 0.01);
        assert!(g.dots[0].0 > g.plot_left && g.dots[9].0 < g.plot_right);
        assert!(g.line.starts_with('M') && g.line.matches(" L").count() == 9);
        assert_eq!(g.ready_spans.len(), 1, "days 3 to 9 in one span");
        let levels: Vec<Level> = g.level_spans.iter().map(|s| s.2).collect();
        assert_eq!(levels, [Level::Bronze, Level::Gold]);
        assert!(g.dots[4].2.contains("50% · Bronze · ready"), "{}", g.dots[4].2);
        assert_eq!(g.x_ticks.last().unwrap().1, short_label(9));
        assert_eq!(g.y_ticks.len(), 5);
    }

    #[test]
    fn an_unscored_gap_lifts_the_pen_and_an_empty_history_draws_nothing() {
        let h = History {
            from_day: 0,
            to_day: 4,
            points: vec![point(0, Some(10), false, None), point(2, None, false, None), point(4, Some(30), false, None)],
        };
        assert_eq!(h.geometry().line.matches('M').count(), 2);
        let empty = History { from_day: 0, to_day: 29, points: vec![] };
        assert_eq!(empty.geometry().line, "");
        assert_eq!(empty.change(), None);
        assert_eq!(trend_arrow(Some(3)).1, "up");
        assert_eq!(trend_arrow(Some(-1)).1, "down");
        assert_eq!(trend_arrow(Some(0)).1, "flat");
    }

    #[test]
    fn long_windows_keep_hover_targets_where_the_line_moves() {
        let points: Vec<DayPoint> = (0..365)
            .map(|d| DayPoint {
                day: d,
                score: Some(if d < 200 { 10 } else { 60 }),
                ready: false,
                level: None,
                note: String::new(),
            })
            .collect();
        let history = History { from_day: 0, to_day: 364, points };
        let g = history.geometry();
        assert_eq!(g.hover_dots(30).len(), 365, "short windows keep every day");
        let thin = g.hover_dots(365);
        assert!(thin.len() < 60, "{}", thin.len());
        assert!(thin.iter().any(|d| d.2.starts_with(&day_label(200))), "the day the score moved");
        assert!(thin.last().unwrap().2.starts_with(&day_label(364)), "today");
    }
}
