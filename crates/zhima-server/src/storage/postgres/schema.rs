//! Versioned migrations, applied once even when several processes start together: each process
//! takes the same session-level `pg_advisory_lock` before it reads the version, so the others
//! wait and then find the schema current.

use super::transaction::db_error;
use crate::error::{Error, Result};

/// Migrations in order; entry `i` brings the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/postgres/0001_init.sql"),
    include_str!("../../../migrations/postgres/0002_clock_admin.sql"),
    include_str!("../../../migrations/postgres/0003_lifecycle.sql"),
    include_str!("../../../migrations/postgres/0004_lifecycle_money.sql"),
    include_str!("../../../migrations/postgres/0005_notifications.sql"),
    include_str!("../../../migrations/postgres/0006_notifications_pending.sql"),
    include_str!("../../../migrations/postgres/0007_event_pages.sql"),
];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Key of the advisory lock that serializes migrations ("zhima" in ASCII).
const MIGRATION_LOCK: i64 = 0x007a_6869_6d61;

/// Brings the schema up to [`SCHEMA_VERSION`], each migration in its own transaction.
pub(crate) fn migrate(conn: &mut postgres::Client) -> Result<()> {
    conn.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .map_err(db_error)?;
    let outcome = migrate_locked(conn);
    // Unlock even after a failure: the connection goes back to the pool.
    let unlocked = conn
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .map_err(db_error);
    outcome.and(unlocked.map(|_| ()))
}

fn migrate_locked(conn: &mut postgres::Client) -> Result<()> {
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS zhima_schema_version (
             version BIGINT PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .map_err(db_error)?;
    let current: i64 = conn
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM zhima_schema_version",
            &[],
        )
        .map_err(db_error)?
        .get(0);
    if current > SCHEMA_VERSION {
        return Err(Error::internal(format!(
            "the database has schema version {current}, newer than this build's {SCHEMA_VERSION}; upgrade zhima"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = i as i64 + 1;
        let mut tx = conn.transaction().map_err(db_error)?;
        tx.batch_execute(sql)
            .map_err(|e| Error::internal(format!("migration {version} failed: {e}")))?;
        tx.execute(
            "INSERT INTO zhima_schema_version (version) VALUES ($1)",
            &[&version],
        )
        .map_err(db_error)?;
        tx.commit().map_err(db_error)?;
    }
    Ok(())
}
