use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// Shown for any path no route matches. Answers HTTP 404 on the server.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found"/>
        <section class="message-page">
            <p class="message-page__code" aria-hidden="true">"404"</p>
            <h1>"We couldn't find that page"</h1>
            <p>"The link may be out of date, or the page may have moved. Nothing you did was lost."</p>
            <A href="/" attr:class="button">"Back to the overview"</A>
        </section>
    }
}
