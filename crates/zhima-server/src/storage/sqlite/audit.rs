//! SQL of the audit log (PRODUCT §6): append one entry, read the newest, delete the expired.

use rusqlite::{params, Connection};

use super::records::{collect, ms, time};
use crate::domain::audit::AuditEntry;
use crate::domain::entities::Time;
use crate::error::Result;

/// Appends one audit entry.
pub(crate) fn append(conn: &Connection, e: &AuditEntry) -> Result<()> {
    conn.prepare_cached("INSERT INTO audit_log (at_ms, app_id, method, outcome, latency_us) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![ms(&e.at), e.app_id, e.method, e.outcome, e.latency_us])?;
    Ok(())
}

/// Deletes up to `limit` entries received before `before`, oldest first (`audit_log_by_time`).
pub(crate) fn delete_before(conn: &Connection, before: &Time, limit: i64) -> Result<u64> {
    let n = conn
        .prepare_cached(
            "DELETE FROM audit_log WHERE id IN
             (SELECT id FROM audit_log WHERE at_ms < ?1 ORDER BY at_ms LIMIT ?2)",
        )?
        .execute(params![ms(before), limit])?;
    Ok(n as u64)
}

/// The newest audit entries, newest first.
pub(crate) fn recent(conn: &Connection, limit: i64) -> Result<Vec<AuditEntry>> {
    collect(
        conn.prepare_cached("SELECT at_ms, app_id, method, outcome, latency_us FROM audit_log ORDER BY id DESC LIMIT ?1")?
            .query_map([limit], |r| {
                Ok(AuditEntry {
                    at: time(r.get(0)?)?,
                    app_id: r.get(1)?,
                    method: r.get(2)?,
                    outcome: r.get(3)?,
                    latency_us: r.get(4)?,
                })
            })?,
    )
}
