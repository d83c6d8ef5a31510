//! Checks of `zhima.merchant.zmgo.template.query`: `REQUEST_PARAM_ILLEGAL` unless
//! `partner_id` and `template_no` are present and within length. Another merchant's template
//! is the server's `TEMPLATE_NOT_EXIST`.

use serde::Serialize;

use crate::models::ZhimaMerchantZmgoTemplateQueryModel;

use super::cumulation::{MAX_ID, MAX_OUT_BIZ_NO};
use super::lifecycle::{fingerprint, req, Checked};

/// A validated template query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidTemplateQuery {
    /// Merchant PID.
    pub partner_id: String,
    /// Template number.
    pub template_no: String,
}

impl ValidTemplateQuery {
    /// Canonical JSON of the query.
    pub fn business_fingerprint(&self) -> String {
        fingerprint(self)
    }
}

/// Validates a template query.
pub fn validate_template_query(
    m: &ZhimaMerchantZmgoTemplateQueryModel,
) -> Checked<ValidTemplateQuery> {
    Ok(ValidTemplateQuery {
        partner_id: req("partner_id", &m.partner_id, MAX_ID)?,
        template_no: req("template_no", &m.template_no, MAX_OUT_BIZ_NO)?,
    })
}
