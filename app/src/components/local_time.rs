//! A timestamp shown in the viewer's own time zone.
//!
//! The server does not know the viewer's zone, so it renders UTC; once the
//! page is hydrated the browser replaces the text with its local rendering.
//! The machine-readable UTC value stays in `<time datetime>`.

use leptos::prelude::*;

/// `millis`: milliseconds since the Unix epoch, UTC.
#[component]
pub fn LocalTime(millis: i64) -> impl IntoView {
    let utc = chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default();
    let iso = utc.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let fallback = utc.format("%Y-%m-%d %H:%M UTC").to_string();
    let local = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis as f64));
            local.set(date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED).as_string());
        }
    });
    let title = fallback.clone();
    view! {
        <time datetime=iso title=title>
            {move || local.get().unwrap_or_else(|| fallback.clone())}
        </time>
    }
}
