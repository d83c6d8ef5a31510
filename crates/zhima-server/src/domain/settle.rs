//! `settle.apply` rules (PRODUCT §4 "Settlement"), as a pure decision over a snapshot.
//!
//! Order: `REQUEST_ACCESS_ILLEGAL` (first, so that a caller acting for another merchant can
//! neither replay nor probe its `out_request_no`s); idempotency on (`partner_id`,
//! `out_request_no`) — same fingerprint → the original success, different →
//! `IDEMPOTENT_ERROR`; the agreement exists,
//! belongs to the partner (and user, when sent) and is not already `N` →
//! `EASY_MEMBER_CONSULT_FAIL`; an agreement that left `Y` by unsign or expiry carries a
//! `withhold_plan_no` the request must name → `WITHHOLD_PLAN_NO_ILLEGAL` (**ours**);
//! with the template's `settle_check`, the totals the merchant sent must be within tolerance
//! of the ledger → `SETTLE_AMOUNT_CHECK_FAIL` (**ours**), whose sub_msg names each field, claimed vs ledger (zhima-proto `check_settle_totals`). Success
//! records the settlement and moves the agreement to `N`.

use zhima_proto::catalog::CumulationCode;
use zhima_proto::models::settle_apply::SettleStatus;
use zhima_proto::models::{SettleActionType, ZhimaCreditPeZmgoSettleApplyResponse};
use zhima_proto::money::Fen;
pub use zhima_proto::validate::{LedgerTotals, ValidSettleApply};

use crate::domain::entities::{Agreement, AgreementStatus, Caller, Template, Time};
use crate::domain::fingerprint::digest;
use crate::error::Rejection;

/// The command: a request that passed zhima-proto `validate_settle_apply`.
pub type SettleCmd = ValidSettleApply;

/// A recorded settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    /// Storage sequence number (0 before insertion).
    pub seq: i64,
    /// `partner_id`.
    pub partner_id: String,
    /// `out_request_no`, the idempotency key.
    pub out_request_no: String,
    /// The agreement settled.
    pub agreement_no: String,
    /// Echo of `withhold_plan_no`.
    pub withhold_plan_no: String,
    /// Amount charged.
    pub pay_amount: Fen,
    /// `action_type`.
    pub action_type: SettleActionType,
    /// The validated request as JSON (kept for operators).
    pub request_json: String,
    /// Business fingerprint of the request.
    pub fingerprint: String,
    /// The ledger totals it was checked against.
    pub ledger: LedgerTotals,
    /// When it was accepted.
    pub settled_at: Time,
}

/// Stored state the decision needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettleSnapshot {
    /// The settlement already stored under (`partner_id`, `out_request_no`).
    pub existing: Option<Settlement>,
    /// The agreement.
    pub agreement: Option<Agreement>,
    /// Its template.
    pub template: Option<Template>,
    /// Its totals.
    pub totals: LedgerTotals,
}

/// The outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettleDecision {
    /// Same request as a recorded settlement: answer it again, write nothing.
    Replay(SettleReceipt),
    /// Rejected: write nothing.
    Reject(Rejection),
    /// Record the settlement and set the agreement's status to `N`.
    Settle(Box<Settlement>),
}

/// A successful settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettleReceipt {
    /// Whether this answers a repeated request.
    pub replayed: bool,
    /// The agreement.
    pub agreement_no: String,
    /// Echo of `out_request_no`.
    pub out_request_no: String,
    /// Echo of `withhold_plan_no`.
    pub withhold_plan_no: String,
}

impl SettleReceipt {
    /// The receipt of a recorded settlement.
    pub fn of(s: &Settlement, replayed: bool) -> Self {
        SettleReceipt {
            replayed,
            agreement_no: s.agreement_no.clone(),
            out_request_no: s.out_request_no.clone(),
            withhold_plan_no: s.withhold_plan_no.clone(),
        }
    }

