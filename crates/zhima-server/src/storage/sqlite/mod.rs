//! The embedded SQLite backend (PRODUCT §6): WAL, `synchronous=FULL`, group commit.
//!
//! - **Writes** go to one writer thread (`group_commit`) that owns the only write connection and
//!   commits batches of commands, each command in its own savepoint; a caller's success is
//!   returned only after its batch's `COMMIT` (fsync) returned.
//! - **Reads** run on a small pool of read-only connections (`read_pool`) on tokio's blocking
//!   pool, each query in one read transaction, never queued behind the writer.
//! - **Schema** is versioned with `PRAGMA user_version` (`schema`, SQL in `migrations/sqlite`).
//!
//! Domain decisions are made by the shared pure functions in [`crate::domain`] and the shared
//! orchestration in `storage/commands.rs`; the modules here only load rows and write decisions.
//! `transaction` implements the storage contract by calling one SQL module per operation;
//! each SQL module is named after what it stores: `cumulation` (the events and totals of
//! `cumulation.sync`), `state_sync`, `settle`, `audit`, `records` (configured records),
//! `lifecycle` (sandbox clock, agreement expiry, platform secrets).

mod admin;
mod agreements;
mod audit;
mod consent;
mod cumulation;
mod group_commit;
mod lifecycle;
mod money;
mod outbox;
mod read_pool;
mod records;
mod schema;
mod settle;
mod state_sync;
mod transaction;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use self::cumulation::events_page_sql;

use self::group_commit::Writer;
use self::read_pool::ReadPool;
use self::transaction::SqliteTx;
use crate::error::{Error, Result};
use crate::storage::engine::{BoxFuture, Engine, ReadJob, StorageStats, WriteJob};
use crate::storage::nonce::{NonceCache, DEFAULT_NONCE_CAPACITY};

/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "zhima.db";

/// How to open the SQLite backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteOptions {
    /// The database file.
    pub path: PathBuf,
    /// `true` (default): `synchronous=FULL`, every commit is fsynced. `false` is the
    /// `--unsafe-no-fsync` benchmark switch (`synchronous=OFF`): a crash may lose commits.
    pub fsync: bool,
    /// Idle read-only connections kept open.
    pub max_idle_readers: usize,
    /// v3 nonces remembered in memory (one process owns an SQLite database).
    pub nonce_capacity: usize,
}

impl SqliteOptions {
    /// Durable defaults for `data_dir/zhima.db`.
    pub fn in_dir(data_dir: &Path) -> Self {
        SqliteOptions {
            path: data_dir.join(DATABASE_FILE),
            fsync: true,
            max_idle_readers: 8,
            nonce_capacity: DEFAULT_NONCE_CAPACITY,
        }
    }
}

/// The SQLite [`Engine`]: one group-commit writer thread and a pool of readers.
pub struct SqliteEngine {
    writer: Writer,
    readers: Arc<ReadPool>,
    nonces: NonceCache,
}

impl SqliteEngine {
    /// Opens (creating and migrating as needed) the database and starts the writer thread.
    /// Blocking (file I/O); call it before serving or from `spawn_blocking`.
    pub fn open(options: &SqliteOptions) -> Result<SqliteEngine> {
        if let Some(dir) = options.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::internal(format!("cannot create {}: {e}", dir.display())))?;
        }
        let conn = schema::open_writer(&options.path, options.fsync)?;
        schema::migrate(&conn)?;
        Ok(SqliteEngine {
            writer: Writer::spawn(conn)?,
            readers: ReadPool::new(options.path.clone(), options.max_idle_readers),
            nonces: NonceCache::new(options.nonce_capacity),
        })
    }
}

impl Engine for SqliteEngine {
    fn write(&self, mut job: WriteJob) -> BoxFuture<'_, Result<()>> {
        // One writer: nothing can conflict, so the job runs exactly once.
        Box::pin(self.writer.execute(move |c| job(&mut SqliteTx(c))))
    }

    fn write_later(&self, mut job: WriteJob) {
        self.writer.enqueue(move |c| job(&mut SqliteTx(c)))
    }

    fn read(&self, job: ReadJob) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.readers.read(move |c| job(&mut SqliteTx(c))))
    }

    fn check_nonce(
        &self,
        app_id: &str,
        nonce: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> BoxFuture<'_, Result<bool>> {
        let fresh = self
            .nonces
            .check_and_insert(app_id, nonce, expires_ms, now_ms);
        Box::pin(async move { Ok(fresh) })
    }

    fn stats(&self) -> StorageStats {
        self.writer.stats()
    }
}
