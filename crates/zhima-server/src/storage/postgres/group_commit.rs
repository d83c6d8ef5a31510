//! Group commit for PostgreSQL, the counterpart of `sqlite/group_commit.rs`: one writer thread
//! per process owns one connection and runs many write jobs per transaction, so a whole batch
//! shares one `COMMIT` (one WAL flush) and its round trips stay on one warm connection.
//!
//! Callers send a job through a bounded channel. The writer takes every job waiting (up to
//! [`MAX_BATCH`]), sends `BEGIN`, runs each job inside the savepoint `job`, and `COMMIT`s once;
//! only then does it answer every caller, so a success is never reported before its commit.
//! Batches form on their own: while one batch commits, the next one queues up.
//!
//! What rolls back how much:
//! - the job returns `Err` (a rejection) or hits an SQL error of its own → `ROLLBACK TO job`:
//!   that job wrote nothing, the others go on;
//! - a **unique violation** (another process committed the same idempotency key first) →
//!   `ROLLBACK TO job` and the same job runs again ([`WriteJob`] is `FnMut`): it now sees the
//!   winner and answers a replay or a conflict;
//! - a **serialization failure or deadlock** (two batches locking totals rows in opposite
//!   orders) → `ROLLBACK` of the whole transaction and the whole batch runs again;
//! - a **lost connection** or a failed `COMMIT` → every job of the batch gets the error
//!   ([`Error::Unavailable`] for a connection), nothing of the batch is committed, and the
//!   next batch reconnects. Jobs read what earlier jobs of the batch wrote, so a rejection
//!   computed against a batch that never committed is not returned either.
//!
//! Exactly-once across processes still rests on the database: `load_cumulation` locks the
//! agreement's totals row `FOR UPDATE` inside the batch transaction (jobs of one batch on the
//! same agreement share the lock: it is one transaction), and unique keys decide races.
//!
//! Round trips: a savepoint costs one (`RELEASE job; SAVEPOINT job` go together; after a
//! rollback the savepoint is still there and is reused), `BEGIN` doubles as the connection
//! check (it is safe to send again on a fresh connection), statements are prepared once per
//! connection, a totals row the batch already holds locked is not locked again, and the
//! batch's audit entries share one savepoint. A batch is capped at 64 jobs: PostgreSQL caches
//! 64 subtransaction ids per backend, and a transaction with more makes every other backend's
//! snapshots slower.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::transaction::{db_error, failure_kind, FailureKind, PgTx};
use super::PgConn;
use crate::error::{Error, Result};
use crate::storage::engine::{StorageStats, WriteJob, WriteTx};
use crate::storage::later::LaterJobs;
use crate::storage::writer_stats::{queue_depth, WriterCounters};

/// Upper bound of jobs per transaction (see the module comment: subtransaction cache).
const MAX_BATCH: usize = 64;
/// Queue capacity; senders wait (async) when it is full, which is our backpressure.
const QUEUE_CAPACITY: usize = 8192;
/// A job, or a batch, that lost a race is run again at most this many times.
const MAX_ATTEMPTS: u32 = 32;

/// Opens a new connection for the writer (after a failure, or at start).
pub(crate) type Connect = Box<dyn Fn() -> Result<PgConn> + Send>;

/// A queued job and who waits for it (`None`: an audit entry nobody waits for).
struct Queued {
    job: WriteJob,
    reply: Option<oneshot::Sender<Result<()>>>,
}

/// Handle to the writer thread. Dropping every handle stops the thread after it drains.
pub(crate) struct Writer {
    tx: mpsc::Sender<Queued>,
    /// Jobs nobody waits for, taken into the next batch (`storage/later.rs`).
    later: Arc<LaterJobs<WriteJob>>,
    counters: Arc<WriterCounters>,
}

impl Writer {
    /// Starts the writer thread. It connects with `connect` when it needs a connection.
    pub(crate) fn spawn(connect: Connect) -> Result<Writer> {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let counters = Arc::new(WriterCounters::default());
        let thread_counters = Arc::clone(&counters);
        let later = Arc::new(LaterJobs::default());
        let thread_later = Arc::clone(&later);
        // A plain thread: the sync `postgres` client runs its own runtime and must not block
        // a tokio worker.
        std::thread::Builder::new()
            .name("zhima-pg-writer".into())
            .spawn(move || run(connect, rx, &thread_later, &thread_counters))
            .map_err(|e| Error::internal(format!("cannot start the PostgreSQL writer: {e}")))?;
        Ok(Writer {
            tx,
            later,
            counters,
        })
    }

