//! The sandbox clock, agreement expiry / quit and platform secrets on PostgreSQL. Several
//! processes run these at once: the clock is advanced by one `UPDATE … RETURNING` (increments
//! add up), due agreements are locked with `FOR UPDATE SKIP LOCKED` (each sweep takes the rows
//! no other sweep holds), and the quit is written only while the row is still `Y`.

use crate::domain::clock::SandboxClock;
use crate::domain::entities::{Agreement, AgreementQuit, Time};
use crate::error::Result;

use super::rows::*;
use super::PgTx;

impl PgTx<'_> {
    pub(super) fn lc_clock(&mut self) -> Result<SandboxClock> {
        let offset_ms = match self.opt("SELECT offset_ms FROM sandbox_clock WHERE id = 1", &[])? {
            Some(row) => get(&row, 0)?,
            None => 0,
        };
        Ok(SandboxClock { offset_ms })
    }

    pub(super) fn lc_advance_clock(
        &mut self,
        by_ms: i64,
        max_offset_ms: i64,
    ) -> Result<Option<i64>> {
        self.opt(
            "UPDATE sandbox_clock SET offset_ms = offset_ms + $1
             WHERE id = 1 AND offset_ms + $1 <= $2 RETURNING offset_ms",
            &[&by_ms, &max_offset_ms],
        )?
        .map(|row| get(&row, 0))
        .transpose()
    }

    pub(super) fn lc_due_agreements(&mut self, now: &Time, limit: i64) -> Result<Vec<Agreement>> {
        let sql = format!(
            "SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE status = 'Y' AND end_time_ms <= $1
             ORDER BY end_time_ms, agreement_no LIMIT $2 FOR UPDATE SKIP LOCKED"
        );
        self.all(&sql, &[&ms(now), &limit], agreement_row)
    }

    pub(super) fn lc_record_quit(&mut self, agreement_no: &str, q: &AgreementQuit) -> Result<bool> {
        let n = self.exec(
            "UPDATE agreements SET status = 'P', withhold_plan_no = $2, quit_type = $3, quit_time_ms = $4
             WHERE agreement_no = $1 AND status = 'Y'",
            &[&agreement_no, &q.withhold_plan_no.as_str(), &q.quit_type.as_str(), &ms(&q.quit_time)],
        )?;
        Ok(n == 1)
    }

    pub(super) fn lc_insert_secret_if_absent(&mut self, name: &str, value: &str) -> Result<bool> {
        let n = self.exec(
            "INSERT INTO platform_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[&name, &value],
        )?;
        Ok(n == 1)
    }

    pub(super) fn lc_set_secret(&mut self, name: &str, value: &str) -> Result<()> {
        self.exec(
            "INSERT INTO platform_secrets (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            &[&name, &value],
        )?;
        Ok(())
    }

    pub(super) fn lc_secret(&mut self, name: &str) -> Result<Option<String>> {
        match self.opt(
            "SELECT value FROM platform_secrets WHERE name = $1",
            &[&name],
        )? {
            Some(row) => Ok(Some(get(&row, 0)?)),
            None => Ok(None),
        }
    }
}
