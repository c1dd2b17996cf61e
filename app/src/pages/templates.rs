//! Checklist templates: the list (administrators import TOML there), one
//! template with its versions, export and editing (every edit publishes a
//! new version), and the upgrade of one service's checklist, which shows
//! what changes before it happens.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::templates::{
    fetch_template, fetch_templates, fetch_upgrade, ImportTemplate, SaveTemplate, UpgradeChecklist,
};
use crate::components::field::{field_error, form_error, FormAlert, SubmitButton, TextArea};
use crate::components::local_time::LocalTime;
use crate::components::readiness::SeverityTag;
use crate::domain::checklist::{
    AutoSignal, EvidenceRule, ItemDef, Level, SectionDef, Severity, TemplateFile, TemplateHeader,
};
use crate::domain::templates::{new_item, SaveOutcome, TemplateDetail, UpgradePreview};
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
                        {can_manage.then(|| view! {
                            <p class="page-actions"><a class="button" href="/templates/new">"New template"</a></p>
                            <ImportForm action=import/>
                        })}
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
        {can_edit.then(|| view! { <TemplateEditor file=detail.file.clone() is_new=false/> })}
        {if can_edit {
            view! {
                <section class="panel" aria-labelledby="edit-template">
                    <h2 id="edit-template">"Edit as TOML"</h2>
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

/// The form editor: the header, sections and items with every field of the
/// format. Works on a copy in the page; saving sends the whole template and
/// shows every problem next to its field (TOML import works without the
/// page's script; this editor needs it).
#[component]
pub fn TemplateEditor(file: TemplateFile, is_new: bool) -> impl IntoView {
    let draft = RwSignal::new(file);
    let save = ServerAction::<SaveTemplate>::new();
    let outcome = save.value();
    let problem = move |field: String| {
        Signal::derive(move || match outcome.get() {
            Some(Ok(SaveOutcome::Problems(problems))) => {
                problems.into_iter().find(|p| p.field == field).map(|p| p.message)
            }
            _ => None,
        })
    };
    let other_error = Signal::derive(move || match outcome.get() {
        Some(Err(e)) => Some(e.to_string()),
        Some(Ok(SaveOutcome::Problems(problems))) if !problems.is_empty() => {
            Some(format!("Not saved: {} problem(s), shown next to their fields.", problems.len()))
        }
        _ => None,
    });
    let saved = Signal::derive(move || match outcome.get() {
        Some(Ok(SaveOutcome::Saved { template_id })) => Some(template_id),
        _ => None,
    });
    let text = move |label: &'static str,
                     id: String,
                     field: String,
                     get: fn(&TemplateFile) -> String,
                     set: fn(&mut TemplateFile, String)| {
        let error = problem(field);
        view! {
            <div class="field" class:field--invalid=move || error.get().is_some()>
                <label for=id.clone()>{label}</label>
                <input id=id.clone() type="text" prop:value=move || draft.with(get) on:input=move |ev| draft.update(|f| set(f, event_target_value(&ev)))/>
                {move || error.get().map(|m| view! { <p class="field__error">{m}</p> })}
            </div>
        }
    };
    view! {
        <section class="panel template-editor" aria-labelledby="editor-heading">
            <h2 id="editor-heading">{if is_new { "New template" } else { "Edit in the form" }}</h2>
            <p class="muted">{if is_new { "Saving creates version 1." } else { "Saving publishes the next version; services keep theirs until a lead upgrades them." }}</p>
            {move || other_error.get().map(|m| view! { <p class="alert" role="alert">{m}</p> })}
            {move || saved.get().map(|id| view! { <p class="notice">"Saved. " <a href=format!("/templates/{id}")>"Open the template"</a></p> })}
            {text("Template id", "editor-id".into(), "template.id".into(), |f| f.template.id.clone(), |f, v| f.template.id = v)}
            {text("Template name", "editor-name".into(), "template.name".into(), |f| f.template.name.clone(), |f, v| f.template.name = v)}
            {text("Summary", "editor-summary".into(), "template.summary".into(), |f| f.template.summary.clone(), |f, v| f.template.summary = v)}
            <h3>"Sections"</h3>
            {move || (0..draft.with(|f| f.sections.len())).map(|i| {
                let id_error = problem(format!("sections[{i}].id"));
                let name_error = problem(format!("sections[{i}].name"));
                view! {
                    <fieldset class="fieldset editor-row">
                        <legend>{format!("Section {}", i + 1)}</legend>
                        <div class="field" class:field--invalid=move || id_error.get().is_some()>
                            <label for=format!("section-{i}-id")>"Section id"</label>
                            <input id=format!("section-{i}-id") type="text" prop:value=move || draft.with(|f| f.sections.get(i).map(|s| s.id.clone()).unwrap_or_default())
                                on:input=move |ev| draft.update(|f| if let Some(s) = f.sections.get_mut(i) { s.id = event_target_value(&ev) })/>
                            {move || id_error.get().map(|m| view! { <p class="field__error">{m}</p> })}
                        </div>
                        <div class="field" class:field--invalid=move || name_error.get().is_some()>
                            <label for=format!("section-{i}-name")>"Section name"</label>
                            <input id=format!("section-{i}-name") type="text" prop:value=move || draft.with(|f| f.sections.get(i).map(|s| s.name.clone()).unwrap_or_default())
                                on:input=move |ev| draft.update(|f| if let Some(s) = f.sections.get_mut(i) { s.name = event_target_value(&ev) })/>
                            {move || name_error.get().map(|m| view! { <p class="field__error">{m}</p> })}
                        </div>
                        <button type="button" class="button button--secondary button--small" on:click=move |_| draft.update(|f| { f.sections.remove(i); })>"Remove section"</button>
                    </fieldset>
                }
            }).collect_view()}
            <button type="button" class="button button--secondary" on:click=move |_| draft.update(|f| f.sections.push(SectionDef { id: String::new(), name: String::new() }))>"Add section"</button>
            <h3>"Items"</h3>
            {move || problem("items".into()).get().map(|m| view! { <p class="field__error">{m}</p> })}
            {move || (0..draft.with(|f| f.items.len())).map(|i| view! { <ItemEditor draft index=i problem=problem/> }).collect_view()}
            <button type="button" class="button button--secondary" on:click=move |_| draft.update(|f| {
                let section = f.sections.first().map(|s| s.id.clone()).unwrap_or_default();
                f.items.push(new_item(&section));
            })>"Add item"</button>
            <div class="button-row">
                <button type="button" class="button" disabled=move || save.pending().get()
                    on:click=move |_| { save.dispatch(SaveTemplate { file: draft.get_untracked() }); }>
                    {move || if save.pending().get() { "Saving…" } else { "Save template" }}
                </button>
            </div>
        </section>
    }
}

/// One item of the form editor, every field of the format.
#[component]
fn ItemEditor<P>(draft: RwSignal<TemplateFile>, index: usize, problem: P) -> impl IntoView
where
    P: Fn(String) -> Signal<Option<String>> + Copy + Send + Sync + 'static,
{
    let i = index;
    let field = move |name: &str| format!("items[{i}].{name}");
    let error_view = move |name: &str| {
        let error = problem(field(name));
        move || error.get().map(|m| view! { <p class="field__error">{m}</p> })
    };
    let get = move |read: fn(&ItemDef) -> String| move || draft.with(|f| f.items.get(i).map(read).unwrap_or_default());
    let set = move |write: fn(&mut ItemDef, String)| {
        move |ev: leptos::ev::Event| {
            draft.update(|f| {
                if let Some(item) = f.items.get_mut(i) {
                    write(item, event_target_value(&ev))
                }
            })
        }
    };
    view! {
        <fieldset class="fieldset editor-row">
            <legend>{format!("Item {}", i + 1)}</legend>
            <div class="editor-grid">
                <div class="field">
                    <label for=format!("item-{i}-id")>"Item id (section.slug)"</label>
                    <input id=format!("item-{i}-id") type="text" prop:value=get(|it| it.id.clone()) on:input=set(|it, v| it.id = v)/>
                    {error_view("id")}
                </div>
                <div class="field">
                    <label for=format!("item-{i}-title")>"Title"</label>
                    <input id=format!("item-{i}-title") type="text" prop:value=get(|it| it.title.clone()) on:input=set(|it, v| it.title = v)/>
                    {error_view("title")}
                </div>
            </div>
            <div class="field">
                <label for=format!("item-{i}-guidance")>"Guidance for reviewers"</label>
                <textarea id=format!("item-{i}-guidance") rows="2" prop:value=get(|it| it.guidance.clone()) on:input=set(|it, v| it.guidance = v)></textarea>
            </div>
            <div class="editor-grid">
                <div class="field">
                    <label for=format!("item-{i}-severity")>"Severity"</label>
                    <select id=format!("item-{i}-severity") prop:value=get(|it| it.severity.as_str().to_string())
                        on:change=set(|it, v| if let Some(s) = Severity::parse(&v) { it.severity = s })>
                        {Severity::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for=format!("item-{i}-level")>"Level"</label>
                    <select id=format!("item-{i}-level") prop:value=get(|it| it.level.as_str().to_string())
                        on:change=set(|it, v| if let Some(l) = Level::parse(&v) { it.level = l })>
                        {Level::ALL.iter().map(|l| view! { <option value=l.as_str()>{l.label()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for=format!("item-{i}-evidence")>"Evidence"</label>
                    <select id=format!("item-{i}-evidence") prop:value=get(|it| it.evidence.as_str().to_string())
                        on:change=set(|it, v| if let Some(e) = EvidenceRule::parse(&v) { it.evidence = e })>
                        {[EvidenceRule::None, EvidenceRule::Link, EvidenceRule::File, EvidenceRule::LinkOrFile].iter()
                            .map(|e| view! { <option value=e.as_str()>{e.as_str()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for=format!("item-{i}-approvals")>"Approvals"</label>
                    <input id=format!("item-{i}-approvals") type="number" min="0" max="5" prop:value=get(|it| it.approvals.to_string())
                        on:input=set(|it, v| it.approvals = v.trim().parse().unwrap_or(u8::MAX))/>
                    {error_view("approvals")}
                </div>
                <div class="field">
                    <label for=format!("item-{i}-valid-days")>"Valid days (0: never stale)"</label>
                    <input id=format!("item-{i}-valid-days") type="number" min="0" max="3650" prop:value=get(|it| it.valid_days.to_string())
                        on:input=set(|it, v| it.valid_days = v.trim().parse().unwrap_or(u32::MAX))/>
                    {error_view("valid_days")}
                </div>
                <div class="field">
                    <label for=format!("item-{i}-auto")>"Live signal"</label>
                    <select id=format!("item-{i}-auto") prop:value=get(|it| auto_value(it.auto).to_string())
                        on:change=set(|it, v| it.auto = parse_auto_value(&v))>
                        <option value="">"None"</option>
                        <option value="probe.uptime">"probe.uptime"</option>
                        <option value="probe.error_rate">"probe.error_rate"</option>
                        <option value="probe.latency">"probe.latency"</option>
                    </select>
                </div>
                <div class="field">
                    <label for=format!("item-{i}-tiers")>"Tiers (empty: all)"</label>
                    <input id=format!("item-{i}-tiers") type="text" placeholder="1, 2" prop:value=get(|it| it.tiers.as_ref().map(|t| t.iter().map(u8::to_string).collect::<Vec<_>>().join(", ")).unwrap_or_default())
                        on:input=set(|it, v| it.tiers = parse_tiers_value(&v))/>
                    {error_view("tiers")}
                </div>
            </div>
            <button type="button" class="button button--secondary button--small" on:click=move |_| draft.update(|f| { f.items.remove(i); })>"Remove item"</button>
        </fieldset>
    }
}

fn auto_value(signal: Option<AutoSignal>) -> &'static str {
    match signal {
        None => "",
        Some(AutoSignal::Uptime) => "probe.uptime",
        Some(AutoSignal::ErrorRate) => "probe.error_rate",
        Some(AutoSignal::Latency) => "probe.latency",
    }
}

fn parse_auto_value(text: &str) -> Option<AutoSignal> {
    [AutoSignal::Uptime, AutoSignal::ErrorRate, AutoSignal::Latency].into_iter().find(|s| auto_value(Some(*s)) == text)
}

/// "1, 2" → Some([1, 2]); "" → None; anything unreadable becomes a tier the
/// rules refuse (0), so the problem is shown rather than dropped.
fn parse_tiers_value(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.split(',').map(|t| t.trim().parse().unwrap_or(0)).collect())
}

#[component]
pub fn NewTemplatePage() -> impl IntoView {
    let file = TemplateFile {
        template: TemplateHeader { id: String::new(), name: String::new(), version: 1, summary: String::new() },
        sections: vec![SectionDef { id: String::new(), name: String::new() }],
        items: vec![new_item("")],
    };
    view! {
        <Title text="New template"/>
        <nav class="breadcrumb" aria-label="Breadcrumb"><a href="/templates">"Checklist templates"</a></nav>
        <div class="page-head"><h1>"New template"</h1></div>
        <TemplateEditor file is_new=true/>
    }
}
