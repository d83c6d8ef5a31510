//! The audit log's write path: entries are buffered in memory and written in bulk, never as a
//! transaction of their own while business writes are flowing.
//!
//! Why: an entry per request written as its own queued job arrived at the group-commit writer
//! just after the request's business write had committed, so about half of all commits (each
//! an fsync) carried nothing but one audit row. Now every business write takes the entries
//! waiting at that moment into its own batch (one job, one savepoint, however many entries),
//! and a periodic flush ([`Storage::spawn_audit_flusher`]) writes what read-only traffic left
//! behind. Reads of the audit log flush first, so a caller always sees its own requests.
//!
//! Durability is unchanged in kind: the audit log was already written after the answer, so a
//! crash could lose the last entries; now at most one flush period's (and shutdown flushes).

use std::sync::Mutex;
use std::time::Duration;

use crate::domain::audit::AuditEntry;
use crate::error::Result;

use super::engine::WriteTx;
use super::handle::Storage;

/// Entries waiting beyond which the flusher is woken before its period ends.
const FLUSH_AT: usize = 1024;

/// Default period of the background flush.
pub const DEFAULT_AUDIT_FLUSH_EVERY: Duration = Duration::from_millis(200);

/// Audit entries not yet handed to the engine.
#[derive(Default)]
pub(super) struct AuditBuffer {
    pending: Mutex<Vec<AuditEntry>>,
    /// Wakes the flusher early when [`FLUSH_AT`] entries wait.
    full: tokio::sync::Notify,
}

impl AuditBuffer {
    fn push(&self, entry: AuditEntry) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.push(entry);
        if pending.len() == FLUSH_AT {
            self.full.notify_one();
        }
    }

    /// Takes everything waiting.
    pub(super) fn take(&self) -> Vec<AuditEntry> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Writes `entries` inside a write transaction (one savepoint for all of them).
fn write_entries(tx: &mut dyn WriteTx, entries: &[AuditEntry]) -> Result<()> {
    entries.iter().try_for_each(|e| tx.append_audit(e))
}

impl Storage {
    /// Queues an audit entry: it is written with the next business write's batch, by the
    /// periodic flush, or before any read of the audit log, whichever comes first. Never fails
    /// the request and never waits.
    pub fn append_audit(&self, entry: AuditEntry) {
        self.audit.push(entry);
    }

    /// Hands every waiting entry to the engine as one queued job, committed with the next
    /// batch (no later than any write started after this returns).
    pub(super) fn flush_audit_later(&self) {
        let entries = self.audit.take();
        if !entries.is_empty() {
            self.engine_write_later(Box::new(move |tx: &mut dyn WriteTx| {
                write_entries(tx, &entries)
            }));
        }
    }

    /// Writes every waiting entry and waits for the commit.
    pub async fn flush_audit(&self) -> Result<()> {
        let entries = self.audit.take();
        if entries.is_empty() {
            return Ok(());
        }
        self.write(move |tx| write_entries(tx, &entries)).await
    }

    /// Flushes the buffer every `every` (sooner when it fills) until the task is aborted.
    pub fn spawn_audit_flusher(
        self: &std::sync::Arc<Self>,
        every: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let storage = std::sync::Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = storage.audit.full.notified() => {}
                }
                if let Err(e) = storage.flush_audit().await {
                    tracing::warn!(error = %e, "audit entries not written; lost");
                }
            }
        })
    }

    /// The newest audit entries, newest first.
    pub async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        self.flush_audit().await?;
        self.read(move |tx| tx.recent_audit(limit)).await
    }
}
