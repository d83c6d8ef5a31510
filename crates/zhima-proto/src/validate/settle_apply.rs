//! Config-free checks of `zhima.credit.pe.zmgo.settle.apply`, and the settlement check of
//! PRODUCT §4 as a pure function.
//!
//! # Check order (the first failing check decides)
//!
//! 1. `REQUEST_PARAM_ILLEGAL` — `agreement_id`, `partner_id`, `out_request_no`,
//!    `withhold_plan_no` present and within length; `alipay_user_id`, `alipay_open_id`,
//!    `action_type`, `settle_extend_params.quit_type` within length.
//! 2. `REQUEST_PARAM_ILLEGAL` — `action_type` is `DEFAULT_SETTLE` (default) or `PAY_TO_ZERO`;
//!    `PAY_TO_ZERO` needs `settle_extend_params.settle_adjust_reason` of its enum.
//! 3. `ORDER_AMOUNT_ILLEGAL` — `pay_amount` (required for `DEFAULT_SETTLE`, 0 when a
//!    `PAY_TO_ZERO` omits it) and `total_real_pay_amount` (optional) are yuan amounts.
//! 4. `DISCOUNT_AMOUNT_ILLEGAL` — `total_discount_amount` (optional) is a yuan amount.
//! 5. `REQUEST_PARAM_ILLEGAL` — `total_task_count` (optional) is a non-negative integer.
//!
//! The server then checks access and the agreement, idempotency on `out_request_no` (via
//! [`ValidSettleApply::business_fingerprint`]) and, when the template has `settle_check`,
//! [`check_settle_totals`].

use std::fmt::Write as _;

use serde::Serialize;

use crate::catalog::CumulationCode::{
    self, DiscountAmountIllegal, OrderAmountIllegal, RequestParamIllegal, SettleAmountCheckFail,
};
use crate::models::canonical_json;
use crate::models::settle_apply::{
    SettleActionType, SettleAdjustReason, ZhimaCreditPeZmgoSettleApplyModel,
};
use crate::money::Fen;

use super::checks::{
    echo, optional, parse_amount, parse_enum, present, required, required_amount, Violation,
};
use super::cumulation::{MAX_AGREEMENT_NO, MAX_ENUM, MAX_ID, MAX_OPEN_ID, MAX_OUT_BIZ_NO};

/// Max chars of `withhold_plan_no`.
pub const MAX_WITHHOLD_PLAN_NO: usize = 128;
/// Max digits of `total_task_count`.
pub const MAX_TASK_COUNT_DIGITS: usize = 9;

/// A validated settlement request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidSettleApply {
    /// Agreement number.
    pub agreement_id: String,
    /// Merchant PID.
    pub partner_id: String,
    /// The user's Ant member id, if sent.
    pub alipay_user_id: Option<String>,
    /// The user's OpenId, if sent.
    pub alipay_open_id: Option<String>,
    /// Idempotency key.
    pub out_request_no: String,
    /// Withholding plan number.
    pub withhold_plan_no: String,
    /// Settlement mode.
    pub action_type: SettleActionType,
    /// Reason, `Some` exactly for `PAY_TO_ZERO`.
    pub settle_adjust_reason: Option<SettleAdjustReason>,
    /// `settle_extend_params.quit_type`, if sent.
    pub quit_type: Option<String>,
    /// Amount to charge.
    pub pay_amount: Fen,
    /// Merchant's claimed period total paid.
    pub total_real_pay_amount: Option<Fen>,
    /// Merchant's claimed period total discount.
    pub total_discount_amount: Option<Fen>,
    /// Merchant's claimed period task count.
    pub total_task_count: Option<u64>,
}

impl ValidSettleApply {
    /// Canonical JSON of every business field, for idempotency on `out_request_no`.
    pub fn business_fingerprint(&self) -> String {
        canonical_json(&serde_json::to_value(self).unwrap_or_default())
    }
}

