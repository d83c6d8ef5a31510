//! Signing a preorder (`zhima.credit.pe.zmgo.agreement.sign`, and the `sign.apply` page's
//! consent; PRODUCT §11): a `WAIT_SIGN` preorder becomes an agreement `Y` whose period runs
//! from the signing (business time) to its template's period end.
//!
//! Order: `REQUEST_ACCESS_ILLEGAL`; the preorder exists, is the partner's and (when the request
//! names a user) that user's → `PREORDER_NOT_EXIST`; already signed → the same answer again
//! (one agreement per preorder); closed or expired → `PREORDER_STATUS_ILLEGAL`; its template
//! still visible → `TEMPLATE_NOT_EXIST`.

use zhima_proto::catalog::CumulationCode;
use zhima_proto::models::agreement_query::AgreementStatus;
use zhima_proto::models::ZhimaCreditPeZmgoAgreementSignResponse;
use zhima_proto::money::Fen;
use zhima_proto::time::format_alipay_datetime;
pub use zhima_proto::validate::ValidAgreementSign;

use crate::domain::entities::{Agreement, Caller, Time};
use crate::domain::preorder::{check_access, Preorder, PreorderStatus, BIZ_TYPE};
use crate::domain::template::{self, TemplateTerms};
use crate::error::Rejection;

/// The command: `partner_id`, `preorder_no` and the user's identity if named.
pub type SignCmd = ValidAgreementSign;

/// An agreement created by signing, with what only signing knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedAgreement {
    /// The agreement (`start_time` = signing time).
    pub agreement: Agreement,
    /// The preorder it was signed from.
    pub preorder_no: String,
    /// The preorder's `out_request_no`.
    pub out_request_no: String,
    /// When it was signed (business time).
    pub sign_time: Time,
    /// Amount frozen at signing: the preorder's, else the template's.
    pub freeze_amount: Fen,
}

/// Stored state the decision needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignSnapshot {
    /// The preorder.
    pub preorder: Option<Preorder>,
    /// The agreement already signed from it.
    pub signed: Option<SignedAgreement>,
    /// The preorder's template.
    pub template: Option<TemplateTerms>,
}

/// The outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignDecision {
    /// Already signed: answer the agreement again, write nothing.
    Replay(Box<SignReceipt>),
    /// Rejected: write nothing.
    Reject(Rejection),
    /// Store the agreement and mark the preorder signed.
    Sign(Box<SignedAgreement>),
}

/// A signed agreement, as answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignReceipt {
    /// Whether the preorder was already signed.
    pub replayed: bool,
    /// The agreement.
    pub signed: SignedAgreement,
}

impl SignReceipt {
    /// The wire success body.
    pub fn to_response(&self) -> ZhimaCreditPeZmgoAgreementSignResponse {
        let s = &self.signed;
        ZhimaCreditPeZmgoAgreementSignResponse {
            agreement_id: Some(s.agreement.agreement_no.clone()),
            biz_type: Some(BIZ_TYPE.to_owned()),
            exp_invalid_time: Some(format_alipay_datetime(&s.agreement.end_time)),
            out_request_no: Some(s.out_request_no.clone()),
            partner_id: Some(s.agreement.partner_id.clone()),
            sign_time: Some(format_alipay_datetime(&s.sign_time)),
            start_time: Some(format_alipay_datetime(&s.agreement.start_time)),
            template_id: Some(s.agreement.template_no.clone()),
        }
    }
}

/// The signing rules over the snapshot; `agreement_no` is the number a new agreement gets.
pub fn decide(
    cmd: &SignCmd,
    caller: &Caller,
    snap: &SignSnapshot,
    agreement_no: String,
) -> SignDecision {
    match check(cmd, caller, snap) {
        Ok(Some(signed)) => SignDecision::Replay(Box::new(SignReceipt {
            replayed: true,
            signed: signed.clone(),
        })),
        Ok(None) => sign(caller, snap, agreement_no),
        Err(r) => SignDecision::Reject(r),
    }
}

/// The rules before signing; `Ok(Some(_))` when the preorder is already signed.
fn check<'s>(
    cmd: &SignCmd,
    caller: &Caller,
    snap: &'s SignSnapshot,
) -> Result<Option<&'s SignedAgreement>, Rejection> {
    check_access(&cmd.partner_id, caller)?;
    let p = snap
        .preorder
        .as_ref()
        .filter(|p| p.partner_id == cmd.partner_id && p.is_for(&cmd.user))
        .ok_or_else(|| {
            Rejection::new(
                CumulationCode::PreorderNotExist,
                format_args!("预下单{}不存在", cmd.preorder_no),
            )
        })?;
    if let Some(signed) = &snap.signed {
        return Ok(Some(signed));
    }
    match p.status_at(&caller.business_now) {
        PreorderStatus::WaitSign => {}
        s => {
            return Err(Rejection::new(
                CumulationCode::PreorderStatusIllegal,
                format_args!("预下单{}状态为{}，不能签约", p.preorder_no, s.as_str()),
            ))
        }
    }
    template::visible(snap.template.as_ref(), &p.template_no, &p.partner_id)?;
    Ok(None)
}

fn sign(caller: &Caller, snap: &SignSnapshot, agreement_no: String) -> SignDecision {
    let (Some(p), Some(t)) = (&snap.preorder, &snap.template) else {
        return SignDecision::Reject(Rejection::new(
            CumulationCode::PreorderNotExist,
            "预下单不存在",
        ));
    };
    let now = caller.business_now;
    SignDecision::Sign(Box::new(SignedAgreement {
        agreement: Agreement {
            agreement_no,
            template_no: p.template_no.clone(),
            user_id: p.user.user_id.clone(),
            open_id: p.user.open_id.clone(),
            partner_id: p.partner_id.clone(),
            status: AgreementStatus::Valid,
            start_time: now,
            end_time: t.end_of(&now),
            quit: None,
            app_id: Some(caller.app_id.clone()),
        },
        preorder_no: p.preorder_no.clone(),
        out_request_no: p.out_request_no.clone(),
        sign_time: now,
        freeze_amount: p.freeze_amount.unwrap_or(t.freeze_amount),
    }))
}