    /// Runs `job` in the next batch; returns once that batch committed (or failed).
    pub(crate) async fn execute(&self, job: WriteJob) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        let queued = Queued {
            job,
            reply: Some(reply),
        };
        self.tx
            .send(queued)
            .await
            .map_err(|_| Error::internal("the PostgreSQL writer has stopped"))?;
        answer
            .await
            .map_err(|_| Error::internal("the PostgreSQL writer dropped a job"))?
    }

    /// Queues `job` for the next batch without waiting for it (audit entries); it wakes
    /// nothing. The writer takes it into the next batch, so it is committed no later than any
    /// job sent after it.
    pub(crate) fn enqueue(&self, job: WriteJob) {
        self.later.push(job);
    }

    /// Group-commit counters so far.
    pub(crate) fn stats(&self) -> StorageStats {
        self.counters.snapshot(queue_depth(&self.tx))
    }
}

/// Why a batch attempt failed as a whole.
enum BatchFailure {
    /// Serialization failure or deadlock: roll back and run the whole batch again.
    Retry(Error),
    /// The connection or the commit failed: every job gets this error.
    Fail(Error),
}

/// The writer thread's loop: gather a batch, run it in one transaction, commit, answer.
fn run(
    connect: Connect,
    mut rx: mpsc::Receiver<Queued>,
    later: &LaterJobs<WriteJob>,
    counters: &WriterCounters,
) {
    let mut conn: Option<PgConn> = None;
    while let Some(first) = rx.blocking_recv() {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // Queued before `first` was sent; they share one savepoint, so the cap still holds.
        batch.extend(
            later
                .take()
                .into_iter()
                .map(|job| Queued { job, reply: None }),
        );
        run_batch(&connect, &mut conn, batch, counters);
    }
}

fn run_batch(
    connect: &Connect,
    conn: &mut Option<PgConn>,
    mut batch: Vec<Queued>,
    c: &WriterCounters,
) {
    let size = batch.len();
    let mut attempt = 0;
    let outcome = loop {
        attempt += 1;
        match attempt_batch(connect, conn, &mut batch) {
            Ok(answers) => break Ok(answers),
            Err(BatchFailure::Retry(e)) if attempt < MAX_ATTEMPTS => {
                tracing::debug!(attempt, error = %e, "batch lost a race; running it again");
            }
            Err(BatchFailure::Retry(e) | BatchFailure::Fail(e)) => break Err(e),
        }
    };
    match outcome {
        Ok((answers, commit_took)) => {
            c.batch(size, Some(commit_took));
            for (queued, answer) in batch.into_iter().zip(answers) {
                answer_job(queued, answer);
            }
        }
        Err(e) => {
            c.batch(size, None);
            tracing::warn!(jobs = size, error = %e, "write batch not committed");
            for queued in batch {
                answer_job(queued, Err(e.clone()));
            }
        }
    }
}

fn answer_job(queued: Queued, answer: Result<()>) {
    match queued.reply {
        // The caller may have gone away (request cancelled); its write stands anyway.
        Some(reply) => {
            let _ = reply.send(answer);
        }
        None => {
            if let Err(e) = answer {
                tracing::warn!(error = %e, "queued write failed");
            }
        }
    }
}

/// One transaction over the whole batch; the answers of its jobs once `COMMIT` returned, and
/// how long the `COMMIT` took (the WAL flush).
fn attempt_batch(
    connect: &Connect,
    slot: &mut Option<PgConn>,
    batch: &mut [Queued],
) -> Result<(Vec<Result<()>>, Duration), BatchFailure> {
    let conn = begin(connect, slot)?;
    let outcome = run_jobs(conn, batch).and_then(|answers| {
        let started = Instant::now();
        conn.client
            .batch_execute("COMMIT")
            .map_err(|e| classify(db_error_kind(e)))?;
        Ok((answers, started.elapsed()))
    });
    if let Err(failure) = &outcome {
        let lost = matches!(failure, BatchFailure::Fail(Error::Unavailable(_)));
        // A failed COMMIT already ended the transaction; ROLLBACK then only warns.
        if lost || conn.client.batch_execute("ROLLBACK").is_err() {
            *slot = None;
        }
    }
    outcome
}

/// `BEGIN` on the writer's connection, connecting first if needed. `BEGIN` is the connection
/// check: if it fails because the connection is gone, a new connection tries once more
/// (nothing was sent that could have been executed).
fn begin<'c>(
    connect: &Connect,
    slot: &'c mut Option<PgConn>,
) -> Result<&'c mut PgConn, BatchFailure> {
    let mut fresh = slot.is_none();
    loop {
        if slot.is_none() {
            *slot = Some(connect().map_err(BatchFailure::Fail)?);
        }
        let conn = slot.as_mut().expect("connected above");
        match conn.client.batch_execute("BEGIN") {
            Ok(()) => break,
            Err(e) if e.code().is_none() && !fresh => {
                *slot = None;
                fresh = true;
            }
            Err(e) => {
                *slot = None;
                return Err(BatchFailure::Fail(db_error(e)));
            }
        }
    }
    Ok(slot.as_mut().expect("began above"))
}

