//! Group commit: one thread owns the write connection and commits many commands per fsync.
//!
//! Callers send a job (a closure over the connection) through a bounded channel. The writer
//! takes every job waiting in the channel, opens ONE transaction, runs each job inside its own
//! `SAVEPOINT` (a failing job rolls back only itself), `COMMIT`s once, and only then answers
//! every caller. So a success is never reported before the `COMMIT` (and with
//! `synchronous=FULL`, its fsync) returned, and the fsync cost is shared by the whole batch.
//!
//! Batches form naturally: while one batch's `COMMIT` is waiting for the disk, new jobs queue
//! up and become the next batch. No timer, so an idle server answers a lone request at once.
//!
//! Jobs read their snapshot inside the transaction, so they see the uncommitted effects of
//! earlier jobs in the same batch; because of that a `COMMIT` failure fails every job of the
//! batch (even those whose answer was a rejection) rather than returning answers that were
//! computed against state that never became durable.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, Result};

/// What a job leaves behind to run once the batch's fate is known (`None` = committed).
type Completion = Box<dyn FnOnce(Option<&str>) + Send>;
/// A queued unit of work: runs inside its savepoint and returns its completion.
type Job = Box<dyn FnOnce(&Connection) -> Completion + Send>;

/// Upper bound of jobs per transaction, so one batch cannot hold the write lock for long.
const MAX_BATCH: usize = 512;
/// Queue capacity; senders wait (async) when it is full, which is our backpressure.
const QUEUE_CAPACITY: usize = 8192;

/// Counters describing group-commit behaviour (exported as metrics, checked by tests).
#[derive(Debug, Default)]
pub(crate) struct WriterCounters {
    commits: AtomicU64,
    jobs: AtomicU64,
    failed_commits: AtomicU64,
    max_batch: AtomicU64,
}

/// A snapshot of [`WriterCounters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Transactions committed (each one fsync with `synchronous=FULL`).
    pub commits: u64,
    /// Jobs executed (commands, config upserts, audit entries).
    pub jobs: u64,
    /// Transactions whose `COMMIT` failed (all their jobs got an internal error).
    pub failed_commits: u64,
    /// Largest batch seen.
    pub max_batch: u64,
}

impl WriterCounters {
    fn snapshot(&self) -> WriterStats {
        WriterStats {
            commits: self.commits.load(Ordering::Relaxed),
            jobs: self.jobs.load(Ordering::Relaxed),
            failed_commits: self.failed_commits.load(Ordering::Relaxed),
            max_batch: self.max_batch.load(Ordering::Relaxed),
        }
    }
}

/// Handle to the writer thread. Dropping every handle stops the thread after it drains.
#[derive(Clone)]
pub(crate) struct Writer {
    tx: mpsc::Sender<Job>,
    counters: Arc<WriterCounters>,
}

impl Writer {
    /// Starts the writer thread owning `conn` (already configured and migrated).
    pub(crate) fn spawn(conn: Connection) -> Result<Writer> {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let counters = Arc::new(WriterCounters::default());
        let thread_counters = counters.clone();
        std::thread::Builder::new()
            .name("zhima-sqlite-writer".into())
            .spawn(move || run(conn, rx, &thread_counters))
            .map_err(|e| Error::internal(format!("cannot start the SQLite writer: {e}")))?;
        Ok(Writer { tx, counters })
    }

    /// Runs `f` inside the next group-commit transaction and returns its result once the
    /// transaction committed. An `Err` from `f` rolls back `f`'s writes only.
    pub(crate) async fn execute<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let outcome = run_in_savepoint(conn, f);
            Box::new(move |commit_error: Option<&str>| {
                let outcome = match commit_error {
                    None => outcome,
                    Some(e) => Err(Error::internal(format!("commit failed: {e}"))),
                };
                // The caller may have gone away (request cancelled); its write stands anyway.
                let _ = reply.send(outcome);
            })
        });
        self.tx
            .send(job)
            .await
            .map_err(|_| Error::internal("the SQLite writer has stopped"))?;
        answer
            .await
            .map_err(|_| Error::internal("the SQLite writer dropped a job"))?
    }

    /// Queues `f` for the next batch without waiting for it (audit entries). Waits only when
    /// the queue is full. Failures are logged, not returned.
    pub(crate) async fn enqueue<F>(&self, f: F)
    where
        F: FnOnce(&Connection) -> Result<()> + Send + 'static,
    {
        let job: Job = Box::new(move |conn| {
            if let Err(e) = run_in_savepoint(conn, f) {
                tracing::warn!(error = %e, "queued write failed");
            }
            Box::new(|commit_error: Option<&str>| {
                if let Some(e) = commit_error {
                    tracing::warn!(error = %e, "queued write lost: commit failed");
                }
            })
        });
        if self.tx.send(job).await.is_err() {
            tracing::warn!("queued write dropped: the SQLite writer has stopped");
        }
    }

    /// Group-commit counters so far.
    pub(crate) fn stats(&self) -> WriterStats {
        self.counters.snapshot()
    }
}

/// Runs `f` in a savepoint: released on `Ok`, rolled back on `Err` or panic.
fn run_in_savepoint<T>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    conn.execute_batch("SAVEPOINT job")?;
    let outcome = catch_unwind(AssertUnwindSafe(|| f(conn)))
        .unwrap_or_else(|_| Err(Error::internal("a storage job panicked")));
    let end = if outcome.is_ok() {
        "RELEASE job"
    } else {
        "ROLLBACK TO job; RELEASE job"
    };
    match conn.execute_batch(end) {
        Ok(()) => outcome,
        Err(e) => Err(Error::internal(format!("savepoint {end:?} failed: {e}"))),
    }
}

/// The writer thread's loop: gather a batch, run it in one transaction, commit, answer.
fn run(conn: Connection, mut rx: mpsc::Receiver<Job>, counters: &WriterCounters) {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = Vec::with_capacity(16);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&conn, batch, counters);
    }
}

fn run_batch(conn: &Connection, batch: Vec<Job>, counters: &WriterCounters) {
    let size = batch.len() as u64;
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        counters.failed_commits.fetch_add(1, Ordering::Relaxed);
        tracing::error!(error = %e, "cannot begin a write transaction");
        // The jobs never ran: dropping them drops their reply channels, so every caller gets
        // an internal error ("dropped a job") and nothing was written.
        drop(batch);
        return;
    }
    let completions: Vec<Completion> = batch.into_iter().map(|job| job(conn)).collect();
    let commit = conn.execute_batch("COMMIT").map_err(|e| e.to_string());
    if commit.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
        counters.failed_commits.fetch_add(1, Ordering::Relaxed);
    } else {
        counters.commits.fetch_add(1, Ordering::Relaxed);
    }
    counters.jobs.fetch_add(size, Ordering::Relaxed);
    counters.max_batch.fetch_max(size, Ordering::Relaxed);
    let commit_error = commit.err();
    for complete in completions {
        complete(commit_error.as_deref());
    }
}
