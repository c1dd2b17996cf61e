use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::auth::Login;
use crate::components::field::{field_error, form_error, Field, FormAlert, SubmitButton};

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let result = action.value();
    let query = use_query_map();
    let reset_done = move || query.read().get("reset").as_deref() == Some("done");
    view! {
        <Title text="Sign in"/>
        <section class="auth-card panel">
            <h1>"Sign in"</h1>
            <p class="muted">"Use the email address your administrator registered."</p>
            {move || {
                reset_done()
                    .then(|| view! { <p class="notice" role="status">"Password changed. Sign in with your new password."</p> })
            }}
            <ActionForm action=action attr:novalidate=true>
                <FormAlert message=form_error(result)/>
                <Field label="Email" name="email" kind="email" autocomplete="username" error=field_error(result, "email")/>
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    error=field_error(result, "password")
                />
                <SubmitButton label="Sign in" busy_label="Signing in…" pending=action.pending()/>
            </ActionForm>
            <p class="auth-card__links">
                <A href="/forgot-password">"Forgot your password?"</A>
            </p>
        </section>
    }
}
