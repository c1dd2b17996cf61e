use leptos::prelude::*;

use crate::components::message_page::MessagePage;

/// Shown when a page fails to render. Says what to do, never why: the
/// cause is in the server log.
#[component]
pub fn ErrorPage() -> impl IntoView {
    view! {
        <MessagePage status=500 title="Something went wrong on our side">
            <p>"Nothing you entered was lost. Please try again in a moment; if it keeps happening, tell your administrator."</p>
            <a class="button" href="/">"Back to the overview"</a>
        </MessagePage>
    }
}
