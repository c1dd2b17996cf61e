//! Typed settings from environment variables, with an optional TOML file.
//!
//! Precedence: environment variable, then the file, then the default. The
//! file is named by `--config` or `PREFLIGHT_CONFIG`; its keys are the
//! variable names without the prefix, in lower case (`addr`, `database_url`).
//! Any invalid value is reported as one line naming the setting.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use app::backend::mail::{MailError, Mailer};
use app::backend::Backend;
use url::Url;

use crate::client_addr::TrustedProxies;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub addr: SocketAddr,
    pub log_format: LogFormat,
    /// A `tracing` filter such as `info` or `info,sqlx=warn`.
    pub log_level: String,
    /// Where people reach Preflight, used for links and to decide on HSTS.
    pub public_url: Url,
    /// The compiled front end (`target/site` after `cargo leptos build`).
    pub site_root: PathBuf,
    pub db_max_connections: u32,
    /// Longest a page render or server call may take (then 503, logged).
    pub render_timeout: Duration,
    /// How long a session lookup may be reused (SQLite; zero: never).
    pub session_cache: Duration,
    pub session_idle: Duration,
    pub session_lifetime: Duration,
    pub login_max_failures: u32,
    pub login_lockout: Duration,
    pub login_ip_attempts: u32,
    pub login_ip_window: Duration,
    /// Proxies whose `X-Forwarded-For` / `Forwarded` headers name the client.
    pub trusted_proxies: TrustedProxies,
    /// Outgoing mail (password resets, invitations); None sends none.
    pub mailer: Option<Mailer>,
    /// The largest evidence or document file accepted, in bytes.
    pub max_upload_bytes: u64,
    /// How long probes' raw checks are kept.
    pub probe_raw_keep: Duration,
    /// How often the probe upkeep runs (`probes::upkeep`).
    pub probe_upkeep_every: Duration,
    /// How long a replica's probe leases outlive it (`PREFLIGHT_PROBE_LEASE_SECONDS`).
    pub probe_lease: Duration,
}

/// A setting that could not be used. Displays as one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting {name}: {message}")]
pub struct SettingsError {
    pub name: String,
    pub message: String,
}

fn invalid(name: &str, message: impl Into<String>) -> SettingsError {
    SettingsError { name: name.to_string(), message: message.into() }
}

/// Every setting: (environment variable, meaning). Also the allowed file keys.
pub const SETTINGS: &[(&str, &str)] = &[
    ("PREFLIGHT_DATA_DIR", "directory for the SQLite database and stored files (default ./data)"),
    ("PREFLIGHT_DATABASE_URL", "sqlite:… or postgres:… URL (default SQLite at <data dir>/preflight.db)"),
    ("PREFLIGHT_ADDR", "address and port to listen on (default 127.0.0.1:3000)"),
    ("PREFLIGHT_LOG_FORMAT", "text or json (default text)"),
    ("PREFLIGHT_LOG_LEVEL", "tracing filter, e.g. info or info,sqlx=warn (default info)"),
    ("PREFLIGHT_PUBLIC_URL", "URL people use to reach Preflight (default http://<addr>)"),
    ("PREFLIGHT_SITE_ROOT", "compiled front end directory (default target/site)"),
    ("PREFLIGHT_DB_MAX_CONNECTIONS", "database pool size, 1 to 100 (default 8)"),
    ("PREFLIGHT_SESSION_CACHE_MILLISECONDS", "with SQLite, how long one request's lookup of a session may answer the next ones; any change through Preflight clears it at once (default 1000, 0 turns it off)"),
    ("PREFLIGHT_RENDER_TIMEOUT_SECONDS", "a page or server call that takes longer is answered 503 and logged (default 30)"),
    ("PREFLIGHT_SESSION_IDLE_MINUTES", "sign out after this many minutes without a request (default 30)"),
    ("PREFLIGHT_SESSION_LIFETIME_HOURS", "sign out this many hours after sign-in, however active (default 12)"),
    ("PREFLIGHT_LOGIN_MAX_FAILURES", "failed sign-ins in a row that lock an email (default 5)"),
    ("PREFLIGHT_LOGIN_LOCKOUT_MINUTES", "how long such a lock lasts (default 15)"),
    ("PREFLIGHT_LOGIN_IP_ATTEMPTS", "sign-in attempts one client address may make per window (default 20)"),
    ("PREFLIGHT_LOGIN_IP_WINDOW_MINUTES", "that window, in minutes (default 10)"),
    ("PREFLIGHT_TRUSTED_PROXIES", "comma-separated address ranges of load balancers whose X-Forwarded-For and Forwarded headers are believed, e.g. 10.0.0.0/8,fd00::/8 (default: none, the TCP peer is the client)"),
    ("PREFLIGHT_MAX_UPLOAD_MIB", "largest evidence or document file accepted, in MiB, 1 to 1024 (default 25)"),
    ("PREFLIGHT_PROBE_RAW_DAYS", "days probes' raw checks are kept, 1 to 90 (default 7)"),
    ("PREFLIGHT_PROBE_UPKEEP_SECONDS", "how often alert rules and checklist items proven by live data are judged, and rollups run, 1 to 3600 (default 60)"),
    ("PREFLIGHT_PROBE_LEASE_SECONDS", "with several replicas, how long a replica's claim on its probes outlives it: a replica that stops answering loses its probes to the others after this long, 3 to 600 (default 30)"),
    ("PREFLIGHT_SMTP_URL", "mail server for password resets: smtp://host:25, smtp://user:pass@host:587?tls=required or smtps://… (default: no mail)"),
    ("PREFLIGHT_SMTP_FROM", "sender of that mail, e.g. Preflight <preflight@example.com> (required with PREFLIGHT_SMTP_URL)"),
];

