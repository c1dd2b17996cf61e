use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::links::RequestPasswordReset;
use crate::components::field::{field_error, form_error, Field, FormAlert, SubmitButton};

/// "Forgot password": asks for an email and always gives the same answer.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let result = action.value();
    let sent = move || result.get().and_then(|r| r.ok());
    view! {
        <Title text="Reset your password"/>
        <section class="auth-card panel">
            <h1>"Reset your password"</h1>
            <p class="muted">
                "Enter the email address of your account. If mail is not set up on this Preflight, "
                "ask an administrator for a reset link instead."
            </p>
            <ActionForm action=action attr:novalidate=true>
                <FormAlert message=form_error(result)/>
                {move || sent().map(|message| view! { <p class="notice" role="status">{message}</p> })}
                <Field label="Email" name="email" kind="email" autocomplete="username" error=field_error(result, "email")/>
                <SubmitButton label="Send reset link" busy_label="Sending…" pending=action.pending()/>
            </ActionForm>
            <p class="auth-card__links">
                <A href="/login">"Back to sign in"</A>
            </p>
        </section>
    }
}
