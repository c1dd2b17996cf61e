use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::admin_settings::{fetch_security_settings, SetRequireAdminMfa, SetViewerEvidenceDownloads};
use crate::components::field::{form_error, FormAlert};

/// Instance settings for administrators.
#[component]
pub fn AdminSettingsPage() -> impl IntoView {
    let set = ServerAction::<SetRequireAdminMfa>::new();
    let result = set.value();
    let downloads = ServerAction::<SetViewerEvidenceDownloads>::new();
    let downloads_result = downloads.value();
    let settings =
        Resource::new(move || (set.version().get(), downloads.version().get()), |_| fetch_security_settings());
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