const CONFIG_VAR: &str = "PREFLIGHT_CONFIG";

impl Settings {
    /// Reads settings from the process environment and the optional file.
    pub fn load(config_file: Option<&Path>) -> Result<Settings, SettingsError> {
        Settings::from_sources(config_file, |name| std::env::var(name).ok())
    }

    /// Reads settings through `env`, so tests can supply their own values.
    pub fn from_sources(
        config_file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, SettingsError> {
        let file_path = config_file.map(Path::to_path_buf).or_else(|| env(CONFIG_VAR).map(PathBuf::from));
        let file = match &file_path {
            Some(path) => read_file(path)?,
            None => BTreeMap::new(),
        };
        let get = |name: &str| -> Option<String> {
            env(name).or_else(|| file.get(&file_key(name)).cloned()).filter(|v| !v.trim().is_empty())
        };

        let data_dir = PathBuf::from(get("PREFLIGHT_DATA_DIR").unwrap_or_else(|| "./data".into()));

        let database_url = match get("PREFLIGHT_DATABASE_URL") {
            Some(url) => {
                if Backend::from_url(&url).is_none() {
                    return Err(invalid(
                        "PREFLIGHT_DATABASE_URL",
                        "must start with sqlite: or postgres: (e.g. postgres://user@localhost/preflight)",
                    ));
                }
                url
            }
            None => format!("sqlite://{}?mode=rwc", data_dir.join("preflight.db").display()),
        };

        let addr_text = get("PREFLIGHT_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr: SocketAddr = addr_text.trim().parse().map_err(|_| {
            invalid("PREFLIGHT_ADDR", format!("'{addr_text}' is not an IP address with a port, e.g. 127.0.0.1:3000"))
        })?;

        let log_format = match get("PREFLIGHT_LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(invalid("PREFLIGHT_LOG_FORMAT", format!("'{other}' is not text or json"))),
        };

        let log_level = get("PREFLIGHT_LOG_LEVEL").unwrap_or_else(|| "info".into());
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&log_level) {
            return Err(invalid("PREFLIGHT_LOG_LEVEL", format!("'{log_level}' is not a log filter: {e}")));
        }

        let public_url = match get("PREFLIGHT_PUBLIC_URL") {
            Some(text) => parse_public_url(&text)?,
            None => Url::parse(&format!("http://{addr}/")).expect("a socket address makes a valid URL"),
        };

        let site_root = PathBuf::from(
            get("PREFLIGHT_SITE_ROOT").or_else(|| env("LEPTOS_SITE_ROOT")).unwrap_or_else(|| "target/site".into()),
        );

        let db_max_connections = match get("PREFLIGHT_DB_MAX_CONNECTIONS") {
            None => 8,
            Some(text) => match text.trim().parse::<u32>() {
                Ok(n @ 1..=100) => n,
                _ => {
                    return Err(invalid(
                        "PREFLIGHT_DB_MAX_CONNECTIONS",
                        format!("'{text}' is not a number from 1 to 100"),
                    ))
                }
            },
        };

