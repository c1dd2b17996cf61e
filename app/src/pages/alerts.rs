//! Alerts: a team's channels with their latest deliveries
//! (`/teams/:id/alerts`), and a service's rules and maintenance windows
//! (`/services/:slug/alerts`). Every form works without JavaScript.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::alerts::{
    fetch_service_alerts, fetch_team_alerts, AddAlertChannel, AddAlertRule, AddMaintenanceWindow, RemoveAlertChannel,
    RemoveAlertRule, RemoveMaintenanceWindow, TestAlertChannel,
};
use crate::components::field::{field_error, form_error, Field, FormAlert, SelectField, SubmitButton};
use crate::components::local_time::LocalTime;
use crate::domain::probes::alert_views::{
    ChannelLine, DeliveryLine, DeliveryState, MaintenanceLine, RuleLine, ServiceAlerts, TeamAlerts,
};
use crate::domain::probes::alerts::{ChannelKind, WEEKDAYS};
use crate::error::AppError;
use crate::pages::not_found::NotFound;

#[derive(Clone, Copy)]
struct ChannelActions {
    add: ServerAction<AddAlertChannel>,
    test: ServerAction<TestAlertChannel>,
    remove: ServerAction<RemoveAlertChannel>,
}

/// `/teams/:id/alerts`
#[component]
pub fn TeamAlertsPage() -> impl IntoView {
    let params = use_params_map();
    let team_id = Memo::new(move |_| params.read().get("id").and_then(|id| id.parse::<i64>().ok()));
    let actions = ChannelActions { add: ServerAction::new(), test: ServerAction::new(), remove: ServerAction::new() };
    let alerts = Resource::new(
        move || {
            (team_id.get(), actions.add.version().get(), actions.test.version().get(), actions.remove.version().get())
        },
        |(id, ..)| async move {
            match id {
                Some(id) => fetch_team_alerts(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading alert channels…"</p> }>
            {move || alerts.get().map(|answer| match answer {
                Ok(alerts) => view! { <TeamAlertsView alerts actions/> }.into_any(),
                Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                Err(e) => view! { <Title text="Alert channels"/><p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn TeamAlertsView(alerts: TeamAlerts, actions: ChannelActions) -> impl IntoView {
    let TeamAlerts { team_id, team_name, channels, deliveries, can_manage, email_available } = alerts;
    view! {
        <Title text=format!("Alert channels · {team_name}")/>
        <div class="page-head">
            <h1>"Alert channels"</h1>
            <a href=format!("/teams/{team_id}") class="button button--secondary">{format!("Back to {team_name}")}</a>
        </div>
        <p class="muted">
            "Where the team's alert rules send. Rules are set on each service's alerts page; "
            "a channel serves every service of the team."
        </p>
        <section class="panel" aria-labelledby="channels-heading">
            <h2 id="channels-heading">"Channels"</h2>
            {move || actions.test.value().get().map(|r| match r {
                Ok(message) => view! { <p class="notice" role="status">{message}</p> }.into_any(),
                Err(e) => view! { <p class="alert" role="alert">{e.field_message("channel").map(str::to_string).unwrap_or_else(|| e.to_string())}</p> }.into_any(),
            })}
            {move || actions.remove.value().get().and_then(|r| r.err()).map(|e| view! { <p class="alert" role="alert">{e.to_string()}</p> })}
            <ChannelTable team_id channels can_manage actions/>
        </section>
        {can_manage.then(|| view! { <AddChannel team_id email_available action=actions.add/> })}
        <DeliveryTable deliveries/>
    }
}

#[component]
fn ChannelTable(team_id: i64, channels: Vec<ChannelLine>, can_manage: bool, actions: ChannelActions) -> impl IntoView {
    if channels.is_empty() {
        return view! {
            <p class="muted">"No channels yet. Add one below, then choose it in a service's alert rules."</p>
        }
        .into_any();
    }
    let rows = channels
        .into_iter()
        .map(|c| {
            let failing = c.failed_recently > 0;
            let (test_label, remove_label) = (format!("Send a test to {}", c.name), format!("Remove {}", c.name));
            view! {
                <tr>
                    <th scope="row">{c.name}</th>
                    <td data-label="Kind">{c.kind.label()}</td>
                    <td data-label="Sends to" class="probe-target">{c.target.clone()}</td>
                    <td data-label="Last delivered">
                        {match c.last_delivered_at {
                            Some(at) => view! { <LocalTime millis=at/> }.into_any(),
                            None => view! { <span class="muted">"Never"</span> }.into_any(),
                        }}
                    </td>
                    <td data-label="Failed, 7 days" class="num" class:delivery--failed=failing>{c.failed_recently}</td>
                    {can_manage.then(|| view! {
                        <td><div class="button-row button-row--cell">
                            <ActionForm action=actions.test>
                                <input type="hidden" name="team_id" value=team_id/>
                                <input type="hidden" name="channel_id" value=c.id/>
                                <button type="submit" class="button button--secondary" aria-label=test_label disabled=move || actions.test.pending().get()>
                                    "Send test"
                                </button>
                            </ActionForm>
                            <ActionForm action=actions.remove>
                                <input type="hidden" name="team_id" value=team_id/>
                                <input type="hidden" name="channel_id" value=c.id/>
                                <button type="submit" class="button button--danger" aria-label=remove_label>"Remove"</button>
                            </ActionForm>
                        </div></td>
                    })}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            // service-table: rows become cards at phone width.
            <table class="data-table service-table" aria-labelledby="channels-heading">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Kind"</th>
                        <th scope="col">"Sends to"</th>
                        <th scope="col">"Last delivered"</th>
                        <th scope="col" class="num">"Failed, 7 days"</th>
                        {can_manage.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn AddChannel(team_id: i64, email_available: bool, action: ServerAction<AddAlertChannel>) -> impl IntoView {
    let result = action.value();
    let kinds: Vec<(String, String)> = ChannelKind::ALL
        .into_iter()
        .filter(|k| *k != ChannelKind::Email || email_available)
        .map(|k| (k.as_str().to_string(), k.label().to_string()))
        .collect();
    view! {
        <section class="panel form-panel" aria-labelledby="add-channel-heading">
            <h2 id="add-channel-heading">"Add a channel"</h2>
            {move || result.get().and_then(|r| r.ok()).map(|added| view! {
                <div class="notice" role="status">
                    <p>{format!("Added “{}”.", added.name)}</p>
                    {added.signing_key.map(|key| view! {
                        <p>
                            "Its signing key, for checking the "<code>"X-Preflight-Signature"</code>" header: "
                            <code class="secret-once">{key}</code>
                        </p>
                        <p>"Copy it now: it is not shown again."</p>
                    })}
                </div>
            })}
            <ActionForm action attr:novalidate=true>
                <FormAlert message=form_error(result)/>
                <input type="hidden" name="team_id" value=team_id/>
                <SelectField
                    label="Kind"
                    name="form[kind]".to_string()
                    options=kinds
                    hint=if email_available { "A webhook gets JSON signed with HMAC-SHA256; Slack gets a line of text." } else { "A webhook gets JSON signed with HMAC-SHA256; Slack gets a line of text. Email needs SMTP, which this server does not have." }
                    error=field_error(result, "kind")
                />
                <Field label="Name" name="form[name]" id="channel-name" autocomplete="off" hint="For example “On-call pager”." error=field_error(result, "name")/>
                <Field label="URL or address" name="form[target]" id="channel-target" autocomplete="off" hint="The webhook URL (http or https), or an email address." error=field_error(result, "target")/>
                <SubmitButton label="Add channel" busy_label="Adding…" pending=action.pending()/>
            </ActionForm>
        </section>
    }
}

#[component]
fn DeliveryTable(deliveries: Vec<DeliveryLine>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="deliveries-heading">
            <h2 id="deliveries-heading">"Recent deliveries"</h2>
            {if deliveries.is_empty() {
                view! { <p class="muted">"Nothing sent yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table class="data-table service-table" aria-labelledby="deliveries-heading">
                            <thead>
                                <tr>
                                    <th scope="col">"Notification"</th>
                                    <th scope="col">"Queued"</th>
                                    <th scope="col">"Channel"</th>
                                    <th scope="col">"Outcome"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {deliveries.into_iter().map(|d| {
                                    let failed = matches!(d.state, DeliveryState::Failed { .. });
                                    view! {
                                        <tr class:delivery--failed=failed>
                                            <th scope="row">{d.headline}</th>
                                            <td data-label="Queued"><LocalTime millis=d.created_at/></td>
                                            <td data-label="Channel">{d.channel_name}</td>
                                            <td data-label="Outcome"><DeliveryOutcome state=d.state/></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn DeliveryOutcome(state: DeliveryState) -> impl IntoView {
    match state {
        DeliveryState::Delivered { at } => view! { "Delivered " <LocalTime millis=at/> }.into_any(),
        DeliveryState::Failed { error, .. } => view! { <strong>"Failed: "</strong> {error} }.into_any(),
        DeliveryState::Waiting { last_error: None, .. } => view! { "Sending…" }.into_any(),
        DeliveryState::Waiting { attempts, next_attempt_at, last_error: Some(error) } => view! {
            {format!("Try {attempts} failed: {error}. Next try ")} <LocalTime millis=next_attempt_at/>
        }
        .into_any(),
    }
}

#[derive(Clone, Copy)]
struct RuleActions {
    add_rule: ServerAction<AddAlertRule>,
    remove_rule: ServerAction<RemoveAlertRule>,
    /// One action a form, so each form shows its own answer.
    add_once: ServerAction<AddMaintenanceWindow>,
    add_weekly: ServerAction<AddMaintenanceWindow>,
    remove_window: ServerAction<RemoveMaintenanceWindow>,
}

/// `/services/:slug/alerts`
#[component]
pub fn ServiceAlertsPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let actions = RuleActions {
        add_rule: ServerAction::new(),
        remove_rule: ServerAction::new(),
        add_once: ServerAction::new(),
        add_weekly: ServerAction::new(),
        remove_window: ServerAction::new(),
    };
    let alerts = Resource::new(
        move || {
            (
                slug.get(),
                actions.add_rule.version().get(),
                actions.remove_rule.version().get(),
                actions.add_once.version().get(),
                actions.add_weekly.version().get(),
                actions.remove_window.version().get(),
            )
        },
        |(slug, ..)| fetch_service_alerts(slug),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading alerts…"</p> }>
            {move || alerts.get().map(|answer| match answer {
                Ok(alerts) => view! { <ServiceAlertsView alerts actions/> }.into_any(),
                Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                Err(e) => view! { <Title text="Alerts"/><p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn ServiceAlertsView(alerts: ServiceAlerts, actions: RuleActions) -> impl IntoView {
    let ServiceAlerts {
        service_id,
        service_name,
        service_slug,
        team_id,
        team_name,
        rules,
        windows,
        probes,
        channels,
        can_manage,
    } = alerts;
    view! {
        <Title text=format!("Alerts · {service_name}")/>
        <div class="page-head">
            <h1>{format!("Alerts for {service_name}")}</h1>
            <a href=format!("/services/{service_slug}#probes") class="button button--secondary">{format!("Back to {service_name}")}</a>
        </div>
        <p class="muted">
            "Rules watch this service's probes and notify "
            <a href=format!("/teams/{team_id}/alerts")>{format!("{team_name}'s channels")}</a>
            ": when a rule starts firing, while it fires (at most as often as it says), and when it recovers. "
            "Incidents are listed on the service page."
        </p>
        <section class="panel" aria-labelledby="rules-heading">
            <h2 id="rules-heading">"Rules"</h2>
            {move || actions.remove_rule.value().get().and_then(|r| r.err()).map(|e| view! { <p class="alert" role="alert">{e.to_string()}</p> })}
            <RuleTable service_id rules can_manage action=actions.remove_rule/>
        </section>
        {can_manage.then(|| view! { <AddRule service_id team_id probes channels action=actions.add_rule/> })}
        <section class="panel" aria-labelledby="windows-heading">
            <h2 id="windows-heading">"Maintenance windows"</h2>
            <p class="muted">"Inside a window incidents are still recorded, but nobody is notified."</p>
            {move || actions.remove_window.value().get().and_then(|r| r.err()).map(|e| view! { <p class="alert" role="alert">{e.to_string()}</p> })}
            <WindowTable service_id windows can_manage action=actions.remove_window/>
        </section>
        {can_manage.then(|| view! { <AddWindows service_id once=actions.add_once weekly=actions.add_weekly/> })}
    }
}

#[component]
fn RuleTable(
    service_id: i64,
    rules: Vec<RuleLine>,
    can_manage: bool,
    action: ServerAction<RemoveAlertRule>,
) -> impl IntoView {
    if rules.is_empty() {
        return view! { <p class="muted">"No rules yet: nothing notifies anyone when a probe fails."</p> }.into_any();
    }
    let rows = rules
        .into_iter()
        .map(|r| {
            view! {
                <tr>
                    <th scope="row">
                        {r.rule.clone()}
                        {r.firing.then(|| view! { " " <span class="probe-status probe-status--down">"Firing"</span> })}
                    </th>
                    <td data-label="Watches">{r.probe_name.clone().unwrap_or_else(|| "Every probe".into())}</td>
                    <td data-label="Notifies">{if r.channels.is_empty() { "No channel left".to_string() } else { r.channels.join(", ") }}</td>
                    <td data-label="Reminds every" class="num">{format!("{} min", r.resend_minutes)}</td>
                    {can_manage.then(|| view! {
                        <td>
                            <ActionForm action>
                                <input type="hidden" name="service_id" value=service_id/>
                                <input type="hidden" name="rule_id" value=r.id/>
                                <button type="submit" class="button button--danger" aria-label=format!("Remove rule “{}”", r.rule)>"Remove"</button>
                            </ActionForm>
                        </td>
                    })}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table class="data-table service-table" aria-labelledby="rules-heading">
                <thead>
                    <tr>
                        <th scope="col">"Rule"</th>
                        <th scope="col">"Watches"</th>
                        <th scope="col">"Notifies"</th>
                        <th scope="col" class="num">"Reminds every"</th>
                        {can_manage.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn AddRule(
    service_id: i64,
    team_id: i64,
    probes: Vec<crate::domain::probes::alert_views::Choice>,
    channels: Vec<crate::domain::probes::alert_views::Choice>,
    action: ServerAction<AddAlertRule>,
) -> impl IntoView {
    let result = action.value();
    let kinds: Vec<(String, String)> = [
        ("down", "The probe is down"),
        ("error-rate", "Error rate above a percentage"),
        ("latency-p95", "p95 latency above a limit"),
        ("cert-expiry", "The certificate expires soon"),
    ]
    .into_iter()
    .map(|(k, l)| (k.to_string(), l.to_string()))
    .collect();
    let probe_options: Vec<(String, String)> =
        std::iter::once((String::new(), "Every probe of the service".to_string()))
            .chain(probes.into_iter().map(|p| (p.id.to_string(), p.name)))
            .collect();
    let channels_error = field_error(result, "channels");
    view! {
        <section class="panel form-panel" aria-labelledby="add-rule-heading">
            <h2 id="add-rule-heading">"Add a rule"</h2>
            {move || matches!(result.get(), Some(Ok(()))).then(|| view! { <p class="notice" role="status">"Rule added. It is read at once when a probe goes down, and every minute otherwise."</p> })}
            <ActionForm action attr:novalidate=true>
                <FormAlert message=form_error(result)/>
                <input type="hidden" name="service_id" value=service_id/>
                <SelectField label="Notify when" name="form[kind]".to_string() options=kinds error=field_error(result, "kind")/>
                <div class="form-grid">
                    <Field label="Threshold" name="form[threshold]" id="rule-threshold" autocomplete="off" hint="Percent for an error rate, ms for latency, days for a certificate; none for down." error=field_error(result, "threshold")/>
                    <Field label="Over the last (minutes)" name="form[window_minutes]" id="rule-window" inputmode="numeric" hint="Error rate and latency only; blank: 10." error=field_error(result, "window_minutes")/>
                    <Field label="Remind every (minutes)" name="form[resend_minutes]" id="rule-resend" inputmode="numeric" hint="While it fires; 5 or more, blank: 60." error=field_error(result, "resend_minutes")/>
                </div>
                <SelectField label="Probe" name="probe_id".to_string() options=probe_options error=field_error(result, "probe_id")/>
                <fieldset class="fieldset" class:field--invalid=move || channels_error.get().is_some()>
                    <legend>"Send to"</legend>
                    {if channels.is_empty() {
                        view! {
                            <p class="field__hint">
                                "The team has no channels yet. "
                                <a href=format!("/teams/{team_id}/alerts")>"Add one on the team's alerts page"</a>
                                " first."
                            </p>
                        }.into_any()
                    } else {
                        channels.into_iter().enumerate().map(|(i, c)| view! {
                            <label class="check">
                                <input type="checkbox" name=format!("channels[{i}]") value=c.id/>
                                " " {c.name}
                            </label>
                        }).collect_view().into_any()
                    }}
                    {move || channels_error.get().map(|m| view! { <p class="field__error">{m}</p> })}
                </fieldset>
                <SubmitButton label="Add rule" busy_label="Adding…" pending=action.pending()/>
            </ActionForm>
        </section>
    }
}

#[component]
fn WindowTable(
    service_id: i64,
    windows: Vec<MaintenanceLine>,
    can_manage: bool,
    action: ServerAction<RemoveMaintenanceWindow>,
) -> impl IntoView {
    if windows.is_empty() {
        return view! { <p class="muted">"None planned."</p> }.into_any();
    }
    view! {
        <ul class="plain-list">
            {windows.into_iter().map(|w| view! {
                <li class="maintenance">
                    <span>
                        {w.when.clone()}
                        {(!w.note.is_empty()).then(|| format!(" · {}", w.note))}
                        {w.active.then(|| view! { " " <span class="badge">"Now"</span> })}
                    </span>
                    {can_manage.then(|| view! {
                        <ActionForm action>
                            <input type="hidden" name="service_id" value=service_id/>
                            <input type="hidden" name="window_id" value=w.id/>
                            <button type="submit" class="button button--danger" aria-label=format!("Remove the window {}", w.when)>"Remove"</button>
                        </ActionForm>
                    })}
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// Two small forms, one-off and weekly, so neither needs a script to show
/// its fields; each has its own action, so each shows its own answer.
#[component]
fn AddWindows(
    service_id: i64,
    once: ServerAction<AddMaintenanceWindow>,
    weekly: ServerAction<AddMaintenanceWindow>,
) -> impl IntoView {
    let (once_result, weekly_result) = (once.value(), weekly.value());
    let added = move || matches!(once_result.get(), Some(Ok(()))) || matches!(weekly_result.get(), Some(Ok(())));
    let day_options: Vec<(String, String)> =
        WEEKDAYS.iter().enumerate().map(|(i, d)| (i.to_string(), d.to_string())).collect();
    view! {
        <section class="panel" aria-labelledby="add-window-heading">
            <h2 id="add-window-heading">"Plan maintenance"</h2>
            {move || added().then(|| view! { <p class="notice" role="status">"Window added."</p> })}
            <div class="form-columns">
                <ActionForm action=once attr:novalidate=true>
                    <h3>"Once"</h3>
                    <FormAlert message=form_error(once_result)/>
                    <input type="hidden" name="service_id" value=service_id/>
                    <input type="hidden" name="form[kind]" value="once"/>
                    <Field label="Starts (UTC)" name="form[starts]" id="window-starts" kind="datetime-local" error=field_error(once_result, "starts")/>
                    <Field label="Ends (UTC)" name="form[ends]" id="window-ends" kind="datetime-local" error=field_error(once_result, "ends")/>
                    <Field label="Note" name="form[note]" id="window-once-note" autocomplete="off" hint="Why, e.g. “Database upgrade”." error=field_error(once_result, "note")/>
                    <SubmitButton label="Add window" busy_label="Adding…" pending=once.pending()/>
                </ActionForm>
                <ActionForm action=weekly attr:novalidate=true>
                    <h3>"Every week"</h3>
                    <FormAlert message=form_error(weekly_result)/>
                    <input type="hidden" name="service_id" value=service_id/>
                    <input type="hidden" name="form[kind]" value="weekly"/>
                    <SelectField label="Day (UTC)" name="form[weekday]".to_string() options=day_options error=field_error(weekly_result, "weekday")/>
                    <Field label="From (UTC)" name="form[start_time]" id="window-start-time" kind="time" error=field_error(weekly_result, "start_time")/>
                    <Field label="For (minutes)" name="form[minutes]" id="window-minutes" inputmode="numeric" error=field_error(weekly_result, "minutes")/>
                    <Field label="Note" name="form[note]" id="window-weekly-note" autocomplete="off" hint="Why, e.g. “Patch night”." error=field_error(weekly_result, "note")/>
                    <SubmitButton label="Add weekly window" busy_label="Adding…" pending=weekly.pending()/>
                </ActionForm>
            </div>
        </section>
    }
}
