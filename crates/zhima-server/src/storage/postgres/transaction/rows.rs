//! Row decoding: column lists and `Row` → domain value, shared by the write and read side.

use postgres::types::FromSql;
use postgres::Row;
use zhima_proto::money::Fen;
use zhima_proto::time::from_epoch_millis;
use zhima_proto::SignType;

use crate::domain::audit::AuditEntry;
use crate::domain::entities::{Agreement, AgreementQuit, App, Template, TemplateMode, Time, Trade};
use crate::domain::ledger::{EventAmounts, LedgerEvent};
use crate::domain::settle::{LedgerTotals, Settlement};
use crate::error::{Error, Result};
use crate::storage::stored_discounts;

// ---- row helpers ----

pub(super) fn get<'a, T: FromSql<'a>>(r: &'a Row, i: usize) -> Result<T> {
    r.try_get(i)
        .map_err(|e| Error::internal(format!("postgres column {i}: {e}")))
}

pub(super) fn time(ms: i64) -> Result<Time> {
    from_epoch_millis(ms).map_err(|e| Error::internal(format!("stored time: {e}")))
}

pub(super) fn ms(t: &Time) -> i64 {
    t.timestamp_millis()
}

pub(super) fn parse<T: std::str::FromStr>(s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse()
        .map_err(|e: T::Err| Error::internal(format!("stored value {s:?}: {e}")))
}

// ---- rows ----

pub(super) const EVENT_COLUMNS: &str = "seq, partner_id, out_biz_no, agreement_no, user_id, open_id, biz_action, \
     pay_out_biz_no, biz_time_ms, data_type, amount_name, task_name, trade_no, trade_amount, discounts, \
     task_count, fingerprint, received_at_ms";

/// One page of an agreement's events, newest first (`$1` agreement, `$2` page size, `$3` rows
/// before the page): a range of `(agreement_no, agreement_seq)` below the newest number, so
/// the cost is the page's, whatever its number (`agreement_seq` is dense: 1, 2, 3… per
/// agreement), and no plan can walk the table by `seq` instead. Public so that tests can
/// check the plan PostgreSQL picks.
pub fn events_page_sql() -> String {
    format!(
        "SELECT {EVENT_COLUMNS} FROM cumulation_events
         WHERE agreement_no = $1 AND agreement_seq <= (
           SELECT COALESCE(MAX(agreement_seq), 0) FROM cumulation_events WHERE agreement_no = $1) - $3
         ORDER BY agreement_seq DESC LIMIT $2"
    )
}

pub(super) fn event_row(r: &Row) -> Result<LedgerEvent> {
    let action: String = get(r, 6)?;
    let data_type: String = get(r, 9)?;
    let discounts: String = get(r, 14)?;
    Ok(LedgerEvent {
        seq: get(r, 0)?,
        partner_id: get(r, 1)?,
        out_biz_no: get(r, 2)?,
        agreement_no: get(r, 3)?,
        user_id: get(r, 4)?,
        open_id: get(r, 5)?,
        action: parse(&action)?,
        pay_out_biz_no: get(r, 7)?,
        biz_time: time(get(r, 8)?)?,
        data_type: parse(&data_type)?,
        amount_name: get(r, 10)?,
        task_name: get(r, 11)?,
        trade_no: get(r, 12)?,
        amounts: EventAmounts {
            trade: Fen(get(r, 13)?),
            discounts: stored_discounts::decode(&discounts).map_err(Error::internal)?,
            tasks: get(r, 15)?,
        },
        fingerprint: get(r, 16)?,
        received_at: time(get(r, 17)?)?,
    })
}

pub(super) const APP_COLUMNS: &str =
    "app_id, partner_id, public_key_pem, app_cert_sn, encrypt_key, sign_types, enabled, notify_url";

pub(super) fn app_row(r: &Row) -> Result<App> {
    let sign_types: String = get(r, 5)?;
    Ok(App {
        app_id: get(r, 0)?,
        partner_id: get(r, 1)?,
        public_key_pem: get(r, 2)?,
        app_cert_sn: get(r, 3)?,
        encrypt_key: get(r, 4)?,
        sign_types: sign_types
            .split(',')
            .filter(|s| !s.is_empty())
            .map(parse::<SignType>)
            .collect::<Result<_>>()?,
        enabled: get(r, 6)?,
        notify_url: get(r, 7)?,
    })
}

