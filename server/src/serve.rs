//! `preflight serve`: check the ground, open the database, listen, and shut
//! down cleanly on SIGTERM or Ctrl-C.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::serve::ListenerExt;
use leptos::config::Env;
use leptos::prelude::LeptosOptions;
use tokio::net::TcpListener;

use app::backend::caller::SessionPolicy;
use app::backend::housekeeping::{self, Swept};
use app::backend::throttle::LoginPolicy;
use app::backend::{migrations, AppState, Db, DbError, DbOptions};

use crate::metrics::Metrics;
use crate::router;
use crate::settings::Settings;

/// How often expired sessions and stale throttling rows are removed.
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(5 * 60);
const FIGURES_INTERVAL: Duration = Duration::from_secs(30);
/// How often queued notification mail is sent (when SMTP is configured).
const MAIL_INTERVAL: Duration = Duration::from_secs(15);

/// How long in-flight requests may take to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot use the data directory {}: {source}", path.display())]
    DataDir { path: PathBuf, source: io::Error },
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Migration(#[from] migrations::MigrationError),
    #[error(transparent)]
    Templates(#[from] app::backend::templates::LoadError),
    #[error("the server stopped unexpectedly: {0}")]
    Server(io::Error),
    #[error("cannot set up outbound connections for probes: {0}")]
    Probes(reqwest::Error),
}

/// Makes sure the data directory exists and that we can write into it.
pub fn ensure_data_dir(path: &Path) -> Result<(), ServeError> {
    let err = |source| ServeError::DataDir { path: path.to_path_buf(), source };
    std::fs::create_dir_all(path).map_err(err)?;
    let probe = path.join(".preflight-write-test");
    std::fs::write(&probe, b"ok").map_err(err)?;
    std::fs::remove_file(&probe).map_err(err)?;
    Ok(())
}

pub async fn bind(addr: SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr).await.map_err(|e| ServeError::Bind {
        addr,
        reason: match e.kind() {
            io::ErrorKind::AddrInUse => {
                "the address is already in use (is Preflight already running? choose another with PREFLIGHT_ADDR)"
                    .into()
            }
            io::ErrorKind::PermissionDenied => "permission denied (ports below 1024 need privileges)".into(),
            _ => e.to_string(),
        },
    })
}

/// Opens the pool and brings the schema up to date.
pub async fn open_database(settings: &Settings) -> Result<Db, ServeError> {
    let mut options = DbOptions::new(&settings.database_url);
    options.max_connections = settings.db_max_connections;
    let db = Db::connect(&options).await?;
    let report = migrations::migrate(&db).await?;
    if !report.applied.is_empty() {
        tracing::info!(applied = ?report.applied, "database migrated");
    }
    // Team name keys need Rust's Unicode case folding (see migration 0005).
    app::backend::teams::refresh_name_keys(&db).await.map_err(DbError::Query)?;
    let loaded = app::backend::templates::load_built_in(&db, app::backend::clock::Clock::system().now_millis()).await?;
    if !loaded.is_empty() {
        tracing::info!(?loaded, "built-in checklist templates loaded");
    }
    Ok(db)
}

pub fn session_policy(settings: &Settings) -> SessionPolicy {
    SessionPolicy { idle: settings.session_idle, lifetime: settings.session_lifetime }
}

pub fn login_policy(settings: &Settings) -> LoginPolicy {
    LoginPolicy {
        max_failures: settings.login_max_failures,
        lockout: settings.login_lockout,
        ip_attempts: settings.login_ip_attempts,
        ip_window: settings.login_ip_window,
    }
}

pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("preflight")
        .site_root(settings.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(settings.addr)
        .env(Env::PROD)
        .build()
}

/// The application state for `settings` on `db`.
pub fn app_state(settings: &Settings, db: Db) -> AppState {
    AppState::new(leptos_options(settings), db, session_policy(settings), login_policy(settings))
        .with_public_url(settings.public_url.clone())
        .with_mailer(settings.mailer.clone())
        .with_session_cache(settings.session_cache)
        .with_files(&settings.data_dir, settings.max_upload_bytes)
}

/// Everything a running server needs, ready to serve.
pub struct Prepared {
    pub listener: TcpListener,
    pub state: AppState,
    pub metrics: Arc<Metrics>,
}

pub async fn prepare(settings: &Settings) -> Result<Prepared, ServeError> {
    let started_at = Instant::now();
    ensure_data_dir(&settings.data_dir)?;
    let listener = bind(settings.addr).await?;
    let db = open_database(settings).await?;
    let state = app_state(settings, db).with_started_at(started_at);
    Ok(Prepared { listener, state, metrics: Arc::new(Metrics::new(settings.db_max_connections)) })
}

