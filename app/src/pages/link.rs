//! Pages opened from single-use links: accept an invitation, reset a password.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::links::{fetch_link_owner, LinkOwner, SetPasswordFromLink};
use crate::components::field::{field_error, form_error, Field, FormAlert, SubmitButton};
use crate::domain::links::LinkKind;

fn token() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("token").unwrap_or_default())
}

/// What a dead link shows.
#[component]
fn LinkGone(message: String) -> impl IntoView {
    view! {
        <p class="alert" role="alert">{message}</p>
        <p class="auth-card__links">
            <a href="/login">"Go to sign in"</a>
        </p>
    }
}

#[component]
pub fn InvitePage() -> impl IntoView {
    view! {
        <ChoosePassword
            kind=LinkKind::Invite
            title="Welcome to Preflight"
            lead=|owner| format!("Choose a password for {} ({}).", owner.name, owner.email)
            label="Password"
            submit="Set password and sign in"
        />
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    view! {
        <ChoosePassword
            kind=LinkKind::Reset
            title="Choose a new password"
            lead=|owner| format!("For {}. You will be signed out everywhere else.", owner.email)
            label="New password"
            submit="Change password"
        />
    }
}

/// The page behind a link: whose it is, and a password form; or why the
/// link no longer works.
#[component]
fn ChoosePassword(
    kind: LinkKind,
    title: &'static str,
    lead: fn(&LinkOwner) -> String,
    label: &'static str,
    submit: &'static str,
) -> impl IntoView {
    let token = token();
    let owner = Resource::new(move || token.get(), move |token| fetch_link_owner(kind, token));
    let action = ServerAction::<SetPasswordFromLink>::new();
    let result = action.value();
    view! {
        <Title text=title/>
        <section class="auth-card panel">
            <h1>{title}</h1>
            <Suspense fallback=|| ()>
                {move || {
                    owner
                        .get()
                        .map(|answer| match answer {
                            Ok(owner) => {
                                view! {
                                    <p class="muted">{lead(&owner)}</p>
                                    <ActionForm action=action attr:novalidate=true>
                                        <FormAlert message=form_error(result)/>
                                        <input type="hidden" name="kind" value=kind.as_str()/>
                                        <input type="hidden" name="token" value=token.get()/>
                                        // Lets password managers file the new password under the right account.
                                        <input type="hidden" name="email" autocomplete="username" value=owner.email/>
                                        <Field
                                            label=label
                                            name="password"
                                            kind="password"
                                            autocomplete="new-password"
                                            hint="At least 12 characters; common passwords are refused."
                                            error=field_error(result, "password")
                                        />
                                        {move || {
                                            field_error(result, "link")
                                                .get()
                                                .map(|m| view! { <p class="alert" role="alert">{m}</p> })
                                        }}
                                        <SubmitButton label=submit busy_label="Saving…" pending=action.pending()/>
                                    </ActionForm>
                                }
                                    .into_any()
                            }
                            Err(e) => view! { <LinkGone message=e.to_string()/> }.into_any(),
                        })
                }}
            </Suspense>
        </section>
    }
}