        let number = |name: &str, default: u64, max: u64| -> Result<u64, SettingsError> {
            match get(name) {
                None => Ok(default),
                Some(text) => match text.trim().parse::<u64>() {
                    Ok(n) if (1..=max).contains(&n) => Ok(n),
                    _ => Err(invalid(name, format!("'{text}' is not a number from 1 to {max}"))),
                },
            }
        };
        let render_timeout = Duration::from_secs(number("PREFLIGHT_RENDER_TIMEOUT_SECONDS", 30, 600)?);
        let session_cache = Duration::from_millis(match get("PREFLIGHT_SESSION_CACHE_MILLISECONDS") {
            None => 1000,
            Some(text) => match text.trim().parse::<u64>() {
                Ok(n) if n <= 60_000 => n,
                _ => {
                    return Err(invalid(
                        "PREFLIGHT_SESSION_CACHE_MILLISECONDS",
                        format!("'{text}' is not a number from 0 to 60000"),
                    ))
                }
            },
        });
        let session_idle = Duration::from_secs(60 * number("PREFLIGHT_SESSION_IDLE_MINUTES", 30, 7 * 24 * 60)?);
        let session_lifetime = Duration::from_secs(3600 * number("PREFLIGHT_SESSION_LIFETIME_HOURS", 12, 24 * 90)?);
        let login_max_failures = number("PREFLIGHT_LOGIN_MAX_FAILURES", 5, 100)? as u32;
        let login_lockout = Duration::from_secs(60 * number("PREFLIGHT_LOGIN_LOCKOUT_MINUTES", 15, 24 * 60)?);
        let login_ip_attempts = number("PREFLIGHT_LOGIN_IP_ATTEMPTS", 20, 100_000)? as u32;
        let login_ip_window = Duration::from_secs(60 * number("PREFLIGHT_LOGIN_IP_WINDOW_MINUTES", 10, 24 * 60)?);

        let max_upload_bytes = number("PREFLIGHT_MAX_UPLOAD_MIB", 25, 1024)?.max(1) * 1024 * 1024;
        let probe_raw_keep = Duration::from_secs(86_400 * number("PREFLIGHT_PROBE_RAW_DAYS", 7, 90)?.max(1));
        let probe_upkeep_every = Duration::from_secs(number("PREFLIGHT_PROBE_UPKEEP_SECONDS", 60, 3600)?.max(1));
        let probe_lease = Duration::from_secs(number("PREFLIGHT_PROBE_LEASE_SECONDS", 30, 600)?.max(3));

        let trusted_proxies = match get("PREFLIGHT_TRUSTED_PROXIES") {
            None => TrustedProxies::default(),
            Some(text) => TrustedProxies::parse(&text).map_err(|e| invalid("PREFLIGHT_TRUSTED_PROXIES", e))?,
        };

        let mailer = match (get("PREFLIGHT_SMTP_URL"), get("PREFLIGHT_SMTP_FROM")) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(invalid("PREFLIGHT_SMTP_FROM", "is required when PREFLIGHT_SMTP_URL is set"));
            }
            (Some(url), Some(from)) => Some(Mailer::new(url.trim(), from.trim()).map_err(|e| {
                let name = if matches!(e, MailError::From(_)) { "PREFLIGHT_SMTP_FROM" } else { "PREFLIGHT_SMTP_URL" };
                invalid(name, e.to_string())
            })?),
        };

        Ok(Settings {
            data_dir,
            database_url,
            addr,
            log_format,
            log_level,
            public_url,
            site_root,
            db_max_connections,
            render_timeout,
            session_cache,
            session_idle,
            session_lifetime,
            login_max_failures,
            login_lockout,
            login_ip_attempts,
            login_ip_window,
            trusted_proxies,
            mailer,
            max_upload_bytes,
            probe_raw_keep,
            probe_upkeep_every,
            probe_lease,
        })
    }

    /// Whether browsers reach us over HTTPS (enables HSTS and Secure cookies).
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

fn file_key(env_name: &str) -> String {
    env_name.trim_start_matches("PREFLIGHT_").to_ascii_lowercase()
}

fn parse_public_url(text: &str) -> Result<Url, SettingsError> {
    let name = "PREFLIGHT_PUBLIC_URL";
    let url = Url::parse(text.trim()).map_err(|e| invalid(name, format!("'{text}' is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(name, format!("'{text}' must start with http:// or https://")));
    }
    if url.host_str().is_none() || url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(name, format!("'{text}' must be a plain base URL like https://preflight.example.com")));
    }
    Ok(url)
}

