//! A full-page message with an HTTP status: "not found", "something went
//! wrong". Sets the response status when rendered on the server.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn MessagePage(
    /// HTTP status code, also shown large above the title.
    status: u16,
    title: &'static str,
    children: Children,
) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(code)) =
        (use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(status))
    {
        response.set_status(code);
    }
    view! {
        <Title text=title/>
        <section class="message-page">
            <p class="message-page__code" aria-hidden="true">{status}</p>
            <h1>{title}</h1>
            {children()}
        </section>
    }
}
