//! The light / dark / system theme switch in the header.

use leptos::prelude::*;

use crate::domain::theme::Theme;
#[cfg(feature = "hydrate")]
use crate::domain::theme::THEME_COOKIE;

/// The theme in force for this page view: from the request's cookie while
/// rendering on the server, from the `<html data-theme>` the server wrote
/// while hydrating, so both sides render the same markup.
pub fn current_theme() -> Theme {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .headers
                    .get(http::header::COOKIE)
                    .and_then(|value| value.to_str().ok())
                    .map(Theme::from_cookie_header)
            })
            .unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        document()
            .document_element()
            .and_then(|html| html.get_attribute("data-theme"))
            .map(|value| Theme::parse(&value))
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        Theme::default()
    }
}

/// Remembers the choice for a year and applies it without a reload.
#[cfg(feature = "hydrate")]
fn apply(theme: Theme) {
    use wasm_bindgen::JsCast;
    let doc = document();
    if let Some(html) = doc.document_element() {
        let _ = html.set_attribute("data-theme", theme.attr());
    }
    if let Ok(html_doc) = doc.dyn_into::<web_sys::HtmlDocument>() {
        let _ =
            html_doc.set_cookie(&format!("{THEME_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", theme.attr()));
    }
}

#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = RwSignal::new(current_theme());
    let on_click = move |_| {
        let next = theme.get_untracked().next();
        theme.set(next);
        #[cfg(feature = "hydrate")]
        apply(next);
    };
    view! {
        <button
            type="button"
            class="theme-toggle"
            aria-label=move || format!("Colour theme: {}", theme.get().label())
            title="Switch colour theme"
            on:click=on_click
        >
            <span class="theme-toggle__icon" aria-hidden="true">
                {move || match theme.get() {
                    Theme::System => "◐",
                    Theme::Light => "☀",
                    Theme::Dark => "☾",
                }}
            </span>
            <span class="theme-toggle__label">{move || theme.get().label()}</span>
        </button>
    }
}
