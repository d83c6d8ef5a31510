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

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, Result};
use crate::storage::engine::StorageStats;
use crate::storage::later::LaterJobs;
use crate::storage::writer_stats::{queue_depth, WriterCounters};

/// What a job leaves behind to run once the batch's fate is known (`None` = committed).
type Completion = Box<dyn FnOnce(Option<&str>) + Send>;
/// A queued unit of work: runs inside its savepoint and returns its completion.
type Job = Box<dyn FnOnce(&Connection, &Cell<bool>) -> Completion + Send>;

/// Upper bound of jobs per transaction, so one batch cannot hold the write lock for long.
const MAX_BATCH: usize = 512;
/// Queue capacity; senders wait (async) when it is full, which is our backpressure.
const QUEUE_CAPACITY: usize = 8192;

/// Handle to the writer thread. Dropping every handle stops the thread after it drains.
#[derive(Clone)]
pub(crate) struct Writer {
    tx: mpsc::Sender<Job>,
    /// Jobs nobody waits for, taken into the next batch (`storage/later.rs`).
    later: Arc<LaterJobs<Job>>,
    counters: Arc<WriterCounters>,
}

impl Writer {
    /// Starts the writer thread owning `conn` (already configured and migrated).
    pub(crate) fn spawn(conn: Connection) -> Result<Writer> {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let counters = Arc::new(WriterCounters::default());
        let thread_counters = counters.clone();
        let later = Arc::new(LaterJobs::default());
        let thread_later = Arc::clone(&later);
        std::thread::Builder::new()
            .name("zhima-sqlite-writer".into())
            .spawn(move || run(conn, rx, &thread_later, &thread_counters))
            .map_err(|e| Error::internal(format!("cannot start the SQLite writer: {e}")))?;
        Ok(Writer {
            tx,
            later,
            counters,
        })
    }

    /// Runs `f` inside the next group-commit transaction and returns its result once the
    /// transaction committed. An `Err` from `f` rolls back `f`'s writes only.
    pub(crate) async fn execute<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn, poisoned| {
            let outcome = run_in_savepoint(conn, poisoned, f);
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

    /// Queues `f` for the next batch without waiting for it (audit entries); it wakes nothing.
    /// Failures are logged, not returned.
    pub(crate) fn enqueue<F>(&self, f: F)
    where
        F: FnOnce(&Connection) -> Result<()> + Send + 'static,
    {
        let job: Job = Box::new(move |conn, poisoned| {
            if let Err(e) = run_in_savepoint(conn, poisoned, f) {
                tracing::warn!(error = %e, "queued write failed");
            }
            Box::new(|commit_error: Option<&str>| {
                if let Some(e) = commit_error {
                    tracing::warn!(error = %e, "queued write lost: commit failed");
                }
            })
        });
        self.later.push(job);
    }

    /// Group-commit counters so far.
    pub(crate) fn stats(&self) -> StorageStats {
        self.counters.snapshot(queue_depth(&self.tx))
    }
}

/// Runs `f` in a savepoint: released on `Ok`, rolled back on `Err` or panic. If the savepoint
/// cannot be closed cleanly, `poisoned` is set and the whole batch is rolled back, so nothing
/// of a job whose caller saw an error is ever committed.
fn run_in_savepoint<T>(
    conn: &Connection,
    poisoned: &Cell<bool>,
    f: impl FnOnce(&Connection) -> Result<T>,
) -> Result<T> {
    conn.prepare_cached("SAVEPOINT job")?.execute([])?;
    let outcome = catch_unwind(AssertUnwindSafe(|| f(conn)))
        .unwrap_or_else(|_| Err(Error::internal("a storage job panicked")));
    let released = match &outcome {
        Ok(_) => conn
            .prepare_cached("RELEASE job")
            .and_then(|mut s| s.execute([])),
        Err(_) => conn
            .execute_batch("ROLLBACK TO job; RELEASE job")
            .map(|()| 0),
    };
    match released {
        Ok(_) => outcome,
        Err(e) => {
            poisoned.set(true);
            Err(Error::internal(format!("cannot close the savepoint: {e}")))
        }
    }
}

/// The writer thread's loop: gather a batch, run it in one transaction, commit, answer.
fn run(
    conn: Connection,
    mut rx: mpsc::Receiver<Job>,
    later: &LaterJobs<Job>,
    counters: &WriterCounters,
) {
    while let Some(first) = rx.blocking_recv() {
        // Queued before `first` was sent, so they go first.
        let mut batch = later.take();
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
    let size = batch.len();
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        counters.failed_to_begin();
        tracing::error!(error = %e, "cannot begin a write transaction");
        // The jobs never ran: dropping them drops their reply channels, so every caller gets
        // an internal error ("dropped a job") and nothing was written. A transaction left open
        // by an earlier failure is closed so the next batch can start.
        drop(batch);
        let _ = conn.execute_batch("ROLLBACK");
        return;
    }
    let poisoned = Cell::new(false);
    let completions: Vec<Completion> = batch.into_iter().map(|job| job(conn, &poisoned)).collect();
    let started = std::time::Instant::now();
    let commit = if poisoned.get() {
        Err("a job left the transaction in an unknown state; the batch was rolled back".to_owned())
    } else {
        conn.execute_batch("COMMIT").map_err(|e| e.to_string())
    };
    if commit.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
        counters.batch(size, None);
    } else {
        counters.batch(size, Some(started.elapsed()));
    }
    let commit_error = commit.err();
    for complete in completions {
        complete(commit_error.as_deref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer() -> Writer {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v INTEGER NOT NULL)")
            .unwrap();
        Writer::spawn(conn).unwrap()
    }

    async fn values(w: &Writer) -> Vec<i64> {
        w.execute(|c| {
            let mut s = c.prepare("SELECT v FROM t ORDER BY v")?;
            let rows = s.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<i64>>>()?)
        })
        .await
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failing_and_panicking_jobs_roll_back_only_themselves() {
        let w = writer();
        let insert =
            |v: i64| move |c: &Connection| Ok(c.execute("INSERT INTO t VALUES (?1)", [v])?);
        let fail = |c: &Connection| -> Result<usize> {
            c.execute("INSERT INTO t VALUES (100)", [])?;
            Err(Error::rejected(
                zhima_proto::catalog::CumulationCode::RefundIllegal,
                "no",
            ))
        };
        let panic = |c: &Connection| -> Result<usize> {
            c.execute("INSERT INTO t VALUES (200)", [])?;
            panic!("job bug")
        };
        // Queued together, these normally share one transaction.
        let (a, b, c, d) = tokio::join!(
            w.execute(insert(1)),
            w.execute(fail),
            w.execute(panic),
            w.execute(insert(2))
        );
        assert!(a.is_ok() && d.is_ok());
        assert!(matches!(b, Err(Error::Rejected(_))));
        assert!(matches!(c, Err(Error::Internal(m)) if m.contains("panicked")));
        assert_eq!(values(&w).await, [1, 2]);
        assert_eq!(w.stats().failed_commits, 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_writes_are_committed_by_the_next_batch() {
        let w = writer();
        w.enqueue(|c| Ok(c.execute("INSERT INTO t VALUES (7)", []).map(|_| ())?));
        w.enqueue(|c| Ok(c.execute("INSERT INTO t VALUES (NULL)", []).map(|_| ())?)); // fails alone
        assert_eq!(values(&w).await, [7]);
        let stats = w.stats();
        assert_eq!(stats.write_jobs, 3);
        assert!(stats.commits >= 1 && stats.commits <= 3);
    }
}
