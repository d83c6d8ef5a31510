//! SQL of the lifecycle's money: settlement refunds, unfreezes and their invariant sums. One
//! writer: what a load reads stays current until the job commits.

use rusqlite::{params, Connection, OptionalExtension, Row};
use zhima_proto::money::Fen;

use super::records::{self, collect, ms, time};
use super::settle::settlement_of_plan;
use crate::domain::invariants::MoneyBalances;
use crate::domain::settle_refund::{RefundCmd, RefundSnapshot, SettlementRefund};
use crate::domain::settle_unfreeze::{FreezeSource, Unfreeze, UnfreezeCmd, UnfreezeSnapshot};
use crate::error::Result;

pub(crate) fn refund_row(r: &Row<'_>) -> rusqlite::Result<SettlementRefund> {
    Ok(SettlementRefund {
        partner_id: r.get(0)?,
        out_request_no: r.get(1)?,
        agreement_no: r.get(2)?,
        withhold_plan_no: r.get(3)?,
        refund_opt_no: r.get(4)?,
        refund_amount: Fen(r.get(5)?),
        request_json: r.get(6)?,
        fingerprint: r.get(7)?,
        created_at: time(r.get(8)?)?,
    })
}

pub(crate) fn load_refund(conn: &Connection, cmd: &RefundCmd) -> Result<RefundSnapshot> {
    let existing = conn
        .prepare_cached(
            "SELECT partner_id, out_request_no, agreement_no, withhold_plan_no, refund_opt_no,
               refund_amount, request, fingerprint, created_ms
             FROM settlement_refunds WHERE partner_id = ?1 AND out_request_no = ?2",
        )?
        .query_row([&cmd.partner_id, &cmd.out_request_no], refund_row)
        .optional()?;
    if existing.is_some() {
        return Ok(RefundSnapshot {
            existing,
            ..Default::default()
        });
    }
    let refunded: i64 = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(refund_amount), 0) FROM settlement_refunds
             WHERE agreement_no = ?1 AND withhold_plan_no = ?2",
        )?
        .query_row([&cmd.agreement_id, &cmd.withhold_plan_no], |r| r.get(0))?;
    Ok(RefundSnapshot {
        existing: None,
        settlement: settlement_of_plan(conn, &cmd.agreement_id, &cmd.withhold_plan_no)?,
        agreement: records::agreement(conn, &cmd.agreement_id)?,
        refunded: Fen(refunded),
    })
}

pub(crate) fn record_refund(conn: &Connection, r: &SettlementRefund) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO settlement_refunds (partner_id, out_request_no, agreement_no, withhold_plan_no,
           refund_opt_no, refund_amount, request, fingerprint, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        r.partner_id,
        r.out_request_no,
        r.agreement_no,
        r.withhold_plan_no,
        r.refund_opt_no,
        r.refund_amount.0,
        r.request_json,
        r.fingerprint,
        ms(&r.created_at),
    ])?;
    Ok(())
}

pub(crate) fn unfreeze_row(r: &Row<'_>) -> rusqlite::Result<Unfreeze> {
    Ok(Unfreeze {
        partner_id: r.get(0)?,
        out_request_no: r.get(1)?,
        agreement_no: r.get(2)?,
        unfreeze_amount: Fen(r.get(3)?),
        request_json: r.get(4)?,
        fingerprint: r.get(5)?,
        created_at: time(r.get(6)?)?,
    })
}

fn freeze_source(r: &Row<'_>, from: usize) -> rusqlite::Result<FreezeSource> {
    Ok(FreezeSource {
        agreement: Fen(r.get(from)?),
        signed: r.get(from + 1)?,
        template: Fen(r.get(from + 2)?),
    })
}

/// `agreements.freeze_amount`, whether it was signed, the template's amount.
const FREEZE_SOURCE: &str = "a.freeze_amount, a.preorder_no IS NOT NULL, t.freeze_amount
    FROM agreements a JOIN templates t ON t.template_no = a.template_no";