pub async fn serve(settings: &Settings) -> Result<(), ServeError> {
    let Prepared { listener, state, metrics } = prepare(settings).await?;
    let db = state.db.clone();
    let background = state.background.clone();
    match state.files.sweep_temp().await {
        Ok(0) => {}
        Ok(removed) => tracing::info!(removed, "removed unfinished uploads left by an earlier run"),
        Err(e) => tracing::warn!(error = %e, "could not tidy unfinished uploads"),
    }
    if let Err(e) = app::backend::instance_settings::apply_outbound_allow(&db, &state.outbound).await {
        tracing::warn!(error = %e, "could not read the outbound allow-list; probes reach public addresses only until the next sync");
    }
    let config = crate::probes::EngineConfig {
        raw_keep: settings.probe_raw_keep,
        upkeep_every: settings.probe_upkeep_every,
        metrics: metrics.probes.clone(),
        ..Default::default()
    }
    .with_lease(settings.probe_lease);
    let probes = crate::probes::start(state.clone(), config).map_err(ServeError::Probes)?;
    let housekeeping = tokio::spawn(housekeeping_loop(state.clone()));
    let figures = tokio::spawn(figures_loop(state.clone()));
    let mail = tokio::spawn(mail_loop(state.clone()));
    // Other replicas' probe results for this one's live pages (PostgreSQL).
    let relay = tokio::spawn(app::backend::live_updates::relay(
        db.clone(),
        state.probe_updates.clone(),
        state.shutdown.clone(),
    ));
    let addr = listener.local_addr().map_err(ServeError::Server)?;
    let shutting_down = state.shutdown.clone();
    let app = router::build(state, metrics, settings);
    tracing::info!(%addr, database = db.backend().name(), public_url = %settings.public_url, "Preflight is listening");

    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    // Streamed pages are written in several chunks; without TCP_NODELAY,
    // Nagle's algorithm holds the later ones back ~40 ms for an ACK.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(
        async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing in-flight requests");
            // Event streams end now; pages reconnect to another replica.
            shutting_down.cancel();
            let _ = signalled_tx.send(());
        },
    );
    let drain_deadline = async {
        if signalled_rx.await.is_ok() {
            tokio::time::sleep(DRAIN_TIMEOUT).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = server => result.map_err(ServeError::Server)?,
        () = drain_deadline => tracing::warn!("requests still running after {DRAIN_TIMEOUT:?}; stopping anyway"),
    }
    // Mail that requests handed on (password resets) still goes out.
    background.close();
    if tokio::time::timeout(DRAIN_TIMEOUT, background.wait()).await.is_err() {
        tracing::warn!("background work still running after {DRAIN_TIMEOUT:?}; stopping anyway");
    }
    // Results the engine holds are written, and its leases given back.
    probes.stop().await;
    housekeeping.abort();
    figures.abort();
    mail.abort();
    relay.abort();
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Sweeps expired sessions and stale throttling rows every few minutes.
async fn housekeeping_loop(state: AppState) {
    let mut every = tokio::time::interval(HOUSEKEEPING_INTERVAL);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match housekeeping::sweep(&state.db, &state.clock, &state.login_policy).await {
            Ok(swept) if swept != Swept::default() => tracing::debug!(?swept, "housekeeping"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "housekeeping failed; will retry"),
        }
        // The week's digest and campaign reminders, once a week. Not without
        // SMTP: the round would be spent on mail nobody can send, and an
        // administrator who sets SMTP up mid-week still gets this week's.
        if state.mailer.is_some() {
            match app::backend::notifications::queue_weekly(&state.db, state.clock.now_millis()).await {
                Ok(queued) if queued != Default::default() => tracing::info!(?queued, "weekly mail queued"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "queueing the weekly mail failed; will retry"),
            }
        }
    }
}

/// Re-scores services whose figures change by themselves (a waiver
/// expires, an approval goes stale) soon after the moment comes.
async fn figures_loop(state: AppState) {
    let mut every = tokio::time::interval(FIGURES_INTERVAL);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match app::backend::figures::sweep(&state.db, &state.clock).await {
            Ok(0) => {}
            Ok(refreshed) => tracing::info!(refreshed, "service figures refreshed after expiries"),
            Err(e) => tracing::warn!(error = %e, "refreshing expired figures failed; will retry"),
        }
    }
}

/// Sends queued notification mail; without SMTP configured it does
/// nothing (housekeeping drops what waits too long).
async fn mail_loop(state: AppState) {
    let Some(mailer) = state.mailer.clone() else { return };
    let mut every = tokio::time::interval(MAIL_INTERVAL);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let now = state.clock.now_millis();
        match app::backend::notifications::deliver_due(&state.db, &mailer, state.public_url.as_str(), now).await {
            Ok(done) if done == Default::default() => {}
            Ok(done) => tracing::info!(?done, "notification mail"),
            Err(e) => tracing::warn!(error = %e, "sending notification mail failed; will retry"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
