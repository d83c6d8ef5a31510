//! The one error type of the server's domain, storage and configuration layer.
//!
//! Four kinds of failure, kept apart because callers treat them differently:
//! - [`Error::Rejected`]: a business rule said no. It carries the catalog code and a `sub_msg`
//!   that is safe to show the merchant; nothing was written.
//! - [`Error::Internal`]: something broke (SQLite, a lost writer thread, a panic). The HTTP layer
//!   answers `SYSTEM_ERROR` and logs the detail, which may contain paths or SQL.
//! - [`Error::Unavailable`]: the database cannot be reached; the request may be retried.
//! - [`Error::Config`]: the configuration (file, key files) is unusable; the CLI exits 2 with
//!   the message, which names the file, key and line where known.

use std::fmt;

use zhima_proto::catalog::{CumulationCode, ZmdataCode};
use zhima_proto::validate::Violation;

/// A business error code from the catalog: Zhima GO codes or state-sync `ZMDATA.*` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BizCode {
    /// Zhima GO cumulation / query / settlement codes (v3 `code`, v1 `sub_code` under 40004).
    Cumulation(CumulationCode),
    /// State-sync codes (v1 `sub_code` under 40004).
    Zmdata(ZmdataCode),
}

impl BizCode {
    /// The exact wire spelling (`IDEMPOTENT_ERROR`, `ZMDAT.SERVICE_ID_ERROR`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            BizCode::Cumulation(c) => c.as_str(),
            BizCode::Zmdata(c) => c.as_str(),
        }
    }

    /// The catalog's default message for the code.
    pub fn default_message(self) -> &'static str {
        match self {
            BizCode::Cumulation(c) => c.default_message(),
            BizCode::Zmdata(c) => c.default_message(),
        }
    }
}

impl fmt::Display for BizCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<CumulationCode> for BizCode {
    fn from(c: CumulationCode) -> Self {
        BizCode::Cumulation(c)
    }
}

impl From<ZmdataCode> for BizCode {
    fn from(c: ZmdataCode) -> Self {
        BizCode::Zmdata(c)
    }
}

/// A business rejection: the code the merchant sees and a `sub_msg` explaining this case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Catalog code.
    pub code: BizCode,
    /// Human-readable detail for `sub_msg` / v3 `message`; never contains secrets.
    pub sub_msg: String,
}

impl Rejection {
    /// A rejection whose `sub_msg` is `"<default message>: <detail>"`, the style of
    /// zhima-proto's request validation (so every business failure reads alike).
    pub fn new(code: impl Into<BizCode>, detail: impl fmt::Display) -> Self {
        let code = code.into();
        Rejection {
            sub_msg: format!("{}: {detail}", code.default_message()),
            code,
        }
    }
}

impl<C: Into<BizCode>> From<Violation<C>> for Rejection {
    fn from(v: Violation<C>) -> Self {
        Rejection {
            code: v.code.into(),
            sub_msg: v.sub_msg,
        }
    }
}

impl<C: Into<BizCode>> From<Violation<C>> for Error {
    fn from(v: Violation<C>) -> Self {
        Error::Rejected(v.into())
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.sub_msg)
    }
}

/// Every failure of the domain/storage/config layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A business rule rejected the command; nothing was written.
    #[error("rejected: {0}")]
    Rejected(Rejection),
    /// An internal fault; show `SYSTEM_ERROR` to the caller, log this detail.
    #[error("internal error: {0}")]
    Internal(String),
    /// The configuration is unusable (names file, key and line where known).
    #[error("{0}")]
    Config(String),
    /// The storage is unreachable (PostgreSQL down, connection lost); nothing of the command
    /// was committed. v1 answers the gateway's `20000 isp.unknow-error`, v3 `503`, and
    /// `/readyz` is not ready; the detail is logged, never shown.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

impl Error {
    /// Shorthand for a business rejection (`sub_msg` = default message + detail).
    pub fn rejected(code: impl Into<BizCode>, detail: impl fmt::Display) -> Self {
        Error::Rejected(Rejection::new(code, detail))
    }

    /// Shorthand for an internal error with a message for the log.
    pub fn internal(detail: impl fmt::Display) -> Self {
        Error::Internal(detail.to_string())
    }

    /// The rejection, when this is a business failure.
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Error::Rejected(r) => Some(r),
            _ => None,
        }
    }
}

impl From<Rejection> for Error {
    fn from(r: Rejection) -> Self {
        Error::Rejected(r)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Internal(format!("sqlite: {e}"))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Internal(format!("stored JSON: {e}"))
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
