//! What every handler shares: storage (which also keeps the v3 nonces), the platform signing
//! key, settings and parsed app keys.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use zhima_proto::aes::AesKey;
use zhima_proto::keys::{PrivateKey, PublicKey};

use super::error::ApiError;
use crate::config::Config;
use crate::domain::entities::App;
use crate::storage::Storage;

/// Default request body limit (1 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Default time a request may take, body upload included.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time a client has to send a request's head, on a new connection and between
/// keep-alive requests alike.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration =
    Duration::from_secs(crate::config::DEFAULT_HEADER_READ_TIMEOUT_SECS);
/// Default cap on connections open at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = crate::config::DEFAULT_MAX_CONNECTIONS;
/// Default cap on API requests served at once.
pub const DEFAULT_MAX_IN_FLIGHT: usize = crate::config::DEFAULT_MAX_IN_FLIGHT;
/// Default time a request may wait for an in-flight slot.
pub const DEFAULT_MAX_QUEUE_WAIT: Duration =
    Duration::from_millis(crate::config::DEFAULT_MAX_QUEUE_WAIT_MS);
/// Default period of the agreement expiry sweep (PRODUCT §11).
pub const DEFAULT_EXPIRY_SWEEP_EVERY: Duration = Duration::from_secs(1);
/// Default period of the audit retention sweep.
pub const DEFAULT_AUDIT_SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// How long shutdown waits for in-flight requests (PRODUCT §10).
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Tunables of the HTTP layer.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Allowed difference between a request timestamp and our clock (both protocols).
    pub clock_skew: chrono::Duration,
    /// Largest request body accepted.
    pub body_limit: usize,
    /// Deadline for one request, from headers received to response ready.
    pub request_timeout: Duration,
    /// How long shutdown waits for in-flight requests before closing them.
    pub shutdown_grace: Duration,
    /// Time to receive a request head (request line and headers); idle keep-alive
    /// connections are closed after it too.
    pub header_read_timeout: Duration,
    /// Connections open at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// API requests served at once (`admission.rs`).
    pub max_in_flight: usize,
    /// How long a request that finds no free slot may wait for one before it gets the
    /// signed overload answer; zero refuses at once.
    pub max_queue_wait: Duration,
    /// Per-app token bucket, counted after the signature verified (`None`: no limit).
    pub app_rate_limit: Option<crate::config::RateLimit>,
    /// How often the agreement expiry sweep runs while serving.
    pub expiry_sweep_every: Duration,
    /// Days audit entries are kept (`[server] audit_retention_days`); 0 keeps them forever.
    pub audit_retention_days: u32,
    /// How often the audit retention sweep runs while serving (first run at start).
    pub audit_sweep_every: Duration,
    /// How often queued audit entries are written when no business write takes them along.
    pub audit_flush_every: Duration,
    /// The notification delivery worker (PRODUCT §12).
    pub notify: crate::notify::NotifySettings,
}

impl Settings {
    /// Defaults with the configured clock skew.
    pub fn from_config(config: &Config) -> Self {
        Settings {
            clock_skew: config.server.clock_skew,
            header_read_timeout: config.server.header_read_timeout,
            max_connections: config.server.max_connections,
            max_in_flight: config.server.max_in_flight,
            max_queue_wait: config.server.max_queue_wait,
            app_rate_limit: config.server.app_rate_limit,
            audit_retention_days: config.server.audit_retention_days,
            notify: crate::notify::NotifySettings {
                timeout: config.server.notify_timeout,
                allowed_hosts: config.server.notify_allowed_hosts.clone(),
                ..Default::default()
            },
            ..Settings::default()
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            clock_skew: chrono::Duration::seconds(crate::config::DEFAULT_CLOCK_SKEW_SECS as i64),
            body_limit: DEFAULT_BODY_LIMIT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            max_queue_wait: DEFAULT_MAX_QUEUE_WAIT,
            app_rate_limit: None,
            expiry_sweep_every: DEFAULT_EXPIRY_SWEEP_EVERY,
            audit_retention_days: crate::config::DEFAULT_AUDIT_RETENTION_DAYS,
            audit_sweep_every: DEFAULT_AUDIT_SWEEP_EVERY,
            audit_flush_every: crate::storage::audit_log::DEFAULT_AUDIT_FLUSH_EVERY,
            notify: crate::notify::NotifySettings::default(),
        }
    }
}

/// The platform identity that signs every response.
#[derive(Clone)]
pub struct Platform {
    /// Response-signing key.
    pub key: PrivateKey,
    /// Cert mode: SN of the platform certificate (`alipay_cert_sn` / `alipay-sn`).
    pub cert_sn: Option<String>,
}

impl Platform {
    /// The platform section of a configuration.
    pub fn from_config(config: &Config) -> Self {
        Platform {
            key: config.platform.private_key.clone(),
            cert_sn: config.platform.cert.as_ref().map(|c| c.sn.clone()),
        }
    }

    /// The SN to put in a response: only for cert-mode requests, and only if we have a cert.
    pub(crate) fn sn_for(&self, cert_mode_request: bool) -> Option<&str> {
        self.cert_sn.as_deref().filter(|_| cert_mode_request)
    }
}

/// An app's keys, parsed once from their stored text.
pub(crate) struct AppKeys {
    public_key_pem: String,
    encrypt_key_text: Option<String>,
    pub(crate) public: PublicKey,
    /// `None` when the app has no `encrypt_key`; `Some(Err)` when it is unusable.
    pub(crate) aes: Option<Result<AesKey, String>>,
}

/// The state behind every handler.
pub(crate) struct Shared {
    pub(crate) storage: Arc<Storage>,
    pub(crate) platform: Platform,
    pub(crate) settings: Settings,
    /// This server's Prometheus registry (`/metrics`).
    pub(crate) metrics: crate::metrics::Metrics,
    /// In-flight cap, per-app rate limits and the cached overload answers.
    pub(crate) admission: super::admission::Admission,
    keys: RwLock<HashMap<String, Arc<AppKeys>>>,
    shutting_down: AtomicBool,
}

impl Shared {
    pub(crate) fn new(storage: Arc<Storage>, platform: Platform, settings: Settings) -> Self {
        Shared {
            admission: super::admission::Admission::new(
                settings.max_in_flight,
                settings.max_queue_wait,
                settings.app_rate_limit,
            ),
            storage,
            platform,
            settings,
            metrics: crate::metrics::Metrics::new(),
            keys: RwLock::new(HashMap::new()),
            shutting_down: AtomicBool::new(false),
        }
    }

    /// The parsed keys of `app`, re-parsed only when its stored key text changed.
    pub(crate) fn app_keys(&self, app: &App) -> Result<Arc<AppKeys>, ApiError> {
        let cached = self
            .keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&app.app_id)
            .cloned();
        if let Some(k) = cached.filter(|k| {
            k.public_key_pem == app.public_key_pem && k.encrypt_key_text == app.encrypt_key
        }) {
            return Ok(k);
        }
        let public = PublicKey::from_text(&app.public_key_pem).map_err(|e| {
            ApiError::system(format!(
                "stored public key of app {} does not parse: {e}",
                app.app_id
            ))
        })?;
        let aes = app
            .encrypt_key
            .as_deref()
            .map(|t| AesKey::from_base64(t).map_err(|e| e.to_string()));
        let keys = Arc::new(AppKeys {
            public_key_pem: app.public_key_pem.clone(),
            encrypt_key_text: app.encrypt_key.clone(),
            public,
            aes,
        });
        self.keys
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(app.app_id.clone(), keys.clone());
        Ok(keys)
    }

    pub(crate) fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }
}
