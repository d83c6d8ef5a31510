//! The PostgreSQL backend (PRODUCT §6, §15): several stateless `zhima serve` processes share
//! one database and behave as one platform.
//!
//! - **Connections**: an r2d2 pool of synchronous `postgres` clients; every job runs on tokio's
//!   blocking pool, because the storage contract ([`WriteTx`], [`ReadTx`]) is synchronous.
//! - **Writes**: one transaction per job (READ COMMITTED). `load_cumulation` and
//!   `load_settlement` lock the agreement's totals row (`SELECT … FOR UPDATE`, creating it
//!   first), `load_state_sync` locks the instance row, so a snapshot stays current until the
//!   commit. A unique violation (two processes inserting the same key), a serialization
//!   failure or a deadlock rolls the transaction back and runs the same job again, which then
//!   sees the winner and answers a replay or a conflict. A success is returned only after
//!   `COMMIT` returned (`synchronous_commit` stays on; PostgreSQL groups concurrent commits).
//! - **Audit** entries ([`Engine::write_later`]) wait in process memory and ride the next
//!   write transaction (or a flush shortly after), like SQLite's group commit.
//! - **Nonces** (v3 replay protection) are rows of `v3_nonces`, so a nonce accepted by one
//!   process is refused by every other; expired rows are swept at most once a minute.
//! - **Schema** is versioned in `zhima_schema_version`; migrations run under a
//!   `pg_advisory_lock`, so processes starting together apply each one exactly once.
//! - **Outages**: a lost connection fails the job with [`Error::Unavailable`] (nothing of it was
//!   committed); the pool reconnects when the database is back.

mod schema;
mod transaction;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use postgres::NoTls;
use r2d2_postgres::PostgresConnectionManager;

use self::transaction::{is_retryable, PgTx, Statements};
use crate::error::{Error, Result};
use crate::storage::engine::{BoxFuture, Engine, ReadJob, StorageStats, WriteJob};

type Pool = r2d2::Pool<Manager>;
type Conn = r2d2::PooledConnection<Manager>;

/// A pooled client and the statements prepared on it: the driver prepares a statement given
/// as text on every call (one more round trip), so each connection keeps its own (the SQL is
/// a fixed set, so the cache is bounded).
pub(crate) struct PgConn {
    client: postgres::Client,
    statements: Statements,
}

/// r2d2_postgres's manager, with a statement cache per connection.
struct Manager(PostgresConnectionManager<NoTls>);

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        Ok(PgConn {
            client: self.0.connect()?,
            statements: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        self.0.is_valid(&mut conn.client)
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        self.0.has_broken(&mut conn.client)
    }
}

/// A job that lost a race is run again at most this many times.
const MAX_ATTEMPTS: u32 = 32;
/// How often expired nonces are deleted (at most).
const NONCE_SWEEP_EVERY_MS: i64 = 60_000;

/// How to connect to PostgreSQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// `postgres://USER[:PASSWORD]@HOST:PORT/DB` (libpq URL form).
    pub url: String,
    /// Pooled connections (concurrent transactions of this process).
    pub pool_size: u32,
    /// How long a job waits for a connection before failing as unavailable.
    pub connect_timeout: Duration,
}

