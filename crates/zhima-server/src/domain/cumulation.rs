//! Zhima GO cumulation sync rules (PRODUCT §4, rules 2–6), as a pure decision over a snapshot.
//!
//! Rule 1 (field presence, enums, amounts, `biz_time` shape) is request validation and has
//! already produced a [`CumulationCmd`]. Every storage backend runs, inside one transaction:
//! load the [`CumulationSnapshot`] this command needs → [`decide`] → write the
//! [`Append`] (event + totals delta) or nothing → commit. The first failing rule decides the
//! code, in the documented order:
//!
//! 2. `REQUEST_ACCESS_ILLEGAL` (caller's effective partner) — before idempotency, so that a
//!    caller acting for another merchant can neither replay nor probe that merchant's
//!    `out_biz_no`s (it depends on the caller only, never on stored state);
//! 3. idempotency on (`partner_id`, `out_biz_no`) — same fingerprint → the original success,
//!    even if the agreement or refund budget changed since; different → `IDEMPOTENT_ERROR`;
//!    then `EASY_MEMBER_CONSULT_FAIL` (agreement exists, belongs to the user and partner,
//!    status `Y`);
//! 4. `INVALID_CUMULATE_MODE` (template mode vs data type; bound mode needs trade + discounts);
//! 5. `has_alipay_trade` in bound mode: `TRADE_NOT_EXIST` / `BUYER_INFO_ERROR` /
//!    `SELLER_INFO_ERROR`;
//! 6. refunds: `PAY_ORDER_NOT_EXIST`, `REFUND_TIME_ILLEGAL`, `REFUND_ILLEGAL` (the refund rule
//!    lives in [`crate::domain::refund`]).

use zhima_proto::catalog::CumulationCode;
use zhima_proto::models::{BizAction, CumulateDataType, ZhimaCreditPeZmgoCumulationSyncResponse};
pub use zhima_proto::validate::ValidCumulation;

use crate::domain::entities::{
    Agreement, AgreementStatus, Caller, Template, TemplateMode, Time, Trade,
};
use crate::domain::fingerprint::digest;
use crate::domain::ledger::{DiscountLine, EventAmounts, LedgerEvent, TotalsDelta};
use crate::domain::refund;
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
                    .map(|d| DiscountLine {
                        discount_type: d.discount_type,
                        name: d.name.clone(),
                        amount: d.amount,
                    })
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
    cmd.task_name
        .clone()
        .or_else(|| cmd.amount.as_ref().map(|a| a.name.clone()))
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

fn reject(code: CumulationCode, detail: impl std::fmt::Display) -> Rejection {
    Rejection::new(code, detail)
}

/// Rules 2–6 over the snapshot. Pure and deterministic: `caller.now` only stamps the event.
pub fn decide(
    cmd: &CumulationCmd,
    caller: &Caller,
    snap: &CumulationSnapshot,
) -> CumulationDecision {
    if let Err(r) = check_access(cmd, caller) {
        return CumulationDecision::Reject(r);
    }
    let fingerprint = digest(&cmd.business_fingerprint());
    if let Some(prev) = &snap.existing {
        return if prev.fingerprint == fingerprint {
            CumulationDecision::Replay(CumulationReceipt::of(prev, true))
        } else {
            CumulationDecision::Reject(reject(
                CumulationCode::IdempotentError,
                format_args!(
                    "商户{}的out_biz_no {}已用于内容不同的请求",
                    cmd.partner_id, cmd.out_biz_no
                ),
            ))
        };
    }
    match check_rules(cmd, snap) {
        Ok(completes_payment) => {
            let event = new_event(cmd, fingerprint, caller.now);
            let delta = TotalsDelta::of(&event, completes_payment);
            CumulationDecision::Append(Box::new(Append { event, delta }))
        }
        Err(r) => CumulationDecision::Reject(r),
    }
}

/// Rules 3b–6; `Ok(true)` when the command is a refund that exhausts its payment.
fn check_rules(cmd: &CumulationCmd, snap: &CumulationSnapshot) -> Result<bool, Rejection> {
    let agreement = check_agreement(cmd, snap.agreement.as_ref())?;
    let template = snap.template.as_ref().ok_or_else(|| {
        reject(
            CumulationCode::EasyMemberConsultFail,
            format_args!(
                "协议{}的模板{}未配置",
                agreement.agreement_no, agreement.template_no
            ),
        )
    })?;
    check_mode(cmd, template)?;
    if template.mode == TemplateMode::Bound && cmd.has_alipay_trade {
        check_trade(cmd, snap.trade.as_ref())?;
    }
    match cmd.biz_action {
        BizAction::OrderPaid => Ok(false),
        BizAction::OrderRefund => refund::check(
            cmd,
            snap.payment.as_ref(),
            &snap.prior_refunds,
            &amounts_of(cmd),
        ),
    }
}

