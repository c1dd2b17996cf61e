use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The landing page: what Preflight tracks, and where things stand.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Overview"/>
        <section class="hero">
            <h1>"Launch readiness at a glance"</h1>
            <p class="hero__lead">
                "Preflight tracks the gates every service must pass before launch: readiness "
                "checklists backed by evidence, reviews by auditors, and live probes that prove "
                "monitoring is really in place."
            </p>
        </section>
        <section class="panel empty-state" aria-labelledby="services-heading">
            <h2 id="services-heading">"No services yet"</h2>
            <p>
                "Once services are registered, each gets a scorecard here: a score, a readiness "
                "level and a plain answer to “ready to launch?”, with the reasons when it is not."
            </p>
        </section>
        <section class="cards" aria-label="What Preflight covers">
            <article class="card">
                <h2>"Checklists"</h2>
                <p>"Web application, blockchain system and operational resilience templates, or your own."</p>
            </article>
            <article class="card">
                <h2>"Evidence and review"</h2>
                <p>"Links, files, audit reports and runbooks behind every item, approved by someone other than the author."</p>
            </article>
            <article class="card">
                <h2>"Live probes"</h2>
                <p>"Uptime, latency and error-rate checks with alerts, so monitoring is proven by data."</p>
            </article>
        </section>
        <p class="aside">
            "Operators: see " <A href="/status">"System status"</A> " for the database and version of this instance."
        </p>
    }
}
