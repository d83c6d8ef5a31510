//! Checks of `zhima.credit.pe.zmgo.agreement.sign`: `REQUEST_PARAM_ILLEGAL` unless
//! `partner_id` and `preorder_no` are present; user ids within length. The preorder's
//! existence and status are the server's (`PREORDER_NOT_EXIST`, `PREORDER_STATUS_ILLEGAL`).

use serde::Serialize;

use crate::models::ZhimaCreditPeZmgoAgreementSignModel;

use super::cumulation::{MAX_ID, MAX_OUT_BIZ_NO};
use super::lifecycle::{fingerprint, req, user_ref, Checked, UserRef};

/// A validated server-side signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidAgreementSign {
    /// Merchant PID.
    pub partner_id: String,
    /// The preorder to sign.
    pub preorder_no: String,
    /// The user, if named (must match the preorder's).
    pub user: UserRef,
}

impl ValidAgreementSign {
    /// Canonical JSON of the request.
    pub fn business_fingerprint(&self) -> String {
        fingerprint(self)
    }
}

/// Validates a server-side signing.
pub fn validate_agreement_sign(
    m: &ZhimaCreditPeZmgoAgreementSignModel,
) -> Checked<ValidAgreementSign> {
    Ok(ValidAgreementSign {
        partner_id: req("partner_id", &m.partner_id, MAX_ID)?,
        preorder_no: req("preorder_no", &m.preorder_no, MAX_OUT_BIZ_NO)?,
        user: user_ref("alipay_user_id", &m.alipay_user_id, "open_id", &m.open_id)?,
    })
}