/// Rule 2: the caller acts for `partner_id` (its own, or the app_auth_token's merchant).
fn check_access(cmd: &CumulationCmd, caller: &Caller) -> Result<(), Rejection> {
    if cmd.partner_id == caller.partner_id {
        return Ok(());
    }
    Err(reject(
        CumulationCode::RequestAccessIllegal,
        format_args!(
            "应用{}代表商户{}调用，不能回传商户{}的数据",
            caller.app_id, caller.partner_id, cmd.partner_id
        ),
    ))
}

/// Rule 3b: the agreement exists, belongs to the user and partner, and is valid.
fn check_agreement<'a>(
    cmd: &CumulationCmd,
    agreement: Option<&'a Agreement>,
) -> Result<&'a Agreement, Rejection> {
    let user = Some((cmd.user_id.as_deref(), cmd.open_id.as_deref()));
    check_agreement_of(&cmd.agreement_no, &cmd.partner_id, user, agreement)
}

/// Rule 3b for any ledger API: the agreement exists, is `partner_id`'s, is the user's when
/// `user` is `Some` (then at least one id must match), and is `Y`.
pub fn check_agreement_of<'a>(
    agreement_no: &str,
    partner_id: &str,
    user: Option<(Option<&str>, Option<&str>)>,
    agreement: Option<&'a Agreement>,
) -> Result<&'a Agreement, Rejection> {
    let fail = |detail: String| reject(CumulationCode::EasyMemberConsultFail, detail);
    // Another merchant's agreement answers word for word like a missing one: a merchant must
    // not learn which agreement numbers exist elsewhere.
    let a = agreement
        .filter(|a| a.partner_id == partner_id)
        .ok_or_else(|| fail(format!("协议{agreement_no}不存在")))?;
    if let Some((user_id, open_id)) = user {
        if !a.belongs_to(user_id, open_id) {
            return Err(fail(format!("协议{}不属于该用户", a.agreement_no)));
        }
    }
    if a.status != AgreementStatus::Valid {
        return Err(fail(format!(
            "协议{}状态为{}，仅Y(有效)状态可回传数据",
            a.agreement_no, a.status
        )));
    }
    Ok(a)
}

/// Rule 4: data type allowed by the template mode; bound mode needs trade and discounts.
fn check_mode(cmd: &CumulationCmd, t: &Template) -> Result<(), Rejection> {
    let fail = |detail: String| Err(reject(CumulationCode::InvalidCumulateMode, detail));
    let amount = cmd.amount.as_ref();
    let has_trade = amount.is_some_and(|a| a.trade.is_some());
    let has_discounts = amount.is_some_and(|a| !a.discounts.is_empty());
    let data_type = cmd.cumulate_data_type;
    match (t.mode, data_type) {
        (TemplateMode::Decoupled, CumulateDataType::Amount | CumulateDataType::Task) => Ok(()),
        (TemplateMode::Bound, CumulateDataType::AmountTask) if !has_trade => fail(format!(
            "模板{}为交易绑定模式，amount_type_data.trade_info不能为空",
            t.template_no
        )),
        (TemplateMode::Bound, CumulateDataType::AmountTask) if !has_discounts => fail(format!(
            "模板{}为交易绑定模式，amount_type_data.out_discount_infos不能为空",
            t.template_no
        )),
        (TemplateMode::Bound, CumulateDataType::AmountTask) => Ok(()),
        (TemplateMode::Decoupled, other) => fail(format!(
            "模板{}为交易解耦模式，仅支持AMOUNT或TASK，不支持{other}",
            t.template_no
        )),
        (TemplateMode::Bound, other) => fail(format!(
            "模板{}为交易绑定模式，仅支持AMOUNT_TASK，不支持{other}",
            t.template_no
        )),
    }
}

/// Rule 5: the Alipay trade exists, its buyer is the user and its seller the partner.
fn check_trade(cmd: &CumulationCmd, trade: Option<&Trade>) -> Result<(), Rejection> {
    let trade_no = trade_no_of(cmd).unwrap_or_default();
    let trade = trade.filter(|t| t.trade_no == trade_no).ok_or_else(|| {
        reject(
            CumulationCode::TradeNotExist,
            format_args!("trade_no {trade_no}不是已知的支付宝交易"),
        )
    })?;
    if cmd.user_id.as_deref() != Some(trade.buyer_user_id.as_str()) {
        return Err(reject(
            CumulationCode::BuyerInfoError,
            format_args!(
                "交易{}的买家不是user_id {}",
                trade.trade_no,
                cmd.user_id.as_deref().unwrap_or("(空)")
            ),
        ));
    }
    if cmd.partner_id != trade.seller_partner_id {
        return Err(reject(
            CumulationCode::SellerInfoError,
            format_args!("交易{}的卖家不是商户{}", trade.trade_no, cmd.partner_id),
        ));
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
        action: cmd.biz_action,
        pay_out_biz_no: cmd.pay_out_biz_no.clone(),
        biz_time: cmd.biz_time,
        data_type: cmd.cumulate_data_type,
        amount_name: cmd.amount.as_ref().map(|a| a.name.clone()),
        task_name: counted_task_name(cmd),
        trade_no: trade_no_of(cmd).map(str::to_owned),
        amounts: amounts_of(cmd),
        fingerprint,
        received_at: now,
    }
}
