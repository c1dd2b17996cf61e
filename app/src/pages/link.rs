//! Pages opened from single-use links: accept an invitation, reset a password.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::links::{fetch_invite, fetch_reset, AcceptInvite, ResetPassword};
use crate::components::field::{field_error, form_error, Field, FormAlert, SubmitButton};

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
            <A href="/login">"Go to sign in"</A>
        </p>
    }
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let token = token();
    let owner = Resource::new(move || token.get(), fetch_invite);
    let action = ServerAction::<AcceptInvite>::new();
    let result = action.value();
    view! {
        <Title text="Welcome to Preflight"/>
        <section class="auth-card panel">
            <h1>"Welcome to Preflight"</h1>
            <Suspense fallback=|| ()>
                {move || {
                    owner
                        .get()
                        .map(|answer| match answer {
                            Ok(owner) => {
                                view! {
                                    <p class="muted">
                                        {format!("Choose a password for {} ({}).", owner.name, owner.email)}
                                    </p>
                                    <ActionForm action=action attr:novalidate=true>
                                        <FormAlert message=form_error(result)/>
                                        <input type="hidden" name="token" value=token.get()/>
                                        <input type="hidden" name="email" autocomplete="username" value=owner.email/>
                                        <Field
                                            label="Password"
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
                                        <SubmitButton label="Set password and sign in" busy_label="Saving…" pending=action.pending()/>
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

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = token();
    let owner = Resource::new(move || token.get(), fetch_reset);
    let action = ServerAction::<ResetPassword>::new();
    let result = action.value();
    view! {
        <Title text="Choose a new password"/>
        <section class="auth-card panel">
            <h1>"Choose a new password"</h1>
            <Suspense fallback=|| ()>
                {move || {
                    owner
                        .get()
                        .map(|answer| match answer {
                            Ok(owner) => {
                                view! {
                                    <p class="muted">
                                        {format!("For {}. You will be signed out everywhere else.", owner.email)}
                                    </p>
                                    <ActionForm action=action attr:novalidate=true>
                                        <FormAlert message=form_error(result)/>
                                        <input type="hidden" name="token" value=token.get()/>
                                        <input type="hidden" name="email" autocomplete="username" value=owner.email/>
                                        <Field
                                            label="New password"
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
                                        <SubmitButton label="Change password" busy_label="Saving…" pending=action.pending()/>
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
