//! Zhima GO cumulation sync rules (PRODUCT §4, rules 2–6), as a pure decision over a snapshot.
//!
//! Rule 1 (field presence, enums, amounts, `biz_time` shape) is request validation and has
//! already produced a [`CumulationCmd`]. Every storage backend runs, inside one transaction:
//! load the [`CumulationSnapshot`] this command needs → [`decide`] → write the
//! [`Append`] (event + totals delta) or nothing → commit. The first failing rule decides the
//! code, in the documented order:
//!
//! 2. idempotency on (`partner_id`, `out_biz_no`) — same fingerprint → the original success,
//!    even if the agreement or refund budget changed since; different → `IDEMPOTENT_ERROR`;
//! 3. `REQUEST_ACCESS_ILLEGAL` (caller's effective partner), then `EASY_MEMBER_CONSULT_FAIL`
//!    (agreement exists, belongs to the user and partner, status `Y`);
//! 4. `INVALID_CUMULATE_MODE` (template mode vs data type; bound mode needs trade + discounts);
//! 5. `has_alipay_trade` in bound mode: `TRADE_NOT_EXIST` / `BUYER_INFO_ERROR` /
//!    `SELLER_INFO_ERROR`;
//! 6. refunds: `PAY_ORDER_NOT_EXIST`, `REFUND_TIME_ILLEGAL`, `REFUND_ILLEGAL`.

use serde_json::{json, Value};
use zhima_proto::catalog::CumulationCode;
use zhima_proto::models::{BizAction, CumulateDataType, ZhimaCreditPeZmgoCumulationSyncResponse};
use zhima_proto::money::Fen;
use zhima_proto::time::format_alipay_datetime;

use crate::domain::entities::{
    Agreement, AgreementStatus, Caller, Template, TemplateMode, Time, Trade,
};
use crate::domain::fingerprint::{embedded_json, fingerprint};
use crate::domain::ledger::{DiscountLine, EventAmounts, LedgerEvent, RefundBudget, TotalsDelta};
use crate::error::Rejection;

/// The command: a request that passed rule 1 (zhima-proto `validate_cumulation`).
pub type CumulationCmd = ValidCumulation;

/// What an accepted event moves: the amounts sent, and one task for TASK / AMOUNT_TASK.
pub fn amounts_of(cmd: &CumulationCmd) -> EventAmounts {
    let amount = cmd.amount.as_ref();
    EventAmounts {
        trade: cmd.trade_amount(),
        discounts: amount
            .map(|a| {
                a.discounts
                    .iter()
                    .map(|d| DiscountLine { discount_type: d.discount_type, name: d.name.clone(), amount: d.amount })
                    .collect()
            })
            .unwrap_or_default(),
        tasks: i64::from(cmd.counts_task()),
    }
}

/// `amount_type_data.trade_info.trade_no`, if sent.
pub fn trade_no_of(cmd: &CumulationCmd) -> Option<&str> {
    cmd.amount.as_ref()?.trade.as_ref()?.trade_no.as_deref()
}

/// The task name an accepted event counts under: `task_type_data.name`, falling back to the
/// amount name for AMOUNT_TASK syncs that send no task data.
fn counted_task_name(cmd: &CumulationCmd) -> Option<String> {
    if !cmd.counts_task() {
        return None;
    }
    cmd.task_name.clone().or_else(|| cmd.amount.as_ref().map(|a| a.name.clone()))
}

/// Stored state [`decide`] needs, loaded inside the transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CumulationSnapshot {
    /// The event already stored under (`cmd.partner_id`, `cmd.out_biz_no`).
    pub existing: Option<LedgerEvent>,
    /// The agreement `cmd.agreement_no`.
    pub agreement: Option<Agreement>,
    /// The agreement's template.
    pub template: Option<Template>,
    /// The trade `cmd.trade_no` (loaded when `has_alipay_trade`).
    pub trade: Option<Trade>,
    /// For a refund: the event stored under (`cmd.partner_id`, `cmd.pay_out_biz_no`).
    pub payment: Option<LedgerEvent>,
    /// For a refund: the amounts of the refunds already accepted against that payment.
    pub prior_refunds: Vec<EventAmounts>,
}

