//! A campaign's burn-up chart: services meeting the goal per day against
//! the finish line (every covered service) and an even pace to the
//! deadline. Server-rendered SVG with axes and dates; each recorded day
//! has its count on hover (SVG titles, no script needed).

use leptos::prelude::*;

use crate::domain::campaigns::{Burnup, BURNUP_HEIGHT, BURNUP_WIDTH};
use crate::domain::history::day_label;

#[component]
pub fn BurnupChart(burnup: Burnup) -> impl IntoView {
    let g = burnup.geometry();
    let latest = burnup.days.last().cloned();
    let description = match &latest {
        Some(d) => format!(
            "Burn-up from {} to the deadline {}: {} of {} services meet the goal on {}.",
            day_label(burnup.start_day),
            day_label(burnup.deadline_day),
            d.met,
            d.total,
            day_label(d.day)
        ),
        None => "No progress recorded yet.".to_string(),
    };
    view! {
        // At phone width the chart keeps a readable size and scrolls sideways.
        <div class="chart-scroll">
        <svg class="score-chart burnup" viewBox=format!("0 0 {BURNUP_WIDTH} {BURNUP_HEIGHT}") role="img" aria-label=description>
            <g class="score-chart__grid">
                {g.y_ticks.iter().map(|(y, label)| view! {
                    <line x1=g.plot_left x2=g.plot_right y1=*y y2=*y/>
                    <text x=g.plot_left - 6.0 y=*y + 4.0 text-anchor="end">{label.clone()}</text>
                }).collect_view()}
            </g>
            <line class="score-chart__axis" x1=g.plot_left x2=g.plot_right y1=g.plot_bottom y2=g.plot_bottom/>
            <line class="score-chart__axis" x1=g.plot_left x2=g.plot_left y1=g.plot_top y2=g.plot_bottom/>
            <g class="score-chart__dates">
                // The deadline's label ends at the plot's edge instead of overflowing it.
                {g.x_ticks.iter().enumerate().map(|(i, (x, label))| view! {
                    <text x=*x y=BURNUP_HEIGHT - 8.0 text-anchor=if i + 1 == g.x_ticks.len() { "end" } else { "middle" }>{label.clone()}</text>
                }).collect_view()}
            </g>
            {g.today_x.map(|x| view! {
                <line class="burnup__today" x1=x x2=x y1=g.plot_top y2=g.plot_bottom/>
                <text class="burnup__today-label" x=x + 4.0 y=g.plot_top + 10.0>"today"</text>
            })}
            <path class="burnup__ideal" d=g.ideal_line.clone()/>
            <path class="burnup__total" d=g.total_line.clone()/>
            <path class="score-chart__line" d=g.met_line.clone()/>
            // The latest count is marked, so even a campaign's first day shows.
            {g.dots.last().map(|(x, y, _)| view! { <circle class="score-chart__mark" cx=*x cy=*y r="4"/> })}
            {g.dots.iter().map(|(x, y, text)| view! {
                <circle class="score-chart__dot" cx=*x cy=*y r="6"><title>{text.clone()}</title></circle>
            }).collect_view()}
        </svg>
        </div>
        <ul class="burnup__legend" aria-label="Chart legend">
            <li><span class="burnup__key burnup__key--met"></span>"Services meeting the goal"</li>
            <li><span class="burnup__key burnup__key--total"></span>"Services covered"</li>
            <li><span class="burnup__key burnup__key--ideal"></span>"Even pace to the deadline"</li>
        </ul>
    }
}