/// Validates a settlement request (order in the module docs).
pub fn validate_settle_apply(
    req: &ZhimaCreditPeZmgoSettleApplyModel,
) -> Result<ValidSettleApply, Violation<CumulationCode>> {
    let r = RequestParamIllegal;
    let no_params = Default::default();
    let params = req.settle_extend_params.as_ref().unwrap_or(&no_params);
    // Step 1.
    let agreement_id = required(r, "agreement_id", &req.agreement_id, MAX_AGREEMENT_NO)?;
    let partner_id = required(r, "partner_id", &req.partner_id, MAX_ID)?;
    let out_request_no = required(r, "out_request_no", &req.out_request_no, MAX_OUT_BIZ_NO)?;
    let withhold_plan_no = required(
        r,
        "withhold_plan_no",
        &req.withhold_plan_no,
        MAX_WITHHOLD_PLAN_NO,
    )?;
    let alipay_user_id = optional(r, "alipay_user_id", &req.alipay_user_id, MAX_ID)?;
    let alipay_open_id = optional(r, "alipay_open_id", &req.alipay_open_id, MAX_OPEN_ID)?;
    let action_type = optional(r, "action_type", &req.action_type, MAX_ENUM)?;
    let quit_type = optional(
        r,
        "settle_extend_params.quit_type",
        &params.quit_type,
        MAX_ENUM,
    )?;
    // Step 2.
    let action_type: SettleActionType = action_type
        .map(|v| parse_enum(r, "action_type", v, &SettleActionType::expected()))
        .transpose()?
        .unwrap_or(SettleActionType::DefaultSettle);
    let settle_adjust_reason = match action_type {
        SettleActionType::DefaultSettle => None,
        SettleActionType::PayToZero => {
            let field = "settle_extend_params.settle_adjust_reason";
            let raw = required(r, field, &params.settle_adjust_reason, MAX_ENUM)?;
            Some(parse_enum(r, field, raw, &SettleAdjustReason::expected())?)
        }
    };
    // Steps 3–4.
    let pay_amount = match (action_type, present(&req.pay_amount)) {
        (SettleActionType::PayToZero, None) => Fen::ZERO,
        _ => required_amount(OrderAmountIllegal, "pay_amount", &req.pay_amount)?,
    };
    let total_real_pay_amount = optional_amount(
        OrderAmountIllegal,
        "total_real_pay_amount",
        &req.total_real_pay_amount,
    )?;
    let total_discount_amount = optional_amount(
        DiscountAmountIllegal,
        "total_discount_amount",
        &req.total_discount_amount,
    )?;
    // Step 5.
    let total_task_count = present(&req.total_task_count)
        .map(parse_count)
        .transpose()?;
    Ok(ValidSettleApply {
        agreement_id: agreement_id.to_owned(),
        partner_id: partner_id.to_owned(),
        alipay_user_id: alipay_user_id.map(str::to_owned),
        alipay_open_id: alipay_open_id.map(str::to_owned),
        out_request_no: out_request_no.to_owned(),
        withhold_plan_no: withhold_plan_no.to_owned(),
        action_type,
        settle_adjust_reason,
        quit_type: quit_type.map(str::to_owned),
        pay_amount,
        total_real_pay_amount,
        total_discount_amount,
        total_task_count,
    })
}

fn optional_amount(
    code: CumulationCode,
    field: &str,
    value: &Option<String>,
) -> Result<Option<Fen>, Violation<CumulationCode>> {
    present(value)
        .map(|v| parse_amount(code, field, v))
        .transpose()
}

fn parse_count(raw: &str) -> Result<u64, Violation<CumulationCode>> {
    let ok = !raw.is_empty()
        && raw.len() <= MAX_TASK_COUNT_DIGITS
        && raw.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| raw.parse().ok()).flatten().ok_or_else(|| {
        Violation::new(
            RequestParamIllegal,
            format_args!("total_task_count应为非负整数: {}", echo(raw)),
        )
    })
}

/// The platform's view of an agreement's period, to compare settle claims with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LedgerTotals {
    /// Net trade amount (paid − refunded).
    pub trade_amount: Fen,
    /// Net discount amount.
    pub discount_amount: Fen,
    /// Net task count.
    pub task_count: i64,
}

/// PRODUCT §4 settlement check: every total the merchant sent must be within `tolerance` of
/// the ledger (task counts exactly). Totals the merchant did not send are not compared
/// **\[ours\]**. On failure the `SETTLE_AMOUNT_CHECK_FAIL` sub_msg names each differing field
/// with its claimed and ledger value.
pub fn check_settle_totals(
    req: &ValidSettleApply,
    ledger: &LedgerTotals,
    tolerance: Fen,
) -> Result<(), Violation<CumulationCode>> {
    let mut diffs = Vec::new();
    let mut amount = |field: &str, claimed: Option<Fen>, actual: Fen| {
        if let Some(c) = claimed.filter(|c| (*c - actual).abs() > tolerance) {
            diffs.push(format!("{field}商户传入{c}，平台累计{actual}"));
        }
    };
    amount(
        "total_real_pay_amount",
        req.total_real_pay_amount,
        ledger.trade_amount,
    );
    amount(
        "total_discount_amount",
        req.total_discount_amount,
        ledger.discount_amount,
    );
    if let Some(c) = req
        .total_task_count
        .filter(|c| i64::try_from(*c) != Ok(ledger.task_count))
    {
        diffs.push(format!(
            "total_task_count商户传入{c}，平台累计{}",
            ledger.task_count
        ));
    }
    if diffs.is_empty() {
        return Ok(());
    }
    let mut detail = diffs.join("；");
    if tolerance != Fen::ZERO {
        let _ = write!(detail, "（允许误差{tolerance}）");
    }
    Err(Violation::new(SettleAmountCheckFail, detail))
}
