//! Administrators' people pages: everyone at a glance, adding someone, and
//! one person's role, status, sign-in link and sessions.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::teams::fetch_teams;
use crate::api::users::{
    fetch_user, fetch_users, ChangeUserRole, CreateUser, EndUserSessions, IssueUserLink, ResetUserMfa, SetUserEnabled,
};
use crate::components::field::{field_error, form_error, Field, FormAlert, SelectField, SubmitButton};
use crate::components::local_time::LocalTime;
use crate::domain::access::Role;
use crate::domain::people::{IssuedLink, UserRow, UserStatus};
use crate::error::AppError;
use crate::pages::not_found::NotFound;

fn role_options() -> Vec<(String, String)> {
    Role::ALL.iter().map(|r| (r.as_str().to_string(), r.label().to_string())).collect()
}

#[component]
fn StatusBadge(status: UserStatus) -> impl IntoView {
    match status {
        UserStatus::Active => view! { <span class="badge badge--ok">"Active"</span> }.into_any(),
        UserStatus::Invited { .. } => view! { <span class="badge badge--warn">"Invited"</span> }.into_any(),
        UserStatus::Disabled => view! { <span class="badge badge--bad">"Disabled"</span> }.into_any(),
    }
}

/// A single-use link for the admin to pass on.
#[component]
pub fn LinkPanel(link: IssuedLink) -> impl IntoView {
    let IssuedLink { user_name, kind, url, expires_at_ms, mailed } = link;
    view! {
        <div class="notice link-panel" role="status">
            <p>
                <strong>{format!("{} link for {user_name}", capitalise(&kind))}</strong>
                {if mailed { " — sent by mail too." } else { " — send it to them yourself; it is shown only now." }}
            </p>
            <label class="link-panel__label" for="issued-link">"Link"</label>
            <input id="issued-link" class="link-panel__url" type="text" readonly=true value=url/>
            <p class="muted">"Works once; expires " <LocalTime millis=expires_at_ms/> "."</p>
        </div>
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[component]
pub fn PeoplePage() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let users = Resource::new(move || create.version().get(), |_| fetch_users());
    view! {
        <Title text="People"/>
        <div class="page-head">
            <h1>"People"</h1>
        </div>
        <AddPerson create/>
        <Transition fallback=|| view! { <p class="muted">"Loading people…"</p> }>
            {move || {
                users
                    .get()
                    .map(|answer| match answer {
                        Ok(list) => view! { <PeopleTable users=list/> }.into_any(),
                        Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn PeopleTable(users: Vec<UserRow>) -> impl IntoView {
    view! {
        <div class="panel table-panel">
            <table class="data-table">
                <caption class="visually-hidden">"Everyone with an account"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Teams"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Two-step"</th>
                        <th scope="col">"Last active"</th>
                    </tr>
                </thead>
                <tbody>
                    {users
                        .into_iter()
                        .map(|u| {
                            let teams = if u.teams.is_empty() {
                                "—".to_string()
                            } else {
                                u.teams.iter().map(|t| format!("{} ({})", t.team_name, t.role.label())).collect::<Vec<_>>().join(", ")
                            };
                            view! {
                                <tr>
                                    <th scope="row">
                                        <a href=format!("/admin/users/{}", u.id)>{u.name}</a>
                                        <span class="data-table__sub">{u.email}</span>
                                    </th>
                                    <td>{u.role.label()}</td>
                                    <td>{teams}</td>
                                    <td><StatusBadge status=u.status/></td>
                                    <td>{if u.mfa { "On" } else { "Off" }}</td>
                                    <td>
                                        {match u.last_seen_ms {
                                            Some(ms) => view! { <LocalTime millis=ms/> }.into_any(),
                                            None => "Never".into_any(),
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
}

#[component]
fn AddPerson(create: ServerAction<CreateUser>) -> impl IntoView {
    let result = create.value();
    let teams = Resource::new(|| (), |_| fetch_teams());
    // A fresh, empty form after each person added (failed tries keep what was typed).
    let added = RwSignal::new(0usize);
    Effect::new(move |_| {
        if matches!(result.get(), Some(Ok(_))) {
            added.update(|n| *n += 1);
        }
    });
    view! {
        <section class="panel form-panel" aria-labelledby="add-heading">
            <h2 id="add-heading">"Add a person"</h2>
            <p class="muted">"They get a single-use invitation link to choose their own password."</p>
            {move || result.get().and_then(|r| r.ok()).map(|link| view! { <LinkPanel link/> })}
            {move || {
                added.track();
                view! {
            <ActionForm action=create attr:novalidate=true>
                <FormAlert message=form_error(result)/>
                <Field label="Name" name="name" autocomplete="off" error=field_error(result, "name")/>
                <Field label="Email" name="email" kind="email" autocomplete="off" error=field_error(result, "email")/>
                <SelectField
                    label="Role"
                    name="role".to_string()
                    options=role_options()
                    selected="member"
                    hint="Admin: everything. Auditor: reads all, reviews evidence. Team member: works on their teams' services. Viewer: reads only."
                    error=field_error(result, "role")
                />
                <Suspense fallback=|| ()>
                    {move || {
                        teams
                            .get()
                            .and_then(|r| r.ok())
                            .map(|overview| {
                                let active: Vec<_> = overview.teams.into_iter().filter(|t| !t.archived).collect();
                                (!active.is_empty())
                                    .then(|| {
                                        view! {
                                            <fieldset class="fieldset">
                                                <legend>"Teams"</legend>
                                                {active
                                                    .into_iter()
                                                    .enumerate()
                                                    .map(|(i, team)| {
                                                        let options = vec![
                                                            (String::new(), "Not in this team".to_string()),
                                                            (format!("{}:member", team.id), "Member".to_string()),
                                                            (format!("{}:lead", team.id), "Lead".to_string()),
                                                        ];
                                                        view! {
                                                            <SelectField label=team.name name=format!("teams[{i}]") options error=Signal::derive(|| None::<String>)/>
                                                        }
                                                    })
                                                    .collect_view()}
                                                {move || field_error(result, "teams").get().map(|m| view! { <p class="field__error">{m}</p> })}
                                            </fieldset>
                                        }
                                    })
                            })
                    }}
                </Suspense>
                <SubmitButton label="Add and create invitation" busy_label="Adding…" pending=create.pending()/>
            </ActionForm>
                }
            }}
        </section>
    }
}

#[component]
pub fn PersonPage() -> impl IntoView {
    let params = use_params_map();
    let user_id = Memo::new(move |_| params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or(0));
    let role = ServerAction::<ChangeUserRole>::new();
    let enabled = ServerAction::<SetUserEnabled>::new();
    let sessions = ServerAction::<EndUserSessions>::new();
    let link = ServerAction::<IssueUserLink>::new();
    let mfa_reset = ServerAction::<ResetUserMfa>::new();
    let user = Resource::new(
        move || {
            (
                user_id.get(),
                role.version().get(),
                enabled.version().get(),
                link.version().get(),
                mfa_reset.version().get(),
            )
        },
        |(id, ..)| fetch_user(id),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                user.get()
                    .map(|answer| match answer {
                        Ok(u) => view! { <PersonDetail user=u role enabled sessions link mfa_reset/> }.into_any(),
                        Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                        Err(e) => view! { <Title text="Person"/><p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn PersonDetail(
    user: UserRow,
    role: ServerAction<ChangeUserRole>,
    enabled: ServerAction<SetUserEnabled>,
    sessions: ServerAction<EndUserSessions>,
    link: ServerAction<IssueUserLink>,
    mfa_reset: ServerAction<ResetUserMfa>,
) -> impl IntoView {
    let (role_result, enabled_result, sessions_result, link_result, mfa_result) =
        (role.value(), enabled.value(), sessions.value(), link.value(), mfa_reset.value());
    // One copy per form: each form's children own theirs.
    let [id_role, id_link, id_sessions, id_enabled, id_mfa] = [(); 5].map(|_| user.id.to_string());
    let has_mfa = user.mfa;
    let disabled = user.status == UserStatus::Disabled;
    let invited = matches!(user.status, UserStatus::Invited { .. });
    view! {
        <Title text=user.name.clone()/>
        <div class="page-head">
            <h1>{user.name.clone()}</h1>
            <a href="/admin/users" class="button button--secondary">"All people"</a>
        </div>
        <section class="panel">
            <dl class="facts">
                <div><dt>"Email"</dt><dd>{user.email.clone()}</dd></div>
                <div><dt>"Role"</dt><dd>{user.role.label()}</dd></div>
                <div><dt>"Status"</dt><dd><StatusBadge status=user.status.clone()/></dd></div>
                <div><dt>"Two-step sign-in"</dt><dd>{if user.mfa { "On" } else { "Off" }}</dd></div>
                <div>
                    <dt>"Teams"</dt>
                    <dd>
                        {if user.teams.is_empty() {
                            "None".into_any()
                        } else {
                            user.teams
                                .iter()
                                .map(|t| view! { <a href=format!("/teams/{}", t.team_id)>{format!("{} ({})", t.team_name, t.role.label())}</a>" " })
                                .collect_view()
                                .into_any()
                        }}
                    </dd>
                </div>
            </dl>
        </section>
        <section class="panel form-panel" aria-labelledby="role-heading">
            <h2 id="role-heading">"Role"</h2>
            <ActionForm action=role attr:novalidate=true>
                <FormAlert message=form_error(role_result)/>
                {move || field_error(role_result, "user").get().map(|m| view! { <p class="alert" role="alert">{m}</p> })}
                {move || matches!(role_result.get(), Some(Ok(()))).then(|| view! { <p class="notice" role="status">"Role changed."</p> })}
                <input type="hidden" name="user_id" value=id_role/>
                <SelectField label="Role" name="role".to_string() options=role_options() selected=user.role.as_str() error=field_error(role_result, "role")/>
                <SubmitButton label="Change role" busy_label="Saving…" pending=role.pending()/>
            </ActionForm>
        </section>
        <section class="panel form-panel" aria-labelledby="access-heading">
            <h2 id="access-heading">"Sign-in"</h2>
            {move || link_result.get().and_then(|r| r.ok()).map(|link| view! { <LinkPanel link/> })}
            {move || {
                link_result.get().and_then(|r| r.err()).map(|e| view! { <p class="alert" role="alert">{e.to_string()}</p> })
            }}
            {move || {
                sessions_result
                    .get()
                    .map(|r| match r {
                        Ok(n) => view! { <p class="notice" role="status">{format!("Signed out of {n} sessions.")}</p> }.into_any(),
                        Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                    })
            }}
            {move || {
                enabled_result.get().and_then(|r| r.err()).map(|e| view! { <p class="alert" role="alert">{e.to_string()}</p> })
            }}
            {move || {
                mfa_result
                    .get()
                    .map(|r| match r {
                        Ok(()) => view! {
                            <p class="notice" role="status">
                                "Two-step sign-in was reset and the person was signed out everywhere. They can set it up again after signing in."
                            </p>
                        }
                            .into_any(),
                        Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                    })
            }}
            <div class="button-row">
                {(!disabled)
                    .then(move || {
                        view! {
                            <ActionForm action=link>
                                <input type="hidden" name="user_id" value=id_link/>
                                <button type="submit" class="button button--secondary">
                                    {if invited { "Create new invitation link" } else { "Create password reset link" }}
                                </button>
                            </ActionForm>
                            <ActionForm action=sessions>
                                <input type="hidden" name="user_id" value=id_sessions/>
                                <button type="submit" class="button button--secondary">"Sign out everywhere"</button>
                            </ActionForm>
                        }
                    })}
                {has_mfa
                    .then(move || {
                        view! {
                            <ActionForm action=mfa_reset>
                                <input type="hidden" name="user_id" value=id_mfa/>
                                <button type="submit" class="button button--secondary">"Reset two-step sign-in"</button>
                            </ActionForm>
                        }
                    })}
                <ActionForm action=enabled>
                    <input type="hidden" name="user_id" value=id_enabled/>
                    <input type="hidden" name="enabled" value=if disabled { "true" } else { "false" }/>
                    {if disabled {
                        view! { <button type="submit" class="button">"Enable account"</button> }.into_any()
                    } else {
                        view! { <button type="submit" class="button button--danger">"Disable account"</button> }.into_any()
                    }}
                </ActionForm>
            </div>
            <p class="muted">
                "Disabling signs the person out at once and keeps everything they did. Resetting two-step sign-in "
                "helps someone who lost both their phone and their recovery codes."
            </p>
        </section>
    }
}
