//! The complete HTTP application: operational endpoints, the Leptos pages
//! and server functions, static files, and the middleware around them.

use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{middleware, Extension, Router};
use leptos::nonce::provide_nonce;
use leptos_axum::{file_and_error_handler_with_context, generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};

use app::backend::AppState;
use app::{shell, App};

use crate::csrf::{self, CsrfConfig};
use crate::settings::Settings;
use crate::{
    badge, client_addr, deadline, dossier, exports, files, gate, headers, health, live, metrics::Metrics, observe,
    panic_page, session,
};

pub fn build(state: AppState, metrics: Arc<Metrics>, settings: &Settings) -> Router {
    let https = settings.is_https();
    let routes = routes();
    let render_page = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    // Pages, server functions and static files: the caller is resolved once
    // per request (session.rs) before the page gate runs.
    // `provide_nonce` gives each rendered page a fresh CSP nonce.
    let app = Router::new()
        .leptos_routes_with_context(&state, routes, provide_nonce, render_page)
        .fallback(file_and_error_handler_with_context::<AppState, _>(provide_nonce, shell))
        .with_state(state.clone())
        .layer(middleware::from_fn_with_state(state.clone(), gate::pages))
        .layer(middleware::from_fn_with_state(state.clone(), session::resolve))
        .layer(middleware::from_fn_with_state(CsrfConfig::new(&settings.public_url), csrf::guard))
        .layer(middleware::from_fn_with_state(settings.render_timeout, deadline::limit));
    // Evidence files: the same caller and cross-site checks, but no render
    // deadline (a 25 MiB upload or download on a slow link takes its time).
    let files = files::routes()
        .merge(exports::routes())
        .merge(dossier::routes())
        .merge(live::routes())
        .with_state(state.clone())
        .layer(middleware::from_fn_with_state(state.clone(), session::resolve))
        .layer(middleware::from_fn_with_state(CsrfConfig::new(&settings.public_url), csrf::guard));
    // Operational endpoints and badges never look at sessions.
    let router = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics_text))
        // Public by the lead's choice: no session, no page gate.
        .route("/badge/{file}", get(badge::badge))
        .with_state(state)
        .merge(files)
        .merge(app)
        .layer(Extension(metrics.clone()));
    // Outermost: the client address is resolved before the request is
    // logged, so the log line and every handler see the same one.
    with_middleware(router, metrics, https)
        .layer(middleware::from_fn_with_state(Arc::new(settings.trusted_proxies.clone()), client_addr::layer))
}

/// The app's page routes, generated once per process.
///
/// `generate_route_list` renders the app once to find its routes, and while
/// it does, leptos_server switches resource loading off with a process-wide
/// flag (`IS_SUPPRESSING_RESOURCE_LOAD`): a resource created anywhere in the
/// process in that moment never loads, and the page waiting for it never
/// finishes. A server builds its router once, before it accepts a
/// connection, so that window never met a request; but the integration tests
/// start many servers in one process, and a page rendered by one of them
/// while another was being built hung (about one test run in ten). Once per
/// process closes the window for every server after the first, and the first
/// is built before any server exists.
fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The layers every route gets, innermost first: panic → generic 500 page,
/// compression, security headers, then log line and metrics, then the
/// request id (made or kept, and echoed in the response) around everything.
pub fn with_middleware(router: Router, metrics: Arc<Metrics>, https: bool) -> Router {
    // ZIP archives (dossiers, evidence) are compressed already or mostly
    // incompressible: gzipping a gigabyte of them would only burn CPU.
    let compress = DefaultPredicate::new().and(NotForContentType::const_new("application/zip"));
    let router = router
        .layer(CatchPanicLayer::custom(panic_page::respond))
        .layer(CompressionLayer::new().compress_when(compress));
    headers::apply(router, https)
        .layer(middleware::from_fn_with_state(metrics, observe::observe))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(observe::NewRequestId))
}

async fn metrics_text(State(state): State<AppState>, Extension(metrics): Extension<Arc<Metrics>>) -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], metrics.render(&state.db))
}
