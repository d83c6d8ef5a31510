//! `settle.unfreeze` rules (PRODUCT §11), as a pure decision over a snapshot.
//!
//! Order: `REQUEST_ACCESS_ILLEGAL`; idempotency on (`partner_id`, `out_request_no`) — same
//! fingerprint → the original answer, different → `IDEMPOTENT_ERROR`; the agreement exists
//! and is the partner's (and the user's, when named) → else `EASY_MEMBER_CONSULT_FAIL`, the
//! same answer for unknown and foreign; the unfreezes of the agreement never sum above its
//! frozen amount ([`frozen_amount`]) → `UNFREEZE_AMOUNT_EXCEED` naming what is left
//! (**ours**). Any status may unfreeze: the deposit outlives the agreement (**ours**).

use zhima_proto::catalog::CumulationCode;
use zhima_proto::models::ZhimaCreditPeZmgoSettleUnfreezeResponse;
use zhima_proto::money::Fen;
pub use zhima_proto::validate::ValidSettleUnfreeze;

use crate::domain::entities::{Agreement, Caller, Time};
use crate::domain::fingerprint::digest;
use crate::domain::settle_refund::NO_RETRY;
use crate::error::Rejection;

/// The command: a request that passed zhima-proto `validate_settle_unfreeze`.
pub type UnfreezeCmd = ValidSettleUnfreeze;

/// `unfreeze_status` of an accepted unfreeze: the sandbox releases at once (**ours**).
pub const UNFREEZE_SUCCESS: &str = "SUCCESS";

/// Where an agreement's frozen amount comes from (stored columns).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FreezeSource {
    /// `agreements.freeze_amount`: set at signing from the preorder, else sign.apply, else the
    /// template.
    pub agreement: Fen,
    /// Whether the agreement was signed through a preorder (its amount is then final).
    pub signed: bool,
    /// The template's `open_config.freeze_amount`.
    pub template: Fen,
}

/// The amount frozen for an agreement (PRODUCT §11): what signing recorded; a configured
/// agreement (never signed) without its own amount freezes the template's.
pub fn frozen_amount(src: FreezeSource) -> Fen {
    if src.signed || src.agreement > Fen::ZERO {
        src.agreement
    } else {
        src.template
    }
}

/// A recorded unfreeze.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfreeze {
    /// `partner_id`.
    pub partner_id: String,
    /// `out_request_no`, the idempotency key.
    pub out_request_no: String,
    /// The agreement.
    pub agreement_no: String,
    /// Amount released (above 0).
    pub unfreeze_amount: Fen,
    /// The validated request as JSON (kept for operators).
    pub request_json: String,
    /// Business fingerprint of the request.
    pub fingerprint: String,
    /// When it was accepted (business time).
    pub created_at: Time,
}

/// Stored state the decision needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnfreezeSnapshot {
    /// The unfreeze already stored under (`partner_id`, `out_request_no`).
    pub existing: Option<Unfreeze>,
    /// The agreement.
    pub agreement: Option<Agreement>,
    /// Its frozen amount's sources.
    pub freeze: FreezeSource,
    /// Sum of the unfreezes already recorded for the agreement.
    pub unfrozen: Fen,
}

/// The outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnfreezeDecision {
    /// Same request as a recorded unfreeze: answer it again, write nothing.
    Replay(Unfreeze),
    /// Rejected: write nothing.
    Reject(Rejection),
    /// Record the unfreeze.
    Unfreeze(Box<Unfreeze>),
}

/// The wire success body (`fail_reaseon`, sic, absent).
pub fn unfreeze_response(u: &Unfreeze) -> ZhimaCreditPeZmgoSettleUnfreezeResponse {
    ZhimaCreditPeZmgoSettleUnfreezeResponse {
        fail_reaseon: None,
        retry: Some(NO_RETRY.to_owned()),
        unfreeze_amount: Some(u.unfreeze_amount.to_yuan_string()),
        unfreeze_status: Some(UNFREEZE_SUCCESS.to_owned()),
    }
}

/// The unfreeze rules over the snapshot.
pub fn decide(cmd: &UnfreezeCmd, caller: &Caller, snap: &UnfreezeSnapshot) -> UnfreezeDecision {
    if cmd.partner_id != caller.partner_id {
        return UnfreezeDecision::Reject(Rejection::new(
            CumulationCode::RequestAccessIllegal,
            format_args!(
                "应用{}代表商户{}调用，不能为商户{}解冻",
                caller.app_id, caller.partner_id, cmd.partner_id
            ),
        ));
    }
    let fingerprint = digest(&cmd.business_fingerprint());
    if let Some(prev) = &snap.existing {
        return if prev.fingerprint == fingerprint {
            UnfreezeDecision::Replay(prev.clone())
        } else {
            UnfreezeDecision::Reject(Rejection::new(
                CumulationCode::IdempotentError,
                format_args!(
                    "out_request_no {}已用于内容不同的解冻请求",
                    cmd.out_request_no
                ),
            ))
        };
    }
    let user = &cmd.user;
    let known = snap.agreement.as_ref().filter(|a| {
        a.partner_id == cmd.partner_id
            && (user.is_empty() || a.belongs_to(user.user_id.as_deref(), user.open_id.as_deref()))
    });
    if known.is_none() {
        return UnfreezeDecision::Reject(Rejection::new(
            CumulationCode::EasyMemberConsultFail,
            format_args!("商户{}的协议{}不存在", cmd.partner_id, cmd.agreement_id),
        ));
    }
    let left = frozen_amount(snap.freeze) - snap.unfrozen;
    if cmd.unfreeze_amount > left {
        return UnfreezeDecision::Reject(Rejection::new(
            CumulationCode::UnfreezeAmountExceed,
            format_args!(
                "解冻金额{}元超过剩余冻结金额{}元",
                cmd.unfreeze_amount.to_yuan_string(),
                left.to_yuan_string()
            ),
        ));
    }
    UnfreezeDecision::Unfreeze(Box::new(Unfreeze {
        partner_id: cmd.partner_id.clone(),
        out_request_no: cmd.out_request_no.clone(),
        agreement_no: cmd.agreement_id.clone(),
        unfreeze_amount: cmd.unfreeze_amount,
        request_json: serde_json::to_string(cmd).unwrap_or_default(),
        fingerprint,
        created_at: caller.business_now,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_amount_follows_signing_then_the_template() {
        let src = |agreement, signed, template| FreezeSource {
            agreement: Fen(agreement),
            signed,
            template: Fen(template),
        };
        assert_eq!(frozen_amount(src(500, true, 900)), Fen(500));
        assert_eq!(frozen_amount(src(0, true, 900)), Fen(0));
        assert_eq!(frozen_amount(src(0, false, 900)), Fen(900));
        assert_eq!(frozen_amount(src(300, false, 900)), Fen(300));
        assert_eq!(frozen_amount(src(0, false, 0)), Fen(0));
    }
}
