//! The lifecycle's money on both engines (PRODUCT §11): `settle.apply` names the plan an
//! unsigned or expired agreement carries; `settle.refund` and `settle.unfreeze` stay within
//! their budgets — also under concurrent requests from two processes — are idempotent, and
//! answer another merchant's objects like missing ones. The invariants hold after each test.

mod storage_support;

use std::sync::Arc;

use serde_json::json;
use storage_support::*;
use zhima_proto::models::agreement_query::AgreementStatus;
use zhima_proto::money::Fen;
use zhima_server::domain::settle_refund::refund_response;
use zhima_server::domain::settle_unfreeze::unfreeze_response;
use zhima_server::storage::Storage;

on_both_backends!(
    settle_apply_names_the_plan_of_an_expired_agreement,
    refunds_stay_within_the_settled_amount,
    refunds_answer_foreign_settlements_like_missing_ones,
    concurrent_refunds_never_exceed_the_settlement,
    unfreezes_stay_within_the_frozen_amount,
    concurrent_unfreezes_never_exceed_the_frozen_amount,
);

async fn assert_invariants(storage: &Storage) {
    let report = storage.verify_invariants().await.unwrap();
    assert!(report.is_ok(), "{:?}", report.violations);
}

fn refund(agreement: &str, key: &str, plan: &str, amount: &str) -> serde_json::Value {
    json!({
        "agreement_id": agreement, "partner_id": PARTNER, "out_request_no": key,
        "withhold_plan_no": plan, "refund_amount": amount
    })
}

fn unfreeze(agreement: &str, key: &str, amount: &str) -> serde_json::Value {
    json!({
        "agreement_id": agreement, "partner_id": PARTNER, "out_request_no": key,
        "unfreeze_amount": amount
    })
}

async fn settle_apply_names_the_plan_of_an_expired_agreement(backend: Backend) {
    let (_db, s) = open(backend).await;
    // A Y agreement without a plan settles under the merchant's own number, as before.
    settle_empty(&s, caller(), AGREEMENT_2, "S-Y", "W-MERCHANT", "1.00")
        .await
        .unwrap();
    let expired = s.expire_due(t("2030-12-31 23:59:59")).await.unwrap();
    let plan = expired
        .iter()
        .find(|e| e.agreement_no == AGREEMENT)
        .unwrap()
        .quit
        .withhold_plan_no
        .clone();
    let rej = rejection_of(settle_empty(&s, caller(), AGREEMENT, "S-P1", "W-WRONG", "1.00").await);
    assert_eq!(rej.code.as_str(), "WITHHOLD_PLAN_NO_ILLEGAL");
    assert!(rej.sub_msg.contains("W-WRONG"), "{}", rej.sub_msg);
    let a = s.agreement(AGREEMENT).await.unwrap().unwrap();
    assert_eq!(a.status, AgreementStatus::Invalidating, "nothing written");
    let ok = settle_empty(&s, caller(), AGREEMENT, "S-P2", &plan, "1.00")
        .await
        .unwrap();
    assert_eq!(ok.withhold_plan_no, plan);
    let a = s.agreement(AGREEMENT).await.unwrap().unwrap();
    assert_eq!(a.status, AgreementStatus::Invalid);
    // The rejected request wrote nothing: its key is still free for a correct request.
    let bound_plan = expired
        .iter()
        .find(|e| e.agreement_no == BOUND_AGREEMENT)
        .unwrap()
        .quit
        .withhold_plan_no
        .clone();
    settle_empty(&s, caller(), BOUND_AGREEMENT, "S-P1", &bound_plan, "1.00")
        .await
        .unwrap();
    assert_invariants(&s).await;
}

