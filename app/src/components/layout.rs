//! The frame around every page: header with navigation, main area, footer.

use leptos::prelude::*;
use leptos_router::components::A;

use super::theme_toggle::ThemeToggle;

/// The pages reachable from the main navigation.
const NAV_ITEMS: &[(&str, &str)] = &[("/", "Overview"), ("/status", "System status")];

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let menu_open = RwSignal::new(false);

    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <div class="site-header__inner">
                <A href="/" attr:class="brand">
                    <span class="brand__mark" aria-hidden="true">"✓"</span>
                    <span class="brand__name">"Preflight"</span>
                </A>
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
                            .map(|(href, label)| {
                                view! {
                                    <li>
                                        <A href=*href exact=true>{*label}</A>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </nav>
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
