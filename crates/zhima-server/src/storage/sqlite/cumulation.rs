//! SQL of the Zhima GO ledger (`cumulation.sync`): snapshot loading, appending events with
//! their totals delta, reading totals rows and pages of events.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension, Row};
use zhima_proto::models::{BizAction, DiscountType};
use zhima_proto::money::Fen;

use super::records::{self, collect, conversion, ms, parse, time};
use crate::domain::cumulation::{trade_no_of, Append, CumulationCmd, CumulationSnapshot};
use crate::domain::ledger::{AgreementTotals, EventAmounts, LedgerEvent, TotalsDelta};
use crate::domain::merchant_sync::MerchantSyncCmd;
use crate::domain::query::Page;
use crate::error::Result;
use crate::storage::stored_discounts;

pub(crate) const EVENT_COLUMNS: &str = "seq, partner_id, out_biz_no, agreement_no, user_id, open_id, biz_action, \
     pay_out_biz_no, biz_time_ms, data_type, amount_name, task_name, trade_no, trade_amount, discounts, \
     task_count, fingerprint, received_at_ms";

pub(crate) fn event_row(r: &Row<'_>) -> rusqlite::Result<LedgerEvent> {
    let action: String = r.get(6)?;
    let data_type: String = r.get(9)?;
    let discounts: String = r.get(14)?;
    Ok(LedgerEvent {
        seq: r.get(0)?,
        partner_id: r.get(1)?,
        out_biz_no: r.get(2)?,
        agreement_no: r.get(3)?,
        user_id: r.get(4)?,
        open_id: r.get(5)?,
        action: parse(&action)?,
        pay_out_biz_no: r.get(7)?,
        biz_time: time(r.get(8)?)?,
        data_type: parse(&data_type)?,
        amount_name: r.get(10)?,
        task_name: r.get(11)?,
        trade_no: r.get(12)?,
        amounts: EventAmounts {
            trade: Fen(r.get(13)?),
            discounts: stored_discounts::decode(&discounts).map_err(conversion)?,
            tasks: r.get(15)?,
        },
        fingerprint: r.get(16)?,
        received_at: time(r.get(17)?)?,
    })
}

fn event_by_key(
    conn: &Connection,
    partner_id: &str,
    out_biz_no: &str,
) -> Result<Option<LedgerEvent>> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM cumulation_events WHERE partner_id = ?1 AND out_biz_no = ?2"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([partner_id, out_biz_no], event_row)
        .optional()?)
}

fn refunds_of(
    conn: &Connection,
    partner_id: &str,
    pay_out_biz_no: &str,
) -> Result<Vec<EventAmounts>> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM cumulation_events
         WHERE partner_id = ?1 AND pay_out_biz_no = ?2 AND biz_action = 'ORDER_REFUND' ORDER BY seq"
    );
    let events = collect(
        conn.prepare_cached(&sql)?
            .query_map([partner_id, pay_out_biz_no], event_row)?,
    )?;
    Ok(events.into_iter().map(|e| e.amounts).collect())
}

/// Loads what `domain::cumulation::decide` needs; a stored event with the same key makes the
/// rest irrelevant (replay or conflict), so nothing else is read then.
pub(crate) fn load_snapshot(conn: &Connection, cmd: &CumulationCmd) -> Result<CumulationSnapshot> {
    if let Some(existing) = event_by_key(conn, &cmd.partner_id, &cmd.out_biz_no)? {
        return Ok(CumulationSnapshot {
            existing: Some(existing),
            ..Default::default()
        });
    }
    let agreement = records::agreement(conn, &cmd.agreement_no)?;
    let template = match &agreement {
        Some(a) => records::template(conn, &a.template_no)?,
        None => None,
    };
    let trade = match (trade_no_of(cmd), cmd.has_alipay_trade) {
        (Some(no), true) => records::trade(conn, no)?,
        _ => None,
    };
    let (payment, prior_refunds) = match (&cmd.pay_out_biz_no, cmd.biz_action) {
        (Some(pay_no), BizAction::OrderRefund) => (
            event_by_key(conn, &cmd.partner_id, pay_no)?,
            refunds_of(conn, &cmd.partner_id, pay_no)?,
        ),
        _ => (None, Vec::new()),
    };
    Ok(CumulationSnapshot {
        existing: None,
        agreement,
        template,
        trade,
        payment,
        prior_refunds,
    })
}

/// The snapshot of a merchant-level `cumulate.sync`: the same key space and rows.
pub(crate) fn load_merchant_snapshot(
    conn: &Connection,
    cmd: &MerchantSyncCmd,
) -> Result<CumulationSnapshot> {
    if let Some(existing) = event_by_key(conn, &cmd.provider_pid, &cmd.out_biz_no)? {
        return Ok(CumulationSnapshot {
            existing: Some(existing),
            ..Default::default()
        });
    }
    let agreement = records::agreement(conn, &cmd.agreement_id)?;
    let template = match &agreement {
        Some(a) => records::template(conn, &a.template_no)?,
        None => None,
    };
    let (payment, prior_refunds) = match &cmd.refer_out_biz_no {
        Some(refer) => (
            event_by_key(conn, &cmd.provider_pid, refer)?,
            refunds_of(conn, &cmd.provider_pid, refer)?,
        ),
        None => (None, Vec::new()),
    };
    Ok(CumulationSnapshot {
        existing: None,
        agreement,
        template,
        trade: None,
        payment,
        prior_refunds,
    })
}

