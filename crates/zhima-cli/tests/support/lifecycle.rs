//! Request bodies of the lifecycle APIs (PRODUCT §11) with the official models' field names
//! (alipay-sdk-python 3.7.1411 `Zhima…Model`, so the SDK's models keep every field), shared by
//! `lifecycle_interop` (JSON through the official SDKs) and `lifecycle_e2e` (the same JSON as
//! zhima-client models).

use serde_json::{json, Value};
use zhima_proto::models::Api;

use super::{yuan, Ledger, PARTNER_ID, USER_ID};

/// The v1 method of `api`.
pub fn method(api: Api) -> &'static str {
    api.v1_method()
}

/// Freeze amount of every template here (fen).
pub const FREEZE: i64 = 1000;
/// Obligation task count of every template here.
pub const OBLIGATION_TIMES: i64 = 3;
/// The agreement period of every template here (days, RELATIVE_DATE).
pub const PERIOD_DAYS: i64 = 30;

/// `template.create`: a DECOUPLED template ([ours] default) of [`PARTNER_ID`].
pub fn template_create(out_biz_no: &str, name: &str) -> Value {
    json!({
        "basic_config": {"partner_id": PARTNER_ID, "out_biz_no": out_biz_no, "template_name": name},
        "open_config": {"period_mode": "RELATIVE_DATE", "period_time": PERIOD_DAYS.to_string(),
                        "freeze_amount": yuan(FREEZE)},
        "obligation_config": {"obligation_times": OBLIGATION_TIMES.to_string()},
    })
}

/// `template.query`.
pub fn template_query(template_no: &str) -> Value {
    json!({"partner_id": PARTNER_ID, "template_no": template_no})
}

/// `pre.consult` for [`USER_ID`].
pub fn pre_consult(template_no: &str) -> Value {
    json!({"partner_id": PARTNER_ID, "template_id": template_no, "alipay_user_id": USER_ID})
}

/// `preorder.create` for [`USER_ID`], 2 hours to sign.
pub fn preorder_create(template_no: &str, out_request_no: &str) -> Value {
    json!({"partner_id": PARTNER_ID, "template_id": template_no, "alipay_user_id": USER_ID,
           "out_request_no": out_request_no, "timeout_express": "2h"})
}

/// `sign.apply` (page method) of a preorder.
pub fn sign_apply(preorder_no: &str) -> Value {
    json!({"partner_id": PARTNER_ID, "preorder_no": preorder_no})
}

/// `agreement.sign` of a preorder.
pub fn agreement_sign(preorder_no: &str) -> Value {
    json!({"partner_id": PARTNER_ID, "preorder_no": preorder_no, "alipay_user_id": USER_ID})
}

/// `bizopt.close` of the preorder `out_request_no`.
pub fn bizopt_close(template_no: &str, out_request_no: &str) -> Value {
    json!({"partner_id": PARTNER_ID, "template_id": template_no, "alipay_user_id": USER_ID,
           "out_request_no": out_request_no})
}

/// Merchant `cumulate.sync`: POSITIVE ADD of `times` tasks worth `fen`.
pub fn merchant_task(
    agreement: &str,
    out_biz_no: &str,
    times: i64,
    fen: i64,
    biz_time: &str,
) -> Value {
    json!({"agreement_id": agreement, "provider_pid": PARTNER_ID, "user_id": USER_ID,
           "out_biz_no": out_biz_no, "biz_action": "POSITIVE", "sub_biz_action": "ADD",
           "data_type": "TASK", "biz_time": biz_time,
           "times_type_sync_data": {"task_times": times, "task_amount": yuan(fen), "task_desc": "打车"}})
}

/// `agreement.unsign` by the user.
pub fn agreement_unsign(agreement: &str) -> Value {
    json!({"agreement_id": agreement, "partner_id": PARTNER_ID, "alipay_user_id": USER_ID,
           "quit_type": "USER_CANCEL_QUIT"})
}

/// `agreement.query`.
pub fn agreement_query(agreement: &str) -> Value {
    json!({"agreement_id": agreement, "alipay_user_id": USER_ID})
}

/// What a merchant claims in `settle.apply`: the ledger's net trade and discount amounts and
/// its net task count (the sum of `task_times` over `detail_list`, which is what the settlement
/// check compares; `aggr_times` counts payments instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    /// `total_real_pay_amount` (fen).
    pub amount: i64,
    /// `total_discount_amount` (fen).
    pub discount: i64,
    /// `total_task_count`.
    pub tasks: i64,
}

impl Claim {
    /// The claim matching `ledger`.
    pub fn of(ledger: &Ledger) -> Claim {
        let sign = |refund: bool| if refund { -1 } else { 1 };
        Claim {
            amount: ledger.totals.amount,
            discount: ledger.totals.discount,
            tasks: ledger.events.iter().map(|e| sign(e.refund) * e.tasks).sum(),
        }
    }
}

/// `settle.apply` naming `withhold_plan_no`, claiming `claim`.
pub fn settle_apply(
    agreement: &str,
    out_request_no: &str,
    plan: &str,
    pay_fen: i64,
    claim: Claim,
) -> Value {
    json!({"agreement_id": agreement, "partner_id": PARTNER_ID, "alipay_user_id": USER_ID,
           "out_request_no": out_request_no, "withhold_plan_no": plan, "pay_amount": yuan(pay_fen),
           "total_real_pay_amount": yuan(claim.amount),
           "total_discount_amount": yuan(claim.discount),
           "total_task_count": claim.tasks.to_string()})
}

/// `settle.refund` of `fen` of the settlement `plan`.
pub fn settle_refund(agreement: &str, out_request_no: &str, plan: &str, fen: i64) -> Value {
    json!({"agreement_id": agreement, "partner_id": PARTNER_ID, "alipay_user_id": USER_ID,
           "out_request_no": out_request_no, "withhold_plan_no": plan, "refund_amount": yuan(fen),
           "memo": "部分退款"})
}

/// `settle.unfreeze` of `fen`.
pub fn settle_unfreeze(agreement: &str, out_request_no: &str, fen: i64) -> Value {
    json!({"agreement_id": agreement, "partner_id": PARTNER_ID, "alipay_user_id": USER_ID,
           "out_request_no": out_request_no, "unfreeze_amount": yuan(fen), "order_title": "芝麻GO解冻"})
}

/// Asserts `plan` is a withhold plan number, `yyyyMMdd` + 20 digits (clock-report), and
/// returns it.
#[track_caller]
pub fn assert_withhold_plan_no(plan: Option<&str>, what: &str) -> String {
    let plan = plan.unwrap_or_else(|| panic!("{what}: no withhold_plan_no"));
    assert!(
        plan.len() == 28 && plan.bytes().all(|b| b.is_ascii_digit()),
        "{what}: withhold_plan_no {plan:?} is not yyyyMMdd + 20 digits"
    );
    plan.to_string()
}

/// A non-empty string field of a success body.
#[track_caller]
pub fn text(body: &Value, key: &str, what: &str) -> String {
    match body[key].as_str() {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => panic!("{what}: no {key} in {body}"),
    }
}
