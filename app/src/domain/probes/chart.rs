//! A probe's latency and error-rate charts: the windows people choose,
//! the buckets each window is cut into, and where every line, tick and
//! hover target goes in the SVG. Pure, so the geometry is tested here and
//! the component only draws it.

use serde::{Deserialize, Serialize};

use super::summary::latency_label;

/// The windows a probe's charts show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChartWindow {
    /// The last hour, a bucket a minute (raw checks).
    Hour,
    /// The last 24 hours, a bucket per 15 minutes (raw checks).
    Day,
    /// The last 7 days, a bucket an hour (hourly rollups).
    Week,
    /// The last 30 days, a bucket per 6 hours (hourly rollups).
    Month,
    /// The last 365 days, a bucket a day (daily rollups).
    Year,
}

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

impl ChartWindow {
    /// Every window, shortest first.
    pub const ALL: [ChartWindow; 5] =
        [ChartWindow::Hour, ChartWindow::Day, ChartWindow::Week, ChartWindow::Month, ChartWindow::Year];

    /// Its value in a page address (`?window=24h`).
    pub fn key(self) -> &'static str {
        match self {
            ChartWindow::Hour => "1h",
            ChartWindow::Day => "24h",
            ChartWindow::Week => "7d",
            ChartWindow::Month => "30d",
            ChartWindow::Year => "1y",
        }
    }

    /// The window an address names; 24 hours when it names none.
    pub fn parse(key: Option<&str>) -> ChartWindow {
        ChartWindow::ALL.into_iter().find(|w| Some(w.key()) == key).unwrap_or(ChartWindow::Day)
    }

    /// "24 hours".
    pub fn label(self) -> &'static str {
        match self {
            ChartWindow::Hour => "1 hour",
            ChartWindow::Day => "24 hours",
            ChartWindow::Week => "7 days",
            ChartWindow::Month => "30 days",
            ChartWindow::Year => "1 year",
        }
    }

    /// How far back it reaches (ms).
    pub fn span_ms(self) -> i64 {
        match self {
            ChartWindow::Hour => HOUR_MS,
            ChartWindow::Day => DAY_MS,
            ChartWindow::Week => 7 * DAY_MS,
            ChartWindow::Month => 30 * DAY_MS,
            ChartWindow::Year => 365 * DAY_MS,
        }
    }

    /// The width of one bucket (ms); buckets start at multiples of it.
    pub fn bucket_ms(self) -> i64 {
        match self {
            ChartWindow::Hour => MINUTE_MS,
            ChartWindow::Day => 15 * MINUTE_MS,
            ChartWindow::Week => HOUR_MS,
            ChartWindow::Month => 6 * HOUR_MS,
            ChartWindow::Year => DAY_MS,
        }
    }

    /// The first bucket's start for a chart ending at `now`.
    pub fn from(self, now: i64) -> i64 {
        let from = now - self.span_ms();
        from - from.rem_euclid(self.bucket_ms())
    }

    /// The start of the bucket `at` falls in.
    pub fn bucket_of(self, at: i64) -> i64 {
        at - at.rem_euclid(self.bucket_ms())
    }
}

/// One bucket with checks in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Its start (epoch ms).
    pub start: i64,
    /// Checks run in it.
    pub checks: u64,
    /// Of which failed.
    pub failures: u64,
    /// Median latency of its successful checks (µs).
    pub p50_us: Option<u64>,
    /// 95th percentile latency of its successful checks (µs).
    pub p95_us: Option<u64>,
    /// Errors ÷ requests from a metrics probe's counters, or failed ÷ all
    /// checks for other probes (see [`Series::traffic`]).
    pub error_rate: Option<f64>,
}

/// A probe's charts over one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The window shown.
    pub window: ChartWindow,
    /// The first bucket's start (epoch ms).
    pub from: i64,
    /// The chart's end: the time it was read (epoch ms).
    pub to: i64,
    /// Buckets with checks, oldest first; a bucket without any is a gap.
    pub buckets: Vec<Bucket>,
    /// The error rate is the service's own (errors ÷ requests from its
    /// metrics), not failed checks.
    pub traffic: bool,
    /// The service's maintenance windows within the chart (start, end;
    /// epoch ms), shaded so a gap or a spike there reads as planned.
    #[serde(default)]
    pub maintenance: Vec<(i64, i64)>,
}