async fn refunds_stay_within_the_settled_amount(backend: Backend) {
    let (_db, s) = open(backend).await;
    settle_empty(&s, caller(), AGREEMENT, "S-1", "W-1", "9.90")
        .await
        .unwrap();

    let first = s
        .refund_settlement(
            refund_cmd(refund(AGREEMENT, "R-1", "W-1", "5.00")),
            caller(),
        )
        .await
        .unwrap();
    let answer = refund_response(&first);
    assert_eq!(answer.refund_amount.as_deref(), Some("5.00"));
    assert_eq!(answer.out_request_no.as_deref(), Some("R-1"));
    assert_eq!(answer.withhold_plan_no.as_deref(), Some("W-1"));
    assert_eq!(answer.retry.as_deref(), Some("N"));
    assert_eq!(answer.fail_reason, None);
    let opt_no = answer.refund_opt_no.clone().unwrap();
    assert_eq!(opt_no.len(), 28);

    // Replay: the original answer (same refund_opt_no), nothing more refunded.
    let again = s
        .refund_settlement(
            refund_cmd(refund(AGREEMENT, "R-1", "W-1", "5.00")),
            caller(),
        )
        .await
        .unwrap();
    assert_eq!(refund_response(&again), answer);
    // Same key, other content.
    assert_eq!(
        code_of(
            s.refund_settlement(
                refund_cmd(refund(AGREEMENT, "R-1", "W-1", "4.00")),
                caller()
            )
            .await
        ),
        "IDEMPOTENT_ERROR"
    );
    // 4.90 left.
    let rej = rejection_of(
        s.refund_settlement(
            refund_cmd(refund(AGREEMENT, "R-2", "W-1", "4.91")),
            caller(),
        )
        .await,
    );
    assert_eq!(rej.code.as_str(), "REFUND_AMOUNT_EXCEED");
    assert!(rej.sub_msg.contains("4.90"), "{}", rej.sub_msg);
    s.refund_settlement(
        refund_cmd(refund(AGREEMENT, "R-2", "W-1", "4.90")),
        caller(),
    )
    .await
    .unwrap();
    let rej = rejection_of(
        s.refund_settlement(
            refund_cmd(refund(AGREEMENT, "R-3", "W-1", "0.01")),
            caller(),
        )
        .await,
    );
    assert_eq!(rej.code.as_str(), "REFUND_AMOUNT_EXCEED");
    assert!(rej.sub_msg.contains("0.00"), "{}", rej.sub_msg);
    // The rejected key was not consumed... and the wrong plan names no settlement.
    assert_eq!(
        code_of(
            s.refund_settlement(
                refund_cmd(refund(AGREEMENT, "R-3", "W-2", "0.01")),
                caller()
            )
            .await
        ),
        "SETTLE_ORDER_NOT_EXIST"
    );
    // Acting for another merchant.
    let mut body = refund(AGREEMENT, "R-4", "W-1", "0.01");
    body["partner_id"] = json!(OTHER_PARTNER);
    assert_eq!(
        code_of(s.refund_settlement(refund_cmd(body), caller()).await),
        "REQUEST_ACCESS_ILLEGAL"
    );
    // Another user of the same merchant.
    let mut body = refund(AGREEMENT, "R-5", "W-1", "0.01");
    body["alipay_user_id"] = json!(OTHER_USER);
    assert_eq!(
        code_of(s.refund_settlement(refund_cmd(body), caller()).await),
        "SETTLE_ORDER_NOT_EXIST"
    );
    assert_invariants(&s).await;
}

async fn refunds_answer_foreign_settlements_like_missing_ones(backend: Backend) {
    let (_db, s) = open(backend).await;
    let other = caller_for(ISV_APP, OTHER_PARTNER);
    settle_empty(&s, other.clone(), FOREIGN_AGREEMENT, "S-F", "W-F", "5.00")
        .await
        .unwrap();
    let foreign = rejection_of(
        s.refund_settlement(
            refund_cmd(refund(FOREIGN_AGREEMENT, "R-F", "W-F", "1.00")),
            caller(),
        )
        .await,
    );
    let missing = rejection_of(
        s.refund_settlement(refund_cmd(refund("A_NOPE", "R-F", "W-F", "1.00")), caller())
            .await,
    );
    assert_eq!(foreign.code.as_str(), "SETTLE_ORDER_NOT_EXIST");
    assert_eq!(foreign.code, missing.code);
    assert_eq!(
        foreign.sub_msg.replace(FOREIGN_AGREEMENT, "X"),
        missing.sub_msg.replace("A_NOPE", "X")
    );
    // The owner can refund it; its key space is its own.
    let mut body = refund(FOREIGN_AGREEMENT, "R-F", "W-F", "1.00");
    body["partner_id"] = json!(OTHER_PARTNER);
    s.refund_settlement(refund_cmd(body), other).await.unwrap();
    assert_invariants(&s).await;
}

