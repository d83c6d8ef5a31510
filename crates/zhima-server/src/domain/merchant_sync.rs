//! `zhima.merchant.zmgo.cumulate.sync` (PRODUCT §11): the merchant-level reporting API, written
//! into the **same ledger** as `cumulation.sync` — one [`LedgerEvent`] per accepted request,
//! in the same (`partner_id`, `out_biz_no`) key space, so totals, `cumulate.query` and the
//! invariants see both APIs alike.
//!
//! The mapping (**ours**, README "Lifecycle money"):
//! - `POSITIVE` + `ADD` → an `ORDER_PAID` event: trade = `task_amount`, one discount line
//!   (`exclusiveBenefit`, `discount_desc` or [`DEFAULT_DISCOUNT_NAME`]) of `discount_amount`,
//!   tasks = `task_times` (times data), 1 (amount data) or 0 (`DISCOUNT`); data type `TASK` for
//!   `data_type` `TASK`, `AMOUNT` for `DISCOUNT`.
//! - `REVERSE` + `ADD` → an `ORDER_REFUND` of the payment `refer_out_biz_no` names (sent by
//!   either API), the amounts mapped as above (amount data gives back one task only while the
//!   payment still counts one), under `cumulation.sync`'s refund rules (it takes the payment's
//!   data type).
//! - `POSITIVE` + `UPDATE` → a correcting `ORDER_REFUND` of `refer_out_biz_no`: what is left of
//!   that payment becomes the sent amounts; only downward (a raise is a new `ADD`), else
//!   `REQUEST_PARAM_ILLEGAL`. `REVERSE` + `UPDATE` → `INVALID_BIZ_ACTION`.
//!
//! Rule order as `cumulation.sync`: access (`provider_pid` is the caller's merchant), then
//! exactly-once (same fingerprint → the original answer; other content, including a
//! `cumulation.sync` event under that key → `IDEMPOTENT_ERROR`), the agreement (rule 3b), the
//! refund rules.

use zhima_proto::catalog::CumulationCode;
use zhima_proto::models::{
    BizAction, CumulateDataType, DiscountType, MerchantBizAction, SubBizAction, SyncDataType,
    ZhimaMerchantZmgoCumulateSyncResponse,
};
use zhima_proto::money::Fen;
use zhima_proto::time::parse_alipay_datetime;
pub use zhima_proto::validate::{MerchantSyncData, ValidMerchantCumulateSync};

use crate::domain::cumulation::{check_agreement_of, Append, CumulationSnapshot};
use crate::domain::entities::Caller;
use crate::domain::fingerprint::digest;
use crate::domain::ledger::{DiscountLine, EventAmounts, LedgerEvent, TotalsDelta};
use crate::domain::refund::{check_against, RefundBudget, RefundTarget};
use crate::error::Rejection;

/// The command: a request that passed zhima-proto `validate_merchant_cumulate_sync`.
pub type MerchantSyncCmd = ValidMerchantCumulateSync;

/// Discount name when `discount_desc` is not sent.
pub const DEFAULT_DISCOUNT_NAME: &str = "商户优惠";
/// Task name when `task_desc` is not sent.
pub const DEFAULT_TASK_NAME: &str = "商户任务";
/// The discount type merchant discounts are kept under.
pub const MERCHANT_DISCOUNT_TYPE: DiscountType = DiscountType::ExclusiveBenefit;

/// The outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MerchantSyncDecision {
    /// Same request as a stored event: answer it again, write nothing.
    Replay(Box<LedgerEvent>),
    /// Rejected: write nothing.
    Reject(Rejection),
    /// Append the event and its totals delta.
    Append(Box<Append>),
}

/// The wire success body of a stored event.
pub fn merchant_sync_response(e: &LedgerEvent) -> ZhimaMerchantZmgoCumulateSyncResponse {
    ZhimaMerchantZmgoCumulateSyncResponse {
        agreement_id: Some(e.agreement_no.clone()),
        fail_reason: None,
        out_biz_no: Some(e.out_biz_no.clone()),
    }
}

