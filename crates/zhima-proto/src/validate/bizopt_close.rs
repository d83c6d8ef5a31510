//! Checks of `zhima.credit.pe.zmgo.bizopt.close`: `REQUEST_PARAM_ILLEGAL` unless
//! `partner_id` and `out_request_no` are present; `template_id` and user ids within length.

use serde::Serialize;

use crate::models::ZhimaCreditPeZmgoBizoptCloseModel;

use super::cumulation::{MAX_ID, MAX_OUT_BIZ_NO};
use super::lifecycle::{fingerprint, opt, req, user_ref, Checked, UserRef};

/// A validated preorder close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidBizoptClose {
    /// Merchant PID.
    pub partner_id: String,
    /// The preorder's `out_request_no`.
    pub out_request_no: String,
    /// Template number, if sent.
    pub template_id: Option<String>,
    /// The user, if named.
    pub user: UserRef,
}

impl ValidBizoptClose {
    /// Canonical JSON of the request.
    pub fn business_fingerprint(&self) -> String {
        fingerprint(self)
    }
}

/// Validates a preorder close.
pub fn validate_bizopt_close(m: &ZhimaCreditPeZmgoBizoptCloseModel) -> Checked<ValidBizoptClose> {
    Ok(ValidBizoptClose {
        partner_id: req("partner_id", &m.partner_id, MAX_ID)?,
        out_request_no: req("out_request_no", &m.out_request_no, MAX_OUT_BIZ_NO)?,
        template_id: opt("template_id", &m.template_id, MAX_OUT_BIZ_NO)?,
        user: user_ref("alipay_user_id", &m.alipay_user_id, "open_id", &m.open_id)?,
    })
}