/// Reads the TOML file into `key -> value as text`, refusing unknown keys so
/// a typo does not silently fall back to a default.
fn read_file(path: &Path) -> Result<BTreeMap<String, String>, SettingsError> {
    let name = CONFIG_VAR;
    let text =
        std::fs::read_to_string(path).map_err(|e| invalid(name, format!("cannot read {}: {e}", path.display())))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        invalid(name, format!("{} is not valid TOML: {}", path.display(), e.message()))
    })?;
    let known: Vec<String> = SETTINGS.iter().map(|(env, _)| file_key(env)).collect();
    let mut values = BTreeMap::new();
    for (key, value) in table {
        if !known.contains(&key) {
            return Err(invalid(
                name,
                format!("unknown key '{key}' in {} (known: {})", path.display(), known.join(", ")),
            ));
        }
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            other => {
                return Err(invalid(
                    name,
                    format!("key '{key}' in {} must be a string or number, not {}", path.display(), other.type_str()),
                ))
            }
        };
        values.insert(key, text);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_sources(None, |name| map.get(name).cloned())
    }

    #[test]
    fn defaults_give_sqlite_under_data_on_localhost() {
        let s = load(&[]).unwrap();
        assert_eq!(s.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(s.database_url, "sqlite://./data/preflight.db?mode=rwc");
        assert_eq!(s.log_format, LogFormat::Text);
        assert_eq!(s.public_url.as_str(), "http://127.0.0.1:3000/");
        assert!(!s.is_https());
        assert!(s.trusted_proxies.is_empty(), "no proxy is trusted unless configured");
    }

    #[test]
    fn trusted_proxies_are_a_list_of_ranges() {
        let s = load(&[("PREFLIGHT_TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8")]).unwrap();
        assert!(s.trusted_proxies.contains("10.1.2.3".parse().unwrap()));
        assert!(s.trusted_proxies.contains("fd00::1".parse().unwrap()));
        assert!(!s.trusted_proxies.contains("192.0.2.1".parse().unwrap()));
        let err = load(&[("PREFLIGHT_TRUSTED_PROXIES", "10.0.0.0/8, 10.0.0.0/33")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting PREFLIGHT_TRUSTED_PROXIES: '10.0.0.0/33' is not an address range like 10.0.0.0/8 or fd00::/8 (or a single address)"
        );
    }

    #[test]
    fn each_bad_value_names_its_setting() {
        let cases = [
            ("PREFLIGHT_ADDR", "localhost"),
            ("PREFLIGHT_LOG_FORMAT", "yaml"),
            ("PREFLIGHT_DATABASE_URL", "mysql://db/preflight"),
            ("PREFLIGHT_PUBLIC_URL", "ftp://example.com"),
            ("PREFLIGHT_PUBLIC_URL", "not a url"),
            ("PREFLIGHT_DB_MAX_CONNECTIONS", "0"),
            ("PREFLIGHT_LOG_LEVEL", "info,[[["),
            ("PREFLIGHT_SESSION_IDLE_MINUTES", "0"),
            ("PREFLIGHT_SESSION_LIFETIME_HOURS", "forever"),
            ("PREFLIGHT_TRUSTED_PROXIES", "load-balancer.internal"),
            ("PREFLIGHT_SESSION_CACHE_MILLISECONDS", "-1"),
        ];
        for (name, value) in cases {
            let err = load(&[(name, value)]).unwrap_err();
            assert_eq!(err.name, name, "{value}");
            let line = err.to_string();
            assert!(line.starts_with(&format!("invalid setting {name}: ")), "{line}");
            assert!(!line.contains('\n'), "{line}");
        }
    }

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("preflight.toml");
        std::fs::write(&file, "addr = \"127.0.0.1:4000\"\nlog_format = \"json\"\ndb_max_connections = 3\n").unwrap();
        let s = Settings::from_sources(Some(&file), |name| {
            (name == "PREFLIGHT_ADDR").then(|| "127.0.0.1:5000".to_string())
        })
        .unwrap();
        assert_eq!(s.addr.port(), 5000);
        assert_eq!(s.log_format, LogFormat::Json);
        assert_eq!(s.db_max_connections, 3);
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("preflight.toml");
        std::fs::write(&file, "adress = \"127.0.0.1:4000\"\n").unwrap();
        let err = Settings::from_sources(Some(&file), |_| None).unwrap_err();
        assert_eq!(err.name, "PREFLIGHT_CONFIG");
        assert!(err.message.contains("unknown key 'adress'"), "{}", err.message);
    }

    #[test]
    fn https_public_url_is_detected() {
        let s = load(&[("PREFLIGHT_PUBLIC_URL", "https://preflight.example.com")]).unwrap();
        assert!(s.is_https());
    }
}
