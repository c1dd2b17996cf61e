use leptos::prelude::*;
use leptos_meta::Title;

/// Shown when a page fails to render. Says what to do, never why: the
/// cause is in the server log.
#[component]
pub fn ErrorPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::INTERNAL_SERVER_ERROR);
    }
    view! {
        <Title text="Something went wrong"/>
        <section class="message-page" role="alert">
            <p class="message-page__code" aria-hidden="true">"500"</p>
            <h1>"Something went wrong on our side"</h1>
            <p>"Nothing you entered was lost. Please try again in a moment; if it keeps happening, tell your administrator."</p>
            <a class="button" href="/">"Back to the overview"</a>
        </section>
    }
}
