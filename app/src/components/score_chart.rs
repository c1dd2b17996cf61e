//! The score-over-time chart: server-rendered SVG with axes, dates, the
//! ready and level strips, and each day's values on hover (SVG titles, so
//! they need no script). Windows are plain links, so it works without
//! JavaScript too.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::history::fetch_history;
use crate::domain::checklist::Level;
use crate::domain::history::{day_label, trend_arrow, History, HEIGHT, WIDTH, WINDOWS};
use crate::error::AppError;

/// The score history a [`HistoryPanel`] charts. Create it at the top of
/// the page, outside any `Transition`: a resource created inside one's
/// children is created, and fetched, again each time they render (three
/// times for one server render of the team page).
#[derive(Clone, Copy)]
pub struct HistoryFeed {
    days: Memo<i64>,
    history: Resource<Result<History, AppError>>,
}

/// The history of `scope` (`org`, `team:<id>`, `service:<slug>`) over the
/// window in the page's `days` query value.
pub fn history_feed(scope: impl Fn() -> String + Send + Sync + 'static) -> HistoryFeed {
    let query = use_query_map();
    let days = Memo::new(move |_| crate::domain::history::window(query.read().get_str("days")));
    let history = Resource::new(move || (scope(), days.get()), |(scope, days)| fetch_history(scope, days));
    HistoryFeed { days, history }
}

/// A panel with the chart of `feed`, and links to the other windows.
#[component]
pub fn HistoryPanel(feed: HistoryFeed, #[prop(into)] title: String) -> impl IntoView {
    let HistoryFeed { days, history } = feed;
    let heading_id = "history-heading";
    view! {
        <section class="panel history" aria-labelledby=heading_id>
            <div class="history__head">
                <h2 id=heading_id>{title}</h2>
                <nav class="history__windows" aria-label="Chart window">
                    {WINDOWS.iter().map(|(d, label)| {
                        let d = *d;
                        view! {
                            <a href=format!("?days={d}#history-heading") aria-current=move || (days.get() == d).then_some("true")>{*label}</a>
                        }
                    }).collect_view()}
                </nav>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading history…"</p> }>
                {move || history.get().map(|answer| match answer {
                    Ok(h) => view! { <ScoreChart history=h/> }.into_any(),
                    Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

fn level_colour(level: Level) -> &'static str {
    match level {
        // The level badges' colours (style/main.css, .level--*).
        Level::Bronze => "#9a3412",
        Level::Silver => "#64748b",
        Level::Gold => "#a16207",
    }
}

#[component]
pub fn ScoreChart(history: History) -> impl IntoView {
    let g = history.geometry();
    let (arrow, trend) = trend_arrow(history.change());
    let summary = match history.change() {
        Some(c) => {
            format!("{arrow} {c:+} points from {} to {}", day_label(history.from_day), day_label(history.to_day))
        }
        None => "Not enough history yet for a trend.".to_string(),
    };
    let description = format!(
        "Score from {} to {}: {} recorded days. {summary}",
        day_label(history.from_day),
        day_label(history.to_day),
        history.points.len()
    );
    let empty = g.line.is_empty();
    let marked = history.to_day - history.from_day < 31;
    view! {
        <p class=format!("history__trend history__trend--{trend}")>{summary}</p>
        // At phone width the chart keeps a readable size and scrolls sideways.
        <div class="chart-scroll">
        <svg class="score-chart" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=description>
            <g class="score-chart__grid">
                {g.y_ticks.iter().map(|(y, label)| view! {
                    <line x1=g.plot_left x2=g.plot_right y1=*y y2=*y/>
                    <text x=g.plot_left - 6.0 y=*y + 4.0 text-anchor="end">{label.clone()}</text>
                }).collect_view()}
            </g>
            <line class="score-chart__axis" x1=g.plot_left x2=g.plot_right y1=g.plot_bottom y2=g.plot_bottom/>
            <line class="score-chart__axis" x1=g.plot_left x2=g.plot_left y1=g.plot_top y2=g.plot_bottom/>
            <text class="score-chart__strip-label" x=g.plot_left - 6.0 y=g.ready_y + g.strip_height text-anchor="end">"ready"</text>
            {g.ready_spans.iter().map(|(x, w)| view! {
                <rect class="score-chart__ready" x=*x y=g.ready_y width=*w height=g.strip_height/>
            }).collect_view()}
            <text class="score-chart__strip-label" x=g.plot_left - 6.0 y=g.level_y + g.strip_height text-anchor="end">"level"</text>
            {g.level_spans.iter().map(|(x, w, level)| view! {
                <rect x=*x y=g.level_y width=*w height=g.strip_height fill=level_colour(*level)>
                    <title>{level.label()}</title>
                </rect>
            }).collect_view()}
            <g class="score-chart__dates">
                {g.x_ticks.iter().map(|(x, label)| view! {
                    <text x=*x y=HEIGHT - 6.0 text-anchor="middle">{label.clone()}</text>
                }).collect_view()}
            </g>
            <path class="score-chart__line" d=g.line.clone()/>
            // Every day is marked while a month or less is shown; beyond
            // that the line says it, and today is marked.
            {g.dots.iter().enumerate().filter(|(i, _)| marked || *i + 1 == g.dots.len()).map(|(_, (x, y, _))| view! {
                <circle class="score-chart__mark" cx=*x cy=*y r="3"/>
            }).collect_view()}
            {g.hover_dots(history.to_day - history.from_day).into_iter().map(|(x, y, text)| view! {
                <circle class="score-chart__dot" cx=*x cy=*y r="6"><title>{text.clone()}</title></circle>
            }).collect_view()}
        </svg>
        </div>
        {empty.then(|| view! { <p class="muted">"No score recorded in this window yet."</p> })}
    }
}
