//! The frame around every page: header with navigation, main area, footer.
//! Navigation and the user menu appear only for a signed-in user; the sign-in
//! and setup pages show just the brand and the theme switch.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use super::theme_toggle::ThemeToggle;
use crate::api::auth::{fetch_me, Logout, Me};
use crate::domain::access::Role;

/// The pages reachable from the main navigation.
const NAV_ITEMS: &[(&str, &str)] = &[
    ("/", "Overview"),
    ("/services", "Services"),
    ("/teams", "Teams"),
    ("/probes", "Probes"),
    ("/campaigns", "Campaigns"),
    ("/status", "System status"),
];
/// Added for reviewers (auditors and administrators).
const REVIEWER_NAV_ITEMS: &[(&str, &str)] = &[("/reviews", "Reviews"), ("/audit", "Audit trail")];
/// Added for administrators.
const ADMIN_NAV_ITEMS: &[(&str, &str)] = &[("/admin/users", "People"), ("/admin/settings", "Settings")];

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    // Re-read after every navigation: signing in or out navigates.
    let location = use_location();
    let me = Resource::new(move || location.pathname.get(), |_| fetch_me());

    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <div class="site-header__inner">
                <A href="/" attr:class="brand">
                    <span class="brand__mark" aria-hidden="true">"✓"</span>
                    <span class="brand__name">"Preflight"</span>
                </A>
                <Transition fallback=|| view! { <span class="site-header__spacer"></span> }>
                    {move || {
                        me.get()
                            .map(|result| match result {
                                Ok(Some(me)) => view! { <SignedInHeader me=me pathname=location.pathname/> }.into_any(),
                                _ => view! { <span class="site-header__spacer"></span> }.into_any(),
                            })
                    }}
                </Transition>
                <ThemeToggle/>
            </div>
        </header>
        <main id="main" class="site-main" tabindex="-1">
            {children()}
        </main>
        <footer class="site-footer">
            <span>"Preflight " {env!("CARGO_PKG_VERSION")}</span>
            <span class="site-footer__sep" aria-hidden="true">"·"</span>
            <span>"Production readiness, proven."</span>
        </footer>
    }
}

/// Menu button (phone width), navigation and the user menu.
///
/// Plain `<a>` elements (the router still handles their clicks) rather than
/// `<A>`: this renders inside a `Transition`, whose first server-side pass is
/// thrown away, and `<A>`'s router-context lookup from that discarded owner
/// can deadlock reactive_graph 0.2.16 (the lookup drops the last reference to
/// an owner whose cleanup then waits on a lock the lookup holds;
/// leptos-rs/leptos#4673 looks like the same family). The current page comes
/// from the location read outside the `Transition`.
#[component]
fn SignedInHeader(me: Me, pathname: Memo<String>) -> impl IntoView {
    let menu_open = RwSignal::new(false);
    let logout = ServerAction::<Logout>::new();
    let admin_items = if me.role == Role::Admin { ADMIN_NAV_ITEMS } else { &[] };
    let reviewer_items = if matches!(me.role, Role::Admin | Role::Auditor) { REVIEWER_NAV_ITEMS } else { &[] };
    view! {
        <button
            type="button"
            class="menu-button"
            aria-controls="site-nav"
            aria-expanded=move || menu_open.get().to_string()
            on:click=move |_| menu_open.update(|open| *open = !*open)
        >
            <span aria-hidden="true">"☰"</span>
            " Menu"
        </button>
        <nav
            id="site-nav"
            class="site-nav"
            class:site-nav--open=move || menu_open.get()
            aria-label="Main"
            // Following a link closes the phone menu.
            on:click=move |_| menu_open.set(false)
        >
            <ul>
                {NAV_ITEMS
                    .iter()
                    .chain(reviewer_items)
                    .chain(admin_items)
                    .map(|(href, label)| {
                        let current = move || (pathname.get() == *href).then_some("page");
                        view! {
                            <li>
                                <a href=*href aria-current=current>{*label}</a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
        <div class="user-menu">
            <a href="/account" class="user-menu__name" title=format!("{} · your account", me.email)>
                {me.name}
            </a>
            <ActionForm action=logout attr:class="user-menu__form">
                <button type="submit" class="button button--secondary">"Sign out"</button>
            </ActionForm>
        </div>
    }
}
