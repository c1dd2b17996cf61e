//! The state every request handler and server function can reach.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::task::TaskTracker;

use axum::extract::FromRef;
use leptos::prelude::*;

use super::caller::SessionPolicy;
use super::clock::Clock;
use super::lookup_cache::LookupCache;
use super::mail::Mailer;
use super::passwords::Passwords;
use super::throttle::LoginPolicy;
use super::Db;
use crate::error::AppError;

/// Shared application state: one pointer, so the many copies a request
/// makes (every context lookup and middleware clones it) cost a reference
/// count, not a copy of the options' strings. Handed to `leptos_routes`,
/// which provides it as context to server functions (see [`app_state`]).
/// Fields are read through `Deref`: `state.db`.
#[derive(Clone)]
pub struct AppState(Arc<State>);

#[derive(Clone)]
pub struct State {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub started_at: Instant,
    pub clock: Clock,
    pub passwords: Passwords,
    pub session_policy: SessionPolicy,
    pub login_policy: LoginPolicy,
    /// The address people use to reach Preflight; links in mail start with it.
    pub public_url: url::Url,
    /// Outgoing mail, when SMTP is configured.
    pub mailer: Option<Mailer>,
    /// Work a request hands on to run after its response (password-reset
    /// mail): spawned here so that shutdown waits for it, and tests can
    /// know it has finished.
    pub background: TaskTracker,
    /// Evidence and document files, by content address.
    pub files: Arc<super::file_store::FileStore>,
    /// Recent session lookups (SQLite only; see `lookup_cache`).
    pub lookups: Arc<LookupCache>,
    /// The one way to reach an address people typed in (probes, webhooks),
    /// with the administrator's allow-list in force.
    pub outbound: outbound::Guard,
    /// Woken when someone changes a probe here, so the engine picks the
    /// change up at once rather than at its next sync.
    pub probes_changed: Arc<tokio::sync::Notify>,
    /// Probes with new results, for live pages (server-sent events), also
    /// those other replicas checked (see `live_updates`).
    pub probe_updates: super::live_updates::LiveUpdates,
    /// Cancelled when the server starts shutting down, so long-lived
    /// responses (event streams) end and the drain does not wait for them.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// Set once any account exists; it never goes back, so page loads stop
    /// asking the database after first-run setup.
    has_users: Arc<AtomicBool>,
}

impl std::ops::Deref for AppState {
    type Target = State;

    fn deref(&self) -> &State {
        &self.0
    }
}

/// leptos_axum reads the options from the router's state.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos_options.clone()
    }
}

impl AppState {
    /// State with the production clock and the given session policy.
    pub fn new(
        leptos_options: LeptosOptions,
        db: Db,
        session_policy: SessionPolicy,
        login_policy: LoginPolicy,
    ) -> AppState {
        let lookups = Arc::new(LookupCache::new(db.backend(), Duration::from_secs(1)));
        AppState(Arc::new(State {
            leptos_options,
            db,
            started_at: Instant::now(),
            clock: Clock::system(),
            // Half the cores hash at most: a sign-in flood queues (and is
            // then shed) instead of starving everything else.
            passwords: Passwords::new(super::passwords::slots_for_this_machine()),
            session_policy,
            login_policy,
            public_url: url::Url::parse("http://127.0.0.1:3000/").expect("a valid URL"),
            mailer: None,
            background: TaskTracker::new(),
            files: Arc::new(super::file_store::FileStore::new(
                "./data/evidence",
                super::file_store::DEFAULT_MAX_UPLOAD_BYTES,
            )),
            lookups,
            outbound: outbound::Guard::default(),
            probes_changed: Arc::default(),
            probe_updates: Default::default(),
            shutdown: tokio_util::sync::CancellationToken::new(),
            has_users: Arc::default(),
        }))
    }

    /// Changes a setting while the state is being built (before anything
    /// shares it; later, a change would fork a private copy).
    fn configure(mut self, change: impl FnOnce(&mut State)) -> Self {
        change(Arc::make_mut(&mut self.0));
        self
    }

    /// When the process started (for the status page's uptime).
    pub fn with_started_at(self, started_at: Instant) -> Self {
        self.configure(|s| s.started_at = started_at)
    }

    /// Where people reach Preflight (links in mail and for admins to copy).
    pub fn with_public_url(self, url: url::Url) -> Self {
        self.configure(|s| s.public_url = url)
    }

    /// Where evidence files live (`<data dir>/evidence`) and the largest accepted.
    pub fn with_files(self, data_dir: &std::path::Path, max_bytes: u64) -> Self {
        self.configure(|s| s.files = Arc::new(super::file_store::FileStore::in_data_dir(data_dir, max_bytes)))
    }

    pub fn with_mailer(self, mailer: Option<Mailer>) -> Self {
        self.configure(|s| s.mailer = mailer)
    }

    /// How long a session lookup may answer later requests (see
    /// `lookup_cache`; zero turns the cache off).
    pub fn with_session_cache(self, ttl: Duration) -> Self {
        self.configure(|s| s.lookups = Arc::new(LookupCache::new(s.db.backend(), ttl)))
    }

    /// Whether people reach Preflight over HTTPS (the session cookie is then
    /// `Secure` and `__Host-` prefixed).
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// An absolute URL for `path` on the public address.
    pub fn link(&self, path: &str) -> String {
        self.public_url.join(path).map(String::from).unwrap_or_else(|_| path.to_string())
    }

    /// Whether anyone has an account yet (before that, only first-run setup works).
    pub async fn has_users(&self) -> Result<bool, sqlx::Error> {
        if self.has_users.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let has = super::accounts::has_users(&self.db).await?;
        if has {
            self.has_users.store(true, Ordering::Relaxed);
        }
        Ok(has)
    }
}

/// The state inside a server function. Missing state is a wiring bug, so it
/// is logged and shown to the user as an internal error.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("app_state", "AppState was not provided"))
}

/// Passes a server function's result through, first setting the HTTP status
/// of an error (422 for a bad field, 404, 403, …) so callers other than our
/// own UI get a meaningful status too.
///
/// Except for a plain form post from a page (a browser without the script:
/// it asks for HTML and names the page it came from). Leptos answers that
/// with a redirect back to the page carrying the error (`__err`), and the
/// page shows the message beside its field; an error status would replace
/// the redirect, and the browser would show a bare error body instead.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result {
        if let (Some(response), Ok(status)) =
            (use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(err.status_code()))
        {
            if !is_page_form_post() {
                response.set_status(status);
            }
            if let AppError::TooManyRequests { retry_after_secs } = err {
                response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(*retry_after_secs));
            }
        }
    }
    result
}

/// The request is a form a page posted without its script: it accepts
/// HTML (the test Leptos uses to redirect back) and has a `Referer`.
fn is_page_form_post() -> bool {
    use_context::<http::request::Parts>().is_some_and(|parts| {
        let accepts_html = parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
        accepts_html && parts.headers.contains_key(http::header::REFERER)
    })
}
