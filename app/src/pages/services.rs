//! The service catalogue: the list (filters in the link, a page at a
//! time), registering a service, its page (the gate first) and its edit
//! form.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use crate::api::milestones::{fetch_milestones, RecordMilestone};
use crate::api::services::{
    fetch_service, fetch_service_choices, fetch_service_edit_form, fetch_services, ApplyTemplate, CreateService,
    SetServiceArchived, SetServiceBadge, UpdateService,
};
use crate::components::field::{
    field_error, form_error, reset_on_success, Field, FormAlert, SelectField, SubmitButton, TextArea,
};
use crate::components::local_time::LocalTime;
use crate::components::print::{PrintButton, PrintFooter};
use crate::components::readiness::{GateBadge, LevelBadge, ScoreBar, SeverityTag, StandingText};
use crate::components::score_chart::{history_feed, HistoryFeed, HistoryPanel};
use crate::domain::checklist::{Level, TIERS};
use crate::domain::documents::{DocumentKind, DocumentLine};
use crate::domain::milestones::MilestoneList;
use crate::domain::readiness::{Blocker, Standing};
use crate::domain::services::{
    describe_action, tier_label, Environment, ServiceDetail, ServiceQuery, ServiceSort, ServiceSummary,
};
use crate::domain::uploads::UploadProblem;
use crate::error::AppError;
use crate::pages::not_found::NotFound;
use crate::pages::probes::{probes_feed, ProbesFeed, ProbesPanel};

