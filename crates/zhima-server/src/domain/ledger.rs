//! The Zhima GO ledger: append-only cumulation events and per-agreement totals.
//!
//! Totals are maintained incrementally (a [`TotalsDelta`] per accepted event, written in the
//! same transaction as the event) so that `cumulate.query` reads one row whatever the history
//! length. [`crate::domain::invariants`] recomputes them from scratch, independently of the
//! delta code, for the invariant check "totals == sum over events" (PRODUCT §4).

use std::collections::BTreeMap;

use zhima_proto::models::{BizAction, CumulateDataType, DiscountType};
use zhima_proto::money::Fen;

use crate::domain::entities::Time;

/// Discount totals are kept per (type, name) (PRODUCT §4).
pub type DiscountKey = (DiscountType, String);

/// One discount line of an event, in fen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscountLine {
    /// `discount_type`.
    pub discount_type: DiscountType,
    /// `discount_name`.
    pub name: String,
    /// `discount_amount`.
    pub amount: Fen,
}

/// The quantities one event moves (always non-negative; the action gives the sign).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventAmounts {
    /// Trade amount (`trade_info.amount`), zero when absent.
    pub trade: Fen,
    /// Discount lines, in request order.
    pub discounts: Vec<DiscountLine>,
    /// Tasks counted: 1 for TASK and AMOUNT_TASK events, 0 for AMOUNT.
    pub tasks: i64,
}

impl EventAmounts {
    /// Sum of the discount lines.
    pub fn discount_total(&self) -> Fen {
        self.discounts.iter().map(|d| d.amount).sum()
    }

    /// Discount amounts summed per (type, name).
    pub fn discounts_by_key(&self) -> BTreeMap<DiscountKey, Fen> {
        let mut out = BTreeMap::new();
        for d in &self.discounts {
            *out.entry((d.discount_type, d.name.clone()))
                .or_insert(Fen::ZERO) += d.amount;
        }
        out
    }

    /// Whether the event moves nothing at all.
    pub fn is_empty(&self) -> bool {
        self.trade == Fen::ZERO && self.discount_total() == Fen::ZERO && self.tasks == 0
    }
}

/// One accepted cumulation event as stored (append-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEvent {
    /// Storage sequence number (0 before insertion); newer events have larger numbers.
    pub seq: i64,
    /// Merchant PID; with `out_biz_no` the idempotency key.
    pub partner_id: String,
    /// Merchant's idempotency key.
    pub out_biz_no: String,
    /// The agreement.
    pub agreement_no: String,
    /// `user_id` as sent (echoed in replays).
    pub user_id: Option<String>,
    /// `open_id` as sent (echoed in replays).
    pub open_id: Option<String>,
    /// Payment or refund.
    pub action: BizAction,
    /// For a refund: the refunded payment's `out_biz_no`.
    pub pay_out_biz_no: Option<String>,
    /// When it happened.
    pub biz_time: Time,
    /// `cumulate_data_type`.
    pub data_type: CumulateDataType,
    /// `amount_type_data.name`, shown to the user.
    pub amount_name: Option<String>,
    /// Task name counted (TASK / AMOUNT_TASK).
    pub task_name: Option<String>,
    /// `trade_info.trade_no`.
    pub trade_no: Option<String>,
    /// What it moves.
    pub amounts: EventAmounts,
    /// Business fingerprint of the request that created it.
    pub fingerprint: String,
    /// When the platform accepted it.
    pub received_at: Time,
}

/// Per-agreement totals. Invariant: equal to [`crate::domain::invariants::totals_from_events`]
/// over the agreement's events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgreementTotals {
    /// Net trade amount: paid − refunded.
    pub trade_amount: Fen,
    /// Net discount amount.
    pub discount_amount: Fen,
    /// Net task count.
    pub task_count: i64,
    /// Number of events (payments and refunds).
    pub event_count: i64,
    /// Number of ORDER_PAID events.
    pub paid_count: i64,
    /// Number of ORDER_PAID events whose refunds have reached every paid quantity.
    pub fully_refunded_count: i64,
    /// Net discount amount per (type, name).
    pub discounts: BTreeMap<DiscountKey, Fen>,
    /// Net task count per task name.
    pub tasks: BTreeMap<String, i64>,
}

impl AgreementTotals {
    /// `aggr_times`: payments minus those fully refunded (a partial refund keeps the count).
    pub fn aggr_times(&self) -> i64 {
        self.paid_count - self.fully_refunded_count
    }

    /// Applies an accepted event's delta (the same arithmetic every backend performs in SQL).
    pub fn apply(&mut self, d: &TotalsDelta) {
        self.trade_amount += d.trade_amount;
        self.discount_amount += d.discount_amount;
        self.task_count += d.task_count;
        self.event_count += 1;
        self.paid_count += d.paid;
        self.fully_refunded_count += d.fully_refunded;
        for (k, v) in &d.discounts {
            *self.discounts.entry(k.clone()).or_insert(Fen::ZERO) += *v;
        }
        if let Some((name, n)) = &d.task {
            *self.tasks.entry(name.clone()).or_insert(0) += n;
        }
    }
}

/// How one accepted event changes its agreement's totals (signed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TotalsDelta {
    /// Change of the net trade amount.
    pub trade_amount: Fen,
    /// Change of the net discount amount.
    pub discount_amount: Fen,
    /// Change of the net task count.
    pub task_count: i64,
    /// 1 for a payment.
    pub paid: i64,
    /// 1 for the refund that completes a payment's refund.
    pub fully_refunded: i64,
    /// Change per discount (type, name).
    pub discounts: BTreeMap<DiscountKey, Fen>,
    /// Change of one task name's count.
    pub task: Option<(String, i64)>,
}

impl TotalsDelta {
    /// The delta of `event`; `completes_payment` tells whether a refund exhausts its payment.
    pub fn of(event: &LedgerEvent, completes_payment: bool) -> TotalsDelta {
        let sign = match event.action {
            BizAction::OrderPaid => 1,
            BizAction::OrderRefund => -1,
        };
        let a = &event.amounts;
        TotalsDelta {
            trade_amount: Fen(sign * a.trade.0),
            discount_amount: Fen(sign * a.discount_total().0),
            task_count: sign * a.tasks,
            paid: i64::from(event.action == BizAction::OrderPaid),
            fully_refunded: i64::from(completes_payment),
            discounts: a
                .discounts_by_key()
                .into_iter()
                .map(|(k, v)| (k, Fen(sign * v.0)))
                .collect(),
            task: match (&event.task_name, a.tasks) {
                (Some(name), n) if n != 0 => Some((name.clone(), sign * n)),
                _ => None,
            },
        }
    }
}

impl AgreementTotals {
    /// Drops zero-valued per-name entries, so totals compare equal regardless of whether a
    /// backend keeps rows that went back to zero.
    pub fn normalize(&mut self) {
        self.discounts.retain(|_, v| *v != Fen::ZERO);
        self.tasks.retain(|_, v| *v != 0);
    }
}
