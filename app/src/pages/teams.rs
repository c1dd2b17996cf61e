//! Teams: the list (administrators create teams there) and one team's page
//! with its members (administrators and the team's leads manage them).

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::scorecard::fetch_team_scorecard;
use crate::components::score_chart::{history_feed, HistoryFeed, HistoryPanel};
use crate::domain::scorecard::TeamScorecard;
use crate::pages::due_soon::DueTable;
use crate::pages::services::ServiceList;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::teams::{
    fetch_team, fetch_team_candidates, fetch_teams, CreateTeam, RemoveTeamMember, RenameTeam, SetTeamArchived,
    SetTeamMember,
};
use crate::components::field::{field_error, form_error, Field, FormAlert, SelectField, SubmitButton};
use crate::domain::access::TeamRole;
use crate::domain::teams::{TeamDetail, TeamMember, TeamSummary};
use crate::error::AppError;
use crate::pages::not_found::NotFound;

fn team_role_options() -> Vec<(String, String)> {
    [TeamRole::Member, TeamRole::Lead].iter().map(|r| (r.as_str().to_string(), r.label().to_string())).collect()
}

#[component]
pub fn TeamsPage() -> impl IntoView {
    let create = ServerAction::<CreateTeam>::new();
    let result = create.value();
    let teams = Resource::new(move || create.version().get(), |_| fetch_teams());
    view! {
        <Title text="Teams"/>
        <div class="page-head">
            <h1>"Teams"</h1>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading teams…"</p> }>
            {move || {
                teams
                    .get()
                    .map(|answer| match answer {
                        Ok(overview) => {
                            view! {
                                {overview
                                    .can_manage_teams
                                    .then(|| {
                                        view! {
                                            <section class="panel form-panel" aria-labelledby="new-team-heading">
                                                <h2 id="new-team-heading">"New team"</h2>
                                                <ActionForm action=create attr:novalidate=true>
                                                    <FormAlert message=form_error(result)/>
                                                    <Field label="Team name" name="name" autocomplete="off" error=field_error(result, "name")/>
                                                    <SubmitButton label="Create team" busy_label="Creating…" pending=create.pending()/>
                                                </ActionForm>
                                            </section>
                                        }
                                    })}
                                <TeamList teams=overview.teams/>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn TeamList(teams: Vec<TeamSummary>) -> impl IntoView {
    if teams.is_empty() {
        return view! {
            <section class="panel empty-state">
                <h2>"No teams yet"</h2>
                <p>"Teams own services. An administrator creates them here."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <div class="panel table-panel">
            <table class="data-table">
                <caption class="visually-hidden">"Teams"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Team"</th>
                        <th scope="col">"Members"</th>
                        <th scope="col">"Leads"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {teams
                        .into_iter()
                        .map(|t| {
                            view! {
                                <tr>
                                    <th scope="row"><a href=format!("/teams/{}", t.id)>{t.name}</a></th>
                                    <td>{t.members}</td>
                                    <td>{t.leads}</td>
                                    <td>
                                        {if t.archived {
                                            view! { <span class="badge">"Archived"</span> }.into_any()
                                        } else {
                                            view! { <span class="badge badge--ok">"Active"</span> }.into_any()
                                        }}
                                    </td>
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

/// Actions on one team page; members' forms share them so results show once.
#[derive(Clone, Copy)]
struct TeamActions {
    rename: ServerAction<RenameTeam>,
    archive: ServerAction<SetTeamArchived>,
    set_member: ServerAction<SetTeamMember>,
    remove_member: ServerAction<RemoveTeamMember>,
}

#[component]
pub fn TeamPage() -> impl IntoView {
    let params = use_params_map();
    let team_id = Memo::new(move |_| params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or(0));
    let actions = TeamActions {
        rename: ServerAction::new(),
        archive: ServerAction::new(),
        set_member: ServerAction::new(),
        remove_member: ServerAction::new(),
    };
    let versions = move || {
        (
            actions.rename.version().get(),
            actions.archive.version().get(),
            actions.set_member.version().get(),
            actions.remove_member.version().get(),
        )
    };
    let team = Resource::new(move || (team_id.get(), versions()), |(id, _)| fetch_team(id));
    // Created here, outside the Transition (see `HistoryFeed`).
    let card = Resource::new(move || team_id.get(), fetch_team_scorecard);
    let history = history_feed(move || format!("team:{}", team_id.get()));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading team…"</p> }>
            {move || {
                team.get()
                    .map(|answer| match answer {
                        Ok(team) => view! { <TeamView team actions card history/> }.into_any(),
                        Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                        Err(e) => view! { <Title text="Team"/><p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn TeamView(
    team: TeamDetail,
    actions: TeamActions,
    card: Resource<Result<TeamScorecard, AppError>>,
    history: HistoryFeed,
) -> impl IntoView {
    let TeamDetail { id, name, archived, members, can_manage_members, can_manage_team } = team;
    let rename_result = actions.rename.value();
    let archive_result = actions.archive.value();
    let [id_rename, id_archive] = [(); 2].map(|_| id.to_string());
    view! {
        <Title text=name.clone()/>
        <div class="page-head">
            <h1>{name.clone()} {archived.then(|| view! { " " <span class="badge">"Archived"</span> })}</h1>
            <div class="button-row">
                <a href=format!("/teams/{id}/alerts") class="button button--secondary">"Alert channels"</a>
                <a href="/teams" class="button button--secondary">"All teams"</a>
            </div>
        </div>
        <TeamScorecardView team_id=id card/>
        <HistoryPanel feed=history title="Team score history"/>
        <MemberList team_id=id members can_manage=can_manage_members actions/>
        {can_manage_members.then(|| view! { <AddMember team_id=id action=actions.set_member/> })}
        {can_manage_team
            .then(move || {
                view! {
                    <section class="panel form-panel" aria-labelledby="settings-heading">
                        <h2 id="settings-heading">"Team settings"</h2>
                        <ActionForm action=actions.rename attr:novalidate=true>
                            <FormAlert message=form_error(rename_result)/>
                            <input type="hidden" name="team_id" value=id_rename/>
                            <Field label="Team name" name="name" value=name.clone() autocomplete="off" error=field_error(rename_result, "name")/>
                            <SubmitButton label="Rename" busy_label="Saving…" pending=actions.rename.pending()/>
                        </ActionForm>
                        <FormAlert message=form_error(archive_result)/>
                        <ActionForm action=actions.archive attr:class="archive-form">
                            <input type="hidden" name="team_id" value=id_archive/>
                            <input type="hidden" name="archived" value=if archived { "false" } else { "true" }/>
                            <p class="muted">
                                {if archived {
                                    "Restoring makes the team available again."
                                } else {
                                    "Archiving hides the team from choices and freezes its membership; its history stays."
                                }}
                            </p>
                            <button type="submit" class="button button--secondary">
                                {if archived { "Restore team" } else { "Archive team" }}
                            </button>
                        </ActionForm>
                    </section>
                }
            })}
    }
}

#[component]
fn MemberList(team_id: i64, members: Vec<TeamMember>, can_manage: bool, actions: TeamActions) -> impl IntoView {
    let set_result = actions.set_member.value();
    let remove_result = actions.remove_member.value();
    if members.is_empty() {
        return view! {
            <section class="panel empty-state" aria-labelledby="members-heading">
                <h2 id="members-heading">"Members"</h2>
                <p>"Nobody is in this team yet."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="panel table-panel" aria-labelledby="members-heading">
            <h2 id="members-heading">"Members"</h2>
            <FormAlert message=form_error(set_result)/>
            <FormAlert message=form_error(remove_result)/>
            <table class="data-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Team role"</th>
                        {can_manage.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                    </tr>
                </thead>
                <tbody>
                    {members
                        .into_iter()
                        .map(|m| {
                            let other = match m.role {
                                TeamRole::Lead => TeamRole::Member,
                                TeamRole::Member => TeamRole::Lead,
                            };
                            let [team_a, team_b] = [(); 2].map(|_| team_id.to_string());
                            let [user_a, user_b] = [(); 2].map(|_| m.user_id.to_string());
                            let make_label = format!("Make {} {}", m.name, other.label().to_lowercase());
                            let remove_label = format!("Remove {}", m.name);
                            view! {
                                <tr>
                                    <th scope="row">{m.name.clone()} <span class="data-table__sub">{m.email}</span></th>
                                    <td>{m.role.label()}</td>
                                    {can_manage
                                        .then(move || {
                                            view! {
                                                <td class="data-table__actions">
                                                    <ActionForm action=actions.set_member>
                                                        <input type="hidden" name="team_id" value=team_a/>
                                                        <input type="hidden" name="user_id" value=user_a/>
                                                        <input type="hidden" name="role" value=other.as_str()/>
                                                        <button type="submit" class="button button--secondary button--small" aria-label=make_label>
                                                            {format!("Make {}", other.label().to_lowercase())}
                                                        </button>
                                                    </ActionForm>
                                                    <ActionForm action=actions.remove_member>
                                                        <input type="hidden" name="team_id" value=team_b/>
                                                        <input type="hidden" name="user_id" value=user_b/>
                                                        <button type="submit" class="button button--secondary button--small" aria-label=remove_label>
                                                            "Remove"
                                                        </button>
                                                    </ActionForm>
                                                </td>
                                            }
                                        })}
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

#[component]
fn AddMember(team_id: i64, action: ServerAction<SetTeamMember>) -> impl IntoView {
    let result = action.value();
    let candidates = Resource::new(move || action.version().get(), move |_| fetch_team_candidates(team_id));
    view! {
        <section class="panel form-panel" aria-labelledby="add-member-heading">
            <h2 id="add-member-heading">"Add a member"</h2>
            <Suspense fallback=|| ()>
                {move || {
                    candidates
                        .get()
                        .map(|answer| match answer {
                            Ok(people) if people.is_empty() => {
                                view! { <p class="muted">"Everyone with an account is in this team already."</p> }.into_any()
                            }
                            Ok(people) => {
                                let mut options = vec![(String::new(), "Choose a person…".to_string())];
                                options.extend(people.into_iter().map(|p| (p.id.to_string(), format!("{} ({})", p.name, p.email))));
                                view! {
                                    <ActionForm action=action attr:novalidate=true>
                                        <input type="hidden" name="team_id" value=team_id.to_string()/>
                                        <SelectField label="Person" name="user_id".to_string() options error=field_error(result, "user_id")/>
                                        <SelectField label="Team role" name="role".to_string() options=team_role_options() error=field_error(result, "role")/>
                                        <SubmitButton label="Add to team" busy_label="Adding…" pending=action.pending()/>
                                    </ActionForm>
                                }
                                    .into_any()
                            }
                            Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                        })
                }}
            </Suspense>
        </section>
    }
}

/// The team's services (lowest score first, with gates and blocking
/// counts), its totals and what goes stale soon.
#[component]
fn TeamScorecardView(team_id: i64, card: Resource<Result<TeamScorecard, AppError>>) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the team's scorecard…"</p> }>
            {move || card.get().map(|answer| match answer {
                Ok(card) => {
                    let t = card.totals;
                    let summary = format!(
                        "{} of {} services ready · average score {} · {} gold, {} silver, {} bronze",
                        t.ready,
                        t.services,
                        t.average().map(|a| format!("{a}%")).unwrap_or_else(|| "—".into()),
                        t.gold,
                        t.silver,
                        t.bronze,
                    );
                    view! {
                        <section aria-labelledby="team-services-heading">
                            <h2 id="team-services-heading" class="section-title">"Services"</h2>
                            <p class="muted">{summary}</p>
                            <ServiceList services=card.services filtered=false trends=card.trends/>
                            {card.more.then(|| view! {
                                <p class="pager"><a class="button button--secondary" href=format!("/services?team={team_id}&sort=score")>"All the team's services"</a></p>
                            })}
                        </section>
                        {(!card.due.is_empty()).then(|| view! {
                            <section aria-labelledby="team-due-heading">
                                <h2 id="team-due-heading" class="section-title">"Due soon"</h2>
                                <DueTable items=card.due/>
                            </section>
                        })}
                    }
                    .into_any()
                }
                Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}
