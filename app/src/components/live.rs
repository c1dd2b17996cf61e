//! Live updates over server-sent events.
//!
//! A page that shows something the server changes by itself (probe
//! results) subscribes to an event stream and puts the counter returned
//! here in its resource's key: each event fetches the data again through
//! the same server function as the first paint, so the page never shows
//! anything but what the server holds. Without JavaScript the page is
//! still complete; it just does not move until reloaded.

use leptos::prelude::*;

/// A number that goes up with every event from the stream at `url()`
/// (opened in the browser once hydrated, and again when the address
/// changes; closed when the page goes away; the browser reconnects by
/// itself after a drop).
pub fn live_counter(url: impl Fn() -> String + Send + Sync + 'static) -> ReadSignal<u32> {
    let (count, set_count) = signal(0u32);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let url = url();
        use leptos::__reexports::send_wrapper::SendWrapper;
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;

        let Ok(source) = web_sys::EventSource::new(&url) else { return };
        let bump = move |_: web_sys::MessageEvent| {
            // After the page is gone the signal is too; nothing to update then.
            set_count.try_update(|n| *n = n.wrapping_add(1));
        };
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(bump);
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // "resync": the stream fell behind; fetching again catches up.
        let on_resync = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(bump);
        let _ = source.add_event_listener_with_callback("resync", on_resync.as_ref().unchecked_ref());
        let held = SendWrapper::new((source, on_message, on_resync));
        on_cleanup(move || held.0.close());
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, set_count);
    count
}
