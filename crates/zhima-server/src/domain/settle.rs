//! `settle.apply` rules (PRODUCT §4 "Settlement"), as a pure decision over a snapshot.
//!
//! Order: idempotency on (`partner_id`, `out_request_no`) — same fingerprint → the original
//! success, different → `IDEMPOTENT_ERROR`; `REQUEST_ACCESS_ILLEGAL`; the agreement exists,
//! belongs to partner (and user, when sent) and is not already `N` → `EASY_MEMBER_CONSULT_FAIL`;
//! with the template's `settle_check`, every total the merchant sent must be within tolerance
//! of the ledger → `SETTLE_AMOUNT_CHECK_FAIL` **[ours]** naming each field. Success records the
//! settlement and moves the agreement to `N`.

use serde_json::json;
use zhima_proto::catalog::CumulationCode;
use zhima_proto::models::settle_apply::SettleStatus;
use zhima_proto::models::{SettleActionType, ZhimaCreditPeZmgoSettleApplyResponse};
use zhima_proto::money::Fen;

use crate::domain::entities::{Agreement, AgreementStatus, Caller, Template, Time};
use crate::domain::fingerprint::fingerprint;
use crate::domain::ledger::AgreementTotals;
use crate::error::Rejection;

/// A validated `settle.apply`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettleCmd {
    /// `agreement_id`.
    pub agreement_no: String,
    /// `partner_id`.
    pub partner_id: String,
    /// `alipay_user_id`, if sent.
    pub user_id: Option<String>,
    /// `alipay_open_id`, if sent.
    pub open_id: Option<String>,
    /// `out_request_no`, the idempotency key.
    pub out_request_no: String,
    /// `withhold_plan_no`.
    pub withhold_plan_no: String,
    /// `pay_amount`.
    pub pay_amount: Fen,
    /// `total_real_pay_amount`, compared with the ledger's net trade amount.
    pub total_real_pay_amount: Option<Fen>,
    /// `total_discount_amount`, compared with the ledger's net discount amount.
    pub total_discount_amount: Option<Fen>,
    /// `total_task_count`, compared with the ledger's net task count (exactly).
    pub total_task_count: Option<i64>,
    /// `action_type` (default `DEFAULT_SETTLE`).
    pub action_type: SettleActionType,
}

impl SettleCmd {
    /// Business fingerprint of the request.
    pub fn fingerprint(&self) -> String {
        fingerprint(&json!({
            "agreement_no": self.agreement_no,
            "partner_id": self.partner_id,
            "user_id": self.user_id,
            "open_id": self.open_id,
            "out_request_no": self.out_request_no,
            "withhold_plan_no": self.withhold_plan_no,
            "pay_amount": self.pay_amount.0,
            "total_real_pay_amount": self.total_real_pay_amount.map(|f| f.0),
            "total_discount_amount": self.total_discount_amount.map(|f| f.0),
            "total_task_count": self.total_task_count,
            "action_type": self.action_type.as_str(),
        }))
    }
}

/// A recorded settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    /// Storage sequence number (0 before insertion).
    pub seq: i64,
    /// The command as accepted.
    pub cmd: SettleCmd,
    /// Its fingerprint.
    pub fingerprint: String,
    /// The ledger's net trade amount at settlement time.
    pub ledger_trade_amount: Fen,
    /// The ledger's net discount amount at settlement time.
    pub ledger_discount_amount: Fen,
    /// The ledger's net task count at settlement time.
    pub ledger_task_count: i64,
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
    /// Its totals row.
    pub totals: AgreementTotals,
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
            agreement_no: s.cmd.agreement_no.clone(),
            out_request_no: s.cmd.out_request_no.clone(),
            withhold_plan_no: s.cmd.withhold_plan_no.clone(),
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
    let fingerprint = cmd.fingerprint();
    if let Some(prev) = &snap.existing {
        return if prev.fingerprint == fingerprint {
            SettleDecision::Replay(SettleReceipt::of(prev, true))
        } else {
            SettleDecision::Reject(Rejection::new(
                CumulationCode::IdempotentError,
                format!(
                    "out_request_no {} was already used for a different settlement",
                    cmd.out_request_no
                ),
            ))
        };
    }
    if let Err(r) = check(cmd, caller, snap) {
        return SettleDecision::Reject(r);
    }
    SettleDecision::Settle(Box::new(Settlement {
        seq: 0,
        cmd: cmd.clone(),
        fingerprint,
        ledger_trade_amount: snap.totals.trade_amount,
        ledger_discount_amount: snap.totals.discount_amount,
        ledger_task_count: snap.totals.task_count,
        settled_at: caller.now,
    }))
}

fn check(cmd: &SettleCmd, caller: &Caller, snap: &SettleSnapshot) -> Result<(), Rejection> {
    if cmd.partner_id != caller.partner_id {
        return Err(Rejection::new(
            CumulationCode::RequestAccessIllegal,
            format!(
                "app {} acts for partner {} and may not settle for partner {}",
                caller.app_id, caller.partner_id, cmd.partner_id
            ),
        ));
    }
    let fail = |msg: String| Rejection::new(CumulationCode::EasyMemberConsultFail, msg);
    let a = snap
        .agreement
        .as_ref()
        .filter(|a| a.partner_id == cmd.partner_id)
        .ok_or_else(|| {
            fail(format!(
                "agreement {} does not exist for partner {}",
                cmd.agreement_no, cmd.partner_id
            ))
        })?;
    let identities_sent = cmd.user_id.is_some() || cmd.open_id.is_some();
    if identities_sent && !a.belongs_to(cmd.user_id.as_deref(), cmd.open_id.as_deref()) {
        return Err(fail(format!(
            "agreement {} does not belong to this user",
            a.agreement_no
        )));
    }
    if a.status == AgreementStatus::Invalid {
        return Err(fail(format!(
            "agreement {} is already invalid (N)",
            a.agreement_no
        )));
    }
    match &snap.template {
        Some(t) if t.settle_check => check_amounts(cmd, &snap.totals, t.settle_tolerance),
        _ => Ok(()),
    }
}

/// Compares each total the merchant sent with the ledger; the message lists every mismatch.
fn check_amounts(
    cmd: &SettleCmd,
    ledger: &AgreementTotals,
    tolerance: Fen,
) -> Result<(), Rejection> {
    let mut mismatches = Vec::new();
    let mut money = |field: &str, claimed: Option<Fen>, actual: Fen| {
        if let Some(c) = claimed.filter(|c| (*c - actual).abs() > tolerance) {
            mismatches.push(format!("{field}: claimed {c}, ledger {actual}"));
        }
    };
    money(
        "total_real_pay_amount",
        cmd.total_real_pay_amount,
        ledger.trade_amount,
    );
    money(
        "total_discount_amount",
        cmd.total_discount_amount,
        ledger.discount_amount,
    );
    if let Some(c) = cmd.total_task_count.filter(|c| *c != ledger.task_count) {
        mismatches.push(format!(
            "total_task_count: claimed {c}, ledger {}",
            ledger.task_count
        ));
    }
    if mismatches.is_empty() {
        return Ok(());
    }
    Err(Rejection::new(
        CumulationCode::SettleAmountCheckFail,
        format!("{} (tolerance {tolerance})", mismatches.join("; ")),
    ))
}
