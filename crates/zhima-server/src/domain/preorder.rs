//! Preorders (`zhima.credit.pe.zmgo.preorder.create`, PRODUCT §11): a merchant prepares a
//! signing for one user under one template; it waits (`WAIT_SIGN`) until signed, closed by
//! `bizopt.close`, or `timeout_express` has passed on the sandbox clock.
//!
//! Order: `REQUEST_ACCESS_ILLEGAL` (the caller acts for `partner_id`); idempotency on
//! (`partner_id`, `out_request_no`) — same fingerprint → the original answer, different →
//! `IDEMPOTENT_ERROR`; the template exists and is the partner's or configured →
//! `TEMPLATE_NOT_EXIST`; the user is admitted (`[[zmgo.users]]`) → `EASY_MEMBER_CONSULT_FAIL`.

use chrono::Duration;
use zhima_proto::catalog::CumulationCode;
use zhima_proto::models::{
    ZhimaCreditPeZmgoPreConsultResponse, ZhimaCreditPeZmgoPreorderCreateResponse,
};
use zhima_proto::money::Fen;
pub use zhima_proto::validate::{UserRef, ValidPreConsult, ValidPreorderCreate};

use crate::domain::entities::{Caller, Time};
use crate::domain::fingerprint::digest;
use crate::domain::template::{self, TemplateTerms};
use crate::error::Rejection;

/// `biz_type` of every Zhima GO answer.
pub const BIZ_TYPE: &str = "ZMGO";

/// The command: a request that passed zhima-proto `validate_preorder_create`.
pub type PreorderCmd = ValidPreorderCreate;

/// A user's `pre.consult` admittance (`[[zmgo.users]]`); users not listed are admitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZmgoUser {
    /// The user's 2088 id.
    pub user_id: String,
    /// Whether Zhima GO admits the user.
    pub admitted: bool,
}

/// A preorder's stored status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreorderStatus {
    /// Waiting for the user to sign.
    WaitSign,
    /// Signed: its agreement exists.
    Signed,
    /// Closed by `bizopt.close`.
    Closed,
    /// Not signed before it expired.
    Expired,
}

impl PreorderStatus {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PreorderStatus::WaitSign => "WAIT_SIGN",
            PreorderStatus::Signed => "SIGNED",
            PreorderStatus::Closed => "CLOSED",
            PreorderStatus::Expired => "EXPIRED",
        }
    }

    /// The status of a stored spelling.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::WaitSign, Self::Signed, Self::Closed, Self::Expired]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A stored preorder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preorder {
    /// `preorder_no`.
    pub preorder_no: String,
    /// The merchant.
    pub partner_id: String,
    /// The merchant's idempotency key.
    pub out_request_no: String,
    /// The template to sign under.
    pub template_no: String,
    /// The user.
    pub user: UserRef,
    /// The stored status ([`Preorder::status_at`] is what it is now).
    pub status: PreorderStatus,
    /// `freeze_amount` of the request, if sent (else the template's applies).
    pub freeze_amount: Option<Fen>,
    /// The validated request as JSON.
    pub request_json: String,
    /// Digest of the request's business fingerprint.
    pub fingerprint: String,
    /// When it was created (business time).
    pub created: Time,
    /// When it stops waiting (business time).
    pub expires: Time,
    /// Its agreement, once signed.
    pub agreement_no: Option<String>,
    /// `bizopt.close`'s number, once closed.
    pub biz_opt_no: Option<String>,
    /// When it was closed (business time).
    pub closed: Option<Time>,
}

impl Preorder {
    /// The status at business time `now`: the one home of preorder expiry — a `WAIT_SIGN`
    /// preorder whose `expires` has passed is `EXPIRED`, whether or not a row says so.
    pub fn status_at(&self, now: &Time) -> PreorderStatus {
        match self.status {
            PreorderStatus::WaitSign if *now >= self.expires => PreorderStatus::Expired,
            s => s,
        }
    }

    /// Whether the identity a request sent (possibly none) is this preorder's user.
    pub fn is_for(&self, user: &UserRef) -> bool {
        let same = |sent: &Option<String>, mine: &Option<String>| {
            sent.is_none() || sent.as_deref() == mine.as_deref()
        };
        same(&user.user_id, &self.user.user_id) && same(&user.open_id, &self.user.open_id)
    }
}

/// Stored state the decision needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreorderSnapshot {
    /// The preorder stored under (`partner_id`, `out_request_no`).
    pub existing: Option<Preorder>,
    /// The template `template_id` names.
    pub template: Option<TemplateTerms>,
    /// The user's admittance (`None`: not listed, admitted).
    pub admitted: Option<bool>,
}

