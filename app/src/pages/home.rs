//! The home page: the organisation scorecard once services exist (totals,
//! teams, history and every service with its trend), and what Preflight
//! does before that.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use crate::api::scorecard::fetch_org_scorecard;
use crate::components::print::{PrintButton, PrintFooter};
use crate::components::readiness::ScoreBar;
use crate::components::score_chart::{history_feed, HistoryFeed, HistoryPanel};
use crate::domain::scorecard::{OrgScorecard, Totals};
use crate::domain::services::ServiceQuery;
use crate::pages::probes::OrgProbesPanel;
use crate::pages::services::{url_pairs, Filters, ServiceList};

#[component]
pub fn HomePage() -> impl IntoView {
    let location = use_location();
    let search = Memo::new(move |_| location.search.get().trim_start_matches('?').to_string());
    let card = Resource::new(move || search.get(), fetch_org_scorecard);
    let history = history_feed(|| "org".to_string());
    view! {
        <Title text="Overview"/>
        <section class="hero">
            <h1>"Launch readiness at a glance"</h1>
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading the scorecard…"</p> }>
            {move || card.get().map(|answer| match answer {
                Ok(card) if card.org.services == 0 => view! { <Introduction/> }.into_any(),
                Ok(card) => view! { <Scorecard card history search=search.get_untracked()/> }.into_any(),
                Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Scorecard(card: OrgScorecard, history: HistoryFeed, search: String) -> impl IntoView {
    let pairs = url_pairs(&search);
    let query = ServiceQuery::from_pairs(|key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()));
    let teams: Vec<(i64, String)> = card.teams.iter().map(|t| (t.team_id, t.name.clone())).collect();
    let next = card.next.map(|next| format!("/?{}", query.to_query_string(Some(&next))));
    view! {
        <p class="page-actions"><PrintButton/></p>
        <OrgTotals totals=card.org/>
        <HistoryPanel feed=history title="Organisation score history"/>
        <OrgProbesPanel/>
        <section class="panel table-panel" aria-labelledby="teams-heading">
            <h2 id="teams-heading" class="table-panel__title">"Teams"</h2>
            // service-table: rows become cards at phone width.
            <table class="data-table service-table">
                <thead>
                    <tr>
                        <th scope="col">"Team"</th>
                        <th scope="col">"Ready"</th>
                        <th scope="col">"Average score"</th>
                        <th scope="col">"Levels"</th>
                    </tr>
                </thead>
                <tbody>
                    {card.teams.into_iter().map(|t| view! {
                        <tr>
                            <th scope="row"><a href=format!("/teams/{}", t.team_id)>{t.name}</a></th>
                            <td data-label="Ready">{ready_text(&t.totals)}</td>
                            <td data-label="Average score"><ScoreBar score=t.totals.average()/></td>
                            <td data-label="Levels">{levels_text(&t.totals)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <h2 class="section-title">"Services"</h2>
        <Filters action="/" query=query.clone() teams/>
        <ServiceList services=card.services filtered=query.is_filtered() trends=card.trends/>
        {next.map(|href| view! { <p class="pager"><a class="button button--secondary" href=href>"Next page"</a></p> })}
        <PrintFooter as_of=card.as_of chain_reference=card.chain_reference/>
    }
}

fn ready_text(t: &Totals) -> String {
    match t.ready_with_waivers {
        0 => format!("{} of {}", t.ready, t.services),
        w => format!("{} of {} ({w} with waivers)", t.ready, t.services),
    }
}

fn levels_text(t: &Totals) -> String {
    format!("{} gold · {} silver · {} bronze · {} below", t.gold, t.silver, t.bronze, t.below_bronze())
}

/// The organisation's headline figures.
#[component]
fn OrgTotals(totals: Totals) -> impl IntoView {
    let ready_share = (totals.ready * 100).checked_div(totals.services).unwrap_or(0);
    view! {
        <section class="cards org-totals" aria-label="The organisation">
            <article class="card">
                <h2>"Ready to launch"</h2>
                <p class="org-totals__figure">{format!("{} of {}", totals.ready, totals.services)}</p>
                <p class="muted">
                    {format!("{ready_share}% of services")}
                    {(totals.ready_with_waivers > 0).then(|| format!(", {} by exception (waivers)", totals.ready_with_waivers))}
                </p>
            </article>
            <article class="card">
                <h2>"Average score"</h2>
                <p class="org-totals__figure">{totals.average().map(|a| format!("{a}%")).unwrap_or_else(|| "—".into())}</p>
                <p class="muted">{format!("over {} scored services", totals.scored)}</p>
            </article>
            <article class="card">
                <h2>"Levels"</h2>
                <p class="org-totals__figure">{format!("{} gold", totals.gold)}</p>
                <p class="muted">{format!("{} silver · {} bronze · {} below bronze", totals.silver, totals.bronze, totals.below_bronze())}</p>
            </article>
        </section>
    }
}

/// What Preflight does, before any service is registered.
#[component]
fn Introduction() -> impl IntoView {
    view! {
        <p class="hero__lead">
            "Preflight tracks the gates every service must pass before launch: readiness "
            "checklists backed by evidence, reviews by auditors, and live probes that prove "
            "monitoring is really in place."
        </p>
        <section class="panel empty-state" aria-labelledby="services-heading">
            <h2 id="services-heading">"No services yet"</h2>
            <p>
                "Once services are registered, each gets a scorecard here: a score, a readiness "
                "level and a plain answer to “ready to launch?”, with the reasons when it is not."
            </p>
        </section>
        <section class="cards" aria-label="What Preflight covers">
            <article class="card">
                <h2>"Checklists"</h2>
                <p>"Web application, blockchain system and operational resilience templates, or your own."</p>
            </article>
            <article class="card">
                <h2>"Evidence and review"</h2>
                <p>"Links, files, audit reports and runbooks behind every item, approved by someone other than the author."</p>
            </article>
            <article class="card">
                <h2>"Live probes"</h2>
                <p>"Uptime, latency and error-rate checks with alerts, so monitoring is proven by data."</p>
            </article>
        </section>
        <p class="aside">
            "Operators: see " <A href="/status">"System status"</A> " for the database and version of this instance."
        </p>
    }
}
