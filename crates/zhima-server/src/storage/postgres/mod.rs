//! The PostgreSQL backend (PRODUCT §6, §15): several stateless `zhima serve` processes share
//! one database and behave as one platform.
//!
//! - **Writes** go to one writer thread per process (`group_commit`, like SQLite's) that owns
//!   one connection and runs a batch of jobs per transaction (READ COMMITTED), each job in a
//!   savepoint, one `COMMIT` per batch; a success is returned only after that `COMMIT`
//!   returned (`synchronous_commit` stays on). `load_cumulation` and `load_settlement` lock
//!   the agreement's totals row (`SELECT … FOR UPDATE`, creating it first), `load_state_sync`
//!   locks the instance row, so a snapshot stays current until the commit. A unique violation
//!   (two processes inserting the same key) rolls the job back to its savepoint and runs it
//!   again, which then sees the winner and answers a replay or a conflict; a serialization
//!   failure or a deadlock runs the whole batch again.
//! - **Audit** entries ([`Engine::write_later`]) are queued to the writer and ride the next
//!   batch.
//! - **Reads and nonces** use an r2d2 pool of synchronous `postgres` clients on tokio's
//!   blocking pool, because the storage contract ([`WriteTx`], [`ReadTx`]) is synchronous.
//!   Connections are not pinged at check-out (a round trip per job): a read's `BEGIN` is its
//!   check, sent again on another connection if the first one turns out to be dead.
//! - **Nonces** (v3 replay protection) are rows of `v3_nonces`, so a nonce accepted by one
//!   process is refused by every other; expired rows are swept at most once a minute. The
//!   insert commits with `synchronous_commit = off`: the row is visible to every process at
//!   once, and it is durable no later than the request's own write, because the WAL is
//!   flushed in order and that write's `COMMIT` waits for its flush. Only a request that
//!   writes nothing (a query, a rejection) can have its nonce forgotten by a database crash
//!   in the following fraction of a second; replayed, it writes nothing either.
//! - **Schema** is versioned in `zhima_schema_version`; migrations run under a
//!   `pg_advisory_lock`, so processes starting together apply each one exactly once.
//! - **Outages**: a lost connection fails the job with [`Error::Unavailable`] (nothing of it was
//!   committed); the pool reconnects when the database is back.

mod group_commit;
mod schema;
mod transaction;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use postgres::NoTls;
use r2d2_postgres::PostgresConnectionManager;

pub use self::transaction::events_page_sql;

use self::group_commit::Writer;
use self::transaction::{PgTx, Statements};
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
    /// A statement failed because the connection is gone: the pool must not hand it out again.
    broken: bool,
}

/// r2d2_postgres's manager, with a statement cache per connection.
struct Manager {
    inner: PostgresConnectionManager<NoTls>,
    /// Sent once on every new connection.
    setup: Option<&'static str>,
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        let mut client = self.inner.connect()?;
        if let Some(sql) = self.setup {
            client.batch_execute(sql)?;
        }
        Ok(PgConn {
            client,
            statements: HashMap::new(),
            broken: false,
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        self.inner.is_valid(&mut conn.client)
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.broken || self.inner.has_broken(&mut conn.client)
    }
}

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
    /// Connections for reads and nonces.
    pool: OwnedPool,
    /// Most connections a read tries before giving up (a dead idle one is replaced).
    pool_size: u32,
    /// When expired nonces were last swept (epoch ms).
    last_sweep_ms: AtomicI64,
}

/// The PostgreSQL [`Engine`].
pub struct PgEngine {
    inner: Arc<Inner>,
    writer: Writer,
}

