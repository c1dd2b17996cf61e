use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::admin_settings::{
    fetch_security_settings, SetOutboundAllow, SetRequireAdminMfa, SetViewerEvidenceDownloads,
};
use crate::components::field::{field_error, form_error, FormAlert, SubmitButton, TextArea};

/// Instance settings for administrators.
#[component]
pub fn AdminSettingsPage() -> impl IntoView {
    let set = ServerAction::<SetRequireAdminMfa>::new();
    let result = set.value();
    let downloads = ServerAction::<SetViewerEvidenceDownloads>::new();
    let downloads_result = downloads.value();
    let allow = ServerAction::<SetOutboundAllow>::new();
    let allow_result = allow.value();
    let settings = Resource::new(
        move || (set.version().get(), downloads.version().get(), allow.version().get()),
        |_| fetch_security_settings(),
    );
    view! {
        <Title text="Settings"/>
        <div class="page-head">
            <h1>"Settings"</h1>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                settings
                    .get()
                    .map(|answer| match answer {
                        Ok(s) => {
                            view! {
                                <section class="panel form-panel" aria-labelledby="mfa-setting-heading">
                                    <h2 id="mfa-setting-heading">"Two-step sign-in for administrators"</h2>
                                    <p>
                                        {if s.require_admin_mfa {
                                            "Required. Administrators without it are sent to set it up after signing in, and can do nothing else until they have."
                                        } else {
                                            "Not required. Administrators choose for themselves."
                                        }}
                                    </p>
                                    <ActionForm action=set>
                                        <FormAlert message=form_error(result)/>
                                        <input type="hidden" name="required" value=(!s.require_admin_mfa).to_string()/>
                                        <button type="submit" class="button">
                                            {if s.require_admin_mfa { "Stop requiring it" } else { "Require it" }}
                                        </button>
                                    </ActionForm>
                                </section>
                                <section class="panel form-panel" aria-labelledby="downloads-heading">
                                    <h2 id="downloads-heading">"Evidence files for viewers"</h2>
                                    <p>
                                        {if s.viewers_may_download_evidence {
                                            "Viewers may download evidence files."
                                        } else {
                                            "Viewers see that evidence exists and its review status, but cannot download the files."
                                        }}
                                    </p>
                                    <ActionForm action=downloads>
                                        <FormAlert message=form_error(downloads_result)/>
                                        <input type="hidden" name="allowed" value=(!s.viewers_may_download_evidence).to_string()/>
                                        <button type="submit" class="button button--secondary">
                                            {if s.viewers_may_download_evidence { "Stop allowing downloads" } else { "Allow downloads" }}
                                        </button>
                                    </ActionForm>
                                </section>
                                <section class="panel form-panel" aria-labelledby="outbound-heading">
                                    <h2 id="outbound-heading">"Private addresses probes may reach"</h2>
                                    <p>
                                        "Probes and alert webhooks reach public addresses only. List here the private ranges, "
                                        "addresses or host:port pairs they may reach too. Link-local and cloud metadata "
                                        "addresses stay refused whatever is listed."
                                    </p>
                                    <ActionForm action=allow attr:novalidate=true>
                                        <FormAlert message=form_error(allow_result)/>
                                        {move || matches!(allow_result.get(), Some(Ok(()))).then(|| view! { <p class="notice" role="status">"Saved. Probes use the new list from their next check."</p> })}
                                        <TextArea
                                            label="Allowed private addresses"
                                            name="allow"
                                            id="outbound-allow"
                                            value=s.outbound_allow.clone()
                                            rows=5
                                            hint="One a line: 10.20.0.0/16, 192.168.1.10, intranet.example:8080 or [fd12::1]:443. # starts a comment."
                                            error=field_error(allow_result, "allow")
                                        />
                                        <SubmitButton label="Save allowed addresses" busy_label="Saving…" pending=allow.pending()/>
                                    </ActionForm>
                                </section>
                                <section class="panel form-panel" aria-labelledby="mail-heading">
                                    <h2 id="mail-heading">"Mail"</h2>
                                    <p>
                                        {if s.mail_configured {
                                            "A mail server is configured: people can reset their own password, and invitations are mailed."
                                        } else {
                                            "No mail server is configured (PREFLIGHT_SMTP_URL). Create invitation and reset links on each person's page and pass them on."
                                        }}
                                    </p>
                                </section>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                    })
            }}
        </Transition>
    }
}