/// Width of a chart, in SVG units.
pub const CHART_WIDTH: f64 = 640.0;
/// Height of a chart, in SVG units.
pub const CHART_HEIGHT: f64 = 180.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 26.0;

/// Where everything of one chart goes.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// One SVG path per line, in the order asked (a gap starts a new
    /// segment); "" when the line has no point.
    pub paths: Vec<String>,
    /// Horizontal grid lines: (y, label).
    pub y_ticks: Vec<(f64, String)>,
    /// Time labels: (x, label).
    pub x_ticks: Vec<(f64, String)>,
    /// Hover targets: (x, top y of the bucket's values, text).
    pub hovers: Vec<(f64, f64, String)>,
    /// Maintenance windows to shade: (left x, right x, what it is).
    pub shades: Vec<(f64, f64, String)>,
    /// The plot's edges, inside the axis labels.
    pub plot_left: f64,
    /// See `plot_left`.
    pub plot_right: f64,
    /// See `plot_left`.
    pub plot_top: f64,
    /// See `plot_left`.
    pub plot_bottom: f64,
}

/// A value axis from 0 to a round maximum of at least `max`, with its
/// step: 1, 2 or 5 times a power of ten, at most five steps.
pub fn nice_axis(max: f64) -> (f64, f64) {
    if max.is_nan() || max <= 0.0 || !max.is_finite() {
        return (1.0, 0.25);
    }
    let rough = max / 5.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power).find(|s| *s >= rough).unwrap_or(10.0 * power);
    ((max / step).ceil() * step, step)
}

impl Series {
    fn x(&self, at: i64) -> f64 {
        let span = (self.to - self.from).max(1) as f64;
        LEFT + (CHART_WIDTH - LEFT - RIGHT) * ((at - self.from) as f64 / span).clamp(0.0, 1.0)
    }

    /// The middle of a bucket.
    fn bucket_x(&self, start: i64) -> f64 {
        self.x(start + self.window.bucket_ms() / 2)
    }

    /// Time labels: about six, at round times (UTC).
    fn x_ticks(&self) -> Vec<(f64, String)> {
        let step = match self.window {
            ChartWindow::Hour => 10 * MINUTE_MS,
            ChartWindow::Day => 4 * HOUR_MS,
            ChartWindow::Week => DAY_MS,
            ChartWindow::Month => 5 * DAY_MS,
            ChartWindow::Year => 61 * DAY_MS,
        };
        let first = self.from - self.from.rem_euclid(step) + step;
        (0..)
            .map(|k| first + k * step)
            .take_while(|at| *at <= self.to)
            .map(|at| (self.x(at), self.time_label(at)))
            .collect()
    }

    /// "14:30" within a day's windows, "12-05" beyond (UTC).
    pub fn time_label(&self, at: i64) -> String {
        let Some(time) = chrono::DateTime::from_timestamp_millis(at) else { return String::new() };
        match self.window {
            ChartWindow::Hour | ChartWindow::Day => time.format("%H:%M").to_string(),
            ChartWindow::Week | ChartWindow::Month => time.format("%m-%d").to_string(),
            ChartWindow::Year => time.format("%Y-%m").to_string(),
        }
    }

