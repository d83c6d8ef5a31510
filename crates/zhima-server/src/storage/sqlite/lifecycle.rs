//! SQL of the sandbox clock, agreement expiry / quit, and platform secrets. SQLite has one
//! writer, so a due agreement loaded here is still `Y` when `record_quit` runs.

use rusqlite::{params, Connection, OptionalExtension};

use super::records::{agreement_row, collect, ms};
use crate::domain::clock::SandboxClock;
use crate::domain::entities::{Agreement, AgreementQuit, Time};
use crate::error::Result;

pub(crate) fn clock(conn: &Connection) -> Result<SandboxClock> {
    let offset_ms = conn
        .prepare_cached("SELECT offset_ms FROM sandbox_clock WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    Ok(SandboxClock { offset_ms })
}

pub(crate) fn advance_clock(
    conn: &Connection,
    by_ms: i64,
    max_offset_ms: i64,
) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "UPDATE sandbox_clock SET offset_ms = offset_ms + ?1
             WHERE id = 1 AND offset_ms + ?1 <= ?2 RETURNING offset_ms",
        )?
        .query_row(params![by_ms, max_offset_ms], |r| r.get(0))
        .optional()?)
}

pub(crate) fn due_agreements(conn: &Connection, now: &Time, limit: i64) -> Result<Vec<Agreement>> {
    let sql = format!(
        "SELECT {} FROM agreements WHERE status = 'Y' AND end_time_ms <= ?1
         ORDER BY end_time_ms, agreement_no LIMIT ?2",
        super::records::AGREEMENT_COLUMNS
    );
    collect(
        conn.prepare_cached(&sql)?
            .query_map(params![ms(now), limit], agreement_row)?,
    )
}

pub(crate) fn record_quit(
    conn: &Connection,
    agreement_no: &str,
    q: &AgreementQuit,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE agreements SET status = 'P', withhold_plan_no = ?2, quit_type = ?3, quit_time_ms = ?4
             WHERE agreement_no = ?1 AND status = 'Y'",
        )?
        .execute(params![agreement_no, q.withhold_plan_no, q.quit_type, ms(&q.quit_time)])?;
    Ok(n == 1)
}

pub(crate) fn insert_secret_if_absent(conn: &Connection, name: &str, value: &str) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT INTO platform_secrets (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
        )?
        .execute(params![name, value])?;
    Ok(n == 1)
}

pub(crate) fn set_secret(conn: &Connection, name: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO platform_secrets (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![name, value])?;
    Ok(())
}

pub(crate) fn secret(conn: &Connection, name: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM platform_secrets WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?)
}
