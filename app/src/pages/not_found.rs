use leptos::prelude::*;

use crate::components::message_page::MessagePage;

/// Shown for any path no route matches, and by pages whose subject does not
/// exist (`/teams/999`). Answers HTTP 404 on the server. A plain `<a>`, not
/// `<A>`: pages show this inside `Suspense`/`Transition` (see the README).
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <MessagePage status=404 title="We couldn't find that page">
            <p>"The link may be out of date, or the page may have moved. Nothing you did was lost."</p>
            <a href="/" class="button">"Back to the overview"</a>
        </MessagePage>
    }
}