    /// "2026-12-05 14:30 UTC": a bucket's start in hover texts.
    fn bucket_label(&self, start: i64) -> String {
        let Some(time) = chrono::DateTime::from_timestamp_millis(start) else { return String::new() };
        match self.window {
            ChartWindow::Year => time.format("%Y-%m-%d").to_string(),
            _ => time.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }

    /// Lines of `values` per bucket (one line per value), on an axis that
    /// labels values with `label`; hover texts from `hover`.
    fn chart(
        &self,
        lines: &[fn(&Bucket) -> Option<f64>],
        label: impl Fn(f64) -> String,
        hover: impl Fn(&Bucket) -> String,
    ) -> LineChart {
        let (plot_left, plot_right, plot_top) = (LEFT, CHART_WIDTH - RIGHT, TOP);
        let plot_bottom = CHART_HEIGHT - BOTTOM;
        let max = self.buckets.iter().flat_map(|b| lines.iter().filter_map(|line| line(b))).fold(0.0, f64::max);
        let (top, step) = nice_axis(max);
        let y = |value: f64| plot_bottom - (plot_bottom - plot_top) * (value / top).clamp(0.0, 1.0);
        let y_ticks =
            (0..).map(|k| k as f64 * step).take_while(|v| *v <= top + step / 2.0).map(|v| (y(v), label(v))).collect();
        let bucket = self.window.bucket_ms();
        let paths = lines
            .iter()
            .map(|line| {
                let mut path = String::new();
                let mut previous: Option<i64> = None;
                for b in &self.buckets {
                    let Some(value) = line(b) else {
                        previous = None;
                        continue;
                    };
                    // A bucket right after the last drawn one continues the
                    // line; after a gap, a new segment starts.
                    let joined = previous.is_some_and(|p| b.start - p <= bucket);
                    let (x, y) = (self.bucket_x(b.start), y(value));
                    if joined {
                        path.push_str(&format!("L{x:.1},{y:.1} "));
                    } else {
                        // A segment starts with a zero-length stroke, which
                        // round caps draw as a dot: a lone bucket shows.
                        path.push_str(&format!("M{x:.1},{y:.1} l0,0 "));
                    }
                    previous = Some(b.start);
                }
                path.trim_end().to_string()
            })
            .collect();
        let hovers = self
            .buckets
            .iter()
            .filter_map(|b| {
                let high = lines
                    .iter()
                    .filter_map(|line| line(b))
                    .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))?;
                Some((self.bucket_x(b.start), y(high), format!("{}: {}", self.bucket_label(b.start), hover(b))))
            })
            .collect();
        let shades = self
            .maintenance
            .iter()
            .filter(|(start, end)| *start < self.to && *end > self.from)
            .map(|(start, end)| {
                let label = format!("Maintenance, {} to {}", self.bucket_label(*start), self.bucket_label(*end));
                (self.x(*start), self.x(*end).max(self.x(*start) + 1.0), label)
            })
            .collect();
        LineChart {
            paths,
            y_ticks,
            x_ticks: self.x_ticks(),
            hovers,
            shades,
            plot_left,
            plot_right,
            plot_top,
            plot_bottom,
        }
    }

    /// p50 and p95 latency, in ms.
    pub fn latency_chart(&self) -> LineChart {
        let p50: fn(&Bucket) -> Option<f64> = |b| b.p50_us.map(|us| us as f64 / 1000.0);
        let p95: fn(&Bucket) -> Option<f64> = |b| b.p95_us.map(|us| us as f64 / 1000.0);
        self.chart(
            &[p50, p95],
            |v| format!("{} ms", trim_number(v)),
            |b| match (b.p50_us, b.p95_us) {
                (Some(p50), Some(p95)) => format!("p50 {}, p95 {}", latency_label(p50), latency_label(p95)),
                _ => "no successful check".to_string(),
            },
        )
    }

    /// The error rate, in percent.
    pub fn error_chart(&self) -> LineChart {
        let rate: fn(&Bucket) -> Option<f64> = |b| b.error_rate.map(|r| r * 100.0);
        let traffic = self.traffic;
        self.chart(
            &[rate],
            |v| format!("{} %", trim_number(v)),
            move |b| {
                let rate = b.error_rate.map_or("—".to_string(), |r| format!("{} %", trim_number(r * 100.0)));
                if traffic {
                    format!("{rate} of requests failed")
                } else {
                    format!("{rate} of checks failed ({} of {})", b.failures, b.checks)
                }
            },
        )
    }
}

