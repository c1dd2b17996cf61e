//! Printing a scorecard: a "Print" button (after hydration; the browser's
//! own print works without it) and the line a printout carries so a reader
//! can tell when it was made and which audit trail it reflects.

use leptos::prelude::*;

use super::local_time::LocalTime;

#[component]
pub fn PrintButton() -> impl IntoView {
    view! {
        <button
            type="button"
            class="button button--secondary no-print"
            on:click=move |_| {
                #[cfg(feature = "hydrate")]
                {
                    let _ = window().print();
                }
            }
        >
            "Print"
        </button>
    }
}

/// Shown only on paper: the time of the figures and the chain head.
#[component]
pub fn PrintFooter(as_of: i64, chain_reference: String) -> impl IntoView {
    view! {
        <p class="print-only print-footer">
            "Printed from Preflight; figures as of " <LocalTime millis=as_of/>
            ". They reflect the audit trail up to entry " {chain_reference}
            " (check with preflight audit verify)."
        </p>
    }
}
