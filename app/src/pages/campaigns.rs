//! Campaigns: the list, starting one, and a campaign's page (progress,
//! burn-up, the services behind and what they lack).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::campaigns::{fetch_campaign, fetch_campaign_choices, fetch_campaigns, EndCampaign, StartCampaign};
use crate::components::burnup_chart::BurnupChart;
use crate::components::field::{field_error, form_error, Field, FormAlert, SelectField, SubmitButton};
use crate::components::local_time::LocalTime;
use crate::components::readiness::{LevelBadge, ScoreBar};
use crate::domain::campaigns::{CampaignChoices, CampaignDetail, CampaignSummary};
use crate::domain::checklist::{Level, TIERS};
use crate::domain::services::tier_label;
use crate::error::AppError;
use crate::pages::not_found::NotFound;

#[component]
pub fn CampaignsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| fetch_campaigns());
    view! {
        <Title text="Campaigns"/>
        <Transition fallback=|| view! { <p class="muted">"Loading campaigns…"</p> }>
            {move || list.get().map(|answer| match answer {
                Ok(list) => view! {
                    <div class="page-head">
                        <h1>"Campaigns"</h1>
                        {list.can_start.then(|| view! { <a href="/campaigns/new" class="button">"Start a campaign"</a> })}
                    </div>
                    {if list.campaigns.is_empty() {
                        view! {
                            <section class="panel empty-state">
                                <h2>"No campaigns yet"</h2>
                                <p>"A campaign drives a set of services to a goal by a date: every tier 1 service at silver by the end of the quarter, say, or every service with its backups tested. Administrators and team leads start them."</p>
                            </section>
                        }.into_any()
                    } else {
                        view! { <CampaignTable campaigns=list.campaigns/> }.into_any()
                    }}
                }.into_any(),
                Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn CampaignTable(campaigns: Vec<CampaignSummary>) -> impl IntoView {
    view! {
        <section class="panel table-panel">
            <table class="data-table service-table">
                <thead>
                    <tr>
                        <th scope="col">"Campaign"</th>
                        <th scope="col">"Progress"</th>
                        <th scope="col">"Deadline"</th>
                    </tr>
                </thead>
                <tbody>
                    {campaigns.into_iter().map(|c| {
                        let percent = c.percent();
                        let left = c.time_left();
                        let overdue = !c.ended && c.days_left < 0 && c.met < c.total;
                        view! {
                            <tr>
                                <th scope="row">
                                    <a href=format!("/campaigns/{}", c.id)>{c.name.clone()}</a>
                                    <span class="data-table__sub">{c.goal.clone()}</span>
                                </th>
                                <td data-label="Progress">
                                    <ScoreBar score=Some(percent)/>
                                    <span class="data-table__sub">{format!("{} of {} services", c.met, c.total)}</span>
                                </td>
                                <td data-label="Deadline">
                                    {c.deadline.clone()}
                                    <span class="data-table__sub" class:campaign__overdue=overdue>{left}</span>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
pub fn NewCampaignPage() -> impl IntoView {
    let start = ServerAction::<StartCampaign>::new();
    let choices = Resource::new(|| (), |_| fetch_campaign_choices());
    view! {
        <Title text="Start a campaign"/>
        <div class="page-head">
            <h1>"Start a campaign"</h1>
            <a href="/campaigns" class="button button--secondary">"All campaigns"</a>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || choices.get().map(|answer| match answer {
                Ok(choices) => view! { <CampaignForm choices start/> }.into_any(),
                Err(AppError::Forbidden) => view! {
                    <section class="panel empty-state">
                        <h2>"Only administrators and team leads start campaigns"</h2>
                        <p>"Ask an administrator, or the lead of the team whose services you want to drive."</p>
                    </section>
                }.into_any(),
                Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn CampaignForm(choices: CampaignChoices, start: ServerAction<StartCampaign>) -> impl IntoView {
    let result = start.value();
    let level_options: Vec<(String, String)> =
        Level::ALL.iter().map(|l| (l.as_str().to_string(), format!("{} or higher", l.label()))).collect();
    let mut team_options = vec![(String::new(), "Every team I may cover".to_string())];
    team_options.extend(choices.teams.iter().map(|(id, name)| (id.to_string(), name.clone())));
    let mut tier_options = vec![(String::new(), "Every tier".to_string())];
    tier_options.extend(TIERS.iter().map(|t| (t.to_string(), tier_label(*t).to_string())));
    let items_error = field_error(result, "items");
    let services_error = field_error(result, "services");
    let goal_error = field_error(result, "goal");
    view! {
        <section class="panel form-panel campaign-form">
            <ActionForm action=start attr:novalidate=true>
                <FormAlert message=form_error(result)/>
                <Field label="Name" name="name" id="campaign-name" autocomplete="off" hint="For example “Tier 1 at silver by Q1”." error=field_error(result, "name")/>
                <Field label="Deadline" name="deadline" id="campaign-deadline" kind="date" value=choices.today.clone() hint="The last day of the campaign (UTC)." error=field_error(result, "deadline")/>
                <fieldset class="fieldset">
                    <legend>"Goal"</legend>
                    <label class="check">
                        <input type="radio" name="goal" value="level" checked=true/>
                        " Every service reaches a level"
                    </label>
                    <SelectField label="Level" name="level".to_string() options=level_options selected="silver" error=field_error(result, "level")/>
                    <label class="check">
                        <input type="radio" name="goal" value="items"/>
                        " Every service satisfies chosen items"
                    </label>
                    {move || goal_error.get().map(|m| view! { <p class="field__error">{m}</p> })}
                    <div class="field" class:field--invalid=move || items_error.get().is_some()>
                        <p class="field__hint">"Items that do not apply to a service (another tier, accepted as not applicable) count as satisfied."</p>
                        {choices.items.iter().enumerate().map(|(t, (checklist, items))| {
                            let offset = choices.items[..t].iter().map(|(_, i)| i.len()).sum::<usize>();
                            view! {
                                <details class="campaign-form__items">
                                    <summary>{format!("{checklist} ({} items)", items.len())}</summary>
                                    {items.iter().enumerate().map(|(i, (key, title))| view! {
                                        <label class="check">
                                            <input type="checkbox" name=format!("items[{}]", offset + i) value=key.clone()/>
                                            " " {title.clone()}
                                        </label>
                                    }).collect_view()}
                                </details>
                            }
                        }).collect_view()}
                        {move || items_error.get().map(|m| view! { <p class="field__error">{m}</p> })}
                    </div>
                </fieldset>
                <fieldset class="fieldset">
                    <legend>"Services"</legend>
                    <p class="field__hint">"The services covered are fixed when the campaign starts."</p>
                    <SelectField label="Team" name="team".to_string() options=team_options error=field_error(result, "team")/>
                    <SelectField label="Tier" name="tier".to_string() options=tier_options error=field_error(result, "tier")/>
                    <div class="field" class:field--invalid=move || services_error.get().is_some()>
                        <details class="campaign-form__items">
                            <summary>{format!("Or pick services by hand ({} available)", choices.services.len())}</summary>
                            <p class="field__hint">"Services picked here replace the team and tier above."</p>
                            {choices.services.iter().enumerate().map(|(i, (slug, label))| view! {
                                <label class="check">
                                    <input type="checkbox" name=format!("services[{i}]") value=slug.clone()/>
                                    " " {label.clone()}
                                </label>
                            }).collect_view()}
                        </details>
                        {move || services_error.get().map(|m| view! { <p class="field__error">{m}</p> })}
                    </div>
                </fieldset>
                <SubmitButton label="Start campaign" busy_label="Starting…" pending=start.pending()/>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn CampaignPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or(0));
    let after = Memo::new(move |_| query.read().get("after"));
    let end = ServerAction::<EndCampaign>::new();
    let campaign =
        Resource::new(move || (id.get(), after.get(), end.version().get()), |(id, after, _)| fetch_campaign(id, after));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the campaign…"</p> }>
            {move || campaign.get().map(|answer| match answer {
                Ok(c) => view! { <CampaignView campaign=c end/> }.into_any(),
                Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                Err(e) => view! { <Title text="Campaign"/><p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn CampaignView(campaign: CampaignDetail, end: ServerAction<EndCampaign>) -> impl IntoView {
    let CampaignDetail {
        summary, goal_items, selection, started_by, started_at, burnup, behind, next, can_manage, ..
    } = campaign;
    let behind_count = summary.total - summary.met;
    let overdue = !summary.ended && summary.days_left < 0 && behind_count > 0;
    let end_result = end.value();
    let id = summary.id;
    view! {
        <Title text=summary.name.clone()/>
        <div class="page-head">
            <div>
                <p class="eyebrow"><a href="/campaigns">"Campaigns"</a></p>
                <h1>{summary.name.clone()}</h1>
            </div>
            {can_manage.then(|| view! {
                <ActionForm action=end>
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="button button--secondary">"End campaign"</button>
                </ActionForm>
            })}
        </div>
        <p class="muted campaign__meta">
            {format!("{} · {} · started by {started_by} ", summary.goal, selection)}
            <LocalTime millis=started_at/>
        </p>
        <FormAlert message=form_error(end_result)/>
        <section class="cards org-totals" aria-label="Progress">
            <article class="card">
                <h2>"Meeting the goal"</h2>
                <p class="org-totals__figure">{format!("{} of {}", summary.met, summary.total)}</p>
                <ScoreBar score=Some(summary.percent())/>
            </article>
            <article class="card">
                <h2>"Deadline"</h2>
                <p class="org-totals__figure">{summary.deadline.clone()}</p>
                <p class="muted" class:campaign__overdue=overdue>{summary.time_left()}</p>
            </article>
            <article class="card">
                <h2>"Behind"</h2>
                <p class="org-totals__figure">{behind_count.to_string()}</p>
                <p class="muted">{if behind_count == 0 { "Every service meets the goal." } else { "services still lack something" }}</p>
            </article>
        </section>
        {(!goal_items.is_empty()).then(|| view! {
            <section class="panel">
                <h2>"Items every service must satisfy"</h2>
                <ul>{goal_items.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}</ul>
            </section>
        })}
        <section class="panel history" aria-labelledby="burnup-heading">
            <h2 id="burnup-heading">"Burn-up"</h2>
            <BurnupChart burnup/>
        </section>
        <section class="panel table-panel" aria-labelledby="behind-heading">
            <h2 id="behind-heading" class="table-panel__title">"Services behind"</h2>
            {if behind.is_empty() {
                view! { <p class="table-panel__empty">"None: every covered service meets the goal."</p> }.into_any()
            } else {
                view! {
                    <table class="data-table service-table">
                        <thead>
                            <tr>
                                <th scope="col">"Service"</th>
                                <th scope="col">"Score"</th>
                                <th scope="col">"Level"</th>
                                <th scope="col">"Still lacks"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {behind.into_iter().map(|s| view! {
                                <tr>
                                    <th scope="row">
                                        <a href=format!("/services/{}", s.slug)>{s.name}</a>
                                        <span class="data-table__sub">{s.team_name}</span>
                                    </th>
                                    <td data-label="Score"><ScoreBar score=s.score/></td>
                                    <td data-label="Level"><LevelBadge level=s.level/></td>
                                    <td data-label="Still lacks">
                                        <ul class="campaign__lacks">{s.lacks.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                                    </td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        {next.map(|after| view! {
            <p class="pager"><a class="button button--secondary" href=format!("/campaigns/{id}?after={after}")>"Next page"</a></p>
        })}
    }
}
