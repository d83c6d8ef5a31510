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

/// Audit entries deleted per write transaction by the retention sweep, so a sweep never
/// holds the writer for long.
pub const PRUNE_BATCH: i64 = 1000;

/// Entries received before this instant are past a retention of `days` at `now`; `None`
/// when `days` is 0 (keep forever).
pub fn retention_cutoff(now: &Time, days: u32) -> Option<Time> {
    (days > 0).then(|| *now - chrono::Duration::days(i64::from(days)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_days_keeps_forever() {
        let now = zhima_proto::time::now_alipay();
        assert_eq!(retention_cutoff(&now, 0), None);
        assert_eq!(
            retention_cutoff(&now, 30),
            Some(now - chrono::Duration::days(30))
        );
    }
}
