//! The merchant-level `cumulate.sync` on both engines (PRODUCT §11): it writes the same ledger
//! as `cumulation.sync` — totals move, the key space is shared, REVERSE refunds a payment of
//! either API within its budget, UPDATE corrects downward — and the invariants hold.

mod storage_support;

use serde_json::{json, Value};
use storage_support::*;
use zhima_proto::money::Fen;
use zhima_server::domain::ledger::AgreementTotals;
use zhima_server::domain::query::Page;
use zhima_server::storage::Storage;

on_both_backends!(
    positive_adds_count_in_the_shared_ledger,
    the_key_space_is_shared_with_cumulation_sync,
    reverse_refunds_a_payment_of_either_api,
    update_corrects_a_payment_downward,
    foreign_agreements_and_merchants_are_refused,
);

fn times(out_biz_no: &str, n: u32, amount: &str) -> Value {
    json!({
        "agreement_id": AGREEMENT, "provider_pid": PARTNER, "out_biz_no": out_biz_no,
        "user_id": USER, "biz_action": "POSITIVE", "sub_biz_action": "ADD",
        "biz_time": "2024-05-20 10:00:00", "data_type": "TASK",
        "times_type_sync_data": {"task_times": n, "task_amount": amount, "task_desc": "骑行"}
    })
}

async fn totals(s: &Storage) -> AgreementTotals {
    let (mut t, _) = s
        .ledger(AGREEMENT, Page::new(None, None).unwrap())
        .await
        .unwrap();
    t.normalize();
    t
}

async fn sync(s: &Storage, body: Value) -> zhima_server::Result<String> {
    s.merchant_cumulate_sync(merchant_sync_cmd(body), caller())
        .await
        .map(|e| e.out_biz_no)
}

async fn assert_invariants(s: &Storage) {
    let report = s.verify_invariants().await.unwrap();
    assert!(report.is_ok(), "{:?}", report.violations);
}

async fn positive_adds_count_in_the_shared_ledger(backend: Backend) {
    let (_db, s) = open(backend).await;
    sync(&s, times("M-1", 3, "10.00")).await.unwrap();
    let discount = json!({
        "agreement_id": AGREEMENT, "provider_pid": PARTNER, "out_biz_no": "M-2",
        "biz_action": "POSITIVE", "biz_time": "2024-05-20 11:00:00", "data_type": "DISCOUNT",
        "discount_type_sync_data": {"discount_amount": "2.50", "discount_desc": "会员折扣"}
    });
    sync(&s, discount).await.unwrap();
    let t = totals(&s).await;
    assert_eq!(t.trade_amount, Fen(1_000));
    assert_eq!(t.discount_amount, Fen(250));
    assert_eq!(t.task_count, 3);
    assert_eq!(t.tasks.get("骑行"), Some(&3));
    assert_eq!(t.event_count, 2);
    // cumulate.query answers from the same totals.
    let q = zhima_proto::validate::validate_cumulate_query(
        &zhima_proto::models::from_json(
            &json!({"agreement_id": AGREEMENT, "user_id": USER}).to_string(),
        )
        .unwrap(),
    )
    .unwrap();
    let summary = s.cumulate_query(q, caller()).await.unwrap().to_response();
    assert_eq!(summary.aggr_amount.as_deref(), Some("10.00"), "{summary:?}");
    assert_invariants(&s).await;
}

async fn the_key_space_is_shared_with_cumulation_sync(backend: Backend) {
    let (_db, s) = open(backend).await;
    s.sync_cumulation(cmd(&sync_body("K-1")), caller())
        .await
        .unwrap();
    // The same key through the merchant API, other content.
    assert_eq!(
        code_of(sync(&s, times("K-1", 1, "1.00")).await),
        "IDEMPOTENT_ERROR"
    );
    // And the other way round.
    sync(&s, times("K-2", 1, "1.00")).await.unwrap();
    assert_eq!(
        code_of(s.sync_cumulation(cmd(&sync_body("K-2")), caller()).await),
        "IDEMPOTENT_ERROR"
    );
    // A replay answers the original event and writes nothing.
    let before = totals(&s).await;
    let first = s
        .merchant_cumulate_sync(merchant_sync_cmd(times("K-2", 1, "1.00")), caller())
        .await
        .unwrap();
    assert_eq!(first.out_biz_no, "K-2");
    assert_eq!(totals(&s).await, before);
    assert_invariants(&s).await;
}

