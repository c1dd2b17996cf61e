use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::{fetch_pending_sign_in, VerifySignIn};
use crate::components::field::{field_error, form_error, Field, FormAlert, SubmitButton};

/// Second sign-in step, after a correct password: the code from the
/// authenticator app, or a recovery code.
#[component]
pub fn VerifyPage() -> impl IntoView {
    let pending = Resource::new(|| (), |_| fetch_pending_sign_in());
    let action = ServerAction::<VerifySignIn>::new();
    let result = action.value();
    view! {
        <Title text="Two-step sign-in"/>
        <section class="auth-card panel">
            <h1>"Two-step sign-in"</h1>
            <Suspense fallback=|| ()>
                {move || {
                    pending
                        .get()
                        .map(|answer| match answer {
                            Ok(Some(name)) => {
                                view! {
                                    <p class="muted">
                                        {format!("Hello {name}. ")}
                                        "Enter the 6-digit code from your authenticator app, or one of your recovery codes."
                                    </p>
                                    <ActionForm action=action attr:novalidate=true>
                                        <FormAlert message=form_error(result)/>
                                        <Field
                                            label="Code"
                                            name="code"
                                            autocomplete="one-time-code"
                                            inputmode="numeric"
                                            error=field_error(result, "code")
                                        />
                                        <SubmitButton label="Verify" busy_label="Checking…" pending=action.pending()/>
                                    </ActionForm>
                                }
                                    .into_any()
                            }
                            _ => {
                                view! {
                                    <p>"This step has expired or was not started."</p>
                                    <p>
                                        <a href="/login">"Sign in again"</a>
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </section>
    }
}
