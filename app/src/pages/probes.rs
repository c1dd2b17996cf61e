//! Live probes: the panel on the service page, a probe's own page
//! (`/services/:slug/probes/:id`) and the form that adds one
//! (`/services/:slug/probes/new?kind=http`). Every form works without
//! JavaScript: the kind is chosen by link, not by a script showing fields.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::probes::{
    fetch_org_probes, fetch_probe, fetch_probe_series, fetch_probes, CheckProbeNow, CreateProbe, DeleteProbe,
    ImportProbes, SetProbePaused, UpdateProbe,
};
use crate::components::field::{field_error, form_error, Field, FormAlert, SelectField, SubmitButton, TextArea};
use crate::components::live::live_counter;
use crate::components::local_time::LocalTime;
use crate::components::probe_chart::ProbeCharts;
use crate::domain::probes::blocks::CheckRecord;
use crate::domain::probes::chart::{ChartWindow, Series};
use crate::domain::probes::definition::{ProbeForm, ProbeKind};
use crate::domain::probes::status::ProbeStatus;
use crate::domain::probes::summary::{
    latency_label, percent_label, IncidentLine, OrgProbe, OrgProbes, ProbeDetail, ProbeList, ProbeSummary,
};
use crate::error::AppError;
use crate::pages::not_found::NotFound;

/// The status as a word with its colour, for tables and headings.
#[component]
fn StatusPill(status: ProbeStatus) -> impl IntoView {
    view! { <span class=format!("probe-status probe-status--{}", status.as_str())>{status.label()}</span> }
}

/// "In 41 days", "expired 3 days ago".
fn cert_label(summary: &ProbeSummary, now: i64) -> Option<String> {
    summary.tls_days_left(now).map(|days| match days {
        d if d < 0 => format!("expired {} days ago", -d),
        0 => "expires today".into(),
        1 => "1 day left".into(),
        d => format!("{d} days left"),
    })
}

