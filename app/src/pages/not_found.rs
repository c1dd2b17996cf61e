use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::message_page::MessagePage;

/// Shown for any path no route matches. Answers HTTP 404 on the server.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <MessagePage status=404 title="We couldn't find that page">
            <p>"The link may be out of date, or the page may have moved. Nothing you did was lost."</p>
            <A href="/" attr:class="button">"Back to the overview"</A>
        </MessagePage>
    }
}
