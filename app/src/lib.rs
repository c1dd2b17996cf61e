//! Preflight's user interface and everything it shares with the server.
//!
//! * [`shell`] renders the HTML document around [`App`] on the server.
//! * `domain/` holds pure rules (no I/O) that browser and server both use.
//! * `pages/` has one module per route, `components/` the reusable pieces.
//! * `api/` holds the `#[server]` functions, `backend/` (server only) the
//!   database, state and other I/O behind them.
#![forbid(unsafe_code)]
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod domain;
pub mod error;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod backend;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use crate::components::layout::Layout;
use crate::components::theme_toggle::current_theme;
use crate::pages::{
    account::AccountPage,
    admin_settings::AdminSettingsPage,
    alerts::{ServiceAlertsPage, TeamAlertsPage},
    audit::AuditPage,
    campaigns::{CampaignPage, CampaignsPage, NewCampaignPage},
    due_soon::DueSoonPage,
    error::ErrorPage,
    forgot::ForgotPasswordPage,
    home::HomePage,
    item::ItemPage,
    link::{InvitePage, ResetPasswordPage},
    login::LoginPage,
    mfa::MfaPage,
    milestones::MilestonePage,
    not_found::NotFound,
    people::{PeoplePage, PersonPage},
    probes::{NewProbePage, OrgProbesPage, ProbePage},
    reviews::ReviewsPage,
    services::{EditServicePage, NewServicePage, ServicePage, ServicesPage},
    sessions::SessionsPage,
    setup::SetupPage,
    status::StatusPage,
    teams::{TeamPage, TeamsPage},
    templates::{NewTemplatePage, TemplatePage, TemplatesPage, UpgradePage},
    verify::VerifyPage,
};

/// The HTML document. Rendered on the server for every page request; the
/// browser then hydrates [`App`] inside `<body>`.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let theme = current_theme();
    #[cfg(feature = "ssr")]
    backend::security::set_page_csp();
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme.attr()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The application: routes inside the common layout.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/preflight.css"/>
        <Title formatter=|page: String| {
            if page.is_empty() { "Preflight".to_string() } else { format!("{page} · Preflight") }
        }/>
        <Router>
            <Layout>
                <ErrorBoundary fallback=|_errors| view! { <ErrorPage/> }>
                    <Routes fallback=NotFound>
                        <Route path=path!("") view=HomePage/>
                        <Route path=path!("status") view=StatusPage/>
                        <Route path=path!("login") view=LoginPage/>
                        <Route path=path!("login/verify") view=VerifyPage/>
                        <Route path=path!("forgot-password") view=ForgotPasswordPage/>
                        // Async, so an unknown link's status (422) is known before anything is sent.
                        <Route path=path!("reset-password/:token") view=ResetPasswordPage ssr=SsrMode::Async/>
                        <Route path=path!("invite/:token") view=InvitePage ssr=SsrMode::Async/>
                        <Route path=path!("account") view=AccountPage/>
                        <Route path=path!("account/sessions") view=SessionsPage/>
                        <Route path=path!("account/mfa") view=MfaPage/>
                        <Route path=path!("services") view=ServicesPage/>
                        <Route path=path!("due-soon") view=DueSoonPage/>
                        <Route path=path!("services/new") view=NewServicePage/>
                        // Async, so an unknown service's 404 is the page's status.
                        <Route path=path!("services/:slug") view=ServicePage ssr=SsrMode::Async/>
                        <Route path=path!("services/:slug/edit") view=EditServicePage ssr=SsrMode::Async/>
                        <Route path=path!("services/:slug/upgrade/:template") view=UpgradePage ssr=SsrMode::Async/>
                        <Route path=path!("services/:slug/milestones/:id") view=MilestonePage ssr=SsrMode::Async/>
                        <Route path=path!("probes") view=OrgProbesPage ssr=SsrMode::Async/>
                        <Route path=path!("services/:slug/probes/new") view=NewProbePage ssr=SsrMode::Async/>
                        <Route path=path!("services/:slug/probes/:id") view=ProbePage ssr=SsrMode::Async/>
                        <Route path=path!("services/:slug/alerts") view=ServiceAlertsPage ssr=SsrMode::Async/>
                        <Route path=path!("items/:id") view=ItemPage ssr=SsrMode::Async/>
                        <Route path=path!("templates") view=TemplatesPage/>
                        <Route path=path!("templates/new") view=NewTemplatePage/>
                        <Route path=path!("templates/:id") view=TemplatePage ssr=SsrMode::Async/>
                        // Async, so a refusal (403) is the page's status.
                        <Route path=path!("reviews") view=ReviewsPage ssr=SsrMode::Async/>
                        <Route path=path!("audit") view=AuditPage ssr=SsrMode::Async/>
                        <Route path=path!("campaigns") view=CampaignsPage/>
                        <Route path=path!("campaigns/new") view=NewCampaignPage/>
                        <Route path=path!("campaigns/:id") view=CampaignPage ssr=SsrMode::Async/>
                        <Route path=path!("teams") view=TeamsPage/>
                        <Route path=path!("teams/:id") view=TeamPage ssr=SsrMode::Async/>
                        <Route path=path!("teams/:id/alerts") view=TeamAlertsPage ssr=SsrMode::Async/>
                        // Async, so a refusal (403) or 404 is the page's status.
                        <Route path=path!("admin/users") view=PeoplePage ssr=SsrMode::Async/>
                        <Route path=path!("admin/users/:id") view=PersonPage ssr=SsrMode::Async/>
                        <Route path=path!("admin/settings") view=AdminSettingsPage ssr=SsrMode::Async/>
                        // Async, so the 404 status is known before anything is sent.
                        <Route path=path!("setup") view=SetupPage ssr=SsrMode::Async/>
                    </Routes>
                </ErrorBoundary>
            </Layout>
        </Router>
    }
}

/// Browser entry point, called by the hydration script cargo-leptos emits.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
    // Tells tests (and curious operators) that the page is interactive now.
    if let Some(html) = document().document_element() {
        let _ = html.set_attribute("data-hydrated", "true");
    }
}
