//! Config-free checks of `zhima.credit.pe.zmgo.agreement.query`.
//!
//! With `agreement_id` (≤ 64) every other field is ignored, as the API documents; otherwise
//! `alipay_user_id` (≤ 64) or `open_id` (≤ 128) is required. All failures are
//! `REQUEST_PARAM_ILLEGAL`.

use crate::catalog::CumulationCode::{self, RequestParamIllegal};
use crate::models::agreement_query::ZhimaCreditPeZmgoAgreementQueryModel;

use super::checks::{optional, Violation};
use super::cumulation::{MAX_AGREEMENT_NO, MAX_ID, MAX_OPEN_ID};

/// Which agreement is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgreementSelector {
    /// By agreement number.
    AgreementId(String),
    /// The user's agreement with the calling merchant (at least one id is `Some`).
    User {
        /// Ant member id.
        alipay_user_id: Option<String>,
        /// OpenId.
        open_id: Option<String>,
    },
}

/// A validated agreement query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidAgreementQuery {
    /// What to look up.
    pub selector: AgreementSelector,
}

/// Validates an agreement query (rules in the module docs).
pub fn validate_agreement_query(
    req: &ZhimaCreditPeZmgoAgreementQueryModel,
) -> Result<ValidAgreementQuery, Violation<CumulationCode>> {
    let r = RequestParamIllegal;
    if let Some(id) = optional(r, "agreement_id", &req.agreement_id, MAX_AGREEMENT_NO)? {
        return Ok(ValidAgreementQuery {
            selector: AgreementSelector::AgreementId(id.to_owned()),
        });
    }
    let alipay_user_id = optional(r, "alipay_user_id", &req.alipay_user_id, MAX_ID)?;
    let open_id = optional(r, "open_id", &req.open_id, MAX_OPEN_ID)?;
    if alipay_user_id.is_none() && open_id.is_none() {
        return Err(Violation::new(
            r,
            "agreement_id、alipay_user_id、open_id不能同时为空",
        ));
    }
    Ok(ValidAgreementQuery {
        selector: AgreementSelector::User {
            alipay_user_id: alipay_user_id.map(str::to_owned),
            open_id: open_id.map(str::to_owned),
        },
    })
}
