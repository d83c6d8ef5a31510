//! SQL of settlements: snapshot loading for `settle.apply` and recording a settlement.

use rusqlite::{params, Connection, OptionalExtension};
use zhima_proto::money::Fen;

use super::cumulation;
use super::records::{self, ms, parse, time};
use crate::domain::settle::{LedgerTotals, SettleCmd, SettleSnapshot, Settlement};
use crate::error::Result;

/// Loads the settlement with the same key, the agreement, its template and totals.
pub(crate) fn load_snapshot(conn: &Connection, cmd: &SettleCmd) -> Result<SettleSnapshot> {
    if let Some(existing) = settlement(conn, &cmd.partner_id, &cmd.out_request_no)? {
        return Ok(SettleSnapshot {
            existing: Some(existing),
            ..Default::default()
        });
    }
    let agreement = records::agreement(conn, &cmd.agreement_id)?;
    let template = match &agreement {
        Some(a) => records::template(conn, &a.template_no)?,
        None => None,
    };
    let t = cumulation::totals(conn, &cmd.agreement_id, false)?;
    let totals = LedgerTotals {
        trade_amount: t.trade_amount,
        discount_amount: t.discount_amount,
        task_count: t.task_count,
    };
    Ok(SettleSnapshot {
        existing: None,
        agreement,
        template,
        totals,
    })
}

/// Columns [`settlement_row`] reads.
pub(crate) const SETTLEMENT_COLUMNS: &str =
    "seq, partner_id, out_request_no, agreement_no, withhold_plan_no,
   pay_amount, action_type, request, fingerprint, ledger_trade_amount, ledger_discount_amount,
   ledger_task_count, settled_at_ms";

pub(crate) fn settlement_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Settlement> {
    let action: String = r.get(6)?;
    Ok(Settlement {
        seq: r.get(0)?,
        partner_id: r.get(1)?,
        out_request_no: r.get(2)?,
        agreement_no: r.get(3)?,
        withhold_plan_no: r.get(4)?,
        pay_amount: Fen(r.get(5)?),
        action_type: parse(&action)?,
        request_json: r.get(7)?,
        fingerprint: r.get(8)?,
        ledger: LedgerTotals {
            trade_amount: Fen(r.get(9)?),
            discount_amount: Fen(r.get(10)?),
            task_count: r.get(11)?,
        },
        settled_at: time(r.get(12)?)?,
    })
}

fn settlement(
    conn: &Connection,
    partner_id: &str,
    out_request_no: &str,
) -> Result<Option<Settlement>> {
    let sql = format!(
        "SELECT {SETTLEMENT_COLUMNS} FROM settlements WHERE partner_id = ?1 AND out_request_no = ?2"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([partner_id, out_request_no], settlement_row)
        .optional()?)
}

/// The settlement of `agreement_no` under `withhold_plan_no`, if any.
pub(crate) fn settlement_of_plan(
    conn: &Connection,
    agreement_no: &str,
    withhold_plan_no: &str,
) -> Result<Option<Settlement>> {
    let sql = format!(
        "SELECT {SETTLEMENT_COLUMNS} FROM settlements WHERE agreement_no = ?1 AND withhold_plan_no = ?2
         ORDER BY seq LIMIT 1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([agreement_no, withhold_plan_no], settlement_row)
        .optional()?)
}

/// Records the settlement and moves the agreement to `N`.
pub(crate) fn record(conn: &Connection, s: &Settlement) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO settlements (partner_id, out_request_no, agreement_no, withhold_plan_no, pay_amount,
           action_type, request, fingerprint, ledger_trade_amount, ledger_discount_amount, ledger_task_count,
           settled_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        s.partner_id,
        s.out_request_no,
        s.agreement_no,
        s.withhold_plan_no,
        s.pay_amount.0,
        s.action_type.as_str(),
        s.request_json,
        s.fingerprint,
        s.ledger.trade_amount.0,
        s.ledger.discount_amount.0,
        s.ledger.task_count,
        ms(&s.settled_at),
    ])?;
    let seq = conn.last_insert_rowid();
    records::mark_settled(conn, &s.agreement_no)?;
    Ok(seq)
}