/// The outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreorderDecision {
    /// Same request as a stored preorder: answer it again, write nothing.
    Replay(PreorderReceipt),
    /// Rejected: write nothing.
    Reject(Rejection),
    /// Store the preorder.
    Create(Box<Preorder>),
}

/// A created (or replayed) preorder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreorderReceipt {
    /// Whether this answers a repeated request.
    pub replayed: bool,
    /// `preorder_no`.
    pub preorder_no: String,
    /// The merchant.
    pub partner_id: String,
}

impl PreorderReceipt {
    /// The receipt of a stored preorder.
    pub fn of(p: &Preorder, replayed: bool) -> Self {
        PreorderReceipt {
            replayed,
            preorder_no: p.preorder_no.clone(),
            partner_id: p.partner_id.clone(),
        }
    }

    /// The wire success body.
    pub fn to_response(&self) -> ZhimaCreditPeZmgoPreorderCreateResponse {
        ZhimaCreditPeZmgoPreorderCreateResponse {
            biz_type: Some(BIZ_TYPE.to_owned()),
            partner_id: Some(self.partner_id.clone()),
            preorder_no: Some(self.preorder_no.clone()),
        }
    }
}

/// The caller acts for `partner_id` (its own, or the app_auth_token's merchant).
pub fn check_access(partner_id: &str, caller: &Caller) -> Result<(), Rejection> {
    if partner_id == caller.partner_id {
        return Ok(());
    }
    Err(Rejection::new(
        CumulationCode::RequestAccessIllegal,
        format_args!(
            "应用{}代表商户{}调用，不能代表商户{}",
            caller.app_id, caller.partner_id, partner_id
        ),
    ))
}

/// `EASY_MEMBER_CONSULT_FAIL` unless the user is admitted (absent from `[[zmgo.users]]`, or
/// listed with `admitted = true`).
pub fn check_admitted(admitted: Option<bool>, user: &UserRef) -> Result<(), Rejection> {
    if admitted == Some(false) {
        return Err(Rejection::new(
            CumulationCode::EasyMemberConsultFail,
            format_args!(
                "用户{}未获芝麻GO准入",
                user.user_id.as_deref().unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

/// The preorder rules over the snapshot; `preorder_no` is the number a new preorder gets.
pub fn decide(
    cmd: &PreorderCmd,
    caller: &Caller,
    snap: &PreorderSnapshot,
    preorder_no: String,
) -> PreorderDecision {
    if let Err(r) = check_access(&cmd.partner_id, caller) {
        return PreorderDecision::Reject(r);
    }
    let fingerprint = digest(&cmd.business_fingerprint());
    if let Some(prev) = &snap.existing {
        return if prev.fingerprint == fingerprint {
            PreorderDecision::Replay(PreorderReceipt::of(prev, true))
        } else {
            PreorderDecision::Reject(Rejection::new(
                CumulationCode::IdempotentError,
                format_args!(
                    "out_request_no {}已用于内容不同的预下单",
                    cmd.out_request_no
                ),
            ))
        };
    }
    let checked = template::visible(snap.template.as_ref(), &cmd.template_id, &cmd.partner_id)
        .and_then(|_| check_admitted(snap.admitted, &cmd.user));
    if let Err(r) = checked {
        return PreorderDecision::Reject(r);
    }
    let created = caller.business_now;
    PreorderDecision::Create(Box::new(Preorder {
        preorder_no,
        partner_id: cmd.partner_id.clone(),
        out_request_no: cmd.out_request_no.clone(),
        template_no: cmd.template_id.clone(),
        user: cmd.user.clone(),
        status: PreorderStatus::WaitSign,
        freeze_amount: cmd.freeze_amount,
        request_json: serde_json::to_string(cmd).unwrap_or_default(),
        fingerprint,
        created,
        expires: created + Duration::seconds(cmd.timeout_secs as i64),
        agreement_no: None,
        biz_opt_no: None,
        closed: None,
    }))
}

/// `pre.consult`: `REQUEST_ACCESS_ILLEGAL` unless the caller acts for `partner_id`; the
/// template visible → `TEMPLATE_NOT_EXIST`; then the user's admittance (`[[zmgo.users]]`;
/// not listed: admitted).
pub fn consult(
    cmd: &ValidPreConsult,
    caller: &Caller,
    template: Option<&TemplateTerms>,
    admitted: Option<bool>,
) -> Result<ZhimaCreditPeZmgoPreConsultResponse, Rejection> {
    check_access(&cmd.partner_id, caller)?;
    template::visible(template, &cmd.template_id, &cmd.partner_id)?;
    Ok(ZhimaCreditPeZmgoPreConsultResponse {
        admittance: Some(admitted != Some(false)),
        alipay_user_id: cmd.user.user_id.clone(),
        open_id: cmd.user.open_id.clone(),
    })
}
