//! Injectable time and nonce sources.
//!
//! Every signed request depends on "now" (v1 `timestamp` in UTC+8 wall time, v3 epoch
//! milliseconds) and, for v3, a nonce. Injecting both makes a request reproducible byte for
//! byte, which is how the golden vectors of the official SDKs are checked.

use std::fmt;

use chrono::{DateTime, Utc};

/// A source of the current instant.
///
/// Any `Fn() -> DateTime<Utc>` closure is a clock:
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use zhima_client::Clock;
///
/// let frozen = || Utc.with_ymd_and_hms(2024, 5, 20, 2, 0, 0).unwrap();
/// assert_eq!(frozen.now().timestamp(), 1_716_170_400);
/// ```
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

impl<F> Clock for F
where
    F: Fn() -> DateTime<Utc> + Send + Sync + 'static,
{
    fn now(&self) -> DateTime<Utc> {
        self()
    }
}

/// The system clock (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A source of v3 nonces.
///
/// Any `Fn() -> String` closure is a nonce source. Nonces must not repeat within the server's
/// clock-skew window: zhima rejects a reused nonce as a replay.
///
/// ```
/// use zhima_client::{NonceSource, UuidNonce};
///
/// let n = UuidNonce.nonce();
/// assert_eq!(n.len(), 36);
/// assert_ne!(n, UuidNonce.nonce());
/// ```
pub trait NonceSource: Send + Sync + 'static {
    /// A fresh nonce.
    fn nonce(&self) -> String;
}

impl<F> NonceSource for F
where
    F: Fn() -> String + Send + Sync + 'static,
{
    fn nonce(&self) -> String {
        self()
    }
}

/// Random UUID v4 with hyphens, as the Java and Node SDKs send (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidNonce;

impl NonceSource for UuidNonce {
    fn nonce(&self) -> String {
        random_uuid().hyphenated().to_string()
    }
}

/// A random (v4) UUID from the thread's CSPRNG (`rand::thread_rng`, a ChaCha stream seeded
/// from the OS): `Uuid::new_v4` asks the OS for every one, a system call per request.
pub(crate) fn random_uuid() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid()
}

/// Boxed clock and nonce source as kept in the client configuration.
pub(crate) struct Sources {
    pub(crate) clock: Box<dyn Clock>,
    pub(crate) nonce: Box<dyn NonceSource>,
}

impl Default for Sources {
    fn default() -> Self {
        Self {
            clock: Box::new(SystemClock),
            nonce: Box::new(UuidNonce),
        }
    }
}

impl fmt::Debug for Sources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sources { .. }")
    }
}
