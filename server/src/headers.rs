//! Security headers on every response.
//!
//! Pages set their own nonce-based Content-Security-Policy while rendering
//! (see `app::backend::security`); every other response gets the strict
//! policy here. The other headers are the same for everything.

use axum::Router;
use http::{header, HeaderName, HeaderValue};
use tower_http::set_header::SetResponseHeaderLayer;

use app::backend::security::NON_PAGE_CSP;

pub fn apply<S: Clone + Send + Sync + 'static>(router: Router<S>, https: bool) -> Router<S> {
    let fixed: [(HeaderName, &'static str); 5] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
        (HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=(), payment=()"),
    ];
    let mut router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(NON_PAGE_CSP),
    ));
    for (name, value) in fixed {
        router = router.layer(SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value)));
    }
    if https {
        // Only meaningful, and only safe to send, when we are served over HTTPS.
        router = router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    router
}