/// A form problem carried back in the link: (field, message).
type LinkProblem = Memo<Option<(&'static str, String)>>;

/// (value, label) pairs with a first "any" choice.
pub fn options(any: &str, choices: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    std::iter::once((String::new(), any.to_string())).chain(choices).collect()
}

#[component]
pub fn ServicesPage() -> impl IntoView {
    let location = use_location();
    let search = Memo::new(move |_| location.search.get().trim_start_matches('?').to_string());
    let page = Resource::new(move || search.get(), fetch_services);
    view! {
        <Title text="Services"/>
        <div class="page-head">
            <h1>"Services"</h1>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading services…"</p> }>
            {move || {
                page.get()
                    .map(|answer| match answer {
                        Ok(page) => {
                            let pairs: Vec<(String, String)> = url_pairs(&search.get_untracked());
                            let query = ServiceQuery::from_pairs(|key| {
                                pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
                            });
                            view! {
                                <p class="page-actions">
                                    {page.can_register.then(|| view! { <a class="button" href="/services/new">"Register a service"</a> " " })}
                                    <a class="button button--secondary" href="/due-soon">"Due soon"</a>
                                    " "
                                    <a class="button button--secondary" href="/templates">"Checklist templates"</a>
                                </p>
                                <Filters action="/services" query=query.clone() teams=page.teams.clone()/>
                                <ServiceList services=page.services filtered=query.is_filtered()/>
                                {page.next.map(|next| {
                                    let href = format!("/services?{}", query.to_query_string(Some(&next)));
                                    view! { <p class="pager"><a class="button button--secondary" href=href>"Next page"</a></p> }
                                })}
                            }
                                .into_any()
                        }
                        Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                    })
            }}
        </Transition>
    }
}

/// The pairs of a query string (without `?`), decoded.
pub fn url_pairs(search: &str) -> Vec<(String, String)> {
    let decode =
        |text: &str| percent_encoding::percent_decode_str(&text.replace('+', " ")).decode_utf8_lossy().into_owned();
    search
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

/// The filter form: a plain GET form, so a filtered list is a link and
/// works before (or without) the page's script.
#[component]
pub fn Filters(action: &'static str, query: ServiceQuery, teams: Vec<(i64, String)>) -> impl IntoView {
    let team_options = options("All teams", teams.into_iter().map(|(id, name)| (id.to_string(), name)));
    let tier_options = options("All tiers", TIERS.iter().map(|t| (t.to_string(), tier_label(*t).to_string())));
    let level_options = options(
        "Any level",
        Level::ALL
            .iter()
            .map(|l| (l.as_str().to_string(), l.label().to_string()))
            .chain([("none".to_string(), "Below bronze".to_string())]),
    );
    let gate_options = options(
        "Any gate",
        [("ready".to_string(), "Ready".to_string()), ("not-ready".to_string(), "Not ready".to_string())],
    );
    let sort_options: Vec<(String, String)> =
        ServiceSort::ALL.iter().map(|s| (s.as_str().to_string(), s.label().to_string())).collect();
    let none = Signal::derive(|| None::<String>);
    view! {
        <form method="get" action=action class="panel filters" aria-label="Filter services">
            <div class="field">
                <label for="filter-q">"Search by name"</label>
                <input id="filter-q" name="q" type="search" value=query.search.clone()/>
            </div>
            <SelectField label="Team" name="team".to_string() options=team_options selected=query.team_id.map(|t| t.to_string()).unwrap_or_default() error=none/>
            <SelectField label="Tier" name="tier".to_string() options=tier_options selected=query.tier.map(|t| t.to_string()).unwrap_or_default() error=none/>
            <SelectField label="Level" name="level".to_string() options=level_options selected=query.level.map(|l| l.as_str().to_string()).unwrap_or_default() error=none/>
            <SelectField label="Gate" name="gate".to_string() options=gate_options selected=query.ready.map(|r| if r { "ready" } else { "not-ready" }.to_string()).unwrap_or_default() error=none/>
            <SelectField label="Sort by" name="sort".to_string() options=sort_options selected=query.sort.as_str().to_string() error=none/>
            <label class="check">
                <input type="checkbox" name="waivers" value="1" checked=query.waived/>
                " With waivers"
            </label>
            <label class="check">
                <input type="checkbox" name="archived" value="1" checked=query.include_archived/>
                " Show archived"
            </label>
            <div class="filters__actions">
                <button type="submit" class="button">"Apply"</button>
                <a href=action class="button button--secondary">"Clear"</a>
            </div>
        </form>
    }
}

/// The services table; with `trends` (score change per service id) it has
/// a trend column too.
#[component]
pub fn ServiceList(
    services: Vec<ServiceSummary>,
    filtered: bool,
    #[prop(optional)] trends: Option<Vec<(i64, Option<i64>)>>,
) -> impl IntoView {
    if services.is_empty() {
        let text = if filtered {
            "No service matches these filters."
        } else {
            "No services yet. Team leads register their services here; each then gets a scorecard."
        };
        return view! { <section class="panel empty-state"><h2>"No services"</h2><p>{text}</p></section> }.into_any();
    }
    view! {
        <div class="panel table-panel">
            <table class="data-table service-table">
                <caption class="visually-hidden">"Services"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Service"</th>
                        <th scope="col">"Score"</th>
                        <th scope="col">"Level"</th>
                        <th scope="col">"Gate"</th>
                        {trends.is_some().then(|| view! { <th scope="col">"30 days"</th> })}
                        <th scope="col">"Launch"</th>
                    </tr>
                </thead>
                <tbody>
                    {services
                        .into_iter()
                        .map(|s| {
                            let trend = trends.as_ref().map(|t| t.iter().find(|(id, _)| *id == s.id).and_then(|(_, c)| *c));
                            view! {
                                <tr>
                                    <th scope="row">
                                        <a href=format!("/services/{}", s.slug)>{s.name}</a>
                                        {s.archived.then(|| view! { " " <span class="badge">"Archived"</span> })}
                                        <span class="data-table__sub">{format!("{} · {} · {}", s.team_name, tier_label(s.tier), s.environment.label())}</span>
                                    </th>
                                    <td data-label="Score"><ScoreBar score=s.figures.score/></td>
                                    <td data-label="Level"><LevelBadge level=s.figures.level/></td>
                                    <td data-label="Gate">
                                        <GateBadge figures=s.figures.clone()/>
                                        {(s.figures.blocking > 0).then(|| view! {
                                            <span class="data-table__sub">{format!("{} blocking", s.figures.blocking)}</span>
                                        })}
                                    </td>
                                    {trend.map(|change| view! { <td data-label="30 days"><Trend change/></td> })}
                                    <td data-label="Launch">{s.launch_date.unwrap_or_else(|| "—".into())}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// A score change as an arrow and its points, e.g. "↑ +12".
#[component]
fn Trend(change: Option<i64>) -> impl IntoView {
    let (arrow, kind) = crate::domain::history::trend_arrow(change);
    let (text, label) = match change {
        Some(c) => (format!("{arrow} {c:+}"), format!("{c:+} points in 30 days")),
        None => ("–".to_string(), "no trend yet".to_string()),
    };
    view! { <span class=format!("trend trend--{kind}") title=label.clone() aria-label=label>{text}</span> }
}

/// The fields of a service, empty or filled from `current`.
#[component]
fn ServiceFields(
    result: Signal<Option<Result<(), AppError>>>,
    teams: Vec<(i64, String)>,
    #[prop(optional)] current: Option<ServiceDetail>,
) -> impl IntoView {
    let team_options = options("Choose a team…", teams.into_iter().map(|(id, name)| (id.to_string(), name)));
    let tier_options: Vec<(String, String)> =
        TIERS.iter().map(|t| (t.to_string(), tier_label(*t).to_string())).collect();
    let env_options: Vec<(String, String)> =
        Environment::ALL.iter().map(|e| (e.as_str().to_string(), e.label().to_string())).collect();
    let c = current.as_ref();
    view! {
        <Field label="Name" name="form[name]" id="service-name" value=c.map(|c| c.summary.name.clone()).unwrap_or_default() autocomplete="off" error=field_error(result, "name")/>
        <Field label="Short name for links" name="form[slug]" id="service-slug" value=c.map(|c| c.summary.slug.clone()).unwrap_or_default() autocomplete="off" hint="Lower-case letters, digits and dashes, e.g. payments-api." error=field_error(result, "slug")/>
        <SelectField label="Owning team" name="form[team_id]".to_string() options=team_options selected=c.map(|c| c.summary.team_id.to_string()).unwrap_or_default() error=field_error(result, "team_id")/>
        <SelectField label="Tier" name="form[tier]".to_string() options=tier_options selected=c.map(|c| c.summary.tier.to_string()).unwrap_or_else(|| "2".into()) hint="Tier 1 services are critical and held to every item." error=field_error(result, "tier")/>
        <SelectField label="Environment" name="form[environment]".to_string() options=env_options selected=c.map(|c| c.summary.environment.as_str().to_string()).unwrap_or_default() error=field_error(result, "environment")/>
        <TextArea label="Description" name="form[description]" id="service-description" value=c.map(|c| c.description.clone()).unwrap_or_default() error=field_error(result, "description")/>
        <Field label="Repository link" name="form[repository_url]" id="service-repository" kind="url" value=c.and_then(|c| c.repository_url.clone()).unwrap_or_default() error=field_error(result, "repository_url")/>
        <Field label="Documentation link" name="form[docs_url]" id="service-docs" kind="url" value=c.and_then(|c| c.docs_url.clone()).unwrap_or_default() error=field_error(result, "docs_url")/>
        <Field label="Target launch date" name="form[launch_date]" id="service-launch" kind="date" value=c.and_then(|c| c.summary.launch_date.clone()).unwrap_or_default() error=field_error(result, "launch_date")/>
    }
}

#[component]
pub fn NewServicePage() -> impl IntoView {
    let create = ServerAction::<CreateService>::new();
    let result = create.value();
    let teams = Resource::new(|| (), |_| fetch_service_choices());
    view! {
        <Title text="Register a service"/>
        <div class="page-head">
            <h1>"Register a service"</h1>
            <a href="/services" class="button button--secondary">"All services"</a>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                teams.get().map(|answer| match answer {
                    Ok(teams) if teams.is_empty() => view! {
                        <section class="panel empty-state">
                            <h2>"No team to register for"</h2>
                            <p>"Team leads register services for the teams they lead. Ask an administrator to make you a lead of your team."</p>
                        </section>
                    }
                    .into_any(),
                    Ok(teams) => view! {
                        <section class="panel form-panel">
                            <ActionForm action=create attr:novalidate=true>
                                <FormAlert message=form_error(result)/>
                                <ServiceFields result=Signal::derive(move || result.get()) teams/>
                                <SubmitButton label="Register service" busy_label="Registering…" pending=create.pending()/>
                            </ActionForm>
                        </section>
                    }
                    .into_any(),
                    Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                })
            }}
        </Suspense>
    }
}

/// Actions on the service page, shared so results show once.
#[derive(Clone, Copy)]
struct ServiceActions {
    archive: ServerAction<SetServiceArchived>,
    apply: ServerAction<ApplyTemplate>,
    badge: ServerAction<SetServiceBadge>,
    record: ServerAction<RecordMilestone>,
}

#[component]
pub fn ServicePage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    // Read outside the Transition (see the layout on router lookups there).
    let query = use_query_map();
    let problem: LinkProblem = Memo::new(move |_| {
        let query = query.read();
        UploadProblem::from_query(|key| query.get_str(key)).map(|p| (p.field(), p.message()))
    });
    let actions = ServiceActions {
        archive: ServerAction::new(),
        apply: ServerAction::new(),
        badge: ServerAction::new(),
        record: ServerAction::new(),
    };
    // The service and its milestones, read again after every change made here.
    let service = Resource::new(
        move || {
            (
                slug.get(),
                actions.archive.version().get(),
                actions.apply.version().get(),
                actions.badge.version().get(),
                actions.record.version().get(),
            )
        },
        |(slug, _, _, _, _)| async move {
            let milestones = fetch_milestones(slug.clone()).await.ok();
            fetch_service(slug).await.map(|service| (service, milestones))
        },
    );
    // Created here, outside the Transition (see `HistoryFeed`).
    let history = history_feed(move || format!("service:{}", slug.get()));
    let probes = probes_feed(slug);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading service…"</p> }>
            {move || {
                service.get().map(|answer| match answer {
                    Ok((service, milestones)) => view! { <ServiceView service milestones actions problem history probes/> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <Title text="Service"/><p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                })
            }}
        </Transition>
    }
}

#[component]
fn ServiceView(
    service: ServiceDetail,
    milestones: Option<MilestoneList>,
    actions: ServiceActions,
    problem: LinkProblem,
    history: HistoryFeed,
    probes: ProbesFeed,
) -> impl IntoView {
    let s = service.summary.clone();
    view! {
        <Title text=s.name.clone()/>
        <div class="page-head">
            <h1>{s.name.clone()} {s.archived.then(|| view! { " " <span class="badge">"Archived"</span> })}</h1>
            <div class="page-head__actions">
                <a class="button button--secondary no-print" href=format!("/services/{}/scorecard?format=json", s.slug) download="">"Export JSON"</a>
                <a class="button button--secondary no-print" href=format!("/services/{}/scorecard?format=csv", s.slug) download="">"Export CSV"</a>
                {service.can_download.then(|| view! {
                    <a
                        class="button button--secondary no-print"
                        href=format!("/services/{}/dossier.zip", s.slug)
                        download=""
                        title="Scorecard, items, reviews, waivers, documents, evidence files and audit entries in one ZIP, with a manifest that `preflight dossier verify` checks offline"
                    >
                        "Evidence dossier"
                    </a>
                })}
                <PrintButton/>
                {service.can_manage.then(|| view! {
                    <a href=format!("/services/{}/edit", s.slug) class="button button--secondary">"Edit service"</a>
                })}
            </div>
        </div>
        <p class="service-facts">
            <a href=format!("/teams/{}", s.team_id)>{s.team_name.clone()}</a>
            " · " {tier_label(s.tier)} " · " {s.environment.label()}
            {s.launch_date.clone().map(|d| view! { " · launch " {d} })}
        </p>
        <GatePanel service=service.clone()/>
        <HistoryPanel feed=history title="Score history"/>
        <ProbesPanel feed=probes/>
        {milestones.map(|list| view! { <Milestones slug=s.slug.clone() list action=actions.record/> })}
        {(!service.description.is_empty() || service.repository_url.is_some() || service.docs_url.is_some()).then(|| view! {
            <section class="panel" aria-labelledby="about-heading">
                <h2 id="about-heading">"About"</h2>
                {(!service.description.is_empty()).then(|| view! { <p class="prose">{service.description.clone()}</p> })}
                <ul class="link-list">
                    {service.repository_url.clone().map(|url| view! { <li><a href=url.clone() rel="noopener noreferrer">"Repository"</a></li> })}
                    {service.docs_url.clone().map(|url| view! { <li><a href=url.clone() rel="noopener noreferrer">"Documentation"</a></li> })}
                </ul>
            </section>
        })}
        <Checklists service=service.clone()/>
        <Documents service=service.clone() problem/>
        {(service.can_manage && !service.templates_to_apply.is_empty()).then(|| view! { <ApplyTemplateForm service=service.clone() action=actions.apply/> })}
        <Activity service=service.clone()/>
        {(service.can_manage && !s.archived).then(|| view! {
            <BadgeForm service_id=s.id slug=s.slug.clone() public=service.badge_public action=actions.badge/>
        })}
        <PrintFooter as_of=service.as_of chain_reference=service.chain_reference.clone()/>
        {service.can_manage.then(|| view! { <ArchiveForm service_id=s.id archived=s.archived action=actions.archive/> })}
    }
}

/// "What stands between this service and launch", first on the page.
#[component]
fn GatePanel(service: ServiceDetail) -> impl IntoView {
    let f = service.summary.figures.clone();
    let with_waivers = f.waivers > 0;
    view! {
        <section class="panel gate-panel" class:gate-panel--ready=f.ready aria-labelledby="gate-heading">
            <div class="gate-panel__head">
                <h2 id="gate-heading">"Launch gate"</h2>
                <GateBadge figures=f.clone()/>
                <LevelBadge level=f.level/>
            </div>
            <div class="gate-panel__score">
                <ScoreBar score=f.score label=if with_waivers { "with waivers" } else { "" }/>
                {with_waivers.then(|| view! { <ScoreBar score=f.score_without_waivers label="without waivers"/> })}
                <span class="muted">{format!("{} of {} items satisfied", f.items_satisfied, f.items_total)}</span>
            </div>
            {if service.checklists.is_empty() {
                view! { <p class="muted">"No checklist applied yet: apply one below to see what stands between this service and launch."</p> }.into_any()
            } else if service.blocking.is_empty() {
                view! { <p>"Nothing blocks launch."</p> }.into_any()
            } else {
                view! {
                    <h3>{format!("What stands between this service and launch ({})", service.blocking.len())}</h3>
                    <ul class="blocking-list" aria-label="Blocking items">
                        {service.blocking.iter().map(|item| view! {
                            <li>
                                <SeverityTag severity=item.severity/>
                                <a href=format!("/items/{}", item.id)>{item.title.clone()}</a>
                                " — " <StandingText standing=item.standing.clone()/>
                            </li>
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
            {(!service.waived.is_empty()).then(|| view! {
                <h3>"Passing by exception"</h3>
                <ul class="blocking-list" aria-label="Waived items">
                    {service.waived.iter().map(|item| view! {
                        <li><a href=format!("/items/{}", item.id)>{item.title.clone()}</a> " — " <StandingText standing=item.standing.clone()/></li>
                    }).collect_view()}
                </ul>
            })}
            {(!service.due_soon.is_empty()).then(|| view! {
                <h3>"Due soon"</h3>
                <ul class="blocking-list" aria-label="Items due soon">
                    {service.due_soon.iter().map(|item| view! {
                        <li>
                            <a href=format!("/items/{}", item.id)>{item.title.clone()}</a>
                            {item.at.map(|at| view! { " — goes stale " <LocalTime millis=at/> })}
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}

#[component]
fn Checklists(service: ServiceDetail) -> impl IntoView {
    let slug = service.summary.slug.clone();
    let can_upgrade = service.can_manage && !service.summary.archived;
    service
        .checklists
        .into_iter()
        .map(|checklist| {
            let heading = format!("{} (version {})", checklist.name, checklist.version);
            let upgrade = (can_upgrade && checklist.version < checklist.latest_version).then(|| {
                let href = format!("/services/{slug}/upgrade/{}", checklist.template_id);
                view! {
                    <p class="notice">
                        {format!("Version {} of this checklist is out. ", checklist.latest_version)}
                        <a href=href>"Review the upgrade"</a>
                    </p>
                }
            });
            view! {
                <section class="panel checklist" aria-label=checklist.name.clone()>
                    <h2>{heading}</h2>
                    {upgrade}
                    {checklist.sections.into_iter().map(|section| {
                        let percent = (section.counted > 0).then(|| section.passing * 100 / section.counted);
                        view! {
                            <div class="checklist__section">
                                <h3>
                                    {section.name.clone()}
                                    <span class="muted">{format!(" {} of {}", section.passing, section.counted)}</span>
                                </h3>
                                <ScoreBar score=percent/>
                                <ul class="item-list">
                                    {section.items.into_iter().map(|item| view! {
                                        <li class="item-line">
                                            <a href=format!("/items/{}", item.id) class="item-line__title">{item.title}</a>
                                            <span class="item-line__meta">
                                                <SeverityTag severity=item.severity/>
                                                <span class=format!("level-tag level-tag--{}", item.level.as_str())>{item.level.label()}</span>
                                                <span class="status">{item.status.label()}</span>
                                                <span class="muted">{format!("{} evidence", item.evidence)}</span>
                                                {(item.approvals_required > 0).then(|| view! {
                                                    <span class="muted">{format!("{}/{} approvals", item.approvals, item.approvals_required)}</span>
                                                })}
                                                // "Not started" twice says nothing: the standing shows when it adds something.
                                                {(!matches!(item.standing, Standing::Unmet(Blocker::NotDone(_)))).then(|| view! { <StandingText standing=item.standing.clone()/> })}
                                            </span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            </div>
                        }
                    }).collect_view()}
                </section>
            }
        })
        .collect_view()
}

#[component]
fn ApplyTemplateForm(service: ServiceDetail, action: ServerAction<ApplyTemplate>) -> impl IntoView {
    let result = action.value();
    let options = options(
        "Choose a checklist…",
        service.templates_to_apply.iter().map(|t| (t.id.to_string(), format!("{} ({} items)", t.name, t.items))),
    );
    view! {
        <section class="panel form-panel" aria-labelledby="apply-heading">
            <h2 id="apply-heading">"Apply a checklist"</h2>
            <ActionForm action=action attr:novalidate=true>
                <FormAlert message=form_error(result)/>
                <input type="hidden" name="service_id" value=service.summary.id.to_string()/>
                <SelectField label="Checklist" name="template_id".to_string() options error=field_error(result, "template_id")/>
                <SubmitButton label="Apply checklist" busy_label="Applying…" pending=action.pending()/>
            </ActionForm>
        </section>
    }
}

/// The service's milestones (named snapshots of its scorecard), each
/// linking to its comparison with now, and for its leads the form that
/// records one: an ActionForm, so it works before the script has loaded.
#[component]
fn Milestones(slug: String, list: MilestoneList, action: ServerAction<RecordMilestone>) -> impl IntoView {
    let result = action.value();
    let form = NodeRef::new();
    reset_on_success(result, form);
    if list.milestones.is_empty() && !list.can_record {
        return ().into_any();
    }
    view! {
        <section class="panel milestones" aria-labelledby="milestones-heading">
            <h2 id="milestones-heading">"Milestones"</h2>
            {if list.milestones.is_empty() {
                view! { <p class="muted">"No milestone yet. Record one at a launch or post-incident review to compare with later."</p> }.into_any()
            } else {
                view! {
                    <ul class="milestone-list" aria-label="Milestones">
                        {list.milestones.into_iter().map(|m| view! {
                            <li class="milestone-list__item">
                                <a class="milestone-list__name" href=format!("/services/{slug}/milestones/{}", m.id)>{m.name}</a>
                                <span class="milestone-list__meta muted">
                                    <LocalTime millis=m.created_at/> " · " {m.created_by}
                                </span>
                                <span class="milestone-list__score">
                                    {m.figures.score.map(|s| format!("Score then {s}%")).unwrap_or_else(|| "No score then".into())}
                                </span>
                                {m.note.map(|note| view! { <p class="milestone-list__note">{note}</p> })}
                            </li>
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
            {list.can_record.then(|| view! {
                <ActionForm action=action node_ref=form attr:novalidate=true attr:class="milestone-form no-print" attr:aria-label="Record a milestone">
                    <h3>"Record a milestone"</h3>
                    <p class="muted">"Freezes every item's standing, evidence, approvals and waivers as they are now."</p>
                    <FormAlert message=form_error(result)/>
                    <input type="hidden" name="service_id" value=list.service_id.to_string()/>
                    <Field label="Milestone name" name="name" id="milestone-name" autocomplete="off" hint="e.g. launch review, post-incident review" error=field_error(result, "name")/>
                    <TextArea label="Note (optional)" name="note" id="milestone-note" rows=2 error=field_error(result, "note")/>
                    <SubmitButton label="Record milestone" busy_label="Recording…" pending=action.pending()/>
                </ActionForm>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn Activity(service: ServiceDetail) -> impl IntoView {
    (!service.activity.is_empty()).then(|| {
        view! {
            <section class="panel" aria-labelledby="activity-heading">
                <h2 id="activity-heading">"Recent activity"</h2>
                <ul class="activity">
                    {service.activity.into_iter().map(|entry| view! {
                        <li>
                            <strong>{entry.actor}</strong> " " {describe_action(&entry.action).to_string()}
                            <span class="muted">" · " <LocalTime millis=entry.at/></span>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}

/// The README shield: public or not, with its Markdown when it is.
#[component]
fn BadgeForm(service_id: i64, slug: String, public: bool, action: ServerAction<SetServiceBadge>) -> impl IntoView {
    let result = action.value();
    let path = format!("/badge/{slug}.svg");
    view! {
        <section class="panel" aria-labelledby="badge-heading">
            <h2 id="badge-heading">"Status badge"</h2>
            <FormAlert message=form_error(result)/>
            {if public {
                view! {
                    <p class="badge-preview"><img src=path.clone() alt="Status badge: level and gate"/></p>
                    <p class="muted">"Anyone with the link sees this service's level and gate; nothing else. Put it in the README:"</p>
                    <label for="badge-markdown">"Markdown"</label>
                    <input id="badge-markdown" class="copy-field" readonly value=format!("![Preflight]({path})")/>
                }
                .into_any()
            } else {
                view! {
                    <p class="muted">
                        "A public badge shows the level and gate at " <code>{path.clone()}</code>
                        " to anyone, for a README. While it is private that address answers “not found”."
                    </p>
                }
                .into_any()
            }}
            <ActionForm action=action>
                <input type="hidden" name="service_id" value=service_id.to_string()/>
                <input type="hidden" name="public" value=if public { "false" } else { "true" }/>
                <button type="submit" class="button button--secondary">
                    {if public { "Withdraw public badge" } else { "Make badge public" }}
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
fn ArchiveForm(service_id: i64, archived: bool, action: ServerAction<SetServiceArchived>) -> impl IntoView {
    let result = action.value();
    view! {
        <section class="panel" aria-labelledby="archive-heading">
            <h2 id="archive-heading">{if archived { "Restore" } else { "Archive" }}</h2>
            <FormAlert message=form_error(result)/>
            <ActionForm action=action>
                <input type="hidden" name="service_id" value=service_id.to_string()/>
                <input type="hidden" name="archived" value=if archived { "false" } else { "true" }/>
                <p class="muted">
                    {if archived {
                        "Restoring brings the service back into lists and lets its team work on it again."
                    } else {
                        "Archiving takes the service out of lists and freezes its checklists; all its history stays."
                    }}
                </p>
                <button type="submit" class="button button--secondary">
                    {if archived { "Restore service" } else { "Archive service" }}
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn EditServicePage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let update = ServerAction::<UpdateService>::new();
    let result = update.value();
    let data = Resource::new(move || slug.get(), fetch_service_edit_form);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                data.get().map(|answer| match answer {
                    Ok((service, teams)) => {
                        let back = format!("/services/{}", service.summary.slug);
                        view! {
                            <Title text=format!("Edit {}", service.summary.name)/>
                            <div class="page-head">
                                <h1>{format!("Edit {}", service.summary.name)}</h1>
                                <a href=back class="button button--secondary">"Back to the service"</a>
                            </div>
                            <section class="panel form-panel">
                                <ActionForm action=update attr:novalidate=true>
                                    <FormAlert message=form_error(result)/>
                                    <input type="hidden" name="service_id" value=service.summary.id.to_string()/>
                                    <input type="hidden" name="version" value=service.version.to_string()/>
                                    <ServiceFields result=Signal::derive(move || result.get()) teams current=service.clone()/>
                                    <SubmitButton label="Save changes" busy_label="Saving…" pending=update.pending()/>
                                </ActionForm>
                            </section>
                        }
                        .into_any()
                    }
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <Title text="Edit service"/><p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                })
            }}
        </Suspense>
    }
}

/// The service's documents with their version history, and (for the team)
/// the form to add one or a new version: a plain multipart post, so a file
/// goes straight to the store and the form works without the script.
#[component]
fn Documents(service: ServiceDetail, problem: LinkProblem) -> impl IntoView {
    if service.documents.is_empty() && !service.can_work {
        return ().into_any();
    }
    let error = move |field: &'static str| {
        Signal::derive(move || problem.get().filter(|(f, _)| *f == field).map(|(_, message)| message))
    };
    let document_options: Vec<(String, String)> = std::iter::once((String::new(), "A new document".to_string()))
        .chain(service.documents.iter().map(|d| (d.id.to_string(), format!("New version of “{}”", d.title))))
        .collect();
    let kind_options: Vec<(String, String)> =
        DocumentKind::ALL.iter().map(|k| (k.as_str().to_string(), k.label().to_string())).collect();
    let file_error = error("file");
    view! {
        <section class="panel" id="documents" aria-labelledby="documents-heading">
            <h2 id="documents-heading">"Documents"</h2>
            {if service.documents.is_empty() {
                view! { <p class="muted">"No audit reports, runbooks, architecture documents or post-mortems yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="documents" aria-label="Service documents">
                        {service.documents.iter().map(document_line).collect_view()}
                    </ul>
                }
                .into_any()
            }}
            {service.can_work.then(|| view! {
                <form method="post" enctype="multipart/form-data" action=format!("/services/{}/documents", service.summary.slug) class="document-form" id="upload">
                    <h3>"Add a document or a new version"</h3>
                    <SelectField label="Document" name="document_id".to_string() options=document_options error=Signal::derive(|| None::<String>)/>
                    <SelectField label="Kind" name="kind".to_string() options=kind_options hint="For a new document." error=error("kind")/>
                    <Field label="Title" name="title" id="document-title" hint="For a new document." error=error("title")/>
                    <Field label="Version" name="label" id="document-label" hint="e.g. v2 or 2026-Q3" error=error("label")/>
                    <Field label="Date of the document" name="date" kind="date" id="document-date" error=error("date")/>
                    <Field label="Link" name="url" kind="url" id="document-url" hint="A link, or a file below." error=error("url")/>
                    <div class="field" class:field--invalid=move || file_error.get().is_some()>
                        <label for="document-file">"File"</label>
                        <input id="document-file" name="file" type="file" aria-describedby=move || file_error.get().map(|_| "document-file-error")/>
                        {move || file_error.get().map(|message| view! { <p class="field__error" id="document-file-error">{message}</p> })}
                    </div>
                    <button type="submit" class="button">"Add document"</button>
                </form>
            })}
        </section>
    }
    .into_any()
}

fn document_line(document: &DocumentLine) -> impl IntoView {
    view! {
        <li>
            <p class="documents__title"><strong>{document.title.clone()}</strong> " " <span class="badge">{document.kind.label()}</span></p>
            <ol class="documents__versions" aria-label=format!("Versions of {}", document.title)>
                {document.versions.iter().map(|v| {
                    let open = match (&v.download, &v.url) {
                        (Some(href), _) => view! { <a href=href.clone() download="">{v.file_name.clone().unwrap_or_else(|| "Download".into())}</a> }.into_any(),
                        (None, Some(url)) => view! { <a href=url.clone() rel="noopener noreferrer" target="_blank">"Open link"</a> }.into_any(),
                        _ => ().into_any(),
                    };
                    view! {
                        <li>
                            <strong>{v.label.clone()}</strong> " · " {v.date.clone()} " · " {open}
                            <span class="muted">" · added by " {v.added_by.clone()}</span>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </li>
    }
}