/// Appends the event and applies its delta to the totals rows; returns the event's `seq`.
pub(crate) fn append(conn: &Connection, a: &Append) -> Result<i64> {
    let e = &a.event;
    // The totals row counts the agreement's events, so its new `event_count` is this event's
    // `agreement_seq`. Not `MAX(agreement_seq) + 1` in the INSERT: SQLite marks a min/max
    // subquery's plan as depending on its bound parameter, and rusqlite's statement cache
    // clears bindings, so that statement was recompiled on every sync (~5 % of its CPU).
    let agreement_seq = apply_delta(conn, &e.agreement_no, &a.delta)?;
    conn.prepare_cached(APPEND_EVENT_SQL)?.execute(params![
        e.partner_id,
        e.out_biz_no,
        e.agreement_no,
        e.user_id,
        e.open_id,
        e.action.as_str(),
        e.pay_out_biz_no,
        ms(&e.biz_time),
        e.data_type.as_str(),
        e.amount_name,
        e.task_name,
        e.trade_no,
        e.amounts.trade.0,
        stored_discounts::encode(&e.amounts.discounts),
        e.amounts.tasks,
        e.fingerprint,
        ms(&e.received_at),
        agreement_seq,
    ])?;
    Ok(conn.last_insert_rowid())
}

const APPEND_EVENT_SQL: &str =
    "INSERT INTO cumulation_events (partner_id, out_biz_no, agreement_no,
    user_id, open_id, biz_action, pay_out_biz_no, biz_time_ms, data_type, amount_name, task_name,
    trade_no, trade_amount, discounts, task_count, fingerprint, received_at_ms, agreement_seq)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";

const ADD_TO_TOTALS_SQL: &str = "INSERT INTO agreement_totals (agreement_no, trade_amount,
    discount_amount, task_count, event_count, paid_count, fully_refunded_count)
  VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6)
  ON CONFLICT (agreement_no) DO UPDATE SET
    trade_amount = trade_amount + excluded.trade_amount,
    discount_amount = discount_amount + excluded.discount_amount,
    task_count = task_count + excluded.task_count,
    event_count = event_count + 1,
    paid_count = paid_count + excluded.paid_count,
    fully_refunded_count = fully_refunded_count + excluded.fully_refunded_count
  RETURNING event_count";

/// Adds one event's delta to its agreement's totals; returns the agreement's new event count.
fn apply_delta(conn: &Connection, agreement_no: &str, d: &TotalsDelta) -> Result<i64> {
    let event_count: i64 = conn.prepare_cached(ADD_TO_TOTALS_SQL)?.query_row(
        params![
            agreement_no,
            d.trade_amount.0,
            d.discount_amount.0,
            d.task_count,
            d.paid,
            d.fully_refunded
        ],
        |r| r.get(0),
    )?;
    for ((kind, name), amount) in &d.discounts {
        conn.prepare_cached(
            "INSERT INTO agreement_discount_totals (agreement_no, discount_type, discount_name, amount)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (agreement_no, discount_type, discount_name) DO UPDATE SET amount = amount + excluded.amount",
        )?
        .execute(params![agreement_no, kind.as_str(), name, amount.0])?;
    }
    if let Some((name, n)) = &d.task {
        conn.prepare_cached(
            "INSERT INTO agreement_task_totals (agreement_no, task_name, task_count) VALUES (?1, ?2, ?3)
             ON CONFLICT (agreement_no, task_name) DO UPDATE SET task_count = task_count + excluded.task_count",
        )?
        .execute(params![agreement_no, name, n])?;
    }
    Ok(event_count)
}

/// The totals row of an agreement (zeros when it has no events). `breakdown` also loads the
/// per-discount and per-task rows (not needed by `cumulate.query`).
pub(crate) fn totals(
    conn: &Connection,
    agreement_no: &str,
    breakdown: bool,
) -> Result<AgreementTotals> {
    let mut t = conn
        .prepare_cached(
            "SELECT trade_amount, discount_amount, task_count, event_count, paid_count, fully_refunded_count
             FROM agreement_totals WHERE agreement_no = ?1",
        )?
        .query_row([agreement_no], |r| {
            Ok(AgreementTotals {
                trade_amount: Fen(r.get(0)?),
                discount_amount: Fen(r.get(1)?),
                task_count: r.get(2)?,
                event_count: r.get(3)?,
                paid_count: r.get(4)?,
                fully_refunded_count: r.get(5)?,
                ..Default::default()
            })
        })
        .optional()?
        .unwrap_or_default();
    if breakdown {
        t.discounts = discount_breakdown(conn, agreement_no)?;
        t.tasks = task_breakdown(conn, agreement_no)?;
    }
    Ok(t)
}