pub(crate) fn load_unfreeze(conn: &Connection, cmd: &UnfreezeCmd) -> Result<UnfreezeSnapshot> {
    let existing = conn
        .prepare_cached(
            "SELECT partner_id, out_request_no, agreement_no, unfreeze_amount, request, fingerprint,
               created_ms FROM unfreezes WHERE partner_id = ?1 AND out_request_no = ?2",
        )?
        .query_row([&cmd.partner_id, &cmd.out_request_no], unfreeze_row)
        .optional()?;
    if existing.is_some() {
        return Ok(UnfreezeSnapshot {
            existing,
            ..Default::default()
        });
    }
    let freeze = conn
        .prepare_cached(&format!("SELECT {FREEZE_SOURCE} WHERE a.agreement_no = ?1"))?
        .query_row([&cmd.agreement_id], |r| freeze_source(r, 0))
        .optional()?
        .unwrap_or_default();
    let unfrozen: i64 = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(unfreeze_amount), 0) FROM unfreezes WHERE agreement_no = ?1",
        )?
        .query_row([&cmd.agreement_id], |r| r.get(0))?;
    Ok(UnfreezeSnapshot {
        existing: None,
        agreement: records::agreement(conn, &cmd.agreement_id)?,
        freeze,
        unfrozen: Fen(unfrozen),
    })
}

pub(crate) fn record_unfreeze(conn: &Connection, u: &Unfreeze) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO unfreezes (partner_id, out_request_no, agreement_no, unfreeze_amount, request,
           fingerprint, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        u.partner_id,
        u.out_request_no,
        u.agreement_no,
        u.unfreeze_amount.0,
        u.request_json,
        u.fingerprint,
        ms(&u.created_at),
    ])?;
    Ok(())
}

pub(crate) fn set_freeze_amount(
    conn: &Connection,
    agreement_no: &str,
    amount: Fen,
) -> Result<bool> {
    let n = conn
        .prepare_cached("UPDATE agreements SET freeze_amount = ?2 WHERE agreement_no = ?1")?
        .execute(params![agreement_no, amount.0])?;
    Ok(n == 1)
}

pub(crate) fn money_balances(conn: &Connection) -> Result<MoneyBalances> {
    let refunds = collect(
        conn.prepare_cached(
            "SELECT r.agreement_no, r.withhold_plan_no,
               (SELECT s.pay_amount FROM settlements s
                 WHERE s.agreement_no = r.agreement_no AND s.withhold_plan_no = r.withhold_plan_no
                 ORDER BY s.seq LIMIT 1),
               SUM(r.refund_amount)
             FROM settlement_refunds r GROUP BY r.agreement_no, r.withhold_plan_no
             ORDER BY r.agreement_no, r.withhold_plan_no",
        )?
        .query_map([], |r| {
            Ok((
                (r.get(0)?, r.get(1)?),
                r.get::<_, Option<i64>>(2)?.map(Fen),
                Fen(r.get(3)?),
            ))
        })?,
    )?;
    let sql = format!(
        "SELECT a.agreement_no,
           (SELECT SUM(u.unfreeze_amount) FROM unfreezes u WHERE u.agreement_no = a.agreement_no),
           {FREEZE_SOURCE}
         WHERE a.agreement_no IN (SELECT agreement_no FROM unfreezes) ORDER BY a.agreement_no"
    );
    let mut unfreezes = collect(conn.prepare_cached(&sql)?.query_map([], |r| {
        Ok((r.get(0)?, freeze_source(r, 2)?, Fen(r.get(1)?)))
    })?)?;
    // Unfreezes of an agreement that no longer exists have nothing frozen.
    let orphans = collect(
        conn.prepare_cached(
            "SELECT agreement_no, SUM(unfreeze_amount) FROM unfreezes
             WHERE agreement_no NOT IN (SELECT agreement_no FROM agreements) GROUP BY agreement_no",
        )?
        .query_map([], |r| {
            Ok((r.get(0)?, FreezeSource::default(), Fen(r.get(1)?)))
        })?,
    )?;
    unfreezes.extend(orphans);
    Ok(MoneyBalances { refunds, unfreezes })
}

/// The `pay_amount` of the agreement's (newest) settlement.
pub(crate) fn settlement_pay_amount(conn: &Connection, agreement_no: &str) -> Result<Option<Fen>> {
    Ok(conn
        .prepare_cached(
            "SELECT pay_amount FROM settlements WHERE agreement_no = ?1 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([agreement_no], |r| r.get(0).map(Fen))
        .optional()?)
}
