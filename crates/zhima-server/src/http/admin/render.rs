//! JSON renderings of the operator views, shared by the admin resources. Times are
//! `yyyy-MM-dd HH:mm:ss` in UTC+8, money yuan strings (`"3.57"`); nothing secret is rendered
//! (apps as [`AppView`], tokens as [`TokenView`]).

use serde::Serialize;
use serde_json::{json, Value};
use zhima_proto::time::format_alipay_datetime;

use crate::domain::admin::{AppView, InstanceSummary, Listing, TemplateSummary, TokenView};
use crate::domain::audit::AuditEntry;
use crate::domain::entities::{Agreement, Time, Trade};
use crate::domain::ledger::{AgreementTotals, LedgerEvent};
use crate::domain::settle::Settlement;
use crate::domain::settle_refund::SettlementRefund;
use crate::domain::settle_unfreeze::Unfreeze;
use crate::storage::reads::StateEventView;

pub(super) fn time(t: &Time) -> String {
    format_alipay_datetime(t)
}

/// A wire enum's spelling (`ORDER_PAID`, `AMOUNT`, …).
fn wire<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// `{"items": [...], "next_cursor": "…" | null}`.
pub(super) fn listing<T>(l: &Listing<T>, item: impl Fn(&T) -> Value) -> Value {
    json!({
        "items": l.items.iter().map(item).collect::<Vec<_>>(),
        "next_cursor": l.next_cursor,
    })
}

pub(super) fn app(a: &AppView) -> Value {
    json!({
        "app_id": a.app_id,
        "partner_id": a.partner_id,
        "key_fingerprint": a.key_fingerprint,
        "app_cert_sn": a.app_cert_sn,
        "encrypt_key_set": a.encrypt_key_set,
        "sign_types": a.sign_types.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "enabled": a.enabled,
        "notify_url": a.notify_url,
    })
}

pub(super) fn token(t: &TokenView) -> Value {
    json!({
        "prefix": t.prefix,
        "app_id": t.app_id,
        "partner_id": t.partner_id,
        "expires_at": time(&t.expires_at),
        "expired": t.expired,
    })
}

pub(super) fn template(t: &TemplateSummary) -> Value {
    let tpl = &t.template;
    json!({
        "template_no": tpl.template_no,
        "mode": wire(&tpl.mode),
        "obligation_times": tpl.obligation_times,
        "obligation_amount": tpl.obligation_amount.map(|f| f.to_yuan_string()),
        "period_days": tpl.period_days,
        "settle_check": tpl.settle_check,
        "settle_tolerance": tpl.settle_tolerance.to_yuan_string(),
        "owner_partner_id": t.owner,
        "freeze_amount": t.freeze_amount.to_yuan_string(),
    })
}

pub(super) fn agreement(a: &Agreement) -> Value {
    json!({
        "agreement_no": a.agreement_no,
        "template_no": a.template_no,
        "user_id": a.user_id,
        "open_id": a.open_id,
        "partner_id": a.partner_id,
        "app_id": a.app_id,
        "status": a.status.as_str(),
        "start_time": time(&a.start_time),
        "end_time": time(&a.end_time),
        "withhold_plan_no": a.quit.as_ref().map(|q| q.withhold_plan_no.clone()),
        "quit_type": a.quit.as_ref().map(|q| q.quit_type.clone()),
        "quit_time": a.quit.as_ref().map(|q| time(&q.quit_time)),
    })
}

pub(super) fn totals(t: &AgreementTotals) -> Value {
    json!({
        "trade_amount": t.trade_amount.to_yuan_string(),
        "discount_amount": t.discount_amount.to_yuan_string(),
        "task_count": t.task_count,
        "event_count": t.event_count,
        "paid_count": t.paid_count,
        "aggr_times": t.aggr_times(),
        "discounts": t.discounts.iter().map(|((kind, name), amount)| json!({
            "discount_type": wire(kind),
            "discount_name": name,
            "amount": amount.to_yuan_string(),
        })).collect::<Vec<_>>(),
        "tasks": t.tasks.iter().map(|(name, n)| json!({"name": name, "count": n})).collect::<Vec<_>>(),
    })
}

pub(super) fn event(e: &LedgerEvent) -> Value {
    json!({
        "seq": e.seq,
        "partner_id": e.partner_id,
        "out_biz_no": e.out_biz_no,
        "agreement_no": e.agreement_no,
        "user_id": e.user_id,
        "open_id": e.open_id,
        "biz_action": wire(&e.action),
        "pay_out_biz_no": e.pay_out_biz_no,
        "biz_time": time(&e.biz_time),
        "cumulate_data_type": wire(&e.data_type),
        "amount_name": e.amount_name,
        "task_name": e.task_name,
        "trade_no": e.trade_no,
        "trade_amount": e.amounts.trade.to_yuan_string(),
        "discounts": e.amounts.discounts.iter().map(|d| json!({
            "discount_type": wire(&d.discount_type),
            "discount_name": d.name,
            "amount": d.amount.to_yuan_string(),
        })).collect::<Vec<_>>(),
        "task_count": e.amounts.tasks,
        "received_at": time(&e.received_at),
    })
}

pub(super) fn settlement(s: &Settlement) -> Value {
    json!({
        "out_request_no": s.out_request_no,
        "partner_id": s.partner_id,
        "withhold_plan_no": s.withhold_plan_no,
        "pay_amount": s.pay_amount.to_yuan_string(),
        "action_type": wire(&s.action_type),
        "settled_at": time(&s.settled_at),
    })
}

pub(super) fn settlement_refund(r: &SettlementRefund) -> Value {
    json!({
        "out_request_no": r.out_request_no,
        "partner_id": r.partner_id,
        "withhold_plan_no": r.withhold_plan_no,
        "refund_opt_no": r.refund_opt_no,
        "refund_amount": r.refund_amount.to_yuan_string(),
        "created_at": time(&r.created_at),
    })
}

pub(super) fn unfreeze(u: &Unfreeze) -> Value {
    json!({
        "out_request_no": u.out_request_no,
        "partner_id": u.partner_id,
        "unfreeze_amount": u.unfreeze_amount.to_yuan_string(),
        "created_at": time(&u.created_at),
    })
}

pub(super) fn trade(t: &Trade) -> Value {
    json!({
        "trade_no": t.trade_no,
        "buyer_user_id": t.buyer_user_id,
        "seller_partner_id": t.seller_partner_id,
        "amount": t.amount.to_yuan_string(),
    })
}

pub(super) fn instance(i: &InstanceSummary) -> Value {
    json!({
        "id": i.id,
        "service_id": i.key.service_id,
        "category_code": i.key.category_code,
        "user_id": i.key.user_id,
        "out_principal_id": i.key.out_principal_id,
        "current_state": i.current_state,
        "created_at": time(&i.created_at),
        "updated_at": time(&i.updated_at),
        "event_count": i.event_count,
    })
}

pub(super) fn state_event(e: &StateEventView) -> Value {
    json!({
        "seq": e.seq,
        "out_biz_no": e.out_biz_no,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "biz_data": e.biz_data,
        "app_id": e.app_id,
        "received_at": time(&e.received_at),
    })
}

pub(super) fn audit(id: i64, e: &AuditEntry) -> Value {
    json!({
        "id": id,
        "at": time(&e.at),
        "app_id": e.app_id,
        "api": e.method,
        "outcome": e.outcome,
        "latency_us": e.latency_us,
    })
}
