//! Refunds: the one home of the refund rules. A refund names its payment (`pay_out_biz_no`,
//! same partner); cumulative refunds never exceed what the payment moved, quantity by quantity
//! (trade amount, tasks, each discount (type, name)). `cumulation.sync` checks it before
//! appending ([`check`]); the invariant check re-verifies it over stored events
//! ([`refunds_by_payment`] + [`RefundBudget::is_overdrawn`]). Storage only loads rows.

use std::collections::BTreeMap;

use zhima_proto::catalog::CumulationCode;
use zhima_proto::models::{BizAction, CumulateDataType};
use zhima_proto::money::Fen;
use zhima_proto::time::format_alipay_datetime;
use zhima_proto::validate::ValidCumulation;

use crate::domain::entities::Time;
use crate::domain::ledger::{DiscountKey, EventAmounts, LedgerEvent};
use crate::error::Rejection;

fn reject(code: CumulationCode, detail: impl std::fmt::Display) -> Rejection {
    Rejection::new(code, detail)
}

/// What is left to refund of a payment, given the refunds already accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefundBudget {
    /// Trade amount still refundable.
    pub trade: Fen,
    /// Discount amount still refundable per (type, name).
    pub discounts: BTreeMap<DiscountKey, Fen>,
    /// Tasks still refundable.
    pub tasks: i64,
}

impl RefundBudget {
    /// The budget of `payment` after `refunds` (events refunding it).
    pub fn remaining<'a>(
        payment: &EventAmounts,
        refunds: impl IntoIterator<Item = &'a EventAmounts>,
    ) -> RefundBudget {
        let mut budget = RefundBudget {
            trade: payment.trade,
            discounts: payment.discounts_by_key(),
            tasks: payment.tasks,
        };
        for r in refunds {
            budget.trade -= r.trade;
            budget.tasks -= r.tasks;
            for (k, v) in r.discounts_by_key() {
                *budget.discounts.entry(k).or_insert(Fen::ZERO) -= v;
            }
        }
        budget
    }

    /// Whether nothing is left.
    pub fn is_exhausted(&self) -> bool {
        self.trade == Fen::ZERO
            && self.tasks == 0
            && self.discounts.values().all(|v| *v == Fen::ZERO)
    }

    /// Whether more was refunded than paid (the over-refund invariant is broken).
    pub fn is_overdrawn(&self) -> bool {
        self.trade < Fen::ZERO || self.tasks < 0 || self.discounts.values().any(|v| *v < Fen::ZERO)
    }
}

/// Rule 6 of `cumulation.sync`: the payment (`payment`, stored under `pay_out_biz_no`) exists
/// in this agreement, the refund is not earlier, and `refund` plus the `prior_refunds` stay
/// within what was paid. Returns whether this refund exhausts the payment.
pub fn check(
    cmd: &ValidCumulation,
    payment: Option<&LedgerEvent>,
    prior_refunds: &[EventAmounts],
    refund: &EventAmounts,
) -> Result<bool, Rejection> {
    let target = RefundTarget {
        agreement_no: &cmd.agreement_no,
        pay_out_biz_no: cmd.pay_out_biz_no.as_deref().unwrap_or_default(),
        biz_time: cmd.biz_time,
        data_type: cmd.cumulate_data_type,
    };
    check_against(&target, payment, prior_refunds, refund)
}

/// What a refund names, whichever API sent it.
#[derive(Debug, Clone, Copy)]
pub struct RefundTarget<'a> {
    /// The agreement the refund is for.
    pub agreement_no: &'a str,
    /// The refunded payment's `out_biz_no`.
    pub pay_out_biz_no: &'a str,
    /// The refund's business time.
    pub biz_time: Time,
    /// The refund's data type (must be the payment's).
    pub data_type: CumulateDataType,
}

/// The refund rule itself (shared by `cumulation.sync` and the merchant-level
/// `cumulate.sync`); `Ok(true)` when the refund exhausts the payment.
pub fn check_against(
    target: &RefundTarget<'_>,
    payment: Option<&LedgerEvent>,
    prior_refunds: &[EventAmounts],
    refund: &EventAmounts,
) -> Result<bool, Rejection> {
    let pay_no = target.pay_out_biz_no;
    let payment = payment
        .filter(|p| p.action == BizAction::OrderPaid && p.agreement_no == target.agreement_no)
        .ok_or_else(|| {
            reject(
                CumulationCode::PayOrderNotExist,
                format_args!(
                    "pay_out_biz_no {pay_no}不是协议{}的ORDER_PAID记录",
                    target.agreement_no
                ),
            )
        })?;
    if target.biz_time < payment.biz_time {
        return Err(reject(
            CumulationCode::RefundTimeIllegal,
            format_args!(
                "退款biz_time {}早于原支付的{}",
                format_alipay_datetime(&target.biz_time),
                format_alipay_datetime(&payment.biz_time)
            ),
        ));
    }
    let illegal = |detail: String| reject(CumulationCode::RefundIllegal, detail);
    if payment.data_type != target.data_type {
        return Err(illegal(format!(
            "原支付{pay_no}的cumulate_data_type为{}，退款必须相同",
            payment.data_type
        )));
    }
    if refund.is_empty() {
        return Err(illegal("退款金额和次数均为0".into()));
    }
    let budget = RefundBudget::remaining(&payment.amounts, prior_refunds);
    check_budget(&budget, refund, pay_no).map_err(illegal)?;
    let after = RefundBudget::remaining(&payment.amounts, prior_refunds.iter().chain([refund]));
    Ok(after.is_exhausted())
}

/// Each refunded quantity must fit in what is left of the payment.
fn check_budget(budget: &RefundBudget, refund: &EventAmounts, pay_no: &str) -> Result<(), String> {
    if refund.trade > budget.trade {
        return Err(format!(
            "退款交易金额{}超过原支付{pay_no}剩余可退的{}",
            refund.trade, budget.trade
        ));
    }
    if refund.tasks > budget.tasks {
        return Err(format!("原支付{pay_no}已无可退的任务次数"));
    }
    for ((kind, name), amount) in refund.discounts_by_key() {
        let left = budget
            .discounts
            .get(&(kind, name.clone()))
            .copied()
            .unwrap_or_default();
        if amount > left {
            return Err(format!(
                "退款优惠{name}({kind})金额{amount}超过原支付{pay_no}剩余可退的{left}"
            ));
        }
    }
    Ok(())
}

/// Refund amounts grouped by the payment they refund, keyed (`partner_id`, payment
/// `out_biz_no`), in event order.
pub fn refunds_by_payment(events: &[LedgerEvent]) -> BTreeMap<(&str, &str), Vec<&EventAmounts>> {
    let mut refunds: BTreeMap<(&str, &str), Vec<&EventAmounts>> = BTreeMap::new();
    for e in events.iter().filter(|e| e.action == BizAction::OrderRefund) {
        if let Some(paid) = &e.pay_out_biz_no {
            refunds
                .entry((&e.partner_id, paid))
                .or_default()
                .push(&e.amounts);
        }
    }
    refunds
}
