//! Checks of `zhima.credit.pe.zmgo.settle.refund`, first failure decides:
//!
//! 1. `REQUEST_PARAM_ILLEGAL` — `agreement_id`, `partner_id`, `out_request_no`,
//!    `withhold_plan_no` present; `memo`, `refund_type`, user ids within length.
//! 2. `ORDER_AMOUNT_ILLEGAL` — `refund_amount` a yuan amount above 0.
//!
//! The server then checks idempotency on (`partner_id`, `out_request_no`) via
//! [`ValidSettleRefund::business_fingerprint`], the settlement (`SETTLE_ORDER_NOT_EXIST`) and
//! the budget (`REFUND_AMOUNT_EXCEED`).

use serde::Serialize;

use crate::models::ZhimaCreditPeZmgoSettleRefundModel;
use crate::money::Fen;

use super::cumulation::{MAX_AGREEMENT_NO, MAX_ENUM, MAX_ID, MAX_NAME, MAX_OUT_BIZ_NO};
use super::lifecycle::{fingerprint, opt, positive_amount, req, user_ref, Checked, UserRef};
use super::settle_apply::MAX_WITHHOLD_PLAN_NO;

/// A validated refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidSettleRefund {
    /// Agreement number.
    pub agreement_id: String,
    /// Merchant PID.
    pub partner_id: String,
    /// Idempotency key.
    pub out_request_no: String,
    /// The settlement's withholding plan.
    pub withhold_plan_no: String,
    /// Amount to refund, above 0.
    pub refund_amount: Fen,
    /// Refund type, if sent.
    pub refund_type: Option<String>,
    /// Note, if sent.
    pub memo: Option<String>,
    /// The user, if named.
    pub user: UserRef,
}

impl ValidSettleRefund {
    /// Canonical JSON of the business content, for idempotency on `out_request_no`.
    pub fn business_fingerprint(&self) -> String {
        fingerprint(self)
    }
}

/// Validates a refund (order in the module docs).
pub fn validate_settle_refund(
    m: &ZhimaCreditPeZmgoSettleRefundModel,
) -> Checked<ValidSettleRefund> {
    let agreement_id = req("agreement_id", &m.agreement_id, MAX_AGREEMENT_NO)?;
    let partner_id = req("partner_id", &m.partner_id, MAX_ID)?;
    let out_request_no = req("out_request_no", &m.out_request_no, MAX_OUT_BIZ_NO)?;
    let withhold_plan_no = req(
        "withhold_plan_no",
        &m.withhold_plan_no,
        MAX_WITHHOLD_PLAN_NO,
    )?;
    let refund_type = opt("refund_type", &m.refund_type, MAX_ENUM)?;
    let memo = opt("memo", &m.memo, MAX_NAME)?;
    let user = user_ref(
        "alipay_user_id",
        &m.alipay_user_id,
        "alipay_open_id",
        &m.alipay_open_id,
    )?;
    let refund_amount = positive_amount("refund_amount", &m.refund_amount)?;
    Ok(ValidSettleRefund {
        agreement_id,
        partner_id,
        out_request_no,
        withhold_plan_no,
        refund_amount,
        refund_type,
        memo,
        user,
    })
}
