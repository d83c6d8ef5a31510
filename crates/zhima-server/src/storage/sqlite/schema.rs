//! Connection setup and versioned migrations (`PRAGMA user_version`).

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};

/// Migrations in order; entry `i` brings the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_init.sql"),
    include_str!("../../../migrations/sqlite/0002_clock_admin.sql"),
    include_str!("../../../migrations/sqlite/0003_lifecycle.sql"),
    include_str!("../../../migrations/sqlite/0004_lifecycle_money.sql"),
    include_str!("../../../migrations/sqlite/0005_notifications.sql"),
    include_str!("../../../migrations/sqlite/0006_notifications_pending.sql"),
    include_str!("../../../migrations/sqlite/0007_event_pages.sql"),
];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a connection waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens the single write connection: WAL, foreign keys, and `synchronous=FULL` (every COMMIT
/// fsyncs the WAL) unless `fsync` is false (benchmarking only: `synchronous=OFF`).
pub(crate) fn open_writer(path: &Path, fsync: bool) -> Result<Connection> {
    let conn = Connection::open(path).map_err(|e| open_error(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::internal(format!(
            "{} cannot use WAL (journal_mode={mode})",
            path.display()
        )));
    }
    let sync = if fsync { "FULL" } else { "OFF" };
    conn.execute_batch(&format!(
        "PRAGMA synchronous={sync}; PRAGMA foreign_keys=ON;"
    ))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Opens a read-only connection (queries only; WAL lets it read while the writer commits).
pub(crate) fn open_reader(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn open_error(path: &Path, e: rusqlite::Error) -> Error {
    Error::internal(format!("cannot open database {}: {e}", path.display()))
}

/// Brings the schema up to [`SCHEMA_VERSION`], each migration in its own transaction.
pub(crate) fn migrate(conn: &Connection) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(Error::internal(format!(
            "the database has schema version {current}, newer than this build's {SCHEMA_VERSION}; upgrade zhima"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = i as i64 + 1;
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)
            .map_err(|e| Error::internal(format!("migration {version} failed: {e}")))?;
        tx.execute_batch(&format!("PRAGMA user_version={version}"))?;
        tx.commit()?;
    }
    Ok(())
}
