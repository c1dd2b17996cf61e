//! Everything the caller can act on before it goes stale: approved items
//! whose freshness ends within 14 days, across their teams' services.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::services::fetch_due_soon;
use crate::components::local_time::LocalTime;
use crate::components::readiness::SeverityTag;
use crate::domain::services::DueItem;

#[component]
pub fn DueSoonPage() -> impl IntoView {
    let due = Resource::new(|| (), |_| fetch_due_soon());
    view! {
        <Title text="Due soon"/>
        <div class="page-head">
            <h1>"Due soon"</h1>
            <a href="/services" class="button button--secondary">"Services"</a>
        </div>
        <p class="muted">"Approved items whose evidence goes stale within 14 days: renew the evidence and have it reviewed again before then."</p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                due.get().map(|answer| match answer {
                    Ok(items) if items.is_empty() => view! {
                        <section class="panel empty-state">
                            <h2>"Nothing due"</h2>
                            <p>"No approval on your services goes stale in the next 14 days."</p>
                        </section>
                    }
                    .into_any(),
                    Ok(items) => view! { <DueTable items/> }
                    .into_any(),
                    Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                })
            }}
        </Transition>
    }
}

/// Items going stale soon, soonest first.
#[component]
pub fn DueTable(items: Vec<DueItem>) -> impl IntoView {
    view! {
        <div class="panel table-panel">
            <table class="data-table service-table">
                <caption class="visually-hidden">"Items due soon"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Item"</th>
                        <th scope="col">"Severity"</th>
                        <th scope="col">"Goes stale"</th>
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|d| view! {
                        <tr>
                            <th scope="row">
                                <a href=format!("/items/{}", d.item_id)>{d.title}</a>
                                <span class="data-table__sub">{format!("{} · {}", d.service_name, d.team_name)}</span>
                            </th>
                            <td data-label="Severity"><SeverityTag severity=d.severity/></td>
                            <td data-label="Goes stale"><LocalTime millis=d.stale_at/></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
