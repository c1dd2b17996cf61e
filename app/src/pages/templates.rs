//! Checklist templates: the list (administrators import TOML there), one
//! template with its versions, export and editing (every edit publishes a
//! new version), and the upgrade of one service's checklist, which shows
//! what changes before it happens.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::templates::{fetch_template, fetch_templates, fetch_upgrade, ImportTemplate, UpgradeChecklist};
use crate::components::field::{field_error, form_error, FormAlert, SubmitButton, TextArea};
use crate::components::local_time::LocalTime;
use crate::components::readiness::SeverityTag;
use crate::domain::checklist::ItemDef;
use crate::domain::templates::{TemplateDetail, UpgradePreview};
use crate::error::AppError;
use crate::pages::not_found::NotFound;

#[component]
pub fn TemplatesPage() -> impl IntoView {
    let import = ServerAction::<ImportTemplate>::new();
    let templates = Resource::new(|| (), |_| fetch_templates());
    view! {
        <Title text="Checklist templates"/>
        <div class="page-head">
            <h1>"Checklist templates"</h1>
            <a href="/services" class="button button--secondary">"Services"</a>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading templates…"</p> }>
            {move || {
                templates.get().map(|answer| match answer {
                    Ok((templates, can_manage)) => view! {
                        <div class="panel table-panel">
                            <table class="data-table">
                                <caption class="visually-hidden">"Checklist templates"</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"Template"</th>
                                        <th scope="col">"Version"</th>
                                        <th scope="col">"Items"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {templates.into_iter().map(|t| view! {
                                        <tr>
                                            <th scope="row">
                                                <a href=format!("/templates/{}", t.id)>{t.name}</a>
                                                {t.built_in.then(|| view! { " " <span class="badge">"Built in"</span> })}
                                                <span class="data-table__sub">{t.summary}</span>
                                            </th>
                                            <td>{t.latest_version}</td>
                                            <td>{t.items}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        {can_manage.then(|| view! { <ImportForm action=import/> })}
                    }
                    .into_any(),
                    Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                })
            }}
        </Transition>
    }
}

#[component]
fn ImportForm(action: ServerAction<ImportTemplate>) -> impl IntoView {
    let result = action.value();
    view! {
        <section class="panel" aria-labelledby="import-heading">
            <h2 id="import-heading">"Import a template"</h2>
            <p class="muted">
                "Paste a template in the TOML format the built-in templates use (export one to start from it). "
                "A new id makes a new template; the id of one of your templates publishes its next version."
            </p>
            <ActionForm action attr:novalidate=true>
                <FormAlert message=form_error(result)/>
                <TextArea label="Template TOML" name="source" id="import-source" rows=12 error=field_error(result, "source")/>
                <SubmitButton label="Import template" busy_label="Importing…" pending=action.pending()/>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn TemplatePage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or(0));
    let import = ServerAction::<ImportTemplate>::new();
    let template = Resource::new(move || id.get(), fetch_template);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading template…"</p> }>
            {move || {
                template.get().map(|answer| match answer {
                    Ok((detail, can_edit)) => view! { <TemplateView detail can_edit import/> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <Title text="Template"/><p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                })
            }}
        </Transition>
    }
}

#[component]
fn TemplateView(detail: TemplateDetail, can_edit: bool, import: ServerAction<ImportTemplate>) -> impl IntoView {
    let result = import.value();
    let s = detail.summary.clone();
    view! {
        <Title text=s.name.clone()/>
        <nav class="breadcrumb" aria-label="Breadcrumb"><a href="/templates">"Checklist templates"</a></nav>
        <div class="page-head">
            <h1>{s.name.clone()} {s.built_in.then(|| view! { " " <span class="badge">"Built in"</span> })}</h1>
            <a class="button button--secondary" href=format!("/templates/{}/export", s.id) download="">"Export TOML"</a>
        </div>
        <section class="panel" aria-labelledby="about-template">
            <h2 id="about-template">"About"</h2>
            <p class="prose">{s.summary.clone()}</p>
            <p class="muted">
                {format!(
                    "Id {} · version {} · {} items · applied to {} services, {} of them on an older version.",
                    s.key, s.latest_version, s.items, detail.services, detail.services_behind
                )}
            </p>
            <h3>"Versions"</h3>
            <ul class="activity" aria-label="Versions">
                {detail.versions.iter().map(|(version, at)| {
                    let href = format!("/templates/{}/export?version={version}", s.id);
                    view! {
                        <li>
                            <strong>{format!("Version {version}")}</strong>
                            <span class="muted">" · published " <LocalTime millis=*at/></span>
                            " · " <a href=href download="">"Export"</a>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
        {if can_edit {
            view! {
                <section class="panel" aria-labelledby="edit-template">
                    <h2 id="edit-template">"Edit"</h2>
                    <p class="muted">"Saving publishes the next version; services keep theirs until a lead upgrades them."</p>
                    <ActionForm action=import attr:novalidate=true>
                        <FormAlert message=form_error(result)/>
                        <TextArea label="Template TOML" name="source" id="edit-source" rows=24 value=detail.source.clone() error=field_error(result, "source")/>
                        <SubmitButton label="Publish new version" busy_label="Publishing…" pending=import.pending()/>
                    </ActionForm>
                </section>
            }
            .into_any()
        } else {
            view! {
                <section class="panel" aria-labelledby="source-heading">
                    <h2 id="source-heading">"Template"</h2>
                    {s.built_in.then(|| view! { <p class="muted">"Built-in templates change only with Preflight. To adapt one, export it, give it a new id and import it."</p> })}
                    <pre class="source">{detail.source.clone()}</pre>
                </section>
            }
            .into_any()
        }}
    }
}

#[component]
pub fn UpgradePage() -> impl IntoView {
    let params = use_params_map();
    let key = Memo::new(move |_| {
        let p = params.read();
        (p.get("slug").unwrap_or_default(), p.get("template").and_then(|t| t.parse::<i64>().ok()).unwrap_or(0))
    });
    let upgrade = ServerAction::<UpgradeChecklist>::new();
    let preview = Resource::new(move || key.get(), |(slug, template)| fetch_upgrade(slug, template));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Comparing versions…"</p> }>
            {move || {
                preview.get().map(|answer| match answer {
                    Ok(preview) => view! { <UpgradeView preview action=upgrade/> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <Title text="Upgrade"/><p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                })
            }}
        </Transition>
    }
}

fn item_list(label: &'static str, items: Vec<ItemDef>) -> impl IntoView {
    (!items.is_empty()).then(|| {
        view! {
            <h3>{format!("{label} ({})", items.len())}</h3>
            <ul class="blocking-list" aria-label=label>
                {items.into_iter().map(|i| view! { <li><SeverityTag severity=i.severity/> {i.title} " " <span class="muted">{i.id}</span></li> }).collect_view()}
            </ul>
        }
    })
}

#[component]
fn UpgradeView(preview: UpgradePreview, action: ServerAction<UpgradeChecklist>) -> impl IntoView {
    let result = action.value();
    let title = format!("Upgrade {} to version {}", preview.template_name, preview.to_version);
    let up_to_date = preview.from_version == preview.to_version;
    let d = preview.diff.clone();
    view! {
        <Title text=title.clone()/>
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <a href=format!("/services/{}", preview.service_slug)>{preview.service_name.clone()}</a>
        </nav>
        <div class="page-head"><h1>{title}</h1></div>
        <section class="panel" aria-labelledby="changes-heading">
            <h2 id="changes-heading">{format!("What changes from version {}", preview.from_version)}</h2>
            {if up_to_date {
                view! { <p>"This checklist is on the latest version."</p> }.into_any()
            } else {
                view! {
                    <p class="muted">{format!(
                        "{} items stay exactly as they are, with their progress, evidence and approvals.",
                        d.unchanged
                    )}</p>
                    {item_list("Added: they start not started", d.added.clone())}
                    {item_list("Removed: their history stays", d.removed.clone())}
                    {(!d.changed.is_empty()).then(|| view! {
                        <h3>{format!("Changed: status and evidence stay, the review starts over ({})", d.changed.len())}</h3>
                        <ul class="blocking-list" aria-label="Changed">
                            {d.changed.iter().map(|(before, after)| view! {
                                <li>
                                    <SeverityTag severity=after.severity/> {after.title.clone()}
                                    {(before.title != after.title).then(|| view! { <span class="muted">{format!(" (was “{}”)", before.title)}</span> })}
                                </li>
                            }).collect_view()}
                        </ul>
                    })}
                    <ActionForm action>
                        <FormAlert message=form_error(result)/>
                        <FormAlert message=field_error(result, "template_id")/>
                        <input type="hidden" name="slug" value=preview.service_slug.clone()/>
                        <input type="hidden" name="template_id" value=preview.template_id.to_string()/>
                        <input type="hidden" name="to_version" value=preview.to_version.to_string()/>
                        <SubmitButton label="Upgrade checklist" busy_label="Upgrading…" pending=action.pending()/>
                    </ActionForm>
                }
                .into_any()
            }}
        </section>
    }
}