/// What the request's data moves, as a payment would.
pub fn amounts_of(cmd: &MerchantSyncCmd) -> EventAmounts {
    let line = |amount: Option<Fen>, desc: &Option<String>| {
        amount
            .filter(|a| *a > Fen::ZERO)
            .map(|amount| DiscountLine {
                discount_type: MERCHANT_DISCOUNT_TYPE,
                name: desc.clone().unwrap_or_else(|| DEFAULT_DISCOUNT_NAME.into()),
                amount,
            })
            .into_iter()
            .collect()
    };
    match &cmd.data {
        MerchantSyncData::Amount {
            task_amount,
            discount_amount,
            discount_desc,
            ..
        } => EventAmounts {
            trade: task_amount.unwrap_or_default(),
            discounts: line(*discount_amount, discount_desc),
            tasks: 1,
        },
        MerchantSyncData::Times {
            task_times,
            task_amount,
            discount_amount,
            discount_desc,
            ..
        } => EventAmounts {
            trade: task_amount.unwrap_or_default(),
            discounts: line(*discount_amount, discount_desc),
            tasks: i64::from(*task_times),
        },
        MerchantSyncData::Discount {
            discount_amount,
            discount_desc,
        } => EventAmounts {
            trade: Fen::ZERO,
            discounts: line(Some(*discount_amount), discount_desc),
            tasks: 0,
        },
    }
}

fn task_name_of(cmd: &MerchantSyncCmd) -> Option<String> {
    match &cmd.data {
        MerchantSyncData::Amount { task_desc, .. } | MerchantSyncData::Times { task_desc, .. } => {
            Some(
                task_desc
                    .clone()
                    .unwrap_or_else(|| DEFAULT_TASK_NAME.into()),
            )
        }
        MerchantSyncData::Discount { .. } => None,
    }
}

fn reject(code: CumulationCode, detail: impl std::fmt::Display) -> Rejection {
    Rejection::new(code, detail)
}

/// The rules over `snap` (loaded as for `cumulation.sync`: `payment` / `prior_refunds` are
/// those of `refer_out_biz_no`).
pub fn decide(
    cmd: &MerchantSyncCmd,
    caller: &Caller,
    snap: &CumulationSnapshot,
) -> MerchantSyncDecision {
    if cmd.provider_pid != caller.partner_id {
        return MerchantSyncDecision::Reject(reject(
            CumulationCode::RequestAccessIllegal,
            format_args!(
                "应用{}代表商户{}调用，不能回传商户{}的数据",
                caller.app_id, caller.partner_id, cmd.provider_pid
            ),
        ));
    }
    let fingerprint = digest(&cmd.business_fingerprint());
    if let Some(prev) = &snap.existing {
        return if prev.fingerprint == fingerprint {
            MerchantSyncDecision::Replay(Box::new(prev.clone()))
        } else {
            MerchantSyncDecision::Reject(reject(
                CumulationCode::IdempotentError,
                format_args!(
                    "商户{}的out_biz_no {}已用于内容不同的请求",
                    cmd.provider_pid, cmd.out_biz_no
                ),
            ))
        };
    }
    match build(cmd, snap, fingerprint, caller) {
        Ok(append) => MerchantSyncDecision::Append(Box::new(append)),
        Err(r) => MerchantSyncDecision::Reject(r),
    }
}

