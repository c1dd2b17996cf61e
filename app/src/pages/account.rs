use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::account::{fetch_mail_preferences, ChangePassword, SaveMailPreferences, UpdateProfile};
use crate::api::auth::fetch_me;
use crate::api::mfa::fetch_mfa_status;
use crate::components::field::{field_error, form_error, Field, FormAlert, SubmitButton};

/// The signed-in user's account: name and email, password, two-step
/// sign-in, and a way to their sessions.
#[component]
pub fn AccountPage() -> impl IntoView {
    let profile = ServerAction::<UpdateProfile>::new();
    let profile_result = profile.value();
    let me = Resource::new(move || profile.version().get(), |_| fetch_me());
    let mfa = Resource::new(|| (), |_| fetch_mfa_status());
    let change = ServerAction::<ChangePassword>::new();
    let result = change.value();
    let changed = move || matches!(result.get(), Some(Ok(())));
    view! {
        <Title text="Your account"/>
        <div class="page-head">
            <h1>"Your account"</h1>
            <A href="/account/sessions" attr:class="button button--secondary">"Your sessions"</A>
        </div>
        <section class="panel form-panel" aria-labelledby="profile-heading">
            <h2 id="profile-heading">"Name and email"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    me.get()
                        .map(|answer| match answer {
                            Ok(Some(me)) => {
                                view! {
                                    <ActionForm action=profile attr:novalidate=true>
                                        <FormAlert message=form_error(profile_result)/>
                                        {move || {
                                            matches!(profile_result.get(), Some(Ok(())))
                                                .then(|| view! { <p class="notice" role="status">"Saved."</p> })
                                        }}
                                        <Field label="Name" name="name" autocomplete="name" value=me.name.clone() error=field_error(profile_result, "name")/>
                                        <Field label="Email" name="email" kind="email" autocomplete="email" value=me.email.clone() error=field_error(profile_result, "email")/>
                                        <Field
                                            label="Current password"
                                            name="current_password"
                                            id="profile-current-password"
                                            kind="password"
                                            autocomplete="current-password"
                                            hint="Needed only when you change your email."
                                            error=field_error(profile_result, "current_password")
                                        />
                                        <SubmitButton label="Save name and email" busy_label="Saving…" pending=profile.pending()/>
                                    </ActionForm>
                                }
                                    .into_any()
                            }
                            Ok(None) => ().into_any(),
                            Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                        })
                }}
            </Transition>
        </section>
        <section class="panel form-panel" aria-labelledby="mfa-heading">
            <h2 id="mfa-heading">"Two-step sign-in"</h2>
            <Suspense fallback=|| ()>
                {move || {
                    mfa.get()
                        .map(|answer| match answer {
                            Ok(status) if status.enrolled => {
                                view! {
                                    <p>
                                        <span class="badge badge--ok">"On"</span>
                                        {format!(" Authenticator app; {} recovery codes left.", status.recovery_codes_left)}
                                    </p>
                                }
                                    .into_any()
                            }
                            Ok(_) => {
                                view! {
                                    <p>
                                        <span class="badge">"Off"</span>
                                        " Protect your account with a code from an authenticator app."
                                    </p>
                                }
                                    .into_any()
                            }
                            Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                        })
                }}
            </Suspense>
            <A href="/account/mfa" attr:class="button button--secondary">"Manage two-step sign-in"</A>
        </section>
        <MailSettings/>
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

/// Which notification mails the person gets, one switch per kind.
#[component]
fn MailSettings() -> impl IntoView {
    let save = ServerAction::<SaveMailPreferences>::new();
    let result = save.value();
    let preferences = Resource::new(move || save.version().get(), |_| fetch_mail_preferences());
    view! {
        <section class="panel form-panel" aria-labelledby="mail-heading">
            <h2 id="mail-heading">"Email notifications"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || preferences.get().map(|answer| match answer {
                    Ok(p) => view! {
                        {(!p.mail_configured).then(|| view! {
                            <p class="notice notice--warn">"This server sends no mail yet (SMTP is not configured). Your choices apply once an administrator sets it up."</p>
                        })}
                        <ActionForm action=save attr:novalidate=true>
                            <FormAlert message=form_error(result)/>
                            {move || matches!(result.get(), Some(Ok(()))).then(|| view! { <p class="notice" role="status">"Saved."</p> })}
                            <fieldset class="fieldset">
                                <legend>"Send me an email when…"</legend>
                                {p.kinds.iter().enumerate().map(|(i, (kind, on))| view! {
                                    <label class="check check--hinted">
                                        <input type="checkbox" name=format!("on[{i}]") value=kind.as_str() checked=*on/>
                                        <span>
                                            {kind.label()}
                                            <span class="field__hint">{kind.hint()}</span>
                                        </span>
                                    </label>
                                }).collect_view()}
                            </fieldset>
                            <SubmitButton label="Save email settings" busy_label="Saving…" pending=save.pending()/>
                        </ActionForm>
                    }.into_any(),
                    Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}
