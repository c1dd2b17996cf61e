use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::system::{fetch_instance_status, InstanceStatus};
use crate::components::local_time::LocalTime;

/// Health of this instance: version, database, schema. Reloads on demand.
#[component]
pub fn StatusPage() -> impl IntoView {
    let status = Resource::new(|| (), |_| fetch_instance_status());
    view! {
        <Title text="System status"/>
        <div class="page-head">
            <h1>"System status"</h1>
            <button type="button" class="button button--secondary" on:click=move |_| status.refetch()>
                "Refresh"
            </button>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading status…"</p> }>
            {move || {
                status
                    .get()
                    .map(|result| match result {
                        Ok(s) => view! { <StatusTable status=s/> }.into_any(),
                        Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn StatusTable(status: InstanceStatus) -> impl IntoView {
    let db_state = if status.database_reachable { "Reachable" } else { "Not reachable" };
    let schema = match status.schema_version {
        Some(v) => match status.migrations_applied {
            1 => format!("Version {v} (1 migration applied)"),
            n => format!("Version {v} ({n} migrations applied)"),
        },
        None => "Not migrated".to_string(),
    };
    view! {
        <dl class="facts panel">
            <div>
                <dt>"Preflight version"</dt>
                <dd>{status.version}</dd>
            </div>
            <div>
                <dt>"Database"</dt>
                <dd>
                    {status.database} " · "
                    <span class=if status.database_reachable { "ok" } else { "bad" }>{db_state}</span>
                </dd>
            </div>
            <div>
                <dt>"Schema"</dt>
                <dd>{schema}</dd>
            </div>
            <div>
                <dt>"Last migrated"</dt>
                <dd>
                    {match status.last_migrated_at_ms {
                        Some(ms) => view! { <LocalTime millis=ms/> }.into_any(),
                        None => "Never".into_any(),
                    }}
                </dd>
            </div>
            <div>
                <dt>"Up for"</dt>
                <dd>{format_uptime(status.uptime_seconds)}</dd>
            </div>
            <div>
                <dt>"Notification mail"</dt>
                <dd>
                    {match status.mail {
                        None => "Not configured (no SMTP server set)".into_any(),
                        Some(m) => view! {
                            <span class=mail_class(m.failed)>
                                {format!("{} waiting · {} given up", m.waiting, m.failed)}
                            </span>
                            {m.last_error.map(|e| view! { <span class="data-table__sub">{format!("Last error: {e}")}</span> })}
                        }.into_any(),
                    }}
                </dd>
            </div>
        </dl>
    }
}

/// Mail given up is worth a red word; waiting mail is normal.
fn mail_class(failed: i64) -> &'static str {
    if failed > 0 {
        "bad"
    } else {
        "ok"
    }
}

fn format_uptime(seconds: u64) -> String {
    let (d, h, m, s) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, _) => format!("{m} min {s} s"),
        (0, _, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::format_uptime;

    #[test]
    fn uptime_reads_naturally() {
        assert_eq!(format_uptime(5), "5 s");
        assert_eq!(format_uptime(65), "1 min 5 s");
        assert_eq!(format_uptime(3 * 3600 + 120), "3 h 2 min");
        assert_eq!(format_uptime(2 * 86_400 + 3600), "2 d 1 h");
    }
}