fn build(
    cmd: &MerchantSyncCmd,
    snap: &CumulationSnapshot,
    fingerprint: String,
    caller: &Caller,
) -> Result<Append, Rejection> {
    let user = (!cmd.user.is_empty())
        .then_some((cmd.user.user_id.as_deref(), cmd.user.open_id.as_deref()));
    check_agreement_of(
        &cmd.agreement_id,
        &cmd.provider_pid,
        user,
        snap.agreement.as_ref(),
    )?;
    let biz_time = parse_alipay_datetime(&cmd.biz_time).map_err(|e| {
        reject(
            CumulationCode::RequestParamIllegal,
            format_args!("biz_time: {e}"),
        )
    })?;
    let sent = amounts_of(cmd);
    let mut event = LedgerEvent {
        seq: 0,
        partner_id: cmd.provider_pid.clone(),
        out_biz_no: cmd.out_biz_no.clone(),
        agreement_no: cmd.agreement_id.clone(),
        user_id: cmd.user.user_id.clone(),
        open_id: cmd.user.open_id.clone(),
        action: BizAction::OrderPaid,
        pay_out_biz_no: None,
        biz_time,
        data_type: match cmd.data_type {
            SyncDataType::Task => CumulateDataType::Task,
            SyncDataType::Discount => CumulateDataType::Amount,
        },
        amount_name: None,
        task_name: task_name_of(cmd),
        trade_no: match &cmd.data {
            MerchantSyncData::Amount { trade_no, .. } => trade_no.clone(),
            _ => None,
        },
        amounts: sent.clone(),
        fingerprint,
        received_at: caller.now,
    };
    let (action, sub) = (cmd.biz_action, cmd.sub_biz_action);
    if (action, sub) == (MerchantBizAction::Positive, SubBizAction::Add) {
        let delta = TotalsDelta::of(&event, false);
        return Ok(Append { event, delta });
    }
    if action == MerchantBizAction::Reverse && sub == SubBizAction::Update {
        return Err(reject(
            CumulationCode::InvalidBizAction,
            "biz_action为REVERSE时sub_biz_action不支持UPDATE",
        ));
    }
    // REVERSE + ADD, or POSITIVE + UPDATE: a refund of the payment `refer_out_biz_no` names.
    let refer = cmd.refer_out_biz_no.as_deref().unwrap_or_default();
    let payment = snap.payment.as_ref();
    let refund = if sub == SubBizAction::Update {
        correction(snap, &sent, refer)?
    } else if let (MerchantSyncData::Amount { .. }, Some(p)) = (&cmd.data, payment) {
        // Amount data counts one task when paid; reversed, it gives that task back only if
        // the payment still counts one (an AMOUNT payment never did).
        let left = RefundBudget::remaining(&p.amounts, &snap.prior_refunds);
        EventAmounts {
            tasks: left.tasks.min(1),
            ..sent
        }
    } else {
        sent
    };
    let target = RefundTarget {
        agreement_no: &cmd.agreement_id,
        pay_out_biz_no: refer,
        biz_time,
        data_type: payment.map_or(event.data_type, |p| p.data_type),
    };
    let completes = check_against(&target, payment, &snap.prior_refunds, &refund)?;
    event.action = BizAction::OrderRefund;
    event.pay_out_biz_no = Some(refer.to_owned());
    event.data_type = target.data_type;
    // Refunded tasks come off the payment's task name.
    event.task_name = payment.and_then(|p| p.task_name.clone());
    event.amounts = refund;
    let delta = TotalsDelta::of(&event, completes);
    Ok(Append { event, delta })
}

/// An UPDATE: what is left of the payment minus the new values, quantity by quantity; a
/// quantity above what is left is a raise, which an UPDATE cannot express.
fn correction(
    snap: &CumulationSnapshot,
    new: &EventAmounts,
    refer: &str,
) -> Result<EventAmounts, Rejection> {
    let Some(payment) = &snap.payment else {
        return Ok(EventAmounts::default()); // the refund rule answers PAY_ORDER_NOT_EXIST
    };
    let left = RefundBudget::remaining(&payment.amounts, &snap.prior_refunds);
    let raise = |what: &str| {
        reject(
            CumulationCode::RequestParamIllegal,
            format_args!("UPDATE只能调低记录{refer}的{what}，调高请以ADD新增"),
        )
    };
    if new.trade > left.trade {
        return Err(raise("金额"));
    }
    if new.tasks > left.tasks {
        return Err(raise("次数"));
    }
    let new_discounts = new.discounts_by_key();
    if new_discounts
        .iter()
        .any(|(k, v)| *v > left.discounts.get(k).copied().unwrap_or_default())
    {
        return Err(raise("优惠"));
    }
    Ok(EventAmounts {
        trade: left.trade - new.trade,
        tasks: left.tasks - new.tasks,
        discounts: left
            .discounts
            .iter()
            .map(|((kind, name), v)| DiscountLine {
                discount_type: *kind,
                name: name.clone(),
                amount: *v
                    - new_discounts
                        .get(&(*kind, name.clone()))
                        .copied()
                        .unwrap_or_default(),
            })
            .filter(|d| d.amount > Fen::ZERO)
            .collect(),
    })
}
