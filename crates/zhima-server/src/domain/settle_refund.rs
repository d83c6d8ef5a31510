//! `settle.refund` rules (PRODUCT §11), as a pure decision over a snapshot.
//!
//! Order: `REQUEST_ACCESS_ILLEGAL` (the caller acts for `partner_id`; first, so another
//! merchant can neither replay nor probe keys); idempotency on (`partner_id`,
//! `out_request_no`) — same fingerprint → the original answer, different → `IDEMPOTENT_ERROR`;
//! the settlement of `agreement_id` exists, is the partner's (and the user's, when named) and
//! has the request's `withhold_plan_no` → else `SETTLE_ORDER_NOT_EXIST` (one answer for
//! unknown and foreign: no existence leak); the refunds of that settlement never sum above its
//! `pay_amount` → `REFUND_AMOUNT_EXCEED` whose sub_msg gives what is left (**ours**).

use zhima_proto::catalog::CumulationCode;
use zhima_proto::models::ZhimaCreditPeZmgoSettleRefundResponse;
use zhima_proto::money::Fen;
pub use zhima_proto::validate::ValidSettleRefund;

use crate::domain::entities::{Agreement, Caller, Time};
use crate::domain::fingerprint::digest;
use crate::domain::settle::Settlement;
use crate::error::Rejection;

/// The command: a request that passed zhima-proto `validate_settle_refund`.
pub type RefundCmd = ValidSettleRefund;

/// `retry` of a success: nothing to retry (**ours**; the official model leaves it open).
pub const NO_RETRY: &str = "N";

/// A recorded refund of a settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementRefund {
    /// `partner_id`.
    pub partner_id: String,
    /// `out_request_no`, the idempotency key.
    pub out_request_no: String,
    /// The settled agreement.
    pub agreement_no: String,
    /// The settlement's `withhold_plan_no`.
    pub withhold_plan_no: String,
    /// Platform number of the refund.
    pub refund_opt_no: String,
    /// Amount refunded (above 0).
    pub refund_amount: Fen,
    /// The validated request as JSON (kept for operators).
    pub request_json: String,
    /// Business fingerprint of the request.
    pub fingerprint: String,
    /// When it was accepted (business time).
    pub created_at: Time,
}

/// Stored state the decision needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefundSnapshot {
    /// The refund already stored under (`partner_id`, `out_request_no`).
    pub existing: Option<SettlementRefund>,
    /// The settlement of `agreement_id`.
    pub settlement: Option<Settlement>,
    /// The agreement (for the user check).
    pub agreement: Option<Agreement>,
    /// Sum of the refunds already recorded against that settlement.
    pub refunded: Fen,
}

/// The outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundDecision {
    /// Same request as a recorded refund: answer it again, write nothing.
    Replay(SettlementRefund),
    /// Rejected: write nothing.
    Reject(Rejection),
    /// Record the refund.
    Refund(Box<SettlementRefund>),
}

/// The wire success body of a recorded refund.
pub fn refund_response(r: &SettlementRefund) -> ZhimaCreditPeZmgoSettleRefundResponse {
    ZhimaCreditPeZmgoSettleRefundResponse {
        fail_reason: None,
        out_request_no: Some(r.out_request_no.clone()),
        refund_amount: Some(r.refund_amount.to_yuan_string()),
        refund_opt_no: Some(r.refund_opt_no.clone()),
        retry: Some(NO_RETRY.to_owned()),
        withhold_plan_no: Some(r.withhold_plan_no.clone()),
    }
}

/// The refund rules; `refund_opt_no` numbers a new refund.
pub fn decide(
    cmd: &RefundCmd,
    caller: &Caller,
    snap: &RefundSnapshot,
    refund_opt_no: &str,
) -> RefundDecision {
    if cmd.partner_id != caller.partner_id {
        return RefundDecision::Reject(Rejection::new(
            CumulationCode::RequestAccessIllegal,
            format_args!(
                "应用{}代表商户{}调用，不能为商户{}退款",
                caller.app_id, caller.partner_id, cmd.partner_id
            ),
        ));
    }
    let fingerprint = digest(&cmd.business_fingerprint());
    if let Some(prev) = &snap.existing {
        return if prev.fingerprint == fingerprint {
            RefundDecision::Replay(prev.clone())
        } else {
            RefundDecision::Reject(Rejection::new(
                CumulationCode::IdempotentError,
                format_args!(
                    "out_request_no {}已用于内容不同的退款请求",
                    cmd.out_request_no
                ),
            ))
        };
    }
    let Some(settlement) = settlement_of(cmd, snap) else {
        return RefundDecision::Reject(Rejection::new(
            CumulationCode::SettleOrderNotExist,
            format_args!(
                "协议{}下不存在扣款计划{}的结算单",
                cmd.agreement_id, cmd.withhold_plan_no
            ),
        ));
    };
    let left = settlement.pay_amount - snap.refunded;
    if cmd.refund_amount > left {
        return RefundDecision::Reject(Rejection::new(
            CumulationCode::RefundAmountExceed,
            format_args!(
                "退款金额{}元超过剩余可退金额{}元",
                cmd.refund_amount.to_yuan_string(),
                left.to_yuan_string()
            ),
        ));
    }
    RefundDecision::Refund(Box::new(SettlementRefund {
        partner_id: cmd.partner_id.clone(),
        out_request_no: cmd.out_request_no.clone(),
        agreement_no: settlement.agreement_no.clone(),
        withhold_plan_no: settlement.withhold_plan_no.clone(),
        refund_opt_no: refund_opt_no.to_owned(),
        refund_amount: cmd.refund_amount,
        request_json: serde_json::to_string(cmd).unwrap_or_default(),
        fingerprint,
        created_at: caller.business_now,
    }))
}

/// The settlement the request names, if it is the caller's to refund.
fn settlement_of<'a>(cmd: &RefundCmd, snap: &'a RefundSnapshot) -> Option<&'a Settlement> {
    let s = snap.settlement.as_ref()?;
    let ours = s.partner_id == cmd.partner_id
        && s.agreement_no == cmd.agreement_id
        && s.withhold_plan_no == cmd.withhold_plan_no;
    let user = &cmd.user;
    let users = user.is_empty()
        || snap.agreement.as_ref().is_some_and(|a| {
            a.partner_id == cmd.partner_id
                && a.belongs_to(user.user_id.as_deref(), user.open_id.as_deref())
        });
    (ours && users).then_some(s)
}
