use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::{fetch_needs_setup, SetupAdmin};
use crate::components::field::{field_error, form_error, Field, FormAlert, SubmitButton};
use crate::pages::not_found::NotFound;

/// First run: creates the first administrator. Gone (404) once anyone exists.
#[component]
pub fn SetupPage() -> impl IntoView {
    let needs_setup = Resource::new(|| (), |_| fetch_needs_setup());
    view! {
        <Suspense fallback=|| ()>
            {move || {
                needs_setup
                    .get()
                    .map(|answer| match answer {
                        Ok(true) => view! { <SetupForm/> }.into_any(),
                        Ok(false) => view! { <NotFound/> }.into_any(),
                        Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

#[component]
fn SetupForm() -> impl IntoView {
    let action = ServerAction::<SetupAdmin>::new();
    let result = action.value();
    view! {
        <Title text="Set up Preflight"/>
        <section class="auth-card panel">
            <h1>"Welcome to Preflight"</h1>
            <p class="muted">"Create the first administrator account. You can invite everyone else afterwards."</p>
            <ActionForm action=action attr:novalidate=true>
                <FormAlert message=form_error(result)/>
                <Field label="Your name" name="name" autocomplete="name" error=field_error(result, "name")/>
                <Field label="Email" name="email" kind="email" autocomplete="username" error=field_error(result, "email")/>
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    hint="At least 12 characters; common passwords are refused."
                    error=field_error(result, "password")
                />
                <SubmitButton label="Create administrator" busy_label="Creating account…" pending=action.pending()/>
            </ActionForm>
        </section>
    }
}