impl PgEngine {
    /// Connects, checks the server answers and brings the schema up to date. Blocking; call it
    /// from `spawn_blocking`. Errors never contain the password.
    pub fn connect(options: &PgOptions) -> Result<PgEngine> {
        let shown = redact_url(&options.url);
        let config: postgres::Config = options.url.parse().map_err(|e| {
            Error::Config(format!("database_url {shown} is not a PostgreSQL URL: {e}"))
        })?;
        let mut config = config;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        let writer_manager = Manager {
            inner: PostgresConnectionManager::new(config.clone(), NoTls),
            setup: None,
        };
        // The pool's only commits are v3 nonces: they need not wait for their own WAL flush
        // (see the module comment), which would cost every v3 request an fsync.
        let manager = Manager {
            inner: PostgresConnectionManager::new(config, NoTls),
            setup: Some("SET synchronous_commit = off"),
        };
        let pool = r2d2::Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(0))
            .connection_timeout(options.connect_timeout)
            // No ping per check-out: see the module comment.
            .test_on_check_out(false)
            // Errors are reported by the jobs that hit them; r2d2's own log would repeat them.
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(manager);
        let pool = OwnedPool(Some(pool));
        // Migrations run on a connection that commits synchronously, like the writer's.
        let mut conn = r2d2::ManageConnection::connect(&writer_manager).map_err(|e| {
            Error::Unavailable(format!("cannot connect to PostgreSQL at {shown}: {e}"))
        })?;
        schema::migrate(&mut conn.client).map_err(|e| match e {
            Error::Unavailable(m) | Error::Internal(m) => {
                Error::Unavailable(format!("PostgreSQL at {shown}: {m}"))
            }
            other => other,
        })?;
        drop(conn);
        let writer = Writer::spawn(Box::new(move || {
            r2d2::ManageConnection::connect(&writer_manager)
                .map_err(|e| Error::Unavailable(format!("cannot connect to PostgreSQL: {e}")))
        }))?;
        Ok(PgEngine {
            inner: Arc::new(Inner {
                pool,
                pool_size: options.pool_size.max(1),
                last_sweep_ms: AtomicI64::new(0),
            }),
            writer,
        })
    }
}

impl Inner {
    fn conn(&self) -> Result<Conn> {
        self.pool
            .get()
            .map_err(|e| Error::Unavailable(format!("no PostgreSQL connection: {e}")))
    }

    /// A pooled connection that answered a ping (replacing dead idle ones), for a statement
    /// that must not be sent twice.
    fn live_conn(&self) -> Result<Conn> {
        let mut tries = 0;
        loop {
            tries += 1;
            let mut conn = self.conn()?;
            match conn.client.is_valid(Duration::from_secs(5)) {
                Ok(()) => return Ok(conn),
                Err(e) => {
                    conn.broken = true;
                    if tries > self.pool_size {
                        return Err(transaction::db_error(e));
                    }
                }
            }
        }
    }

    /// A pooled connection inside `BEGIN …`. `BEGIN` is the connection check: a connection
    /// that died while idle (the database restarted) fails it and is replaced, which is safe
    /// because nothing that could have been executed was sent.
    fn begin(&self, begin: &str) -> Result<Conn> {
        let mut tries = 0;
        loop {
            tries += 1;
            let mut conn = self.conn()?;
            match conn.client.batch_execute(begin) {
                Ok(()) => return Ok(conn),
                Err(e) => {
                    conn.broken = e.code().is_none();
                    if !conn.broken || tries > self.pool_size {
                        return Err(transaction::db_error(e));
                    }
                }
            }
        }
    }

    fn read_blocking(&self, job: ReadJob) -> Result<()> {
        let mut conn = self.begin("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        let PgConn {
            client,
            statements,
            broken,
        } = &mut *conn;
        let out = {
            let mut tx = PgTx::new(client, statements);
            let out = job(&mut tx);
            match tx.failure() {
                Some((e, _)) => Err(e),
                None => out,
            }
        };
        let end = if out.is_ok() { "COMMIT" } else { "ROLLBACK" };
        if let Err(e) = client.batch_execute(end) {
            *broken = e.code().is_none();
            return Err(transaction::db_error(e));
        }
        if matches!(out, Err(Error::Unavailable(_))) {
            *broken = true;
        }
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
        // The INSERT must not be sent twice (a second one would see our own nonce), so this
        // connection is checked first, unlike a read's.
        let mut conn = self.live_conn()?;
        let last = self.last_sweep_ms.load(Ordering::Relaxed);
        let sweep = now_ms - last >= NONCE_SWEEP_EVERY_MS
            && self
                .last_sweep_ms
                .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok();
        let PgConn {
            client,
            statements,
            broken,
        } = &mut *conn;
        let mut tx = PgTx::new(client, statements);
        let fresh = tx.record_nonce(app_id, nonce, expires_ms, now_ms, sweep);
        *broken = matches!(fresh, Err(Error::Unavailable(_)));
        fresh
    }
}

impl Engine for PgEngine {
    fn write(&self, job: WriteJob) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.writer.execute(job))
    }

    fn write_later(&self, job: WriteJob) {
        self.writer.enqueue(job)
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
        self.writer.stats()
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