/// The outcome of the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CumulationDecision {
    /// The same request was accepted before: answer its success, write nothing.
    Replay(CumulationReceipt),
    /// A rule failed: answer the code, write nothing.
    Reject(Rejection),
    /// Accepted: append the event and apply the delta to its agreement's totals.
    Append(Box<Append>),
}

/// The effects of an accepted sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Append {
    /// The event to append (`seq` assigned by storage).
    pub event: LedgerEvent,
    /// The change to the agreement's totals.
    pub delta: TotalsDelta,
}

/// A successful sync (new or replayed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CumulationReceipt {
    /// Whether this answers a repeated request.
    pub replayed: bool,
    /// The event's sequence number.
    pub seq: i64,
    /// Echo fields of the original success.
    pub agreement_no: String,
    /// Echo of `out_biz_no`.
    pub out_biz_no: String,
    /// Echo of `user_id`.
    pub user_id: Option<String>,
    /// Echo of `open_id`.
    pub open_id: Option<String>,
}

impl CumulationReceipt {
    /// The receipt of a stored event.
    pub fn of(event: &LedgerEvent, replayed: bool) -> Self {
        CumulationReceipt {
            replayed,
            seq: event.seq,
            agreement_no: event.agreement_no.clone(),
            out_biz_no: event.out_biz_no.clone(),
            user_id: event.user_id.clone(),
            open_id: event.open_id.clone(),
        }
    }

    /// The wire success body.
    pub fn to_response(&self) -> ZhimaCreditPeZmgoCumulationSyncResponse {
        ZhimaCreditPeZmgoCumulationSyncResponse {
            agreement_no: Some(self.agreement_no.clone()),
            out_biz_no: Some(self.out_biz_no.clone()),
            user_id: self.user_id.clone(),
            open_id: self.open_id.clone(),
            fail_reason: None,
        }
    }
}

fn reject(code: CumulationCode, msg: impl Into<String>) -> Rejection {
    Rejection::new(code, msg)
}

/// Rules 2–6 over the snapshot. Pure and deterministic: `now` only stamps the new event.
pub fn decide(
    cmd: &CumulationCmd,
    caller: &Caller,
    snap: &CumulationSnapshot,
) -> CumulationDecision {
    let fingerprint = cmd.fingerprint();
    if let Some(prev) = &snap.existing {
        return if prev.fingerprint == fingerprint {
            CumulationDecision::Replay(CumulationReceipt::of(prev, true))
        } else {
            CumulationDecision::Reject(reject(
                CumulationCode::IdempotentError,
                format!(
                    "out_biz_no {} was already used by partner {} for a different request; use a new out_biz_no",
                    cmd.out_biz_no, cmd.partner_id
                ),
            ))
        };
    }
    match check_rules(cmd, caller, snap) {
        Ok(completes_payment) => {
            let event = new_event(cmd, fingerprint, caller.now);
            let delta = TotalsDelta::of(&event, completes_payment);
            CumulationDecision::Append(Box::new(Append { event, delta }))
        }
        Err(r) => CumulationDecision::Reject(r),
    }
}

/// Rules 3–6; `Ok(true)` when the command is a refund that exhausts its payment.
fn check_rules(
    cmd: &CumulationCmd,
    caller: &Caller,
    snap: &CumulationSnapshot,
) -> Result<bool, Rejection> {
    check_access(cmd, caller)?;
    let agreement = check_agreement(cmd, snap.agreement.as_ref())?;
    let template = snap.template.as_ref().ok_or_else(|| {
        reject(
            CumulationCode::EasyMemberConsultFail,
            format!(
                "the template {} of agreement {} is not configured",
                agreement.template_no, agreement.agreement_no
            ),
        )
    })?;
    check_mode(cmd, template)?;
    if template.mode == TemplateMode::Bound && cmd.has_alipay_trade {
        check_trade(cmd, snap.trade.as_ref())?;
    }
    match cmd.action {
        BizAction::OrderPaid => Ok(false),
        BizAction::OrderRefund => check_refund(cmd, snap),
    }
}