/// The links that add a probe of each kind.
#[component]
fn AddProbeLinks(slug: String) -> impl IntoView {
    view! {
        <div class="button-row no-print">
            {ProbeKind::ALL
                .into_iter()
                .map(|kind| {
                    view! {
                        <a class="button button--secondary" href=format!("/services/{slug}/probes/new?kind={}", kind.as_str())>
                            {format!("Add {} probe", kind.label())}
                        </a>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// A service's probes as the [`ProbesPanel`] shows them, fetched again on
/// every live event and after an import. Create it at the top of the page,
/// outside any `Transition` (see `components::score_chart::HistoryFeed`).
#[derive(Clone, Copy)]
pub struct ProbesFeed {
    list: Resource<Result<ProbeList, AppError>>,
    import: ServerAction<ImportProbes>,
}

/// The probes of the service `slug` names.
pub fn probes_feed(slug: Memo<String>) -> ProbesFeed {
    let live = live_counter(move || format!("/services/{}/probes/events", slug.get()));
    let import = ServerAction::<ImportProbes>::new();
    let list =
        Resource::new(move || (slug.get(), live.get(), import.version().get()), |(slug, _, _)| fetch_probes(slug));
    ProbesFeed { list, import }
}

/// "Live probes" on the service page: each probe's status, last check,
/// latency, uptime and certificate.
#[component]
pub fn ProbesPanel(feed: ProbesFeed) -> impl IntoView {
    let ProbesFeed { list, import } = feed;
    view! {
        <section class="panel probes" id="probes" aria-labelledby="probes-heading">
            <h2 id="probes-heading">"Live probes"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading probes…"</p> }>
                {move || list.get().map(|answer| match answer {
                    Ok(list) => {
                        let manage = list.can_manage.then(|| (list.service_id, list.service_slug.clone()));
                        let incidents = list.incidents.clone();
                        let alerts_href = format!("/services/{}/alerts", list.service_slug);
                        view! {
                            <ProbeTable list/>
                            <IncidentList incidents/>
                            <p><a href=alerts_href>"Alert rules and maintenance windows"</a></p>
                            {manage.map(|(service_id, slug)| view! { <ProbeFile service_id slug import/> })}
                        }
                        .into_any()
                    }
                    Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// The service's latest incidents: when, which probe and rule, the worst
/// figure, and whether it is still going on.
#[component]
fn IncidentList(incidents: Vec<IncidentLine>) -> impl IntoView {
    if incidents.is_empty() {
        return ().into_any();
    }
    let rows = incidents
        .into_iter()
        .map(|i| {
            view! {
                <tr>
                    <td><LocalTime millis=i.started_at/></td>
                    <td>{i.probe_name}</td>
                    <th scope="row">{i.rule}</th>
                    <td class="num">{i.peak}</td>
                    <td>
                        {match i.ended_at {
                            Some(at) => view! { <LocalTime millis=at/> }.into_any(),
                            None => view! { <span class="probe-status probe-status--down">"Ongoing"</span> }.into_any(),
                        }}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h3 id="incidents-heading">"Incidents"</h3>
        <div class="table-scroll">
            <table class="data-table" aria-labelledby="incidents-heading">
                <thead>
                    <tr>
                        <th scope="col">"Started"</th>
                        <th scope="col">"Probe"</th>
                        <th scope="col">"Rule"</th>
                        <th scope="col" class="num">"Worst"</th>
                        <th scope="col">"Ended"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn ProbeTable(list: ProbeList) -> impl IntoView {
    let ProbeList { service_slug, probes, can_manage, now, .. } = list;
    if probes.is_empty() {
        return view! {
            <p class="muted">
                "No probes yet. A probe checks the service from here every minute or so, so that "
                "“monitoring is in place” is proven by data rather than claimed."
            </p>
            {can_manage.then(|| view! { <AddProbeLinks slug=service_slug.clone()/> })}
        }
        .into_any();
    }
    let rows = probes
        .into_iter()
        .map(|summary| ProbeRow {
            href: format!("/services/{service_slug}/probes/{}", summary.id),
            summary,
            service: None,
        })
        .collect();
    view! {
        <ProbeRows rows now caption="Probes of this service"/>
        {can_manage.then(|| view! { <AddProbeLinks slug=service_slug.clone()/> })}
    }
    .into_any()
}

/// One row of [`ProbeRows`].
struct ProbeRow {
    summary: ProbeSummary,
    /// The probe's page.
    href: String,
    /// On the organisation's page: the service's name and page.
    service: Option<(String, String)>,
}

/// Probes as a table: status, name (with its kind, and its service on the
/// organisation's page), target (on its service's page), last check,
/// latency, uptime and certificate. The organisation's page adds the year's
/// uptime in place of the target, which its service's page shows.
#[component]
fn ProbeRows(rows: Vec<ProbeRow>, now: i64, caption: &'static str) -> impl IntoView {
    let org = rows.first().is_some_and(|r| r.service.is_some());
    let rows = rows
        .into_iter()
        .map(|ProbeRow { summary: p, href, service }| {
            let cert = cert_label(&p, now);
            let target = p.target.clone();
            view! {
                <tr>
                    <td><StatusPill status=p.status/></td>
                    <th scope="row">
                        <a href=href>{p.name.clone()}</a>
                        <span class="data-table__sub">
                            {p.kind.label()}
                            {service.map(|(name, href)| view! { " · " <a href=href>{name}</a> })}
                        </span>
                    </th>
                    {(!org).then(|| view! { <td class="probe-target">{target}</td> })}
                    <td>{p.last_check_at.map(|at| view! { <LocalTime millis=at/> })}</td>
                    <td class="num">{p.last_duration_us.map(latency_label).unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{percent_label(p.uptime.day)}</td>
                    <td class="num">{percent_label(p.uptime.week)}</td>
                    <td class="num">{percent_label(p.uptime.month)}</td>
                    {org.then(|| view! { <td class="num">{percent_label(p.uptime.year)}</td> })}
                    <td>{cert.unwrap_or_else(|| "—".into())}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table class="data-table probe-table">
                <caption class="visually-hidden">{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Probe"</th>
                        {(!org).then(|| view! { <th scope="col">"Target"</th> })}
                        <th scope="col">"Last check"</th>
                        <th scope="col" class="num">"Latency"</th>
                        <th scope="col" class="num">"Uptime 24 h"</th>
                        <th scope="col" class="num">"7 days"</th>
                        <th scope="col" class="num">"30 days"</th>
                        {org.then(|| view! { <th scope="col" class="num">"1 year"</th> })}
                        <th scope="col">"Certificate"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// Export and import of the service's probes as a TOML file, for teams
/// that keep them beside their code.
#[component]
fn ProbeFile(service_id: i64, slug: String, import: ServerAction<ImportProbes>) -> impl IntoView {
    let result = import.value();
    view! {
        <details class="probe-file no-print">
            <summary>"Import or export as TOML"</summary>
            <p>
                <a href=format!("/services/{slug}/probes.toml") download="">"Download these probes as TOML"</a>
                " (secret header values are left out)."
            </p>
            <ActionForm action=import attr:novalidate=true>
                <FormAlert message=form_error(result)/>
                {move || result.get().and_then(|r| r.ok()).map(|done| view! { <p class="notice" role="status">{done}</p> })}
                <input type="hidden" name="service_id" value=service_id/>
                <TextArea
                    label="Probes file"
                    name="text"
                    id="probes-toml"
                    rows=8
                    hint="[[probe]] tables as the download writes them. Probes are added, or replaced by name; others stay. A secret header without a value keeps the stored one."
                    error=field_error(result, "text")
                />
                <SubmitButton label="Import probes" busy_label="Importing…" pending=import.pending()/>
            </ActionForm>
        </details>
    }
}

/// The fields of a probe's form for its kind, named `form[…]` after the
/// server functions' argument; `problem` is the latest answer's error.
#[component]
fn ProbeFields(form: ProbeForm, kind: ProbeKind, #[prop(into)] problem: Signal<Option<AppError>>) -> impl IntoView {
    let err = move |field: &'static str| -> Signal<Option<String>> {
        Signal::derive(move || problem.get().and_then(|e| e.field_message(field).map(str::to_string)))
    };
    let method_options: Vec<(String, String)> =
        ["GET", "HEAD", "POST"].iter().map(|m| (m.to_string(), m.to_string())).collect();
    let follows = form.follow_redirects == "on";
    let kind_fields = match kind {
        ProbeKind::Http => view! {
            <Field label="URL" name="form[url]" id="probe-url" kind="url" value=form.url.clone() autocomplete="off" hint="http or https, e.g. https://api.example.com/health." error=err("url")/>
            <SelectField label="Method" name="form[method]".to_string() options=method_options selected=form.method.clone() error=err("method")/>
            <TextArea label="Request body" name="form[body]" id="probe-body" value=form.body.clone() rows=3 hint="POST only." error=err("body")/>
            <Field label="Accepted status codes" name="form[accept]" id="probe-accept" value=form.accept.clone() autocomplete="off" hint="Codes and ranges, e.g. 200-299,301." error=err("accept")/>
            <TextArea
                label="Assertions"
                name="form[assertions]"
                id="probe-assertions"
                value=form.assertions.clone()
                rows=3
                hint="One a line: body contains ok · json /status = \"up\" · latency < 500 ms (slower is degraded, not down)."
                error=err("assertions")
            />
            <label class="check">
                <input type="checkbox" name="form[follow_redirects]" value="on" checked=follows/>
                " Follow redirects (each hop is checked like the URL)"
            </label>
            <Field label="Warn about the certificate this many days ahead" name="form[tls_warn_days]" id="probe-tls-warn" value=form.tls_warn_days.clone() inputmode="numeric" hint="https only; leave empty for no warning." error=err("tls_warn_days")/>
        }
        .into_any(),
        ProbeKind::Tcp => view! {
            <Field label="Host and port" name="form[target]" id="probe-target" value=form.target.clone() autocomplete="off" hint="host:port, e.g. db.example.com:5432." error=err("target")/>
        }
        .into_any(),
        ProbeKind::Tls => view! {
            <Field label="Host and port" name="form[target]" id="probe-target" value=form.target.clone() autocomplete="off" hint="host:port, e.g. mail.example.com:993." error=err("target")/>
            <Field label="Warn this many days before the certificate expires" name="form[tls_warn_days]" id="probe-tls-warn" value=form.tls_warn_days.clone() inputmode="numeric" error=err("tls_warn_days")/>
        }
        .into_any(),
        ProbeKind::Metrics => view! {
            <Field label="Metrics URL" name="form[url]" id="probe-url" kind="url" value=form.url.clone() autocomplete="off" hint="A Prometheus text endpoint, e.g. https://api.example.com/metrics." error=err("url")/>
            <Field label="Requests series" name="form[requests]" id="probe-requests" value=form.requests.clone() autocomplete="off" hint="e.g. http_requests_total{job=\"api\"}" error=err("requests")/>
            <Field label="Errors series" name="form[errors]" id="probe-errors" value=form.errors.clone() autocomplete="off" hint="e.g. http_requests_total{status=~\"5..\"}" error=err("errors")/>
            <Field label="Warn above this error rate (%)" name="form[error_rate_warn_percent]" id="probe-error-warn" value=form.error_rate_warn_percent.clone() inputmode="decimal" error=err("error_rate_warn_percent")/>
        }
        .into_any(),
    };
    let has_headers = matches!(kind, ProbeKind::Http | ProbeKind::Metrics);
    view! {
        <input type="hidden" name="form[kind]" value=kind.as_str()/>
        <Field label="Name" name="form[name]" id="probe-name" value=form.name.clone() autocomplete="off" hint="For example “Health endpoint”." error=err("name")/>
        {kind_fields}
        {has_headers.then(|| view! {
            <TextArea label="Headers" name="form[headers]" id="probe-headers" value=form.headers.clone() rows=2 hint="One a line: Name: value." error=err("headers")/>
            <TextArea
                label="Secret headers"
                name="form[secret_headers]"
                id="probe-secret-headers"
                value=form.secret_headers.clone()
                rows=2
                hint="Name: value. Never shown again, logged or exported; a name alone keeps the stored value."
                error=err("secret_headers")
            />
        })}
        <div class="form-grid">
            <Field label="Interval (seconds)" name="form[interval_secs]" id="probe-interval" value=form.interval_secs.clone() inputmode="numeric" hint="10 or more." error=err("interval_secs")/>
            <Field label="Timeout (ms)" name="form[timeout_ms]" id="probe-timeout" value=form.timeout_ms.clone() inputmode="numeric" hint="Blank: 10 s, or half the interval if shorter." error=err("timeout_ms")/>
            <Field label="Failures before down" name="form[failure_threshold]" id="probe-failures" value=form.failure_threshold.clone() inputmode="numeric" error=err("failure_threshold")/>
            <Field label="Successes before up again" name="form[recovery_threshold]" id="probe-recoveries" value=form.recovery_threshold.clone() inputmode="numeric" error=err("recovery_threshold")/>
        </div>
    }
}

/// A new probe's form: the defaults, but the timeout left blank so that
/// it follows whatever interval is chosen (see `validate`).
fn new_form(kind: ProbeKind) -> ProbeForm {
    ProbeForm { timeout_ms: String::new(), ..ProbeForm::new(kind) }
}

/// `/services/:slug/probes/new?kind=…`
#[component]
pub fn NewProbePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let kind =
        Memo::new(move |_| query.read().get("kind").and_then(|k| ProbeKind::parse(&k)).unwrap_or(ProbeKind::Http));
    let list = Resource::new(move || slug.get(), fetch_probes);
    let create = ServerAction::<CreateProbe>::new();
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || list.get().map(|answer| match answer {
                Ok(list) if list.can_manage => {
                    let kind = kind.get();
                    let title = format!("Add {} probe", kind.label());
                    view! {
                        <Title text=title.clone()/>
                        <div class="page-head">
                            <h1>{title}</h1>
                            <a href=format!("/services/{}#probes", list.service_slug) class="button button--secondary">{format!("Back to {}", list.service_name)}</a>
                        </div>
                        <p class="muted">"Probes reach only public addresses unless an administrator allows private ones in settings."</p>
                        <section class="panel form-panel">
                            <ActionForm action=create attr:novalidate=true>
                                <FormAlert message=form_error(create.value())/>
                                <input type="hidden" name="service_id" value=list.service_id/>
                                <ProbeFields form=new_form(kind) kind problem=problem_of(create.value())/>
                                <SubmitButton label="Add probe" busy_label="Adding…" pending=create.pending()/>
                            </ActionForm>
                        </section>
                    }
                    .into_any()
                }
                Ok(_) => view! {
                    <Title text="Add a probe"/>
                    <section class="panel empty-state">
                        <h2>"Only the service's team adds probes"</h2>
                        <p>"Ask a lead or member of the team that owns this service, or an administrator."</p>
                    </section>
                }
                .into_any(),
                Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// `/services/:slug/probes/:id`
#[component]
pub fn ProbePage() -> impl IntoView {
    let params = use_params_map();
    let key = Memo::new(move |_| {
        let params = params.read();
        (params.get("slug").unwrap_or_default(), params.get("id").and_then(|id| id.parse::<i64>().ok()))
    });
    let actions = ProbeActions {
        update: ServerAction::new(),
        pause: ServerAction::new(),
        check: ServerAction::new(),
        delete: ServerAction::new(),
    };
    // New results arrive over the service's event stream.
    let live = live_counter(move || format!("/services/{}/probes/events", key.get().0));
    let detail = Resource::new(
        move || (key.get(), actions.update.version().get(), actions.pause.version().get(), live.get()),
        |((slug, id), _, _, _)| async move {
            match id {
                Some(id) => fetch_probe(slug, id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    // The charts' window is in the address (`?window=7d`), so every
    // window is a plain link and works without JavaScript.
    let query = use_query_map();
    let window = Memo::new(move |_| ChartWindow::parse(query.read().get_str("window")));
    let series = Resource::new(
        move || (key.get(), window.get(), live.get()),
        |((slug, id), window, _)| async move {
            match id {
                Some(id) => fetch_probe_series(slug, id, window.key().to_string()).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let charts = ChartsFeed { window, series };
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading probe…"</p> }>
            {move || detail.get().map(|answer| match answer {
                Ok(detail) => view! { <ProbeView detail actions charts/> }.into_any(),
                Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                Err(e) => view! { <Title text="Probe"/><p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

/// The charts' window and series, created with the page (see
/// `components::score_chart::HistoryFeed` for why there).
#[derive(Clone, Copy)]
struct ChartsFeed {
    window: Memo<ChartWindow>,
    series: Resource<Result<Series, AppError>>,
}

/// "Latency and errors": window links and both charts.
#[component]
fn ChartsPanel(charts: ChartsFeed) -> impl IntoView {
    let ChartsFeed { window, series } = charts;
    view! {
        <section class="panel" id="charts" aria-labelledby="probe-charts-heading">
            <div class="history__head">
                <h2 id="probe-charts-heading">"Latency and errors"</h2>
                <nav class="history__windows" aria-label="Chart window">
                    {ChartWindow::ALL.into_iter().map(|w| view! {
                        <a href=format!("?window={}#charts", w.key()) aria-current=move || (window.get() == w).then_some("true")>
                            {w.label()}
                        </a>
                    }).collect_view()}
                </nav>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading charts…"</p> }>
                {move || series.get().map(|answer| match answer {
                    Ok(series) => view! { <ProbeCharts series/> }.into_any(),
                    Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
            <p class="muted chart-note">"Times in UTC. Hover a point for its values."</p>
        </section>
    }
}

#[derive(Clone, Copy)]
struct ProbeActions {
    update: ServerAction<UpdateProbe>,
    pause: ServerAction<SetProbePaused>,
    check: ServerAction<CheckProbeNow>,
    delete: ServerAction<DeleteProbe>,
}

#[component]
fn ProbeView(detail: ProbeDetail, actions: ProbeActions, charts: ChartsFeed) -> impl IntoView {
    let ProbeDetail { service_id, service_name, service_slug, summary, form, recent, can_manage, now } = detail;
    let s = summary;
    let paused = s.status == ProbeStatus::Paused;
    let cert = cert_label(&s, now);
    let kind = s.kind;
    view! {
        <Title text=format!("{} · {}", s.name, service_name)/>
        <div class="page-head">
            <h1>{s.name.clone()} " " <StatusPill status=s.status/></h1>
            <a href=format!("/services/{service_slug}#probes") class="button button--secondary">{format!("Back to {service_name}")}</a>
        </div>
        <section class="panel" aria-labelledby="probe-now-heading">
            <h2 id="probe-now-heading">"Now"</h2>
            <dl class="facts">
                <dt>"Checks"</dt>
                <dd>{format!("{} {} every {} s", s.kind.label(), s.target, s.interval_secs)}</dd>
                <dt>"Status"</dt>
                <dd>{s.status.label()} " since " <LocalTime millis=s.status_since/></dd>
                <dt>"Last check"</dt>
                <dd>
                    {match (s.last_check_at, s.last_outcome) {
                        (Some(at), Some(outcome)) => view! {
                            <LocalTime millis=at/> " · " {outcome.label()}
                            {s.last_duration_us.map(|d| format!(" · {}", latency_label(d)))}
                        }.into_any(),
                        _ => view! { "Not checked yet" }.into_any(),
                    }}
                </dd>
                {s.last_message.clone().map(|m| view! { <dt>"Last problem"</dt><dd>{m}</dd> })}
                <dt>"Uptime"</dt>
                <dd>
                    {format!(
                        "{} over 24 h · {} over 7 days · {} over 30 days · {} over 1 year",
                        percent_label(s.uptime.day),
                        percent_label(s.uptime.week),
                        percent_label(s.uptime.month),
                        percent_label(s.uptime.year),
                    )}
                </dd>
                {cert.map(|c| view! { <dt>"Certificate"</dt><dd>{c}</dd> })}
            </dl>
            {can_manage.then(|| view! {
                <div class="button-row no-print">
                    <ActionForm action=actions.check>
                        <input type="hidden" name="service_id" value=service_id/>
                        <input type="hidden" name="probe_id" value=s.id/>
                        <button type="submit" class="button" disabled=paused>"Check now"</button>
                    </ActionForm>
                    <ActionForm action=actions.pause>
                        <input type="hidden" name="service_id" value=service_id/>
                        <input type="hidden" name="probe_id" value=s.id/>
                        <input type="hidden" name="paused" value=(!paused).to_string()/>
                        <button type="submit" class="button button--secondary">{if paused { "Resume" } else { "Pause" }}</button>
                    </ActionForm>
                </div>
                {move || actions.check.value().get().map(|r| match r {
                    Ok(()) => view! { <p class="notice" role="status">"Checking now; the result appears here within seconds."</p> }.into_any(),
                    Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            })}
        </section>
        <ChartsPanel charts/>
        <RecentChecks recent/>
        {can_manage.then(|| {
            let result = actions.update.value();
            view! {
                <section class="panel form-panel" aria-labelledby="probe-edit-heading">
                    <h2 id="probe-edit-heading">"Change this probe"</h2>
                    <ActionForm action=actions.update attr:novalidate=true>
                        <FormAlert message=form_error(result)/>
                        {move || matches!(result.get(), Some(Ok(()))).then(|| view! { <p class="notice" role="status">"Saved. The probe starts over as pending."</p> })}
                        <input type="hidden" name="service_id" value=service_id/>
                        <input type="hidden" name="probe_id" value=s.id/>
                        <input type="hidden" name="version" value=s.version/>
                        <ProbeFields form kind problem=problem_of(result)/>
                        <SubmitButton label="Save probe" busy_label="Saving…" pending=actions.update.pending()/>
                    </ActionForm>
                </section>
                <section class="panel" aria-labelledby="probe-delete-heading">
                    <h2 id="probe-delete-heading">"Delete this probe"</h2>
                    <p class="muted">"It stops running and leaves the service page; the audit trail keeps its definition."</p>
                    <ActionForm action=actions.delete>
                        <input type="hidden" name="service_id" value=service_id/>
                        <input type="hidden" name="probe_id" value=s.id/>
                        <button type="submit" class="button button--danger">"Delete probe"</button>
                    </ActionForm>
                    {move || actions.delete.value().get().and_then(|r| r.err()).map(|e| view! { <p class="alert" role="alert">{e.to_string()}</p> })}
                </section>
            }
        })}
    }
}

/// The latest checks, newest first.
#[component]
fn RecentChecks(recent: Vec<CheckRecord>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="probe-checks-heading">
            <h2 id="probe-checks-heading">"Recent checks"</h2>
            {if recent.is_empty() {
                view! { <p class="muted">"No checks in the last 24 hours."</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table class="data-table probe-checks">
                            <thead>
                                <tr>
                                    <th scope="col">"When"</th>
                                    <th scope="col">"Outcome"</th>
                                    <th scope="col" class="num">"Status code"</th>
                                    <th scope="col" class="num">"Took"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {recent.into_iter().map(|c| view! {
                                    <tr class:probe-check--down=!c.outcome.is_success()>
                                        <td><LocalTime millis=c.at_ms/></td>
                                        <td>{c.outcome.label()}</td>
                                        <td class="num">{c.status_code.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
                                        <td class="num">{latency_label(u64::from(c.duration_us))}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

/// The error of an action's latest answer, for [`ProbeFields`].
fn problem_of<T, S>(result: S) -> Signal<Option<AppError>>
where
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || result.get().and_then(|r| r.err()))
}

/// The organisation's probes, a page at a time, from the stream that says
/// when any probe has new results (at most every two seconds).
fn org_probes_feed(status: Memo<String>, after: Memo<String>, limit: usize) -> Resource<Result<OrgProbes, AppError>> {
    let live = live_counter(|| "/probes/events".to_string());
    Resource::new(
        move || (status.get(), after.get(), live.get()),
        move |(status, after, _)| fetch_org_probes(status, after, limit),
    )
}

/// `/probes`: every probe of the organisation, worst first, filtered by
/// status with links and paged by key.
#[component]
pub fn OrgProbesPage() -> impl IntoView {
    let query = use_query_map();
    let status = Memo::new(move |_| query.read().get("status").unwrap_or_default());
    let after = Memo::new(move |_| query.read().get("after").unwrap_or_default());
    let page = org_probes_feed(status, after, 50);
    view! {
        <Title text="Live probes"/>
        <div class="page-head">
            <h1>"Live probes"</h1>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading probes…"</p> }>
            {move || page.get().map(|answer| match answer {
                Ok(page) => view! { <OrgProbesView page status=status.get_untracked()/> }.into_any(),
                Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn OrgProbesView(page: OrgProbes, status: String) -> impl IntoView {
    let OrgProbes { counts, probes, next, now } = page;
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let link = move |key: &str| if key.is_empty() { "/probes".to_string() } else { format!("/probes?status={key}") };
    let filters = std::iter::once((String::new(), format!("All ({total})")))
        .chain(counts.iter().map(|(s, n)| (s.as_str().to_string(), format!("{} ({n})", s.label()))))
        .map(|(key, label)| {
            let current = (key == status).then_some("true");
            view! { <a href=link(&key) aria-current=current>{label}</a> }
        })
        .collect_view();
    let next = next.map(|id| {
        let status = if status.is_empty() { String::new() } else { format!("status={status}&") };
        format!("/probes?{status}after={id}")
    });
    view! {
        <nav class="history__windows probe-filters" aria-label="Probe status">{filters}</nav>
        <section class="panel table-panel" aria-labelledby="org-probes-heading">
            <h2 id="org-probes-heading" class="visually-hidden">"Probes"</h2>
            {if probes.is_empty() {
                view! { <p class="muted">"No probes here. Probes are added on each service's page."</p> }.into_any()
            } else {
                view! { <ProbeRows rows=org_rows(probes) now caption="Probes of the organisation"/> }.into_any()
            }}
        </section>
        {next.map(|href| view! { <p class="pager"><a class="button button--secondary" href=href>"Next page"</a></p> })}
    }
}

/// The organisation's probes as [`ProbeRows`].
fn org_rows(probes: Vec<OrgProbe>) -> Vec<ProbeRow> {
    probes
        .into_iter()
        .map(|OrgProbe { summary, service_slug, service_name }| ProbeRow {
            href: format!("/services/{service_slug}/probes/{}", summary.id),
            service: Some((service_name, format!("/services/{service_slug}#probes"))),
            summary,
        })
        .collect()
}

/// "Live probes" on the overview: how many probes have each status, and
/// the five that most need a person; nothing before the first probe.
#[component]
pub fn OrgProbesPanel() -> impl IntoView {
    let none = Memo::new(|_| String::new());
    let page = org_probes_feed(none, none, 5);
    view! {
        <Transition fallback=|| ()>
            {move || page.get().and_then(|answer| answer.ok()).filter(|p| !p.probes.is_empty()).map(|page| {
                let summary = page
                    .counts
                    .iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|(s, n)| format!("{n} {}", s.label().to_lowercase()))
                    .collect::<Vec<_>>()
                    .join(" · ");
                view! {
                    <section class="panel table-panel" aria-labelledby="org-probes-panel-heading">
                        <div class="history__head">
                            <h2 id="org-probes-panel-heading" class="table-panel__title">"Live probes"</h2>
                            <a href="/probes">"All probes"</a>
                        </div>
                        <p class="muted org-probes__summary">{summary}</p>
                        <ProbeRows rows=org_rows(page.probes) now=page.now caption="Probes that most need a person"/>
                    </section>
                }
            })}
        </Transition>
    }
}
