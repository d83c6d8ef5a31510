//! Audit log retention (`[server] audit_retention_days`): a periodic sweep deletes entries
//! older than the retention in bounded batches (one write transaction each, so live requests
//! never wait behind a long delete), on every engine.

use std::sync::Arc;
use std::time::Duration;

use crate::domain::audit::{retention_cutoff, PRUNE_BATCH};
use crate::domain::entities::Time;
use crate::error::Result;

use super::handle::Storage;

impl Storage {
    /// Deletes every audit entry received before `before`, [`PRUNE_BATCH`] per transaction;
    /// how many it deleted.
    pub async fn prune_audit(&self, before: Time) -> Result<u64> {
        let mut deleted = 0;
        loop {
            let n = self
                .write(move |tx| tx.delete_audit_before(&before, PRUNE_BATCH))
                .await?;
            deleted += n;
            if n < PRUNE_BATCH as u64 {
                return Ok(deleted);
            }
        }
    }

    /// Every `every`, deletes the audit entries older than `retention_days` (wall-clock
    /// receipt time, as recorded) until the task is aborted; `None` when `retention_days` is
    /// 0 (keep forever). Failures are logged and retried on the next tick.
    pub fn spawn_audit_pruner(
        self: &Arc<Self>,
        retention_days: u32,
        every: Duration,
    ) -> Option<tokio::task::JoinHandle<()>> {
        if retention_days == 0 {
            return None;
        }
        let storage = Arc::clone(self);
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let now = zhima_proto::time::now_alipay();
                let Some(cutoff) = retention_cutoff(&now, retention_days) else {
                    return;
                };
                match storage.prune_audit(cutoff).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(deleted = n, retention_days, "audit log pruned"),
                    Err(e) => tracing::warn!(error = %e, "audit retention sweep failed; retrying"),
                }
            }
        }))
    }
}