    /// The wire success body (`settle_status` `Y`: the sandbox charges instantly).
    pub fn to_response(&self) -> ZhimaCreditPeZmgoSettleApplyResponse {
        ZhimaCreditPeZmgoSettleApplyResponse {
            agreement_id: Some(self.agreement_no.clone()),
            out_request_no: Some(self.out_request_no.clone()),
            settle_status: Some(SettleStatus::Paid.as_str().to_owned()),
            withhold_plan_no: Some(self.withhold_plan_no.clone()),
            fail_reason: None,
        }
    }
}

/// The settlement rules over the snapshot.
pub fn decide(cmd: &SettleCmd, caller: &Caller, snap: &SettleSnapshot) -> SettleDecision {
    if let Err(r) = check_access(cmd, caller) {
        return SettleDecision::Reject(r);
    }
    let fingerprint = digest(&cmd.business_fingerprint());
    if let Some(prev) = &snap.existing {
        return if prev.fingerprint == fingerprint {
            SettleDecision::Replay(SettleReceipt::of(prev, true))
        } else {
            SettleDecision::Reject(Rejection::new(
                CumulationCode::IdempotentError,
                format_args!(
                    "out_request_no {}已用于内容不同的结算请求",
                    cmd.out_request_no
                ),
            ))
        };
    }
    if let Err(r) = check(cmd, snap) {
        return SettleDecision::Reject(r);
    }
    SettleDecision::Settle(Box::new(Settlement {
        seq: 0,
        partner_id: cmd.partner_id.clone(),
        out_request_no: cmd.out_request_no.clone(),
        agreement_no: cmd.agreement_id.clone(),
        withhold_plan_no: cmd.withhold_plan_no.clone(),
        pay_amount: cmd.pay_amount,
        action_type: cmd.action_type,
        request_json: serde_json::to_string(cmd).unwrap_or_default(),
        fingerprint,
        ledger: snap.totals,
        settled_at: caller.now,
    }))
}

/// The caller acts for `partner_id` (its own, or the app_auth_token's merchant).
fn check_access(cmd: &SettleCmd, caller: &Caller) -> Result<(), Rejection> {
    if cmd.partner_id == caller.partner_id {
        return Ok(());
    }
    Err(Rejection::new(
        CumulationCode::RequestAccessIllegal,
        format_args!(
            "应用{}代表商户{}调用，不能为商户{}结算",
            caller.app_id, caller.partner_id, cmd.partner_id
        ),
    ))
}

/// After unsign or expiry the agreement carries the plan to settle: the request must name it
/// (**ours**). A `Y` agreement without one settles under the merchant's own plan number.
fn check_withhold_plan(cmd: &SettleCmd, a: &Agreement) -> Result<(), Rejection> {
    match &a.quit {
        Some(q) if q.withhold_plan_no != cmd.withhold_plan_no => Err(Rejection::new(
            CumulationCode::WithholdPlanNoIllegal,
            format_args!(
                "协议{}的扣款计划号为{}，不是{}",
                a.agreement_no, q.withhold_plan_no, cmd.withhold_plan_no
            ),
        )),
        _ => Ok(()),
    }
}

fn check(cmd: &SettleCmd, snap: &SettleSnapshot) -> Result<(), Rejection> {
    let fail = |detail: String| Rejection::new(CumulationCode::EasyMemberConsultFail, detail);
    let a = snap
        .agreement
        .as_ref()
        .filter(|a| a.partner_id == cmd.partner_id)
        .ok_or_else(|| {
            fail(format!(
                "商户{}的协议{}不存在",
                cmd.partner_id, cmd.agreement_id
            ))
        })?;
    let user_id = cmd.alipay_user_id.as_deref();
    let open_id = cmd.alipay_open_id.as_deref();
    if (user_id.is_some() || open_id.is_some()) && !a.belongs_to(user_id, open_id) {
        return Err(fail(format!("协议{}不属于该用户", a.agreement_no)));
    }
    if a.status == AgreementStatus::Invalid {
        return Err(fail(format!("协议{}已失效(N)", a.agreement_no)));
    }
    check_withhold_plan(cmd, a)?;
    match &snap.template {
        Some(t) if t.settle_check => {
            zhima_proto::validate::check_settle_totals(cmd, &snap.totals, t.settle_tolerance)
                .map_err(Rejection::from)
        }
        _ => Ok(()),
    }
}
