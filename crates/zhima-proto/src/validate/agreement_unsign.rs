//! Checks of `zhima.credit.pe.zmgo.agreement.unsign`: `REQUEST_PARAM_ILLEGAL` unless
//! `agreement_id`, `partner_id` and `quit_type` (`USER_CANCEL_QUIT`/`SETTLE_APPLY_QUIT`) are
//! present and valid; user ids within length. The agreement's status is the server's.

use serde::Serialize;

use crate::catalog::CumulationCode::RequestParamIllegal;
use crate::models::{QuitType, ZhimaCreditPeZmgoAgreementUnsignModel};

use super::checks::parse_enum;
use super::cumulation::{MAX_AGREEMENT_NO, MAX_ENUM, MAX_ID};
use super::lifecycle::{fingerprint, req, user_ref, Checked, UserRef};

/// A validated unsign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidAgreementUnsign {
    /// Agreement number.
    pub agreement_id: String,
    /// Merchant PID.
    pub partner_id: String,
    /// Why the agreement ends.
    pub quit_type: QuitType,
    /// The user, if named.
    pub user: UserRef,
}

impl ValidAgreementUnsign {
    /// Canonical JSON of the request.
    pub fn business_fingerprint(&self) -> String {
        fingerprint(self)
    }
}

/// Validates an unsign.
pub fn validate_agreement_unsign(
    m: &ZhimaCreditPeZmgoAgreementUnsignModel,
) -> Checked<ValidAgreementUnsign> {
    let agreement_id = req("agreement_id", &m.agreement_id, MAX_AGREEMENT_NO)?;
    let partner_id = req("partner_id", &m.partner_id, MAX_ID)?;
    let raw = req("quit_type", &m.quit_type, MAX_ENUM)?;
    let quit_type = parse_enum(
        RequestParamIllegal,
        "quit_type",
        &raw,
        &QuitType::expected(),
    )?;
    Ok(ValidAgreementUnsign {
        agreement_id,
        partner_id,
        quit_type,
        user: user_ref("alipay_user_id", &m.alipay_user_id, "open_id", &m.open_id)?,
    })
}
