//! Small pieces that show readiness the same way everywhere: the level
//! badge, the gate badge, the score bar and an item's standing.

use leptos::prelude::*;

use crate::components::local_time::LocalTime;
use crate::domain::checklist::{Level, Severity};
use crate::domain::readiness::{Blocker, Standing};
use crate::domain::services::Figures;

/// "Gold", "Silver", "Bronze" or "Below bronze".
#[component]
pub fn LevelBadge(level: Option<Level>) -> impl IntoView {
    let (class, text) = match level {
        Some(level) => (format!("level level--{}", level.as_str()), level.label()),
        None => ("level level--none".to_string(), "Below bronze"),
    };
    view! { <span class=class>{text}</span> }
}

/// "Ready", "Ready with 2 waivers" or "Not ready".
#[component]
pub fn GateBadge(figures: Figures) -> impl IntoView {
    let class = match (figures.ready, figures.waivers) {
        (false, _) => "badge badge--bad",
        (true, 0) => "badge badge--ok",
        (true, _) => "badge badge--warn",
    };
    view! { <span class=class>{figures.gate_label()}</span> }
}

/// The score as a bar with its percentage (or "no score" when nothing counts).
#[component]
pub fn ScoreBar(score: Option<u32>, #[prop(optional)] label: &'static str) -> impl IntoView {
    match score {
        Some(percent) => view! {
            <span class="score">
                <span class="score__bar" aria-hidden="true">
                    <span class="score__fill" style=format!("width: {percent}%")></span>
                </span>
                <span class="score__value">{format!("{percent}%")} {(!label.is_empty()).then(|| format!(" {label}"))}</span>
            </span>
        }
        .into_any(),
        None => view! { <span class="score score--none muted">"No score yet"</span> }.into_any(),
    }
}

/// "critical", "high"… as a small tag.
#[component]
pub fn SeverityTag(severity: Severity) -> impl IntoView {
    view! { <span class=format!("severity severity--{}", severity.as_str())>{severity.as_str()}</span> }
}

/// An item's standing in words, with its date when it has one.
#[component]
pub fn StandingText(standing: Standing) -> impl IntoView {
    match standing {
        Standing::Excluded => view! { <span class="standing muted">"Not required for this tier"</span> }.into_any(),
        Standing::NotApplicable => view! { <span class="standing muted">"Not applicable (accepted)"</span> }.into_any(),
        Standing::Satisfied => view! { <span class="standing standing--ok">"Satisfied"</span> }.into_any(),
        Standing::Waived { expires_at } => view! {
            <span class="standing standing--warn">"Waived until " <LocalTime millis=expires_at/></span>
        }
        .into_any(),
        Standing::Unmet(Blocker::Stale { since }) => view! {
            <span class="standing standing--bad">"Stale since " <LocalTime millis=since/></span>
        }
        .into_any(),
        Standing::Unmet(Blocker::WaiverExpired { at }) => view! {
            <span class="standing standing--bad">"Waiver expired " <LocalTime millis=at/></span>
        }
        .into_any(),
        Standing::Unmet(blocker) => {
            let text = blocker.describe();
            let mut chars = text.chars();
            let text = chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default();
            view! { <span class="standing standing--bad">{text}</span> }.into_any()
        }
    }
}
