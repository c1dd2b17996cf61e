//! The generic error page for failures we did not expect.
//!
//! A panic inside a handler becomes HTTP 500 with this page: it says what the
//! user can do and nothing about the cause. The cause is logged with the
//! request id so an operator can find it.

use std::any::Any;

use axum::body::Body;
use axum::response::Response;
use http::{header, StatusCode};

const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Something went wrong · Preflight</title>
<link rel="stylesheet" href="/pkg/preflight.css">
</head>
<body>
<main class="site-main">
<section class="message-page">
<p class="message-page__code" aria-hidden="true">500</p>
<h1>Something went wrong on our side</h1>
<p>Nothing you entered was lost. Please try again in a moment; if it keeps happening, tell your administrator.</p>
<a class="button" href="/">Back to the overview</a>
</section>
</main>
</body>
</html>
"#;

pub fn respond(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = detail, "request handler panicked");
    page(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The generic page with `status` (500 for our bugs, 503 when a dependency
/// such as the database did not answer). The caller logs the cause.
pub fn page(status: StatusCode) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        // Only our stylesheet may load: the page has no scripts.
        .header(header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'self'; frame-ancestors 'none'")
        .body(Body::from(PAGE))
        .expect("static response parts are valid")
}