/// Where the savepoint `job` stands before the next job.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Savepoint {
    /// None yet in this transaction.
    None,
    /// Held by a job that succeeded: release it and take a new one.
    Used,
    /// Rolled back to: it marks exactly the current state and can be reused.
    Ready,
}

/// Runs every job in its savepoint; the answers, or why the batch must stop. Queued writes
/// nobody waits for (audit entries) run last, all in one savepoint (one by one only if that
/// fails): they are independent inserts, and they commit with the batch either way.
fn run_jobs(conn: &mut PgConn, batch: &mut [Queued]) -> Result<Vec<Result<()>>, BatchFailure> {
    let mut savepoint = Savepoint::None;
    let mut held = HashSet::new();
    let mut answers: Vec<Result<()>> = batch.iter().map(|_| Ok(())).collect();
    for (queued, answer) in batch.iter_mut().zip(answers.iter_mut()) {
        if queued.reply.is_some() {
            *answer = run_job(conn, &mut queued.job, &mut savepoint, &mut held)?;
        }
    }
    if batch.iter().any(|q| q.reply.is_none()) {
        let mut together = |tx: &mut dyn WriteTx| -> Result<()> {
            for queued in batch.iter_mut().filter(|q| q.reply.is_none()) {
                (queued.job)(tx)?;
            }
            Ok(())
        };
        if run_job(conn, &mut together, &mut savepoint, &mut held)?.is_err() {
            for (queued, answer) in batch.iter_mut().zip(answers.iter_mut()) {
                if queued.reply.is_none() {
                    *answer = run_job(conn, &mut queued.job, &mut savepoint, &mut held)?;
                }
            }
        }
    }
    Ok(answers)
}

fn run_job(
    conn: &mut PgConn,
    job: &mut dyn FnMut(&mut dyn WriteTx) -> Result<()>,
    savepoint: &mut Savepoint,
    held: &mut HashSet<String>,
) -> Result<Result<()>, BatchFailure> {
    let PgConn {
        client, statements, ..
    } = conn;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let take = match *savepoint {
            Savepoint::None => Some("SAVEPOINT job"),
            Savepoint::Used => Some("RELEASE SAVEPOINT job; SAVEPOINT job"),
            Savepoint::Ready => None,
        };
        if let Some(sql) = take {
            client
                .batch_execute(sql)
                .map_err(|e| classify(db_error_kind(e)))?;
        }
        let (out, failure, locked) = {
            let mut tx = PgTx::in_batch(client, statements, held);
            let out = catch_unwind(AssertUnwindSafe(|| job(&mut tx)))
                .unwrap_or_else(|_| Err(Error::internal("a storage job panicked")));
            (out, tx.failure(), tx.take_locked())
        };
        let answer = match failure {
            None => match out {
                Ok(()) => {
                    // Released with its savepoint, the job's row locks stay with the
                    // transaction; rolled back, they would be gone.
                    held.extend(locked);
                    *savepoint = Savepoint::Used;
                    return Ok(Ok(()));
                }
                Err(e) => Err(e),
            },
            Some((e, FailureKind::Unique)) if attempt < MAX_ATTEMPTS => {
                tracing::debug!(attempt, error = %e, "job lost a race; running it again");
                rollback_to_savepoint(client, savepoint)?;
                continue;
            }
            Some((e, FailureKind::Conflict)) => return Err(BatchFailure::Retry(e)),
            Some((e, FailureKind::Connection)) => return Err(BatchFailure::Fail(e)),
            // The job's own SQL error: its answer was computed from a failed savepoint and
            // is replaced by the error.
            Some((e, FailureKind::Unique | FailureKind::Other)) => Err(e),
        };
        rollback_to_savepoint(client, savepoint)?;
        return Ok(answer);
    }
}

/// Undoes the current job. If even that fails, the transaction's state is unknown: the whole
/// batch is given up, so nothing of a job whose caller saw an error can be committed.
fn rollback_to_savepoint(
    client: &mut postgres::Client,
    savepoint: &mut Savepoint,
) -> Result<(), BatchFailure> {
    client
        .batch_execute("ROLLBACK TO SAVEPOINT job")
        .map_err(|e| BatchFailure::Fail(db_error(e)))?;
    *savepoint = Savepoint::Ready;
    Ok(())
}

fn db_error_kind(e: postgres::Error) -> (Error, FailureKind) {
    let kind = failure_kind(&e);
    (db_error(e), kind)
}

fn classify((e, kind): (Error, FailureKind)) -> BatchFailure {
    match kind {
        FailureKind::Conflict => BatchFailure::Retry(e),
        _ => BatchFailure::Fail(e),
    }
}
