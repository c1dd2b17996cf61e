//! Security headers that depend on the page being rendered.
//!
//! The static headers (nosniff, referrer policy, framing, HSTS) are added to
//! every response by the server's middleware. The Content-Security-Policy of
//! an HTML page carries a fresh nonce per request: the hydration `<script>`
//! that Leptos emits is inline, and the nonce is what lets exactly that
//! script run while any injected one is refused.

use http::{header::CONTENT_SECURITY_POLICY, HeaderValue};
use leptos::nonce::use_nonce;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

/// The policy for server-rendered pages. `'wasm-unsafe-eval'` allows
/// compiling the WebAssembly bundle, nothing else; styles come only from our
/// own stylesheet plus the `style` attributes Leptos may set.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// The policy for everything that is not a page (JSON, metrics, files).
pub const NON_PAGE_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Sets the page policy on the response being rendered. Called from the
/// shell, where the request's nonce is in context.
pub fn set_page_csp() {
    let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) else {
        tracing::warn!("page rendered without a nonce or response options; CSP falls back to the strict default");
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&page_csp(&nonce)) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_policy_allows_only_the_nonced_script_and_wasm() {
        let csp = page_csp("abc123");
        assert!(csp.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'"));
        let script_src = csp.split(';').map(str::trim).find(|d| d.starts_with("script-src")).unwrap();
        assert!(!script_src.contains("'unsafe-inline'"), "{script_src}");
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}
