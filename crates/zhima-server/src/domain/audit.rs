//! The audit log (PRODUCT §6): one entry per request that reached a handler — app, method,
//! outcome, latency. Never keys, signatures or bodies.

use crate::domain::entities::Time;

/// One audited request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When the request was received.
    pub at: Time,
    /// The calling app, when known.
    pub app_id: Option<String>,
    /// v1 `method` or v3 `METHOD /path` (admin requests: the admin route).
    pub method: String,
    /// The answer: `10000`, a business code (`IDEMPOTENT_ERROR`), a gateway sub_code, …
    pub outcome: String,
    /// Handling time in microseconds.
    pub latency_us: i64,
}
