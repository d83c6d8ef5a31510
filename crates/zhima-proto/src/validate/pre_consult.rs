//! Checks of `zhima.credit.pe.zmgo.pre.consult`: `REQUEST_PARAM_ILLEGAL` unless `partner_id`,
//! `template_id` and one of `alipay_user_id`/`open_id` are present; `phone`, `query_level`
//! within length. Admittance is the server's.

use serde::Serialize;

use crate::models::ZhimaCreditPeZmgoPreConsultModel;

use super::cumulation::{MAX_ENUM, MAX_ID, MAX_OUT_BIZ_NO};
use super::lifecycle::{fingerprint, opt, req, required_user, Checked, UserRef};

/// A validated pre-consultation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidPreConsult {
    /// Merchant PID.
    pub partner_id: String,
    /// Template number.
    pub template_id: String,
    /// The user (`alipay_user_id` / `open_id`).
    pub user: UserRef,
    /// Phone, if sent.
    pub phone: Option<String>,
    /// Query level, if sent.
    pub query_level: Option<String>,
}

impl ValidPreConsult {
    /// Canonical JSON of the request.
    pub fn business_fingerprint(&self) -> String {
        fingerprint(self)
    }
}

/// Validates a pre-consultation.
pub fn validate_pre_consult(m: &ZhimaCreditPeZmgoPreConsultModel) -> Checked<ValidPreConsult> {
    Ok(ValidPreConsult {
        partner_id: req("partner_id", &m.partner_id, MAX_ID)?,
        template_id: req("template_id", &m.template_id, MAX_OUT_BIZ_NO)?,
        user: required_user("alipay_user_id", &m.alipay_user_id, "open_id", &m.open_id)?,
        phone: opt("phone", &m.phone, 32)?,
        query_level: opt("query_level", &m.query_level, MAX_ENUM)?,
    })
}
