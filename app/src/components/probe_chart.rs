//! A probe's latency and error-rate charts: server-rendered SVG with axes,
//! units and a hover value per bucket (SVG titles, so they need no script).
//! The geometry is `domain::probes::chart`; this only draws it.

use leptos::prelude::*;

use crate::domain::probes::chart::{LineChart, Series, CHART_HEIGHT, CHART_WIDTH};

/// Both charts of `series`, one above the other.
#[component]
pub fn ProbeCharts(series: Series) -> impl IntoView {
    let window = series.window.label();
    let empty = series.buckets.is_empty();
    let shaded = series.maintenance.iter().any(|(start, end)| *start < series.to && *end > series.from);
    let error_title = if series.traffic { "Error rate (errors ÷ requests)" } else { "Failed checks" };
    let latency = series.latency_chart();
    let errors = series.error_chart();
    view! {
        {empty.then(|| view! { <p class="muted">"No checks in this window yet."</p> })}
        {shaded.then(|| view! {
            <p class="muted"><span class="probe-chart__key probe-chart__key--maintenance">"Shaded"</span>": maintenance windows, when alerts are silenced."</p>
        })}
        <figure class="probe-chart">
            <figcaption>"Latency over " {window} ": " <span class="probe-chart__key probe-chart__key--p50">"p50"</span> " and " <span class="probe-chart__key probe-chart__key--p95">"p95"</span></figcaption>
            <LineChartSvg chart=latency classes=vec!["probe-chart__p50", "probe-chart__p95"] label=format!("Latency p50 and p95 over {window}")/>
        </figure>
        <figure class="probe-chart">
            <figcaption>{error_title} " over " {window}</figcaption>
            <LineChartSvg chart=errors classes=vec!["probe-chart__errors"] label=format!("{error_title} over {window}")/>
        </figure>
    }
}

#[component]
fn LineChartSvg(chart: LineChart, classes: Vec<&'static str>, label: String) -> impl IntoView {
    let LineChart { paths, y_ticks, x_ticks, hovers, shades, plot_left, plot_right, plot_top, plot_bottom } = chart;
    // At phone width the chart keeps a readable size and scrolls sideways.
    view! {
        <div class="chart-scroll">
        <svg class="line-chart" viewBox=format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}") role="img" aria-label=label>
            <g class="line-chart__grid">
                {y_ticks.into_iter().map(|(y, text)| view! {
                    <line x1=plot_left x2=plot_right y1=y y2=y/>
                    <text x=plot_left - 6.0 y=y + 4.0 text-anchor="end">{text}</text>
                }).collect_view()}
            </g>
            {shades.into_iter().map(|(left, right, text)| view! {
                <rect class="line-chart__maintenance" x=left y=plot_top width=right - left height=plot_bottom - plot_top>
                    <title>{text}</title>
                </rect>
            }).collect_view()}
            <line class="line-chart__axis" x1=plot_left x2=plot_right y1=plot_bottom y2=plot_bottom/>
            <line class="line-chart__axis" x1=plot_left x2=plot_left y1=plot_top y2=plot_bottom/>
            <g class="line-chart__times">
                {x_ticks.into_iter().map(|(x, text)| view! {
                    <text x=x y=CHART_HEIGHT - 8.0 text-anchor="middle">{text}</text>
                }).collect_view()}
            </g>
            {paths.into_iter().zip(classes).map(|(d, class)| view! {
                <path class=format!("line-chart__line {class}") d=d/>
            }).collect_view()}
            {hovers.into_iter().map(|(x, y, text)| view! {
                <circle class="line-chart__dot" cx=x cy=y r="5"><title>{text}</title></circle>
            }).collect_view()}
        </svg>
        </div>
    }
}
