//! The ledger invariants (PRODUCT §4), checked over everything stored: each agreement's
//! totals row equals the sum over its events, and no payment is refunded beyond what it paid.
//! Storage loads the events and the stored totals; the verdict is computed here.

use std::collections::BTreeMap;

use zhima_proto::models::BizAction;
use zhima_proto::money::Fen;

use crate::domain::ledger::{AgreementTotals, LedgerEvent};
use crate::domain::refund::{refunds_by_payment, RefundBudget};
use crate::domain::settle_unfreeze::{frozen_amount, FreezeSource};

/// Result of an invariant check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvariantReport {
    /// Agreements checked (with events or a totals row).
    pub agreements_checked: usize,
    /// Events read.
    pub events_checked: usize,
    /// One line per violation; empty when everything holds.
    pub violations: Vec<String>,
}

impl InvariantReport {
    /// Whether every invariant holds.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Checks `events` (every stored event, oldest first) against `stored` (the stored totals of
/// every agreement that has events or a totals row).
pub fn verify(
    events: &[LedgerEvent],
    stored: &BTreeMap<String, AgreementTotals>,
) -> InvariantReport {
    let mut expected = totals_from_events(events);
    for agreement_no in stored.keys() {
        expected.entry(agreement_no.clone()).or_default();
    }
    let mut report = InvariantReport {
        agreements_checked: expected.len(),
        events_checked: events.len(),
        violations: Vec::new(),
    };
    for (agreement_no, want) in &expected {
        let mut got = stored.get(agreement_no).cloned().unwrap_or_default();
        got.normalize();
        if &got != want {
            report.violations.push(format!(
                "agreement {agreement_no}: stored totals {got:?} != sum of events {want:?}"
            ));
        }
    }
    let refunds = refunds_by_payment(events);
    for p in events.iter().filter(|e| e.action == BizAction::OrderPaid) {
        let Some(rs) = refunds.get(&(p.partner_id.as_str(), p.out_biz_no.as_str())) else {
            continue;
        };
        let left = RefundBudget::remaining(&p.amounts, rs.iter().copied());
        if left.is_overdrawn() {
            report.violations.push(format!(
                "payment {} of partner {} is over-refunded: {left:?}",
                p.out_biz_no, p.partner_id
            ));
        }
    }
    report
}

/// The refunded and unfrozen sums the money invariants check (loaded by storage).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MoneyBalances {
    /// Per (agreement, `withhold_plan_no`) with refunds: the settlement's `pay_amount` (`None`
    /// when no settlement matches) and the sum of its refunds.
    pub refunds: Vec<((String, String), Option<Fen>, Fen)>,
    /// Per agreement with unfreezes: where its frozen amount comes from and the sum released.
    pub unfreezes: Vec<(String, FreezeSource, Fen)>,
}

/// The money invariants (PRODUCT §11): refunds never exceed their settlement's `pay_amount`;
/// unfreezes never exceed the agreement's frozen amount. Adds one line per violation.
pub fn verify_money(money: &MoneyBalances, report: &mut InvariantReport) {
    for ((agreement_no, plan), paid, refunded) in &money.refunds {
        match paid {
            Some(paid) if refunded <= paid => {}
            Some(paid) => report.violations.push(format!(
                "settlement {plan} of agreement {agreement_no}: refunds {refunded} > pay_amount {paid}"
            )),
            None => report.violations.push(format!(
                "refunds {refunded} of agreement {agreement_no} name no settlement {plan}"
            )),
        }
    }
    for (agreement_no, src, unfrozen) in &money.unfreezes {
        let frozen = frozen_amount(*src);
        if *unfrozen > frozen {
            report.violations.push(format!(
                "agreement {agreement_no}: unfreezes {unfrozen} > frozen {frozen}"
            ));
        }
    }
}

/// Recomputes every agreement's totals from its events alone (for the invariant check).
///
/// Deliberately does not use [`crate::domain::ledger::TotalsDelta`] nor [`RefundBudget`]: a payment is "fully refunded" when it has at
/// least one refund and its refunds sum to every quantity it paid.
pub fn totals_from_events(events: &[LedgerEvent]) -> BTreeMap<String, AgreementTotals> {
    let mut totals: BTreeMap<String, AgreementTotals> = BTreeMap::new();
    for e in events {
        let t = totals.entry(e.agreement_no.clone()).or_default();
        let sign = if e.action == BizAction::OrderPaid {
            1
        } else {
            -1
        };
        t.event_count += 1;
        t.trade_amount += Fen(sign * e.amounts.trade.0);
        t.task_count += sign * e.amounts.tasks;
        for d in &e.amounts.discounts {
            t.discount_amount += Fen(sign * d.amount.0);
            *t.discounts
                .entry((d.discount_type, d.name.clone()))
                .or_insert(Fen::ZERO) += Fen(sign * d.amount.0);
        }
        if let (Some(name), true) = (&e.task_name, e.amounts.tasks != 0) {
            *t.tasks.entry(name.clone()).or_insert(0) += sign * e.amounts.tasks;
        }
        if e.action == BizAction::OrderPaid {
            t.paid_count += 1;
        }
    }
    let refunds_of = refunds_by_payment(events);
    for p in events.iter().filter(|e| e.action == BizAction::OrderPaid) {
        let Some(refunds) = refunds_of.get(&(p.partner_id.as_str(), p.out_biz_no.as_str())) else {
            continue;
        };
        let refunded_trade: Fen = refunds.iter().map(|r| r.trade).sum();
        let refunded_tasks: i64 = refunds.iter().map(|r| r.tasks).sum();
        let refunded_discount: Fen = refunds.iter().map(|r| r.discount_total()).sum();
        if refunded_trade == p.amounts.trade
            && refunded_tasks == p.amounts.tasks
            && refunded_discount == p.amounts.discount_total()
        {
            if let Some(t) = totals.get_mut(&p.agreement_no) {
                t.fully_refunded_count += 1;
            }
        }
    }
    // Zero entries carry no information; the incremental path may keep them, so drop both.
    for t in totals.values_mut() {
        t.normalize();
    }
    totals
}

#[cfg(test)]
mod money_tests {
    use super::*;

    #[test]
    fn money_invariants_flag_over_refunds_and_over_unfreezes() {
        let key = |a: &str| (a.to_owned(), "W".to_owned());
        let freeze = |agreement| FreezeSource {
            agreement: Fen(agreement),
            signed: true,
            template: Fen(0),
        };
        let ok = MoneyBalances {
            refunds: vec![(key("A"), Some(Fen(100)), Fen(100))],
            unfreezes: vec![("A".into(), freeze(50), Fen(50))],
        };
        let mut report = InvariantReport::default();
        verify_money(&ok, &mut report);
        assert!(report.is_ok(), "{:?}", report.violations);

        let bad = MoneyBalances {
            refunds: vec![
                (key("A"), Some(Fen(100)), Fen(101)),
                (key("B"), None, Fen(1)),
            ],
            unfreezes: vec![("A".into(), freeze(50), Fen(51))],
        };
        verify_money(&bad, &mut report);
        assert_eq!(report.violations.len(), 3, "{:?}", report.violations);
    }
}
