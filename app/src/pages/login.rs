use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::Login;
use crate::components::field::{field_error, form_error, Field, FormAlert, SubmitButton};

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let result = action.value();
    view! {
        <Title text="Sign in"/>
        <section class="auth-card panel">
            <h1>"Sign in"</h1>
            <p class="muted">"Use the email address your administrator registered."</p>
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
        </section>
    }
}
