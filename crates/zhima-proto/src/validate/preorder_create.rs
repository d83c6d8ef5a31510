//! Checks of `zhima.credit.pe.zmgo.preorder.create`, first failure decides:
//!
//! 1. `REQUEST_PARAM_ILLEGAL` — `partner_id`, `template_id`, `out_request_no` present; one of
//!    `alipay_user_id`/`alipay_open_id`; optional fields within length.
//! 2. `REQUEST_PARAM_ILLEGAL` — `biz_time` a time; `timeout_express` `15m`/`2h`/`1d` (default 15m).
//! 3. `ORDER_AMOUNT_ILLEGAL` — `freeze_amount` a yuan amount.
//!
//! Idempotency on (`partner_id`, `out_request_no`) via [`ValidPreorderCreate::business_fingerprint`].

use serde::Serialize;

use crate::models::ZhimaCreditPeZmgoPreorderCreateModel;
use crate::money::Fen;

use super::cumulation::{MAX_ID, MAX_OUT_BIZ_NO};
use super::lifecycle::{
    fingerprint, opt, optional_amount, optional_time, parse_timeout_express, req, required_user,
    Checked, UserRef,
};

/// A validated preorder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidPreorderCreate {
    /// Merchant PID.
    pub partner_id: String,
    /// Template number.
    pub template_id: String,
    /// Idempotency key.
    pub out_request_no: String,
    /// The user (`alipay_user_id` / `alipay_open_id`).
    pub user: UserRef,
    /// `biz_time`, normalised, if sent.
    pub biz_time: Option<String>,
    /// Amount to freeze at signing, if sent.
    pub freeze_amount: Option<Fen>,
    /// How long the preorder waits for signing, seconds.
    pub timeout_secs: u64,
    /// The merchant's own user id, if sent.
    pub partner_user_identifier: Option<String>,
    /// ISV PID, if sent.
    pub isv_pid: Option<String>,
}

impl ValidPreorderCreate {
    /// Canonical JSON of the business content, for idempotency on `out_request_no`.
    pub fn business_fingerprint(&self) -> String {
        fingerprint(self)
    }
}

/// Validates a preorder (order in the module docs).
pub fn validate_preorder_create(
    m: &ZhimaCreditPeZmgoPreorderCreateModel,
) -> Checked<ValidPreorderCreate> {
    let partner_id = req("partner_id", &m.partner_id, MAX_ID)?;
    let template_id = req("template_id", &m.template_id, MAX_OUT_BIZ_NO)?;
    let out_request_no = req("out_request_no", &m.out_request_no, MAX_OUT_BIZ_NO)?;
    let user = required_user(
        "alipay_user_id",
        &m.alipay_user_id,
        "alipay_open_id",
        &m.alipay_open_id,
    )?;
    let partner_user_identifier = opt(
        "partner_user_identifier",
        &m.partner_user_identifier,
        MAX_OUT_BIZ_NO,
    )?;
    let isv_pid = opt("isv_pid", &m.isv_pid, MAX_ID)?;
    let biz_time = optional_time("biz_time", &m.biz_time)?;
    let timeout_secs = parse_timeout_express(&m.timeout_express)?;
    let freeze_amount = optional_amount("freeze_amount", &m.freeze_amount)?;
    Ok(ValidPreorderCreate {
        partner_id,
        template_id,
        out_request_no,
        user,
        biz_time,
        freeze_amount,
        timeout_secs,
        partner_user_identifier,
        isv_pid,
    })
}
