//! The group-commit counters both writers keep (SQLite's and PostgreSQL's), read as
//! [`StorageStats`] by tests and `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::engine::StorageStats;
use crate::metrics::Histogram;

/// Bounds of the jobs-per-commit histogram (SQLite batches up to 512, PostgreSQL up to 64).
pub(crate) const BATCH_SIZE_BOUNDS: &[u64] = &[1, 2, 4, 8, 16, 32, 64, 128, 256, 512];
/// Bounds of the commit latency histogram, in microseconds (100 µs … 2.5 s).
pub(crate) const COMMIT_US_BOUNDS: &[u64] = &[
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000,
];

/// Counters of one writer thread.
#[derive(Debug)]
pub(crate) struct WriterCounters {
    commits: AtomicU64,
    jobs: AtomicU64,
    failed_commits: AtomicU64,
    max_batch: AtomicU64,
    batch_sizes: Histogram,
    commit_us: Histogram,
}

impl Default for WriterCounters {
    fn default() -> Self {
        WriterCounters {
            commits: AtomicU64::new(0),
            jobs: AtomicU64::new(0),
            failed_commits: AtomicU64::new(0),
            max_batch: AtomicU64::new(0),
            batch_sizes: Histogram::new(BATCH_SIZE_BOUNDS),
            commit_us: Histogram::new(COMMIT_US_BOUNDS),
        }
    }
}

impl WriterCounters {
    /// A batch of `size` jobs ran; `commit` is how long its `COMMIT` took (fsync included)
    /// when it committed, `None` when it did not.
    pub(crate) fn batch(&self, size: usize, commit: Option<Duration>) {
        let size = size as u64;
        self.jobs.fetch_add(size, Ordering::Relaxed);
        self.max_batch.fetch_max(size, Ordering::Relaxed);
        self.batch_sizes.observe(size);
        match commit {
            Some(took) => {
                self.commits.fetch_add(1, Ordering::Relaxed);
                self.commit_us
                    .observe(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
            }
            None => {
                self.failed_commits.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// A batch that never ran (its transaction could not begin).
    pub(crate) fn failed_to_begin(&self) {
        self.failed_commits.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters, with `queue_depth` jobs waiting for the writer now.
    pub(crate) fn snapshot(&self, queue_depth: usize) -> StorageStats {
        StorageStats {
            commits: self.commits.load(Ordering::Relaxed),
            write_jobs: self.jobs.load(Ordering::Relaxed),
            failed_commits: self.failed_commits.load(Ordering::Relaxed),
            max_batch: self.max_batch.load(Ordering::Relaxed),
            batch_sizes: self.batch_sizes.snapshot(),
            commit_latency_us: self.commit_us.snapshot(),
            queue_depth: queue_depth as u64,
        }
    }
}

/// Jobs waiting in a writer's channel.
pub(crate) fn queue_depth<T>(tx: &tokio::sync::mpsc::Sender<T>) -> usize {
    tx.max_capacity() - tx.capacity()
}
