//! Checks of `zhima.credit.pe.zmgo.settle.unfreeze`, first failure decides:
//!
//! 1. `REQUEST_PARAM_ILLEGAL` — `agreement_id`, `partner_id`, `out_request_no` present;
//!    `order_title`, user ids, `unfreeze_extend_params.quit_type` within length; `biz_time` a time.
//! 2. `ORDER_AMOUNT_ILLEGAL` — `unfreeze_amount` a yuan amount above 0.
//!
//! The server then checks idempotency via [`ValidSettleUnfreeze::business_fingerprint`] and
//! the frozen budget (`UNFREEZE_AMOUNT_EXCEED`).

use serde::Serialize;

use crate::models::ZhimaCreditPeZmgoSettleUnfreezeModel;
use crate::money::Fen;

use super::cumulation::{MAX_AGREEMENT_NO, MAX_ENUM, MAX_ID, MAX_NAME, MAX_OUT_BIZ_NO};
use super::lifecycle::{
    fingerprint, opt, optional_time, positive_amount, req, user_ref, Checked, UserRef,
};

/// A validated unfreeze.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidSettleUnfreeze {
    /// Agreement number.
    pub agreement_id: String,
    /// Merchant PID.
    pub partner_id: String,
    /// Idempotency key.
    pub out_request_no: String,
    /// Amount to release, above 0.
    pub unfreeze_amount: Fen,
    /// `biz_time`, normalised, if sent.
    pub biz_time: Option<String>,
    /// Order title, if sent.
    pub order_title: Option<String>,
    /// `unfreeze_extend_params.quit_type`, if sent.
    pub quit_type: Option<String>,
    /// The user, if named.
    pub user: UserRef,
}

impl ValidSettleUnfreeze {
    /// Canonical JSON of the business content, for idempotency on `out_request_no`.
    pub fn business_fingerprint(&self) -> String {
        fingerprint(self)
    }
}

/// Validates an unfreeze (order in the module docs).
pub fn validate_settle_unfreeze(
    m: &ZhimaCreditPeZmgoSettleUnfreezeModel,
) -> Checked<ValidSettleUnfreeze> {
    let agreement_id = req("agreement_id", &m.agreement_id, MAX_AGREEMENT_NO)?;
    let partner_id = req("partner_id", &m.partner_id, MAX_ID)?;
    let out_request_no = req("out_request_no", &m.out_request_no, MAX_OUT_BIZ_NO)?;
    let order_title = opt("order_title", &m.order_title, MAX_NAME)?;
    let no_params = Default::default();
    let params = m.unfreeze_extend_params.as_ref().unwrap_or(&no_params);
    let quit_type = opt(
        "unfreeze_extend_params.quit_type",
        &params.quit_type,
        MAX_ENUM,
    )?;
    let user = user_ref(
        "alipay_user_id",
        &m.alipay_user_id,
        "alipay_open_id",
        &m.alipay_open_id,
    )?;
    let biz_time = optional_time("biz_time", &m.biz_time)?;
    let unfreeze_amount = positive_amount("unfreeze_amount", &m.unfreeze_amount)?;
    Ok(ValidSettleUnfreeze {
        agreement_id,
        partner_id,
        out_request_no,
        unfreeze_amount,
        biz_time,
        order_title,
        quit_type,
        user,
    })
}
