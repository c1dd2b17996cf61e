//! The audit trail (administrators and auditors): the chain head an auditor
//! can note down, filters by person, service, kind and date, the entries
//! newest first, and exports of what the filter shows.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use crate::api::audit::fetch_audit_page;
use crate::components::field::{Field, SelectField};
use crate::components::local_time::LocalTime;
use crate::domain::audit::{AuditPage, KINDS};
use crate::pages::services::options;

#[component]
pub fn AuditPage() -> impl IntoView {
    let location = use_location();
    let search = Memo::new(move |_| location.search.get().trim_start_matches('?').to_string());
    let page = Resource::new(move || search.get(), fetch_audit_page);
    view! {
        <Title text="Audit trail"/>
        <div class="page-head">
            <h1>"Audit trail"</h1>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading the trail…"</p> }>
            {move || {
                page.get().map(|answer| match answer {
                    Ok(page) => view! { <TrailView page/> }.into_any(),
                    Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                })
            }}
        </Transition>
    }
}

#[component]
fn TrailView(page: AuditPage) -> impl IntoView {
    let problem = |field: &'static str| {
        let message = page.problems.iter().find(|p| p.field == field).map(|p| p.message.clone());
        Signal::derive(move || message.clone())
    };
    let filter = page.filter.clone();
    let query = filter.to_query_string();
    let with = |extra: String| if query.is_empty() { extra } else { format!("{query}&{extra}") };
    let export_json = format!("/audit/export?{}", with("format=jsonl".into()));
    let export_csv = format!("/audit/export?{}", with("format=csv".into()));
    let older = page.older.map(|seq| format!("/audit?{}", with(format!("before={seq}"))));
    let person_options = options("Anyone", page.people.iter().map(|(id, name)| (id.to_string(), name.clone())));
    let kind_options = options("Every kind", KINDS.iter().map(|(k, label)| (k.to_string(), label.to_string())));
    let filtered = !filter.is_empty();
    let head_short = page.head_hash.chars().take(16).collect::<String>();
    view! {
        <section class="panel chain-head" aria-labelledby="chain-head-title">
            <h2 id="chain-head-title">"Chain head"</h2>
            <p>
                "Entry " <strong>{page.head_seq}</strong> " · SHA-256 "
                <code class="chain-head__hash" title=page.head_hash.clone()>{page.head_hash.clone()}</code>
            </p>
            <p class="muted">
                "Every entry records the hash of the one before it, so changing, removing or reordering any entry breaks the chain. "
                "Note this head (" <code>{format!("#{} {head_short}", page.head_seq)}</code> ") and check an export offline with "
                <code>"preflight audit verify --file FILE"</code> "."
            </p>
            <p class="chain-head__exports">
                <a class="button button--secondary" href=export_json download="">
                    {if filtered { "Export these entries (JSON Lines)" } else { "Export the whole chain (JSON Lines)" }}
                </a>
                <a class="button button--secondary" href=export_csv download="">
                    {if filtered { "Export these entries (CSV)" } else { "Export the whole chain (CSV)" }}
                </a>
            </p>
        </section>
        <form method="get" action="/audit" class="panel filters" aria-label="Filter the trail">
            <SelectField label="Person" name="person".to_string() options=person_options
                selected=filter.person.map(|p| p.to_string()).unwrap_or_default() error=problem("person")/>
            <Field label="Service (slug)" name="service" value=filter.service.clone().unwrap_or_default()
                error=problem("service")/>
            <SelectField label="Kind" name="kind".to_string() options=kind_options
                selected=filter.kind.clone().unwrap_or_default() error=problem("kind")/>
            <Field label="From (UTC)" name="from" kind="date" value=filter.from.map(|d| d.to_string()).unwrap_or_default()
                error=problem("from")/>
            <Field label="To (UTC)" name="to" kind="date" value=filter.to.map(|d| d.to_string()).unwrap_or_default()
                error=problem("to")/>
            <div class="filters__actions">
                <button type="submit" class="button">"Apply"</button>
                <a href="/audit" class="button button--secondary">"Clear"</a>
            </div>
        </form>
        {if page.rows.is_empty() {
            view! {
                <section class="panel empty-state">
                    <h2>"No entries"</h2>
                    <p>{if filtered { "No entry matches these filters." } else { "Nothing has been recorded yet." }}</p>
                </section>
            }
            .into_any()
        } else {
            view! {
                <div class="panel table-panel">
                    <table class="data-table audit-table">
                        <caption class="visually-hidden">"Audit entries, newest first"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Entry"</th>
                                <th scope="col">"When"</th>
                                <th scope="col">"Who"</th>
                                <th scope="col">"What"</th>
                                <th scope="col">"Detail"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {page.rows.into_iter().map(|row| {
                                let hash_short = row.hash.chars().take(12).collect::<String>();
                                view! {
                                    <tr>
                                        <th scope="row">
                                            {format!("#{}", row.seq)}
                                            <span class="data-table__sub"><code title=row.hash.clone()>{hash_short}</code></span>
                                        </th>
                                        <td data-label="When"><LocalTime millis=row.occurred_at/></td>
                                        <td data-label="Who">
                                            {row.actor}
                                            {row.client_ip.map(|ip| view! { <span class="data-table__sub">{ip}</span> })}
                                        </td>
                                        <td data-label="What">
                                            <code>{row.action}</code>
                                            {row.subject.map(|s| view! { <span class="data-table__sub">{s}</span> })}
                                            {row.service.map(|(slug, name)| view! {
                                                <span class="data-table__sub"><a href=format!("/services/{slug}")>{name}</a></span>
                                            })}
                                        </td>
                                        <td data-label="Detail" class="audit-table__detail">{row.detail.unwrap_or_default()}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }
            .into_any()
        }}
        {older.map(|href| view! {
            <nav class="pager" aria-label="More entries">
                <a class="button button--secondary" href=href>"Older entries"</a>
            </nav>
        })}
    }
}
