//! A milestone beside the present (`/services/:slug/milestones/:id`): the
//! figures then and now, then what regressed (first), improved, was added
//! or removed, and what stayed as it was (collapsed on screen, listed on
//! paper).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::milestones::fetch_milestone;
use crate::components::local_time::LocalTime;
use crate::components::print::{PrintButton, PrintFooter};
use crate::components::readiness::{LevelBadge, StandingText};
use crate::domain::milestones::{Comparison, Direction, Headline, ItemChange, MilestoneView};
use crate::domain::readiness::Standing;
use crate::error::AppError;
use crate::pages::not_found::NotFound;

#[component]
pub fn MilestonePage() -> impl IntoView {
    let params = use_params_map();
    let key = Memo::new(move |_| {
        let params = params.read();
        (params.get("slug").unwrap_or_default(), params.get("id").and_then(|id| id.parse::<i64>().ok()))
    });
    let view = Resource::new(
        move || key.get(),
        |(slug, id)| async move {
            match id {
                Some(id) => fetch_milestone(slug, id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading milestone…"</p> }>
            {move || {
                view.get().map(|answer| match answer {
                    Ok(found) => view! { <MilestoneCompare view=found/> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <Title text="Milestone"/><p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                })
            }}
        </Suspense>
    }
}

#[component]
fn MilestoneCompare(view: MilestoneView) -> impl IntoView {
    let MilestoneView { service_name, service_slug, milestone, comparison, as_of, chain_reference } = view;
    let back = format!("/services/{service_slug}");
    let c = comparison;
    let counts = format!(
        "{} regressed · {} improved · {} added · {} removed · {} unchanged",
        c.regressed.len(),
        c.improved.len(),
        c.added.len(),
        c.removed.len(),
        c.unchanged.len()
    );
    view! {
        <Title text=format!("{} · {}", milestone.name, service_name)/>
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <a href=back.clone()>{service_name.clone()}</a> " › Milestones"
        </nav>
        <div class="page-head">
            <h1>{milestone.name.clone()}</h1>
            <div class="page-head__actions">
                <PrintButton/>
                <a href=back class="button button--secondary no-print">"Back to the service"</a>
            </div>
        </div>
        <p class="service-facts">
            "Recorded " <LocalTime millis=milestone.created_at/> " by " {milestone.created_by.clone()}
            "; compared with now (" <LocalTime millis=as_of/> ")."
        </p>
        {milestone.note.clone().map(|note| view! { <p class="prose milestone-note">{note}</p> })}
        <FiguresPanel comparison=c.clone()/>
        <p class="milestone-counts">{counts}</p>
        <ChangeGroup
            title="Regressed"
            tone="bad"
            empty="Nothing that passed then fails now."
            changes=c.regressed.clone()
        />
        <ChangeGroup
            title="Improved"
            tone="ok"
            empty="Nothing that failed then passes now."
            changes=c.improved.clone()
        />
        {(!c.added.is_empty()).then(|| view! {
            <ChangeGroup title="Added since" tone="new" empty="" changes=c.added.clone()/>
        })}
        {(!c.removed.is_empty()).then(|| view! {
            <ChangeGroup title="Removed since" tone="gone" empty="" changes=c.removed.clone()/>
        })}
        <Unchanged changes=c.unchanged.clone()/>
        <PrintFooter as_of chain_reference/>
    }
}

/// Score, level and gate, then and now, with the direction of each.
#[component]
fn FiguresPanel(comparison: Comparison) -> impl IntoView {
    let Comparison { then, now, .. } = comparison.clone();
    let score = |h: &Headline| h.score.map(|s| format!("{s}%")).unwrap_or_else(|| "No score".into());
    let gate = |h: &Headline| {
        let class = match (h.ready, h.waivers) {
            (false, _) => "badge badge--bad",
            (true, 0) => "badge badge--ok",
            (true, _) => "badge badge--warn",
        };
        view! { <span class=class>{h.gate_label()}</span> }
    };
    let blocking = |h: &Headline| match h.blocking {
        0 => "none blocking".to_string(),
        1 => "1 blocking".to_string(),
        n => format!("{n} blocking"),
    };
    view! {
        <section class="panel then-now" aria-labelledby="figures-heading">
            <h2 id="figures-heading">"Then and now"</h2>
            <dl class="then-now__grid">
                <div class="then-now__figure">
                    <dt>"Score"</dt>
                    <dd>
                        <span class="then-now__value">{score(&then)}</span>
                        <Arrow direction=comparison.score_direction()/>
                        <span class="then-now__value then-now__value--now">{score(&now)}</span>
                    </dd>
                </div>
                <div class="then-now__figure">
                    <dt>"Level"</dt>
                    <dd>
                        <LevelBadge level=then.level/>
                        <Arrow direction=comparison.level_direction()/>
                        <LevelBadge level=now.level/>
                    </dd>
                </div>
                <div class="then-now__figure">
                    <dt>"Launch gate"</dt>
                    <dd>
                        {gate(&then)}
                        <Arrow direction=comparison.gate_direction()/>
                        {gate(&now)}
                    </dd>
                    <dd class="then-now__sub muted">{blocking(&then)} " → " {blocking(&now)}</dd>
                </div>
            </dl>
        </section>
    }
}

#[component]
fn Arrow(direction: Direction) -> impl IntoView {
    let label = match direction {
        Direction::Up => "better now",
        Direction::Down => "worse now",
        Direction::Same => "unchanged",
    };
    view! {
        <span class=format!("then-now__arrow trend--{}", direction_class(direction)) title=label aria-label=label role="img">
            {direction.arrow()}
        </span>
    }
}

/// The trend classes the services list already colours.
fn direction_class(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "up",
        Direction::Down => "down",
        Direction::Same => "flat",
    }
}

#[component]
fn ChangeGroup(
    title: &'static str,
    tone: &'static str,
    empty: &'static str,
    changes: Vec<ItemChange>,
) -> impl IntoView {
    let id = format!("changes-{}", title.to_lowercase().replace(' ', "-"));
    let heading_id = id.clone();
    view! {
        <section class=format!("panel change-group change-group--{tone}") aria-labelledby=id>
            <h2 id=heading_id>{title} <span class="change-group__count">{format!(" ({})", changes.len())}</span></h2>
            {if changes.is_empty() {
                view! { <p class="muted">{empty}</p> }.into_any()
            } else {
                view! {
                    <ul class="change-list" aria-label=title>
                        {changes.into_iter().map(|change| view! { <ChangeLine change/> }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
    }
}

/// The items that pass (or fail) as they did: collapsed on screen, those
/// with changed details first; a plain list on paper, where `<details>`
/// would print closed.
#[component]
fn Unchanged(changes: Vec<ItemChange>) -> impl IntoView {
    let count = changes.len();
    let changed_details = changes.iter().filter(|c| c.has_details()).count();
    let summary = match changed_details {
        0 => format!("Unchanged ({count})"),
        n => format!("Unchanged ({count}, {n} with changed details)"),
    };
    let printed = changes.clone();
    view! {
        <section class="panel change-group change-group--same" aria-label="Unchanged">
            <details class="no-print">
                <summary><h2 class="change-group__summary">{summary.clone()}</h2></summary>
                <ul class="change-list" aria-label="Unchanged items">
                    {changes.into_iter().map(|change| view! { <ChangeLine change/> }).collect_view()}
                </ul>
            </details>
            <div class="print-only">
                <h2>{summary}</h2>
                <ul class="change-list change-list--compact">
                    {printed.into_iter().map(|c| view! {
                        <li>{c.title} " — " {c.now.map(|s| view! { <StandingText standing=s/> })}</li>
                    }).collect_view()}
                </ul>
            </div>
        </section>
    }
}

/// One item: its title (to its page), where it sits, its standing then
/// and now, and what changed about its evidence, approvals and waiver.
#[component]
fn ChangeLine(change: ItemChange) -> impl IntoView {
    let standing = |s: Option<Standing>, missing: &'static str| match s {
        Some(s) => view! { <StandingText standing=s/> }.into_any(),
        None => view! { <span class="muted">{missing}</span> }.into_any(),
    };
    let mut details: Vec<AnyView> = Vec::new();
    for e in &change.evidence_added {
        let label = e.label.clone();
        details.push(
            view! {
                <li class="change__detail change__detail--added">
                    "Evidence added: " <span class="change__evidence">{label}</span>
                    <span class="muted">" · " {e.added_by.clone()} ", " <LocalTime millis=e.added_at/></span>
                </li>
            }
            .into_any(),
        );
    }
    for e in &change.evidence_withdrawn {
        let label = e.label.clone();
        details.push(
            view! {
                <li class="change__detail change__detail--withdrawn">
                    "Evidence withdrawn: " <span class="change__evidence">{label}</span>
                    <span class="muted">" · added by " {e.added_by.clone()}</span>
                </li>
            }
            .into_any(),
        );
    }
    for a in &change.approvals_added {
        details.push(
            view! {
                <li class="change__detail change__detail--added">
                    "Approved by " {a.reviewer.clone()} <span class="muted">" · " <LocalTime millis=a.at/></span>
                </li>
            }
            .into_any(),
        );
    }
    for a in &change.approvals_gone {
        details.push(
            view! {
                <li class="change__detail change__detail--withdrawn">
                    "Approval by " {a.reviewer.clone()} " no longer counts"
                </li>
            }
            .into_any(),
        );
    }
    if let Some((before, after)) = &change.waiver_change {
        let text = match (before, after) {
            (None, Some(w)) => view! {
                <li class="change__detail change__detail--added">
                    "Waiver granted until " <LocalTime millis=w.expires_at/>
                    {w.granted_by.clone().map(|by| format!(" by {by}"))} ": " {w.reason.clone()}
                </li>
            }
            .into_any(),
            (Some(_), None) => {
                view! { <li class="change__detail change__detail--withdrawn">"Waiver no longer granted"</li> }
                    .into_any()
            }
            (_, Some(w)) => view! {
                <li class="change__detail">"Waiver now until " <LocalTime millis=w.expires_at/></li>
            }
            .into_any(),
            (None, None) => ().into_any(),
        };
        details.push(text);
    }
    let status_change = (change.status_then.is_some()
        && change.status_now.is_some()
        && change.status_then != change.status_now)
        .then(|| {
            format!(
                "Status: {} → {}",
                change.status_then.map(|s| s.label()).unwrap_or_default(),
                change.status_now.map(|s| s.label()).unwrap_or_default()
            )
        });
    view! {
        <li class="change">
            <div class="change__head">
                <a href=format!("/items/{}", change.id) class="change__title">{change.title.clone()}</a>
                <span class="change__where muted">{format!("{} · {}", change.checklist, change.section)}</span>
            </div>
            <p class="change__standing">
                <span class="change__when">"Then"</span> {standing(change.then.clone(), "not on the checklist")}
                <span class="change__to" aria-hidden="true">" → "</span>
                <span class="change__when">"Now"</span> {standing(change.now.clone(), "no longer on the checklist")}
            </p>
            {(status_change.is_some() || !details.is_empty()).then(|| view! {
                <ul class="change__details">
                    {status_change.map(|text| view! { <li class="change__detail">{text}</li> })}
                    {details}
                </ul>
            })}
        </li>
    }
}