pub(super) const TEMPLATE_COLUMNS: &str =
    "template_no, mode, obligation_times, obligation_amount, period_days, settle_check, settle_tolerance";

pub(super) fn template_row(r: &Row) -> Result<Template> {
    template_row_at(r, 0)
}

/// A template whose [`TEMPLATE_COLUMNS`] start at column `at` (after a join's other columns).
pub(super) fn template_row_at(r: &Row, at: usize) -> Result<Template> {
    let mode: String = get(r, at + 1)?;
    Ok(Template {
        template_no: get(r, at)?,
        mode: match mode.as_str() {
            "BOUND" => TemplateMode::Bound,
            "DECOUPLED" => TemplateMode::Decoupled,
            other => return Err(Error::internal(format!("unknown template mode {other:?}"))),
        },
        obligation_times: get(r, at + 2)?,
        obligation_amount: get::<Option<i64>>(r, at + 3)?.map(Fen),
        period_days: get(r, at + 4)?,
        settle_check: get(r, at + 5)?,
        settle_tolerance: Fen(get(r, at + 6)?),
    })
}

pub(super) fn mode_str(m: TemplateMode) -> &'static str {
    match m {
        TemplateMode::Decoupled => "DECOUPLED",
        TemplateMode::Bound => "BOUND",
    }
}

/// How many columns [`AGREEMENT_COLUMNS`] names.
pub(super) const AGREEMENT_WIDTH: usize = 12;

pub(super) const AGREEMENT_COLUMNS: &str =
    "agreement_no, template_no, user_id, open_id, partner_id, status, start_time_ms, end_time_ms,
     withhold_plan_no, quit_type, quit_time_ms, app_id";

pub(super) fn agreement_row(r: &Row) -> Result<Agreement> {
    let status: String = get(r, 5)?;
    Ok(Agreement {
        agreement_no: get(r, 0)?,
        template_no: get(r, 1)?,
        user_id: get(r, 2)?,
        open_id: get(r, 3)?,
        partner_id: get(r, 4)?,
        status: parse(&status)?,
        start_time: time(get(r, 6)?)?,
        end_time: time(get(r, 7)?)?,
        quit: match (get(r, 8)?, get(r, 9)?, get::<Option<i64>>(r, 10)?) {
            (Some(withhold_plan_no), Some(quit_type), Some(quit_ms)) => Some(AgreementQuit {
                withhold_plan_no,
                quit_type,
                quit_time: time(quit_ms)?,
            }),
            _ => None,
        },
        app_id: get(r, 11)?,
    })
}

pub(super) fn trade_row(r: &Row) -> Result<Trade> {
    Ok(Trade {
        trade_no: get(r, 0)?,
        buyer_user_id: get(r, 1)?,
        seller_partner_id: get(r, 2)?,
        amount: Fen(get(r, 3)?),
    })
}

pub(super) fn settlement_row(r: &Row) -> Result<Settlement> {
    let action: String = get(r, 6)?;
    Ok(Settlement {
        seq: get(r, 0)?,
        partner_id: get(r, 1)?,
        out_request_no: get(r, 2)?,
        agreement_no: get(r, 3)?,
        withhold_plan_no: get(r, 4)?,
        pay_amount: Fen(get(r, 5)?),
        action_type: parse(&action)?,
        request_json: get(r, 7)?,
        fingerprint: get(r, 8)?,
        ledger: LedgerTotals {
            trade_amount: Fen(get(r, 9)?),
            discount_amount: Fen(get(r, 10)?),
            task_count: get(r, 11)?,
        },
        settled_at: time(get(r, 12)?)?,
    })
}

pub(super) fn audit_row(r: &Row) -> Result<AuditEntry> {
    Ok(AuditEntry {
        at: time(get(r, 0)?)?,
        app_id: get(r, 1)?,
        method: get(r, 2)?,
        outcome: get(r, 3)?,
        latency_us: get(r, 4)?,
    })
}