/// "12", "2.5", "0.25": a tick or hover number without trailing zeros.
fn trim_number(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(start: i64, p50_ms: u64, failures: u64) -> Bucket {
        Bucket {
            start,
            checks: 10,
            failures,
            p50_us: Some(p50_ms * 1000),
            p95_us: Some(p50_ms * 2000),
            error_rate: Some(failures as f64 / 10.0),
        }
    }

    #[test]
    fn windows_read_from_addresses_and_default_to_a_day() {
        for window in ChartWindow::ALL {
            assert_eq!(ChartWindow::parse(Some(window.key())), window);
        }
        assert_eq!(ChartWindow::parse(Some("5y")), ChartWindow::Day);
        assert_eq!(ChartWindow::parse(None), ChartWindow::Day);
        let now = 10 * DAY_MS + 7 * HOUR_MS + 5 * MINUTE_MS;
        assert_eq!(ChartWindow::Week.from(now), 3 * DAY_MS + 7 * HOUR_MS);
        assert_eq!(ChartWindow::Day.bucket_of(now + 1), now - 5 * MINUTE_MS, "15-minute buckets");
        for window in ChartWindow::ALL {
            assert_eq!(window.span_ms() % window.bucket_ms(), 0, "{window:?} has whole buckets");
        }
    }

    #[test]
    fn axes_end_on_round_values_in_at_most_five_steps() {
        assert_eq!(nice_axis(0.0), (1.0, 0.25), "an empty chart still has an axis");
        assert_eq!(nice_axis(87.0), (100.0, 20.0));
        assert_eq!(nice_axis(250.0), (250.0, 50.0));
        assert_eq!(nice_axis(1.0), (1.0, 0.2));
        let (top, step) = nice_axis(0.3);
        assert!((top - 0.3).abs() < 1e-9 && (step - 0.1).abs() < 1e-12);
    }

    #[test]
    fn lines_break_at_gaps_and_every_bucket_has_a_hover() {
        let series = Series {
            window: ChartWindow::Hour,
            from: 0,
            to: HOUR_MS,
            buckets: vec![bucket(0, 10, 0), bucket(MINUTE_MS, 20, 1), bucket(5 * MINUTE_MS, 40, 5)],
            traffic: false,
            maintenance: vec![],
        };
        let chart = series.latency_chart();
        assert_eq!(chart.paths.len(), 2, "p50 and p95");
        let segments = chart.paths[0].matches('M').count();
        assert_eq!(segments, 2, "minutes 2 to 4 have no checks: {}", chart.paths[0]);
        assert!(chart.paths[0].ends_with(" l0,0"), "the lone last bucket is drawn as a dot: {}", chart.paths[0]);
        assert_eq!(chart.y_ticks.last().unwrap().1, "80 ms", "the axis reaches the highest p95");
        assert_eq!(chart.hovers.len(), 3);
        assert_eq!(chart.hovers[1].2, "1970-01-01 00:01 UTC: p50 20 ms, p95 40 ms");
        assert_eq!(chart.x_ticks.first().unwrap().1, "00:10");
        let errors = series.error_chart();
        assert_eq!(errors.hovers[2].2, "1970-01-01 00:05 UTC: 50 % of checks failed (5 of 10)");
        assert!(chart.hovers.iter().all(|(x, y, _)| *x >= chart.plot_left
            && *x <= chart.plot_right
            && *y >= chart.plot_top
            && *y <= chart.plot_bottom));
    }

    #[test]
    fn an_empty_series_draws_axes_and_no_line() {
        let series = Series {
            window: ChartWindow::Year,
            from: 0,
            to: 365 * DAY_MS,
            buckets: vec![],
            traffic: true,
            maintenance: vec![],
        };
        let chart = series.error_chart();
        assert_eq!(chart.paths, [""]);
        assert!(chart.hovers.is_empty());
        assert!(!chart.y_ticks.is_empty() && !chart.x_ticks.is_empty());
    }

    #[test]
    fn maintenance_windows_are_shaded_within_the_plot() {
        let series = Series {
            window: ChartWindow::Hour,
            from: 0,
            to: HOUR_MS,
            buckets: vec![],
            traffic: false,
            // One before the chart, one inside, one running past its end.
            maintenance: vec![
                (-2 * HOUR_MS, -HOUR_MS),
                (10 * MINUTE_MS, 20 * MINUTE_MS),
                (50 * MINUTE_MS, 2 * HOUR_MS),
            ],
        };
        let chart = series.latency_chart();
        assert_eq!(chart.shades.len(), 2, "the window before the chart is not drawn");
        let (left, right, label) = &chart.shades[0];
        let width = chart.plot_right - chart.plot_left;
        assert!((left - (chart.plot_left + width / 6.0)).abs() < 1e-9);
        assert!((right - (chart.plot_left + width / 3.0)).abs() < 1e-9);
        assert_eq!(label, "Maintenance, 1970-01-01 00:10 UTC to 1970-01-01 00:20 UTC");
        assert!((chart.shades[1].1 - chart.plot_right).abs() < 1e-9, "clipped at the chart's end");
    }
}
