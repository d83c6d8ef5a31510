//! The configuration file (PRODUCT §9), from TOML text to a resolved [`Config`].
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | the resolved [`Config`] and its defaults |
//! | `file.rs` | the TOML schema (serde types; every table denies unknown keys) |
//! | `resolve.rs` | [`Config::load`] / [`Config::from_toml`]: key files, cross references, line numbers |
//!
//! [`Config::load`] parses the TOML strictly (`deny_unknown_fields` everywhere: an unknown key
//! is an error naming the key and its line), resolves paths relative to the file, reads every
//! key and certificate file, converts yuan to [`Fen`](zhima_proto::money::Fen) and UTC+8 wall
//! times to instants, checks cross references (an agreement's template exists, …) and compiles
//! the state machines. What comes out is a [`Config`] with nothing left to parse: any problem is
//! an [`Error::Config`](crate::Error::Config) at startup (exit code 2), never a surprise at
//! request time.
//!
//! The zero-config sandbox that writes a first `zhima.toml` is [`crate::bootstrap`].

mod file;
mod resolve;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::PathBuf;

use zhima_proto::keys::PrivateKey;

use crate::domain::entities::Records;

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default timestamp tolerance (PRODUCT §3: ±15 min).
pub const DEFAULT_CLOCK_SKEW_SECS: u64 = 900;
/// Default `[server] header_read_timeout_secs`.
pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 10;
/// Default `[server] max_connections`.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Default `[server] max_in_flight`: API requests served at once. Enough to keep the cores
/// and the group-commit writer busy with big batches; fewer keep an accepted request's
/// latency lower under overload but cost throughput and refuse callers a slow storage
/// engine keeps waiting (README, "Overload": 24 on 2 cores halves the 4× overload p99 and
/// costs the closed loop ~19 %).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 64;
/// Default `[server] max_queue_wait_ms`: how long a request that finds every slot taken may
/// wait for one before it gets the overload answer. Absorbs a burst without letting a
/// standing queue build.
pub const DEFAULT_MAX_QUEUE_WAIT_MS: u64 = 30;
/// Default `[server] audit_retention_days` (0 keeps the audit log forever).
pub const DEFAULT_AUDIT_RETENTION_DAYS: u32 = 30;
/// Default time one notification attempt may take (PRODUCT §12).
pub const DEFAULT_NOTIFY_TIMEOUT_SECS: u64 = 5;

/// A fully resolved configuration: keys loaded, amounts in fen, times as instants.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this came from.
    pub source: PathBuf,
    /// `[server]`.
    pub server: ServerConfig,
    /// `[platform]`.
    pub platform: PlatformConfig,
    /// Everything the server upserts into storage on start.
    pub records: Records,
}

/// `[server]`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Listen address (`--listen` overrides).
    pub listen: SocketAddr,
    /// Directory holding the SQLite database (absolute or relative to the working directory).
    pub data_dir: PathBuf,
    /// PostgreSQL URL; SQLite in `data_dir` when absent.
    pub database_url: Option<String>,
    /// Allowed clock difference for request timestamps and `biz_time`.
    pub clock_skew: chrono::Duration,
    /// Time a client has to send a request head, on a new connection and between keep-alive
    /// requests.
    pub header_read_timeout: std::time::Duration,
    /// Connections open at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// API requests (v1 gateway, v3 routes) served at once; more wait for a slot up to
    /// `max_queue_wait`, then get the signed overload answer.
    pub max_in_flight: usize,
    /// How long a request may wait for a slot; zero refuses at once.
    pub max_queue_wait: std::time::Duration,
    /// Per-app rate limit after signature verification, if configured.
    pub app_rate_limit: Option<RateLimit>,
    /// File holding the admin bearer token, if the admin API is enabled.
    pub admin_token_file: Option<PathBuf>,
    /// Days audit entries are kept; 0 keeps them forever.
    pub audit_retention_days: u32,
    /// Hosts a request's `notify_url` may name besides loopback and the hosts of the apps'
    /// `notify_url`s (`[server] notify_allowed_hosts`, PRODUCT §12).
    pub notify_allowed_hosts: Vec<String>,
    /// How long one notification attempt may take (`[server] notify_timeout_secs`).
    pub notify_timeout: std::time::Duration,
}

/// A token bucket: `per_sec` requests per second on average, at most `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained rate (tokens added per second).
    pub per_sec: u32,
    /// Bucket size: requests allowed back to back after a quiet period.
    pub burst: u32,
}

/// `[platform]`, resolved: the response-signing key and, in cert mode, its certificates.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// Where the private key came from.
    pub private_key_file: PathBuf,
    /// The key that signs every response.
    pub private_key: PrivateKey,
    /// Cert mode: the platform certificate's file and SN (`alipay_cert_sn` / `alipay-sn`).
    pub cert: Option<CertRef>,
    /// Cert mode: the root bundle's file and SN list (`alipay_root_cert_sn`).
    pub root_cert: Option<CertRef>,
}

/// A certificate file and the SN Alipay computes for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRef {
    /// The file.
    pub file: PathBuf,
    /// Its SN (for a root bundle: the `_`-joined SNs).
    pub sn: String,
}
