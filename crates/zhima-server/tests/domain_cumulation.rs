//! The pure cumulation rules and ledger arithmetic, without storage.

mod storage_support;

use std::collections::BTreeMap;

use serde_json::json;
use storage_support::*;
use zhima_server::domain::cumulation::{decide, CumulationDecision, CumulationSnapshot};
use zhima_server::domain::invariants::{self, totals_from_events};
use zhima_server::domain::ledger::{AgreementTotals, LedgerEvent};
use zhima_server::domain::refund;

fn snapshot() -> CumulationSnapshot {
    let r = records();
    let agreement = r
        .agreements
        .iter()
        .find(|a| a.agreement_no == AGREEMENT)
        .cloned();
    let template = r
        .templates
        .iter()
        .find(|t| t.template_no == "T_DEC")
        .cloned();
    CumulationSnapshot {
        agreement,
        template,
        ..Default::default()
    }
}

fn accept(
    body: &serde_json::Value,
    snap: &CumulationSnapshot,
) -> (LedgerEvent, zhima_server::domain::ledger::TotalsDelta) {
    match decide(&cmd(body), &caller(), snap) {
        CumulationDecision::Append(a) => (a.event, a.delta),
        other => panic!("expected acceptance, got {other:?}"),
    }
}

#[test]
fn a_stored_identical_request_replays_whatever_the_state() {
    let (event, _) = accept(&sync_body("X-1"), &snapshot());
    // The agreement is gone: still the original success.
    let snap = CumulationSnapshot {
        existing: Some(LedgerEvent { seq: 7, ..event }),
        ..Default::default()
    };
    match decide(&cmd(&sync_body("X-1")), &caller(), &snap) {
        CumulationDecision::Replay(r) => {
            assert!(r.replayed);
            assert_eq!(
                (r.seq, r.agreement_no.as_str(), r.user_id.as_deref()),
                (7, AGREEMENT, Some(USER))
            );
        }
        other => panic!("{other:?}"),
    }
    // A caller acting for another partner neither replays nor learns that the key is taken.
    match decide(
        &cmd(&sync_body("X-1")),
        &caller_for(ISV_APP, OTHER_PARTNER),
        &snap,
    ) {
        CumulationDecision::Reject(r) => assert_eq!(r.code.as_str(), "REQUEST_ACCESS_ILLEGAL"),
        other => panic!("{other:?}"),
    }
    let mut changed = sync_body("X-1");
    changed["ext_info"] = json!("{\"number\":\"1\"}");
    match decide(&cmd(&changed), &caller(), &snap) {
        CumulationDecision::Reject(r) => assert_eq!(r.code.as_str(), "IDEMPOTENT_ERROR"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn rejections_describe_the_failing_rule_and_write_nothing() {
    let mut snap = snapshot();
    snap.template = None;
    match decide(&cmd(&sync_body("X-2")), &caller(), &snap) {
        CumulationDecision::Reject(r) => {
            assert_eq!(r.code.as_str(), "EASY_MEMBER_CONSULT_FAIL");
            assert!(
                r.sub_msg.starts_with("芝麻GO协议不存在或状态无效: "),
                "{}",
                r.sub_msg
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn incremental_totals_equal_the_recomputation() {
    let snap = snapshot();
    let mut incremental = AgreementTotals::default();
    let mut events = Vec::new();
    for (i, body) in [
        sync_body("E-1"),
        task_body("E-2", "签到"),
        task_body("E-3", "签到"),
        sync_body("E-4"),
    ]
    .iter()
    .enumerate()
    {
        let (mut e, d) = accept(body, &snap);
        e.seq = i as i64 + 1;
        incremental.apply(&d);
        events.push(e);
    }
    // Refund E-1 completely: the payment stops counting in aggr_times.
    let mut refund_snap = snapshot();
    refund_snap.payment = Some(events[0].clone());
    let (e, d) = accept(&refund_body("E-5", "E-1", "3.57", "8.75"), &refund_snap);
    assert_eq!(d.fully_refunded, 1);
    incremental.apply(&d);
    events.push(e);

    let mut recomputed = totals_from_events(&events).remove(AGREEMENT).unwrap();
    incremental.normalize();
    recomputed.normalize();
    assert_eq!(incremental, recomputed);
    assert_eq!(
        (
            incremental.trade_amount.0,
            incremental.discount_amount.0,
            incremental.task_count
        ),
        (357, 875, 2)
    );
    assert_eq!((incremental.event_count, incremental.aggr_times()), (5, 3));
    assert_eq!(incremental.tasks.get("签到"), Some(&2));
}

#[test]
fn the_invariant_check_reports_wrong_totals_and_over_refunds() {
    let snap = snapshot();
    let (mut paid, d1) = accept(&sync_body("V-1"), &snap);
    paid.seq = 1;
    let mut refund_snap = snapshot();
    refund_snap.payment = Some(paid.clone());
    let (mut refund, d2) = accept(&refund_body("V-2", "V-1", "3.57", "8.75"), &refund_snap);
    refund.seq = 2;
    let mut totals = AgreementTotals::default();
    totals.apply(&d1);
    totals.apply(&d2);
    let stored = BTreeMap::from([(AGREEMENT.to_owned(), totals.clone())]);
    let events = vec![paid.clone(), refund.clone()];
    let report = invariants::verify(&events, &stored);
    assert!(report.is_ok(), "{:?}", report.violations);
    assert_eq!((report.agreements_checked, report.events_checked), (1, 2));

    // A totals row that drifted from its events, and one without any events.
    let mut drifted = totals.clone();
    drifted.trade_amount.0 += 1;
    let ghost = AgreementTotals {
        task_count: 1,
        ..AgreementTotals::default()
    };
    let stored_wrong =
        BTreeMap::from([(AGREEMENT.to_owned(), drifted), ("GHOST".to_owned(), ghost)]);
    let report = invariants::verify(&events, &stored_wrong);
    assert_eq!(report.agreements_checked, 2);
    assert_eq!(report.violations.len(), 2, "{:?}", report.violations);
    assert!(report
        .violations
        .iter()
        .any(|v| v.starts_with(&format!("agreement {AGREEMENT}:"))));
    assert!(report
        .violations
        .iter()
        .any(|v| v.starts_with("agreement GHOST:")));

    // The same payment refunded twice: over-refunded (whatever the totals say).
    let mut again = refund.clone();
    again.seq = 3;
    again.out_biz_no = "V-3".into();
    let events = vec![paid, refund, again];
    let report = invariants::verify(&events, &stored);
    assert!(
        report
            .violations
            .iter()
            .any(|v| v.starts_with("payment V-1 of partner") && v.contains("over-refunded")),
        "{:?}",
        report.violations
    );
}

#[test]
fn refunds_are_grouped_by_partner_and_payment() {
    let snap = snapshot();
    let (paid, _) = accept(&sync_body("G-1"), &snap);
    let mut refund_snap = snapshot();
    refund_snap.payment = Some(paid.clone());
    let (r1, _) = accept(&refund_body("G-2", "G-1", "1.00", "1.00"), &refund_snap);
    let (r2, _) = accept(&refund_body("G-3", "G-1", "2.00", "2.00"), &refund_snap);
    let mut foreign = r2.clone();
    foreign.partner_id = OTHER_PARTNER.into();
    let events = vec![paid.clone(), r1.clone(), r2.clone(), foreign.clone()];
    let groups = refund::refunds_by_payment(&events);
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[&(PARTNER, "G-1")], vec![&r1.amounts, &r2.amounts]);
    assert_eq!(groups[&(OTHER_PARTNER, "G-1")], vec![&foreign.amounts]);
    let left =
        refund::RefundBudget::remaining(&paid.amounts, groups[&(PARTNER, "G-1")].iter().copied());
    assert_eq!(left.trade.0, 357 - 300);
    assert!(!left.is_overdrawn() && !left.is_exhausted());
}
