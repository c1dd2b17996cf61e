//! The review queue: every item waiting for a reviewer, across all
//! services, oldest first, filtered by team, checklist, severity and age.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use crate::api::items::fetch_review_queue;
use crate::components::field::SelectField;
use crate::components::local_time::LocalTime;
use crate::components::readiness::SeverityTag;
use crate::domain::checklist::Severity;
use crate::domain::items::ReviewQueue;
use crate::pages::services::{options, url_pairs};

#[component]
pub fn ReviewsPage() -> impl IntoView {
    let location = use_location();
    let search = Memo::new(move |_| location.search.get().trim_start_matches('?').to_string());
    let queue = Resource::new(move || search.get(), fetch_review_queue);
    view! {
        <Title text="Review queue"/>
        <div class="page-head">
            <h1>"Review queue"</h1>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading the queue…"</p> }>
            {move || {
                queue.get().map(|answer| match answer {
                    Ok(queue) => {
                        let pairs = url_pairs(&search.get_untracked());
                        view! { <QueueView queue pairs/> }.into_any()
                    }
                    Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                })
            }}
        </Transition>
    }
}

#[component]
fn QueueView(queue: ReviewQueue, pairs: Vec<(String, String)>) -> impl IntoView {
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default();
    let none = Signal::derive(|| None::<String>);
    let team_options = options("All teams", queue.teams.iter().map(|(id, name)| (id.to_string(), name.clone())));
    let template_options =
        options("All checklists", queue.templates.iter().map(|(id, name)| (id.to_string(), name.clone())));
    let severity_options =
        options("Any severity", Severity::ALL.iter().map(|s| (s.as_str().to_string(), s.as_str().to_string())));
    let age_options = options(
        "Any age",
        [("1", "Waiting a day or more"), ("7", "Waiting a week or more"), ("30", "Waiting a month or more")]
            .map(|(v, l)| (v.to_string(), l.to_string())),
    );
    let count = queue.entries.len();
    view! {
        <form method="get" action="/reviews" class="panel filters" aria-label="Filter the queue">
            <SelectField label="Team" name="team".to_string() options=team_options selected=get("team") error=none/>
            <SelectField label="Checklist" name="template".to_string() options=template_options selected=get("template") error=none/>
            <SelectField label="Severity" name="severity".to_string() options=severity_options selected=get("severity") error=none/>
            <SelectField label="Age" name="age".to_string() options=age_options selected=get("age") error=none/>
            <div class="filters__actions">
                <button type="submit" class="button">"Apply"</button>
                <a href="/reviews" class="button button--secondary">"Clear"</a>
            </div>
        </form>
        {if count == 0 {
            view! {
                <section class="panel empty-state">
                    <h2>"Nothing to review"</h2>
                    <p>"Items marked done with their evidence, and not-applicable claims, appear here for review."</p>
                </section>
            }
            .into_any()
        } else {
            view! {
                <div class="panel table-panel">
                    <table class="data-table service-table">
                        <caption class="visually-hidden">"Items waiting for review"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Item"</th>
                                <th scope="col">"Severity"</th>
                                <th scope="col">"Waiting since"</th>
                                <th scope="col">"Asks for"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {queue.entries.into_iter().map(|e| {
                                let asks = if e.not_applicable {
                                    "Accept as not applicable".to_string()
                                } else {
                                    format!("Approval {} of {}", e.approvals + 1, e.approvals_required)
                                };
                                view! {
                                    <tr>
                                        <th scope="row">
                                            <a href=format!("/items/{}", e.item_id)>{e.title}</a>
                                            {e.own_work.then(|| view! { " " <span class="badge">"Your work"</span> })}
                                            <span class="data-table__sub">{format!("{} · {} · {}", e.service_name, e.team_name, e.checklist)}</span>
                                        </th>
                                        <td data-label="Severity"><SeverityTag severity=e.severity/></td>
                                        <td data-label="Waiting since"><LocalTime millis=e.since/></td>
                                        <td data-label="Asks for">{asks}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }
            .into_any()
        }}
    }
}