/// Rule 3a: the caller acts for `partner_id` (its own, or the app_auth_token's merchant).
fn check_access(cmd: &CumulationCmd, caller: &Caller) -> Result<(), Rejection> {
    if cmd.partner_id == caller.partner_id {
        return Ok(());
    }
    Err(reject(
        CumulationCode::RequestAccessIllegal,
        format!(
            "app {} acts for partner {} and may not sync data of partner {}",
            caller.app_id, caller.partner_id, cmd.partner_id
        ),
    ))
}

/// Rule 3b: the agreement exists, belongs to the user and partner, and is valid.
fn check_agreement<'a>(
    cmd: &CumulationCmd,
    agreement: Option<&'a Agreement>,
) -> Result<&'a Agreement, Rejection> {
    let fail = |msg: String| reject(CumulationCode::EasyMemberConsultFail, msg);
    let a =
        agreement.ok_or_else(|| fail(format!("agreement {} does not exist", cmd.agreement_no)))?;
    if a.partner_id != cmd.partner_id {
        return Err(fail(format!(
            "agreement {} does not belong to partner {}",
            a.agreement_no, cmd.partner_id
        )));
    }
    if !a.belongs_to(cmd.user_id.as_deref(), cmd.open_id.as_deref()) {
        return Err(fail(format!(
            "agreement {} does not belong to this user",
            a.agreement_no
        )));
    }
    if a.status != AgreementStatus::Valid {
        return Err(fail(format!(
            "agreement {} has status {} (only Y accepts syncs)",
            a.agreement_no, a.status
        )));
    }
    Ok(a)
}

/// Rule 4: data type allowed by the template mode; bound mode needs trade and discounts.
fn check_mode(cmd: &CumulationCmd, t: &Template) -> Result<(), Rejection> {
    let fail = |msg: String| Err(reject(CumulationCode::InvalidCumulateMode, msg));
    match (t.mode, cmd.data_type) {
        (TemplateMode::Decoupled, CumulateDataType::Amount | CumulateDataType::Task) => Ok(()),
        (TemplateMode::Bound, CumulateDataType::AmountTask) if !cmd.has_trade_info => fail(format!(
            "template {} is trade-bound (交易绑定): amount_type_data.trade_info is required",
            t.template_no
        )),
        (TemplateMode::Bound, CumulateDataType::AmountTask) if !cmd.has_discount_infos => fail(format!(
            "template {} is trade-bound (交易绑定): amount_type_data.out_discount_infos is required",
            t.template_no
        )),
        (TemplateMode::Bound, CumulateDataType::AmountTask) => Ok(()),
        (TemplateMode::Decoupled, other) => fail(format!(
            "template {} is trade-decoupled (交易解耦) and accepts AMOUNT or TASK, not {other}",
            t.template_no
        )),
        (TemplateMode::Bound, other) => fail(format!(
            "template {} is trade-bound (交易绑定) and accepts AMOUNT_TASK only, not {other}",
            t.template_no
        )),
    }
}

/// Rule 5: the Alipay trade exists, its buyer is the user and its seller the partner.
fn check_trade(cmd: &CumulationCmd, trade: Option<&Trade>) -> Result<(), Rejection> {
    let trade_no = cmd.trade_no.as_deref().unwrap_or_default();
    let trade = trade.filter(|t| t.trade_no == trade_no).ok_or_else(|| {
        reject(
            CumulationCode::TradeNotExist,
            format!("trade_no {trade_no:?} is not a known Alipay trade"),
        )
    })?;
    if cmd.user_id.as_deref() != Some(trade.buyer_user_id.as_str()) {
        return Err(reject(
            CumulationCode::BuyerInfoError,
            format!(
                "the buyer of trade {} is not user_id {}",
                trade.trade_no,
                cmd.user_id.as_deref().unwrap_or("(none)")
            ),
        ));
    }
    if cmd.partner_id != trade.seller_partner_id {
        return Err(reject(
            CumulationCode::SellerInfoError,
            format!(
                "the seller of trade {} is not partner {}",
                trade.trade_no, cmd.partner_id
            ),
        ));
    }
    Ok(())
}

