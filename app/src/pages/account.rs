use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::account::ChangePassword;
use crate::components::field::{field_error, form_error, Field, FormAlert, SubmitButton};

/// The signed-in user's account: password, and a way to their sessions.
#[component]
pub fn AccountPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let result = change.value();
    let changed = move || matches!(result.get(), Some(Ok(())));
    view! {
        <Title text="Your account"/>
        <div class="page-head">
            <h1>"Your account"</h1>
            <A href="/account/sessions" attr:class="button button--secondary">"Your sessions"</A>
        </div>
        <section class="panel form-panel" aria-labelledby="password-heading">
            <h2 id="password-heading">"Change password"</h2>
            <p class="muted">"Changing your password signs you out on every other device."</p>
            <ActionForm action=change attr:novalidate=true>
                <FormAlert message=form_error(result)/>
                {move || changed().then(|| view! { <p class="notice" role="status">"Password changed. Other sessions were signed out."</p> })}
                <Field
                    label="Current password"
                    name="current_password"
                    kind="password"
                    autocomplete="current-password"
                    error=field_error(result, "current_password")
                />
                <Field
                    label="New password"
                    name="new_password"
                    kind="password"
                    autocomplete="new-password"
                    hint="At least 12 characters; common passwords are refused."
                    error=field_error(result, "new_password")
                />
                <SubmitButton label="Change password" busy_label="Changing…" pending=change.pending()/>
            </ActionForm>
        </section>
    }
}