async fn reverse_refunds_a_payment_of_either_api(backend: Backend) {
    let (_db, s) = open(backend).await;
    // A cumulation.sync payment: 3.57 trade, 8.75 exclusiveBenefit "滴滴打车优惠001".
    s.sync_cumulation(cmd(&sync_body("P-1")), caller())
        .await
        .unwrap();
    let reverse = |key: &str, refer: &str, trade: &str, discount: &str| {
        json!({
            "agreement_id": AGREEMENT, "provider_pid": PARTNER, "out_biz_no": key,
            "biz_action": "REVERSE", "refer_out_biz_no": refer,
            "biz_time": "2024-05-21 10:00:00", "data_type": "TASK",
            "amount_type_sync_data": {"task_amount": trade, "discount_amount": discount,
                                      "discount_desc": "滴滴打车优惠001"}
        })
    };
    sync(&s, reverse("RV-1", "P-1", "1.00", "2.00"))
        .await
        .unwrap();
    let t = totals(&s).await;
    assert_eq!((t.trade_amount, t.discount_amount), (Fen(257), Fen(675)));
    assert_eq!(
        code_of(sync(&s, reverse("RV-2", "P-1", "2.58", "0.00")).await),
        "REFUND_ILLEGAL"
    );
    assert_eq!(
        code_of(sync(&s, reverse("RV-2", "NOPE", "1.00", "0.00")).await),
        "PAY_ORDER_NOT_EXIST"
    );
    // A merchant payment, reversed in full: its task comes back too.
    sync(&s, times("P-2", 2, "5.00")).await.unwrap();
    let mut body = reverse("RV-3", "P-2", "5.00", "0.00");
    body["amount_type_sync_data"] = json!(null);
    body["times_type_sync_data"] = json!({"task_times": 2, "task_amount": "5.00"});
    sync(&s, body).await.unwrap();
    let t = totals(&s).await;
    assert_eq!((t.trade_amount, t.task_count), (Fen(257), 0));
    assert_eq!(t.fully_refunded_count, 1);
    assert_invariants(&s).await;
}

async fn update_corrects_a_payment_downward(backend: Backend) {
    let (_db, s) = open(backend).await;
    sync(&s, times("U-1", 3, "10.00")).await.unwrap();
    let update = |key: &str, n: u32, amount: &str| {
        let mut b = times(key, n, amount);
        b["sub_biz_action"] = json!("UPDATE");
        b["refer_out_biz_no"] = json!("U-1");
        b
    };
    sync(&s, update("U-2", 1, "4.00")).await.unwrap();
    let t = totals(&s).await;
    assert_eq!((t.trade_amount, t.task_count), (Fen(400), 1));
    assert_eq!(t.aggr_times(), 1, "a correction is not a new payment");
    // A raise is a new ADD, not an UPDATE.
    assert_eq!(
        code_of(sync(&s, update("U-3", 2, "4.00")).await),
        "REQUEST_PARAM_ILLEGAL"
    );
    let mut reverse_update = update("U-4", 1, "1.00");
    reverse_update["biz_action"] = json!("REVERSE");
    assert_eq!(
        code_of(sync(&s, reverse_update).await),
        "INVALID_BIZ_ACTION"
    );
    assert_eq!(totals(&s).await, t, "rejections write nothing");
    assert_invariants(&s).await;
}

async fn foreign_agreements_and_merchants_are_refused(backend: Backend) {
    let (_db, s) = open(backend).await;
    let mut other = times("F-1", 1, "1.00");
    other["provider_pid"] = json!(OTHER_PARTNER);
    assert_eq!(code_of(sync(&s, other).await), "REQUEST_ACCESS_ILLEGAL");
    let mut foreign = times("F-2", 1, "1.00");
    foreign["agreement_id"] = json!(FOREIGN_AGREEMENT);
    assert_eq!(code_of(sync(&s, foreign).await), "EASY_MEMBER_CONSULT_FAIL");
    let mut other_user = times("F-3", 1, "1.00");
    other_user["user_id"] = json!(OTHER_USER);
    assert_eq!(
        code_of(sync(&s, other_user).await),
        "EASY_MEMBER_CONSULT_FAIL"
    );
    let mut invalid = times("F-4", 1, "1.00");
    invalid["agreement_id"] = json!(INVALID_AGREEMENT);
    assert_eq!(code_of(sync(&s, invalid).await), "EASY_MEMBER_CONSULT_FAIL");
    assert_eq!(totals(&s).await, AgreementTotals::default());
    assert_invariants(&s).await;
}