impl PgOptions {
    /// Defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        PgOptions {
            url: url.into(),
            pool_size: 32,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// `url` with its password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let base = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    };
    // A `password=` query parameter is hidden as well.
    base.split('&')
        .map(|part| match part.split_once("password=") {
            Some((head, _)) => format!("{head}password=***"),
            None => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Write counters, read as [`StorageStats`].
#[derive(Debug, Default)]
struct Counters {
    commits: AtomicU64,
    jobs: AtomicU64,
    failed_commits: AtomicU64,
    max_batch: AtomicU64,
}

/// The pool, closed on a plain thread when dropped: closing a sync `postgres` client blocks on
/// its own runtime, which panics on a tokio worker (where the last handle is often dropped).
struct OwnedPool(Option<Pool>);

impl std::ops::Deref for OwnedPool {
    type Target = Pool;
    fn deref(&self) -> &Pool {
        self.0.as_ref().expect("the pool lives until drop")
    }
}

impl Drop for OwnedPool {
    fn drop(&mut self) {
        if let Some(pool) = self.0.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

struct Inner {
    pool: OwnedPool,
    counters: Counters,
    /// Audit entries waiting for the next write transaction.
    later: Mutex<Vec<WriteJob>>,
    /// A flush of `later` is scheduled.
    flush_scheduled: AtomicBool,
    /// When expired nonces were last swept (epoch ms).
    last_sweep_ms: AtomicI64,
}

/// The PostgreSQL [`Engine`].
pub struct PgEngine {
    inner: Arc<Inner>,
}

impl PgEngine {
    /// Connects, checks the server answers and brings the schema up to date. Blocking; call it
    /// from `spawn_blocking`. Errors never contain the password.
    pub fn connect(options: &PgOptions) -> Result<PgEngine> {
        let shown = redact_url(&options.url);
        let config: postgres::Config = options.url.parse().map_err(|e| {
            Error::Config(format!("database_url {shown} is not a PostgreSQL URL: {e}"))
        })?;
        let manager = Manager(PostgresConnectionManager::new(config, NoTls));
        let pool = r2d2::Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(0))
            .connection_timeout(options.connect_timeout)
            // Errors are reported by the jobs that hit them; r2d2's own log would repeat them.
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(manager);
        let pool = OwnedPool(Some(pool));
        let mut conn = pool.get().map_err(|e| {
            Error::Unavailable(format!("cannot connect to PostgreSQL at {shown}: {e}"))
        })?;
        schema::migrate(&mut conn.client).map_err(|e| match e {
            Error::Unavailable(m) | Error::Internal(m) => {
                Error::Unavailable(format!("PostgreSQL at {shown}: {m}"))
            }
            other => other,
        })?;
        drop(conn);
        Ok(PgEngine {
            inner: Arc::new(Inner {
                pool,
                counters: Counters::default(),
                later: Mutex::new(Vec::new()),
                flush_scheduled: AtomicBool::new(false),
                last_sweep_ms: AtomicI64::new(0),
            }),
        })
    }
}

impl Inner {
    fn conn(&self) -> Result<Conn> {
        self.pool
            .get()
            .map_err(|e| Error::Unavailable(format!("no PostgreSQL connection: {e}")))
    }

    /// Runs `job` (and any queued audit entries) in one transaction, again after a lost race.
    fn write_blocking(&self, mut job: WriteJob) -> Result<()> {
        let mut later = std::mem::take(&mut *self.later.lock().unwrap_or_else(|p| p.into_inner()));
        let jobs = 1 + later.len() as u64;
        let mut conn = match self.conn() {
            Ok(c) => c,
            Err(e) => {
                self.requeue(later);
                return Err(e);
            }
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = run_once(&mut conn, &mut job, &mut later);
            match outcome {
                Ok(()) => {
                    let c = &self.counters;
                    c.commits.fetch_add(1, Ordering::Relaxed);
                    c.jobs.fetch_add(jobs, Ordering::Relaxed);
                    c.max_batch.fetch_max(jobs, Ordering::Relaxed);
                    return Ok(());
                }
                Err(Attempt::Job(e)) => {
                    // The job said "write nothing"; its queued companions were rolled back
                    // with it and are retried alone.
                    if !later.is_empty() {
                        let mut empty: WriteJob = Box::new(|_| Ok(()));
                        if let Err(e) = run_once(&mut conn, &mut empty, &mut later) {
                            tracing::warn!(error = %e.into_error(), "queued writes lost");
                        }
                    }
                    return Err(e);
                }
                Err(Attempt::Retry(e)) if attempt < MAX_ATTEMPTS => {
                    tracing::debug!(attempt, error = %e, "write lost a race; running it again");
                }
                Err(other) => {
                    self.counters.failed_commits.fetch_add(1, Ordering::Relaxed);
                    if !later.is_empty() {
                        tracing::warn!(entries = later.len(), "queued writes lost: commit failed");
                    }
                    return Err(other.into_error());
                }
            }
        }
    }

    fn requeue(&self, jobs: Vec<WriteJob>) {
        if !jobs.is_empty() {
            let mut later = self.later.lock().unwrap_or_else(|p| p.into_inner());
            let mut jobs = jobs;
            jobs.append(&mut later);
            *later = jobs;
        }
    }

    fn read_blocking(&self, job: ReadJob) -> Result<()> {
        let mut conn = self.conn()?;
        let PgConn { client, statements } = &mut *conn;
        let mut tx = client
            .build_transaction()
            .read_only(true)
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .start()
            .map_err(transaction::db_error)?;
        let out = {
            let mut ptx = PgTx::new(&mut tx, statements);
            let out = job(&mut ptx);
            match ptx.failure() {
                Some(f) => Err(f),
                None => out,
            }
        };
        tx.commit().map_err(transaction::db_error)?;
        out
    }

    /// Records (`app_id`, `nonce`) unless present; sweeps expired rows now and then.
    fn check_nonce_blocking(
        &self,
        app_id: &str,
        nonce: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<bool> {
        let mut conn = self.conn()?;
        let last = self.last_sweep_ms.load(Ordering::Relaxed);
        if now_ms - last >= NONCE_SWEEP_EVERY_MS
            && self
                .last_sweep_ms
                .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            conn.client
                .execute("DELETE FROM v3_nonces WHERE expires_at_ms < $1", &[&now_ms])
                .map_err(transaction::db_error)?;
        }
        // An expired row for the same key counts as absent: it is replaced.
        let n = conn
            .client
            .execute(
                "INSERT INTO v3_nonces (app_id, nonce, expires_at_ms) VALUES ($1, $2, $3)
                 ON CONFLICT (app_id, nonce) DO UPDATE SET expires_at_ms = excluded.expires_at_ms
                 WHERE v3_nonces.expires_at_ms < $4",
                &[&app_id, &nonce, &expires_ms, &now_ms],
            )
            .map_err(transaction::db_error)?;
        Ok(n == 1)
    }
}

/// Why one attempt failed.
enum Attempt {
    /// The job returned an error: nothing written, answer it.
    Job(Error),
    /// A lost race (unique violation, serialization failure, deadlock): run again.
    Retry(Error),
    /// The database failed (connection lost, commit failed).
    Db(Error),
}

impl Attempt {
    fn into_error(self) -> Error {
        match self {
            Attempt::Job(e) | Attempt::Retry(e) | Attempt::Db(e) => e,
        }
    }
}

/// One transaction: the queued entries (each in a savepoint, so one failing does not fail the
/// job), then the job, then `COMMIT`.
fn run_once(conn: &mut Conn, job: &mut WriteJob, later: &mut Vec<WriteJob>) -> Result<(), Attempt> {
    let PgConn { client, statements } = &mut **conn;
    let mut tx = client
        .transaction()
        .map_err(|e| Attempt::Db(transaction::db_error(e)))?;
    later.retain_mut(|queued| {
        let mut sp = match tx.savepoint("queued") {
            Ok(sp) => sp,
            Err(_) => return true,
        };
        let ok = {
            let mut ptx = PgTx::new(&mut sp, statements);
            queued(&mut ptx).is_ok() && ptx.failure().is_none()
        };
        if ok {
            sp.commit().is_ok()
        } else {
            tracing::warn!("queued write failed; dropped");
            let _ = sp.rollback();
            false
        }
    });
    let outcome = {
        let mut ptx = PgTx::new(&mut tx, statements);
        let out = job(&mut ptx);
        match ptx.failure() {
            // A statement failed inside the job: the job's own answer was computed from a
            // failed transaction and is discarded.
            Some(f) => Err(classify(f, ptx.retryable())),
            None => out.map_err(Attempt::Job),
        }
    };
    match outcome {
        Ok(()) => tx.commit().map_err(|e| {
            let retry = is_retryable(&e);
            classify(transaction::db_error(e), retry)
        }),
        Err(a) => {
            let _ = tx.rollback();
            Err(a)
        }
    }
}

fn classify(e: Error, retryable: bool) -> Attempt {
    if retryable {
        Attempt::Retry(e)
    } else {
        Attempt::Db(e)
    }
}

impl Engine for PgEngine {
    fn write(&self, job: WriteJob) -> BoxFuture<'_, Result<()>> {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || inner.write_blocking(job))
                .await
                .map_err(|e| Error::internal(format!("write task failed: {e}")))?
        })
    }

    fn write_later(&self, job: WriteJob) -> BoxFuture<'_, ()> {
        self.inner
            .later
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(job);
        // Nobody may write soon: flush on our own, once for everything queued meanwhile.
        if !self.inner.flush_scheduled.swap(true, Ordering::AcqRel) {
            let inner = Arc::clone(&self.inner);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                inner.flush_scheduled.store(false, Ordering::Release);
                let pending = !inner
                    .later
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .is_empty();
                if pending {
                    let result = tokio::task::spawn_blocking(move || {
                        inner.write_blocking(Box::new(|_| Ok(())))
                    })
                    .await;
                    if let Ok(Err(e)) = result {
                        tracing::warn!(error = %e, "queued writes not flushed yet");
                    }
                }
            });
        }
        Box::pin(async {})
    }

    fn read(&self, job: ReadJob) -> BoxFuture<'_, Result<()>> {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || inner.read_blocking(job))
                .await
                .map_err(|e| Error::internal(format!("read task failed: {e}")))?
        })
    }

    fn check_nonce(
        &self,
        app_id: &str,
        nonce: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> BoxFuture<'_, Result<bool>> {
        let inner = Arc::clone(&self.inner);
        let (app_id, nonce) = (app_id.to_owned(), nonce.to_owned());
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                inner.check_nonce_blocking(&app_id, &nonce, expires_ms, now_ms)
            })
            .await
            .map_err(|e| Error::internal(format!("nonce task failed: {e}")))?
        })
    }

    fn stats(&self) -> StorageStats {
        let c = &self.inner.counters;
        StorageStats {
            commits: c.commits.load(Ordering::Relaxed),
            write_jobs: c.jobs.load(Ordering::Relaxed),
            failed_commits: c.failed_commits.load(Ordering::Relaxed),
            max_batch: c.max_batch.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://zhima:s3cret@db:5432/zhima"),
            "postgres://zhima:***@db:5432/zhima"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1:5432/test"),
            "postgres://postgres@127.0.0.1:5432/test"
        );
        assert_eq!(
            redact_url("postgres://u@h/db?sslmode=disable&password=s3cret"),
            "postgres://u@h/db?sslmode=disable&password=***"
        );
        assert!(!redact_url("postgres://a:p%40ss@h/db").contains("p%40ss"));
    }
}
