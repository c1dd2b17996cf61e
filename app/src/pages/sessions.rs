use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::sessions::{fetch_my_sessions, EndMyOtherSessions, EndMySession};
use crate::components::local_time::LocalTime;
use crate::domain::device::describe;
use crate::domain::sessions::SessionSummary;

/// Where the signed-in user sees every device they are signed in on, and
/// ends any of them.
#[component]
pub fn SessionsPage() -> impl IntoView {
    let end_one = ServerAction::<EndMySession>::new();
    let end_others = ServerAction::<EndMyOtherSessions>::new();
    let sessions =
        Resource::new(move || (end_one.version().get(), end_others.version().get()), |_| fetch_my_sessions());
    view! {
        <Title text="Your sessions"/>
        <div class="page-head">
            <h1>"Your sessions"</h1>
            <ActionForm action=end_others>
                <button type="submit" class="button button--secondary">"Sign out everywhere else"</button>
            </ActionForm>
        </div>
        <p class="muted">"The devices where you are signed in. End any session you do not recognise."</p>
        <Transition fallback=|| view! { <p class="muted">"Loading sessions…"</p> }>
            {move || {
                sessions
                    .get()
                    .map(|result| match result {
                        Ok(list) => {
                            view! {
                                <ul class="session-list panel" aria-label="Sessions">
                                    {list
                                        .into_iter()
                                        .map(|s| view! { <SessionRow session=s end=end_one/> })
                                        .collect_view()}
                                </ul>
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
fn SessionRow(session: SessionSummary, end: ServerAction<EndMySession>) -> impl IntoView {
    let SessionSummary { id, device, started_at_ms, last_seen_at_ms, current } = session;
    view! {
        <li class="session-list__item">
            <div>
                <p class="session-list__device" title=device.clone()>
                    {describe(&device)}
                    {current.then(|| view! { <span class="badge">"This device"</span> })}
                </p>
                <p class="muted session-list__times">
                    "Signed in " <LocalTime millis=started_at_ms/> " · last active "
                    <LocalTime millis=last_seen_at_ms/>
                </p>
            </div>
            {(!current)
                .then(|| {
                    view! {
                        <ActionForm action=end>
                            <input type="hidden" name="id" value=id/>
                            <button type="submit" class="button button--secondary">"End"</button>
                        </ActionForm>
                    }
                })}
        </li>
    }
}