fn discount_breakdown(
    conn: &Connection,
    agreement_no: &str,
) -> Result<BTreeMap<(DiscountType, String), Fen>> {
    let rows = collect(
        conn.prepare_cached(
            "SELECT discount_type, discount_name, amount FROM agreement_discount_totals WHERE agreement_no = ?1",
        )?
        .query_map([agreement_no], |r| {
            let kind: String = r.get(0)?;
            Ok(((parse::<DiscountType>(&kind)?, r.get::<_, String>(1)?), Fen(r.get(2)?)))
        })?,
    )?;
    Ok(rows.into_iter().collect())
}

fn task_breakdown(conn: &Connection, agreement_no: &str) -> Result<BTreeMap<String, i64>> {
    let rows = collect(
        conn.prepare_cached(
            "SELECT task_name, task_count FROM agreement_task_totals WHERE agreement_no = ?1",
        )?
        .query_map([agreement_no], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?,
    )?;
    Ok(rows.into_iter().collect())
}

/// One page of an agreement's events, newest first (index `(agreement_no, seq)`).
pub(crate) fn events_page(
    conn: &Connection,
    agreement_no: &str,
    page: Page,
) -> Result<Vec<LedgerEvent>> {
    collect(
        conn.prepare_cached(&events_page_sql())?
            .query_map(params![agreement_no, page.size, page.offset()], event_row)?,
    )
}

/// One page of an agreement's events, newest first (`?1` agreement, `?2` page size, `?3` rows
/// before the page): a range of `(agreement_no, agreement_seq)` below the newest number, so
/// the cost is the page's, whatever its number (`agreement_seq` is dense: 1, 2, 3… per
/// agreement). Public so that tests can check how SQLite runs it.
pub fn events_page_sql() -> String {
    format!(
        "SELECT {EVENT_COLUMNS} FROM cumulation_events
         WHERE agreement_no = ?1 AND agreement_seq <= (
           SELECT COALESCE(MAX(agreement_seq), 0) FROM cumulation_events WHERE agreement_no = ?1) - ?3
         ORDER BY agreement_seq DESC LIMIT ?2"
    )
}

/// Every event, oldest first (for the invariant check).
pub(crate) fn all_events(conn: &Connection) -> Result<Vec<LedgerEvent>> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM cumulation_events ORDER BY seq");
    collect(conn.prepare(&sql)?.query_map([], event_row)?)
}

/// The agreements that have a totals row.
pub(crate) fn agreements_with_totals(conn: &Connection) -> Result<Vec<String>> {
    collect(
        conn.prepare("SELECT agreement_no FROM agreement_totals")?
            .query_map([], |r| r.get(0))?,
    )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use rusqlite::{Connection, StatementStatus};
    use zhima_proto::models::CumulateDataType;

    use super::*;
    use crate::storage::sqlite::schema::migrate;

    fn payment(out_biz_no: &str, agreement_no: &str) -> Append {
        let at = chrono::FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 12, 3, 12, 0, 0)
            .unwrap();
        let event = LedgerEvent {
            seq: 0,
            partner_id: "2088000000000001".into(),
            out_biz_no: out_biz_no.into(),
            agreement_no: agreement_no.into(),
            user_id: None,
            open_id: None,
            action: BizAction::OrderPaid,
            pay_out_biz_no: None,
            biz_time: at,
            data_type: CumulateDataType::Amount,
            amount_name: None,
            task_name: None,
            trade_no: None,
            amounts: EventAmounts {
                trade: Fen(100),
                discounts: Vec::new(),
                tasks: 0,
            },
            fingerprint: "fp".into(),
            received_at: at,
        };
        let delta = TotalsDelta::of(&event, false);
        Append { event, delta }
    }

    /// Every accepted sync runs these statements on the writer; a statement whose plan SQLite
    /// ties to its bound values (a min/max subquery did) is recompiled on each use, because the
    /// statement cache clears its bindings.
    #[test]
    fn appending_numbers_each_agreement_densely_without_recompiling() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        for (no, agreement) in [("o1", "A1"), ("o2", "A2"), ("o3", "A1"), ("o4", "A1")] {
            append(&conn, &payment(no, agreement)).unwrap();
        }
        let numbered: Vec<(String, i64)> = conn
            .prepare("SELECT agreement_no, agreement_seq FROM cumulation_events ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let want = [("A1", 1), ("A2", 1), ("A1", 2), ("A1", 3)];
        assert_eq!(
            numbered,
            want.map(|(a, n)| (a.to_owned(), n)).to_vec(),
            "agreement_seq is 1, 2, 3… per agreement"
        );
        for sql in [APPEND_EVENT_SQL, ADD_TO_TOTALS_SQL] {
            let stmt = conn.prepare_cached(sql).unwrap();
            assert_eq!(stmt.get_status(StatementStatus::Run), 4, "{sql}");
            assert_eq!(
                stmt.get_status(StatementStatus::RePrepare),
                0,
                "recompiled on each use: {sql}"
            );
        }
    }
}