async fn concurrent_refunds_never_exceed_the_settlement(backend: Backend) {
    let (db, s) = open(backend).await;
    let second = Arc::new(db.open().await); // a second process on the same data
    settle_empty(&s, caller(), AGREEMENT, "S-C", "W-C", "10.00")
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let storage = if i % 2 == 0 {
            s.clone()
        } else {
            second.clone()
        };
        tasks.push(tokio::spawn(async move {
            let cmd = refund_cmd(refund(AGREEMENT, &format!("RC-{i}"), "W-C", "1.00"));
            storage.refund_settlement(cmd, caller()).await
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(code_of::<()>(Err(e)), "REFUND_AMOUNT_EXCEED"),
        }
    }
    assert_eq!(ok, 10, "exactly the settled 10.00 refunded");
    assert_invariants(&s).await;
}

async fn unfreezes_stay_within_the_frozen_amount(backend: Backend) {
    let (_db, s) = open(backend).await;
    assert!(s.set_freeze_amount(AGREEMENT, Fen(1_000)).await.unwrap());
    assert!(!s.set_freeze_amount("A_NOPE", Fen(1_000)).await.unwrap());

    let first = s
        .unfreeze(unfreeze_cmd(unfreeze(AGREEMENT, "U-1", "4.00")), caller())
        .await
        .unwrap();
    let answer = unfreeze_response(&first);
    assert_eq!(answer.unfreeze_amount.as_deref(), Some("4.00"));
    assert_eq!(answer.unfreeze_status.as_deref(), Some("SUCCESS"));
    assert_eq!(answer.retry.as_deref(), Some("N"));
    assert_eq!(answer.fail_reaseon, None);
    let again = s
        .unfreeze(unfreeze_cmd(unfreeze(AGREEMENT, "U-1", "4.00")), caller())
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(
        code_of(
            s.unfreeze(unfreeze_cmd(unfreeze(AGREEMENT, "U-1", "3.00")), caller())
                .await
        ),
        "IDEMPOTENT_ERROR"
    );
    let rej = rejection_of(
        s.unfreeze(unfreeze_cmd(unfreeze(AGREEMENT, "U-2", "6.01")), caller())
            .await,
    );
    assert_eq!(rej.code.as_str(), "UNFREEZE_AMOUNT_EXCEED");
    assert!(rej.sub_msg.contains("6.00"), "{}", rej.sub_msg);
    s.unfreeze(unfreeze_cmd(unfreeze(AGREEMENT, "U-2", "6.00")), caller())
        .await
        .unwrap();
    // Nothing frozen (config agreement, template freezes 0): any unfreeze exceeds.
    let rej = rejection_of(
        s.unfreeze(unfreeze_cmd(unfreeze(AGREEMENT_2, "U-3", "0.01")), caller())
            .await,
    );
    assert_eq!(rej.code.as_str(), "UNFREEZE_AMOUNT_EXCEED");
    // Another merchant's agreement reads like a missing one.
    let foreign = rejection_of(
        s.unfreeze(
            unfreeze_cmd(unfreeze(FOREIGN_AGREEMENT, "U-4", "0.01")),
            caller(),
        )
        .await,
    );
    let missing = rejection_of(
        s.unfreeze(unfreeze_cmd(unfreeze("A_NOPE", "U-4", "0.01")), caller())
            .await,
    );
    assert_eq!(foreign.code.as_str(), "EASY_MEMBER_CONSULT_FAIL");
    assert_eq!(
        foreign.sub_msg.replace(FOREIGN_AGREEMENT, "X"),
        missing.sub_msg.replace("A_NOPE", "X")
    );
    let mut body = unfreeze(AGREEMENT, "U-5", "0.01");
    body["partner_id"] = json!(OTHER_PARTNER);
    assert_eq!(
        code_of(s.unfreeze(unfreeze_cmd(body), caller()).await),
        "REQUEST_ACCESS_ILLEGAL"
    );
    assert_invariants(&s).await;
}

async fn concurrent_unfreezes_never_exceed_the_frozen_amount(backend: Backend) {
    let (db, s) = open(backend).await;
    let second = Arc::new(db.open().await);
    s.set_freeze_amount(AGREEMENT, Fen(500)).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let storage = if i % 2 == 0 {
            s.clone()
        } else {
            second.clone()
        };
        tasks.push(tokio::spawn(async move {
            let cmd = unfreeze_cmd(unfreeze(AGREEMENT, &format!("UC-{i}"), "1.00"));
            storage.unfreeze(cmd, caller()).await
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(code_of::<()>(Err(e)), "UNFREEZE_AMOUNT_EXCEED"),
        }
    }
    assert_eq!(ok, 5);
    assert_invariants(&s).await;
}