/// Rule 6: the payment exists in this agreement, the refund is not earlier, and cumulative
/// refunds stay within what was paid. Returns whether this refund exhausts the payment.
fn check_refund(cmd: &CumulationCmd, snap: &CumulationSnapshot) -> Result<bool, Rejection> {
    let pay_no = cmd.pay_out_biz_no.as_deref().unwrap_or_default();
    let illegal = |msg: String| reject(CumulationCode::RefundIllegal, msg);
    let payment = snap
        .payment
        .as_ref()
        .filter(|p| p.action == BizAction::OrderPaid && p.agreement_no == cmd.agreement_no)
        .ok_or_else(|| {
            reject(
                CumulationCode::PayOrderNotExist,
                format!(
                    "pay_out_biz_no {pay_no:?} is not an ORDER_PAID of agreement {}",
                    cmd.agreement_no
                ),
            )
        })?;
    if cmd.biz_time < payment.biz_time {
        return Err(reject(
            CumulationCode::RefundTimeIllegal,
            format!(
                "refund biz_time {} is earlier than the payment's {}",
                format_alipay_datetime(&cmd.biz_time),
                format_alipay_datetime(&payment.biz_time)
            ),
        ));
    }
    if payment.data_type != cmd.data_type {
        return Err(illegal(format!(
            "the payment {pay_no} was {}, a refund of it must be {} too",
            payment.data_type, payment.data_type
        )));
    }
    let amounts = cmd.amounts();
    if amounts.is_empty() {
        return Err(illegal(
            "the refund refunds nothing (all amounts are zero)".into(),
        ));
    }
    let budget = RefundBudget::remaining(&payment.amounts, &snap.prior_refunds);
    check_budget(&budget, &amounts, pay_no).map_err(illegal)?;
    let after = RefundBudget::remaining(&payment.amounts, &with(&snap.prior_refunds, &amounts));
    Ok(after.is_exhausted())
}

fn with(prior: &[EventAmounts], next: &EventAmounts) -> Vec<EventAmounts> {
    let mut all = prior.to_vec();
    all.push(next.clone());
    all
}

/// Each refunded quantity must fit in what is left of the payment.
fn check_budget(budget: &RefundBudget, refund: &EventAmounts, pay_no: &str) -> Result<(), String> {
    if refund.trade > budget.trade {
        return Err(format!(
            "refund trade amount {} exceeds the {} left to refund of payment {pay_no}",
            refund.trade, budget.trade
        ));
    }
    if refund.tasks > budget.tasks {
        return Err(format!("payment {pay_no} has no task count left to refund"));
    }
    for ((kind, name), amount) in refund.discounts_by_key() {
        let left = budget
            .discounts
            .get(&(kind, name.clone()))
            .copied()
            .unwrap_or_default();
        if amount > left {
            return Err(format!(
                "refund discount {name} ({kind}) of {amount} exceeds the {left} left to refund of payment {pay_no}"
            ));
        }
    }
    Ok(())
}

fn new_event(cmd: &CumulationCmd, fingerprint: String, now: Time) -> LedgerEvent {
    LedgerEvent {
        seq: 0,
        partner_id: cmd.partner_id.clone(),
        out_biz_no: cmd.out_biz_no.clone(),
        agreement_no: cmd.agreement_no.clone(),
        user_id: cmd.user_id.clone(),
        open_id: cmd.open_id.clone(),
        action: cmd.action,
        pay_out_biz_no: cmd.pay_out_biz_no.clone(),
        biz_time: cmd.biz_time,
        data_type: cmd.data_type,
        amount_name: cmd.amount_name.clone(),
        task_name: cmd.counted_task_name(),
        trade_no: cmd.trade_no.clone(),
        amounts: cmd.amounts(),
        fingerprint,
        received_at: now,
    }
}
