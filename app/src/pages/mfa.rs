use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::mfa::{
    fetch_mfa_status, BeginMfaEnrolment, ConfirmMfaEnrolment, DisableMfa, MfaEnrolment, RegenerateRecoveryCodes,
};
use crate::components::field::{field_error, form_error, Field, FormAlert, SubmitButton};

/// Two-step sign-in for the signed-in user: set up with an authenticator
/// app, recovery codes, turn off.
#[component]
pub fn MfaPage() -> impl IntoView {
    let confirm = ServerAction::<ConfirmMfaEnrolment>::new();
    let regenerate = ServerAction::<RegenerateRecoveryCodes>::new();
    let disable = ServerAction::<DisableMfa>::new();
    // Here, not in the enrolment form, so the key survives the status
    // refreshing after a wrong code.
    let begin = ServerAction::<BeginMfaEnrolment>::new();
    let status = Resource::new(
        move || (confirm.version().get(), regenerate.version().get(), disable.version().get()),
        |_| fetch_mfa_status(),
    );
    // Recovery codes are shown once, right after they are made.
    let new_codes = Signal::derive(move || {
        let from = |r: Option<Result<Vec<String>, _>>| r.and_then(|r| r.ok());
        from(confirm.value().get()).or_else(|| from(regenerate.value().get()))
    });
    view! {
        <Title text="Two-step sign-in"/>
        <div class="page-head">
            <h1>"Two-step sign-in"</h1>
            <A href="/account" attr:class="button button--secondary">"Your account"</A>
        </div>
        {move || new_codes.get().map(|codes| view! { <RecoveryCodes codes=codes/> })}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                status
                    .get()
                    .map(|answer| match answer {
                        Ok(status) if status.enrolled => {
                            view! {
                                <Enrolled recovery_codes_left=status.recovery_codes_left required=status.required regenerate disable/>
                            }
                                .into_any()
                        }
                        Ok(status) => view! { <Enrol required=status.required begin confirm/> }.into_any(),
                        Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    view! {
        <section class="panel form-panel" aria-labelledby="codes-heading">
            <h2 id="codes-heading">"Your recovery codes"</h2>
            <p class="notice" role="status">
                "Save these codes somewhere safe now; they are not shown again. Each one signs you in once "
                "if you lose your phone."
            </p>
            <ul class="recovery-codes" aria-label="Recovery codes">
                {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
            </ul>
            <A href="/" attr:class="button">"I have saved them"</A>
        </section>
    }
}

#[component]
fn Enrol(
    required: bool,
    begin: ServerAction<BeginMfaEnrolment>,
    confirm: ServerAction<ConfirmMfaEnrolment>,
) -> impl IntoView {
    let begun = begin.value();
    let confirmed = confirm.value();
    view! {
        {required
            .then(|| {
                view! {
                    <p class="alert" role="alert">
                        "Administrators of this Preflight must use two-step sign-in. Set it up to continue."
                    </p>
                }
            })}
        <section class="panel form-panel" aria-labelledby="enrol-heading">
            <h2 id="enrol-heading">"Set up an authenticator app"</h2>
            <p class="muted">
                "After your password, Preflight will ask for a 6-digit code from an app such as "
                "Google Authenticator, 1Password or Aegis."
            </p>
            {move || match begun.get() {
                Some(Ok(enrolment)) => view! { <ScanAndConfirm enrolment confirm/> }.into_any(),
                other => {
                    view! {
                        {other
                            .and_then(|r| r.err())
                            .filter(|e| e.field_message("password").is_none())
                            .map(|e| view! { <p class="alert" role="alert">{e.to_string()}</p> })}
                        <ActionForm action=begin attr:novalidate=true>
                            <Field
                                label="Current password"
                                name="password"
                                kind="password"
                                autocomplete="current-password"
                                hint="Confirms it is you before a new phone is added to your account."
                                error=field_error(begun, "password")
                            />
                            <SubmitButton label="Set up two-step sign-in" busy_label="Preparing…" pending=begin.pending()/>
                        </ActionForm>
                    }
                        .into_any()
                }
            }}
            {move || form_error(confirmed).get().map(|m| view! { <p class="alert" role="alert">{m}</p> })}
        </section>
    }
}

#[component]
fn ScanAndConfirm(enrolment: MfaEnrolment, confirm: ServerAction<ConfirmMfaEnrolment>) -> impl IntoView {
    let result = confirm.value();
    // Group the key in fours so it can be read out and typed.
    let grouped = enrolment
        .secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    view! {
        <ol class="steps">
            <li>
                <p>"Scan this QR code with the app:"</p>
                <div class="qr" role="img" aria-label="QR code for your authenticator app" inner_html=enrolment.qr_svg></div>
                <p class="muted">
                    "Cannot scan it? Enter this key instead: " <code class="secret" data-secret=enrolment.secret.clone()>{grouped}</code>
                </p>
            </li>
            <li>
                <ActionForm action=confirm attr:novalidate=true>
                    <Field
                        label="Code from the app"
                        name="code"
                        autocomplete="one-time-code"
                        inputmode="numeric"
                        error=field_error(result, "code")
                    />
                    <SubmitButton label="Turn on" busy_label="Checking…" pending=confirm.pending()/>
                </ActionForm>
            </li>
        </ol>
    }
}

#[component]
fn Enrolled(
    recovery_codes_left: i64,
    required: bool,
    regenerate: ServerAction<RegenerateRecoveryCodes>,
    disable: ServerAction<DisableMfa>,
) -> impl IntoView {
    let regenerated = regenerate.value();
    let disabled = disable.value();
    view! {
        <section class="panel form-panel" aria-labelledby="on-heading">
            <h2 id="on-heading">"Two-step sign-in is on"</h2>
            <p>{format!("You have {recovery_codes_left} unused recovery codes.")}</p>
        </section>
        <section class="panel form-panel" aria-labelledby="regenerate-heading">
            <h2 id="regenerate-heading">"New recovery codes"</h2>
            <p class="muted">"Makes ten new codes; the old ones stop working."</p>
            <ActionForm action=regenerate attr:novalidate=true>
                <FormAlert message=form_error(regenerated)/>
                <Field
                    label="Current password"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    error=field_error(regenerated, "password")
                />
                <SubmitButton label="Make new codes" busy_label="Making codes…" pending=regenerate.pending()/>
            </ActionForm>
        </section>
        {(!required)
            .then(|| {
                view! {
                    <section class="panel form-panel" aria-labelledby="off-heading">
                        <h2 id="off-heading">"Turn off two-step sign-in"</h2>
                        <ActionForm action=disable attr:novalidate=true>
                            <FormAlert message=form_error(disabled)/>
                            <Field
                                label="Current password"
                                name="password"
                                kind="password"
                                autocomplete="current-password"
                                error=field_error(disabled, "password")
                            />
                            <button type="submit" class="button button--danger">"Turn off"</button>
                        </ActionForm>
                    </section>
                }
            })}
    }
}
