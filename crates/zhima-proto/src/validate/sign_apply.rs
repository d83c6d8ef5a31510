//! Checks of `zhima.credit.pe.zmgo.sign.apply` (page method), first failure decides:
//!
//! 1. `REQUEST_PARAM_ILLEGAL` — `partner_id` present; `preorder_no` or `template_id` present
//!    (signing a preorder, or a template directly); optional fields within length.
//! 2. `REQUEST_PARAM_ILLEGAL` — `timeout_express` `15m`/`2h`/`1d` (default 15m).
//! 3. `ORDER_AMOUNT_ILLEGAL` — `freeze_amount` a yuan amount.

use serde::Serialize;

use crate::catalog::CumulationCode::RequestParamIllegal;
use crate::models::ZhimaCreditPeZmgoSignApplyModel;
use crate::money::Fen;

use super::checks::Violation;
use super::cumulation::{MAX_ENUM, MAX_ID, MAX_OUT_BIZ_NO};
use super::lifecycle::{
    fingerprint, opt, optional_amount, parse_timeout_express, req, user_ref, Checked, UserRef,
};

/// A validated signing application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidSignApply {
    /// Merchant PID.
    pub partner_id: String,
    /// The preorder to sign, if named.
    pub preorder_no: Option<String>,
    /// The template to sign directly, if named.
    pub template_id: Option<String>,
    /// Merchant's request number, if sent.
    pub out_request_no: Option<String>,
    /// The user, if named.
    pub user: UserRef,
    /// Channel, if sent.
    pub channel: Option<String>,
    /// Amount to freeze, if sent.
    pub freeze_amount: Option<Fen>,
    /// Validity, seconds.
    pub timeout_secs: u64,
}

impl ValidSignApply {
    /// Canonical JSON of the business content.
    pub fn business_fingerprint(&self) -> String {
        fingerprint(self)
    }
}

/// Validates a signing application (order in the module docs).
pub fn validate_sign_apply(m: &ZhimaCreditPeZmgoSignApplyModel) -> Checked<ValidSignApply> {
    let partner_id = req("partner_id", &m.partner_id, MAX_ID)?;
    let preorder_no = opt("preorder_no", &m.preorder_no, MAX_OUT_BIZ_NO)?;
    let template_id = opt("template_id", &m.template_id, MAX_OUT_BIZ_NO)?;
    if preorder_no.is_none() && template_id.is_none() {
        return Err(Violation::new(
            RequestParamIllegal,
            "preorder_no和template_id不能同时为空",
        ));
    }
    let out_request_no = opt("out_request_no", &m.out_request_no, MAX_OUT_BIZ_NO)?;
    let user = user_ref(
        "alipay_user_id",
        &m.alipay_user_id,
        "alipay_open_id",
        &m.alipay_open_id,
    )?;
    let channel = opt("channel", &m.channel, MAX_ENUM)?;
    let timeout_secs = parse_timeout_express(&m.timeout_express)?;
    let freeze_amount = optional_amount("freeze_amount", &m.freeze_amount)?;
    Ok(ValidSignApply {
        partner_id,
        preorder_no,
        template_id,
        out_request_no,
        user,
        channel,
        freeze_amount,
        timeout_secs,
    })
}
