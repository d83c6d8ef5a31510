//! The lifecycle's money over HTTP, v1 and v3 (PRODUCT §11): `settle.refund` (POST),
//! `settle.unfreeze` (v3 PUT) and `settle.apply`'s plan check — success bodies as the official
//! models spell them, every error with its code, replays answered identically, conflicting
//! replays refused, another merchant's objects answered like missing ones.

mod http_support;

use http_support::*;
use serde_json::{json, Value};
use zhima_proto::money::Fen;

fn settle_body(agreement: &str, partner: &str, key: &str, plan: &str, pay: &str) -> String {
    json!({
        "agreement_id": agreement, "partner_id": partner, "out_request_no": key,
        "withhold_plan_no": plan, "pay_amount": pay,
        "total_real_pay_amount": "0.00", "total_discount_amount": "0.00", "total_task_count": "0"
    })
    .to_string()
}

fn refund_body(agreement: &str, partner: &str, key: &str, plan: &str, amount: &str) -> String {
    json!({
        "agreement_id": agreement, "partner_id": partner, "out_request_no": key,
        "withhold_plan_no": plan, "refund_amount": amount, "memo": "部分退款"
    })
    .to_string()
}

fn unfreeze_body(agreement: &str, partner: &str, key: &str, amount: &str) -> String {
    json!({
        "agreement_id": agreement, "partner_id": partner, "out_request_no": key,
        "unfreeze_amount": amount, "biz_time": "2024-06-01 12:00:00",
        "unfreeze_extend_params": {"quit_type": "SETTLE_APPLY_QUIT"}
    })
    .to_string()
}

async fn assert_invariants(server: &TestServer) {
    let report = server.storage.verify_invariants().await.unwrap();
    assert!(report.is_ok(), "{:?}", report.violations);
}

/// A v1 call for the token's merchant (`TOKEN_PARTNER_ID`).
fn v1_as_token(method: &str, body: &str) -> V1 {
    V1::new(method, body).set("app_auth_token", TOKEN)
}

async fn v1_node(server: &TestServer, call: V1) -> Value {
    call.send(server).await.node(&call)
}

#[tokio::test]
async fn v3_refunds_a_settlement_within_its_pay_amount() {
    let server = TestServer::start().await;
    let settled = V3::post(
        V3_SETTLE,
        &settle_body(AGREEMENT_NO, PARTNER_ID, "S-1", "W-1", "9.90"),
    )
    .send(&server)
    .await;
    assert_eq!(settled.status, 200, "{}", settled.body);

    let first = V3::post(
        V3_SETTLE_REFUND,
        &refund_body(AGREEMENT_NO, PARTNER_ID, "R-1", "W-1", "5.00"),
    )
    .send(&server)
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let v = first.json();
    assert_eq!(v["out_request_no"], "R-1");
    assert_eq!(v["refund_amount"], "5.00");
    assert_eq!(v["withhold_plan_no"], "W-1");
    assert_eq!(v["retry"], "N");
    assert!(v.get("fail_reason").is_none(), "{v}");
    let opt_no = v["refund_opt_no"].as_str().unwrap();
    assert!(opt_no.len() == 28 && opt_no.bytes().all(|b| b.is_ascii_digit()));

    let again = V3::post(
        V3_SETTLE_REFUND,
        &refund_body(AGREEMENT_NO, PARTNER_ID, "R-1", "W-1", "5.00"),
    )
    .send(&server)
    .await;
    assert_eq!((again.status, &again.body), (200, &first.body));
    V3::post(
        V3_SETTLE_REFUND,
        &refund_body(AGREEMENT_NO, PARTNER_ID, "R-1", "W-1", "4.00"),
    )
    .send(&server)
    .await
    .assert_error(400, "IDEMPOTENT_ERROR");
    let msg = V3::post(
        V3_SETTLE_REFUND,
        &refund_body(AGREEMENT_NO, PARTNER_ID, "R-2", "W-1", "5.00"),
    )
    .send(&server)
    .await
    .assert_error(400, "REFUND_AMOUNT_EXCEED");
    assert!(msg.contains("4.90"), "{msg}");
    V3::post(
        V3_SETTLE_REFUND,
        &refund_body(AGREEMENT_NO, PARTNER_ID, "R-2", "W-2", "1.00"),
    )
    .send(&server)
    .await
    .assert_error(400, "SETTLE_ORDER_NOT_EXIST");
    V3::post(
        V3_SETTLE_REFUND,
        &refund_body(AGREEMENT_NO, TOKEN_PARTNER_ID, "R-2", "W-1", "1.00"),
    )
    .send(&server)
    .await
    .assert_error(403, "REQUEST_ACCESS_ILLEGAL");
    V3::post(
        V3_SETTLE_REFUND,
        &refund_body(AGREEMENT_NO, PARTNER_ID, "R-2", "W-1", "0.00"),
    )
    .send(&server)
    .await
    .assert_error(400, "ORDER_AMOUNT_ILLEGAL");
    V3::post(
        V3_SETTLE_REFUND,
        &json!({"agreement_id": AGREEMENT_NO, "partner_id": PARTNER_ID, "out_request_no": "R-2",
                "refund_amount": "1.00"})
        .to_string(),
    )
    .send(&server)
    .await
    .assert_error(400, "REQUEST_PARAM_ILLEGAL");

    // Another merchant's settlement reads like a missing one.
    let token_settle = V3 {
        token: Some(TOKEN.into()),
        ..V3::post(
            V3_SETTLE,
            &settle_body(TOKEN_AGREEMENT_NO, TOKEN_PARTNER_ID, "S-T", "W-T", "3.00"),
        )
    }
    .send(&server)
    .await;
    assert_eq!(token_settle.status, 200, "{}", token_settle.body);
    let foreign = V3::post(
        V3_SETTLE_REFUND,
        &refund_body(TOKEN_AGREEMENT_NO, PARTNER_ID, "R-3", "W-T", "1.00"),
    )
    .send(&server)
    .await
    .assert_error(400, "SETTLE_ORDER_NOT_EXIST");
    let missing = V3::post(
        V3_SETTLE_REFUND,
        &refund_body("20195108518085621111", PARTNER_ID, "R-3", "W-T", "1.00"),
    )
    .send(&server)
    .await
    .assert_error(400, "SETTLE_ORDER_NOT_EXIST");
    assert_eq!(
        foreign.replace(TOKEN_AGREEMENT_NO, "X"),
        missing.replace("20195108518085621111", "X")
    );
    assert_invariants(&server).await;
}

#[tokio::test]
async fn v1_refunds_a_settlement_within_its_pay_amount() {
    let server = TestServer::start().await;
    let node = v1_node(
        &server,
        V1::new(
            SETTLE_APPLY,
            &settle_body(AGREEMENT_NO, PARTNER_ID, "S-1", "W-1", "2.00"),
        ),
    )
    .await;
    assert_eq!(node["code"], "10000", "{node}");
    let call = V1::new(
        SETTLE_REFUND,
        &refund_body(AGREEMENT_NO, PARTNER_ID, "R-1", "W-1", "1.50"),
    );
    let first = v1_node(&server, call.clone()).await;
    assert_eq!(first["code"], "10000", "{first}");
    assert_eq!(first["refund_amount"], "1.50");
    assert_eq!(first["withhold_plan_no"], "W-1");
    assert!(first["refund_opt_no"]
        .as_str()
        .is_some_and(|n| n.len() == 28));
    assert_eq!(v1_node(&server, call).await, first);
    let conflict = V1::new(
        SETTLE_REFUND,
        &refund_body(AGREEMENT_NO, PARTNER_ID, "R-1", "W-1", "1.00"),
    );
    assert_codes(
        &v1_node(&server, conflict).await,
        "40004",
        "IDEMPOTENT_ERROR",
    );
    let exceed = V1::new(
        SETTLE_REFUND,
        &refund_body(AGREEMENT_NO, PARTNER_ID, "R-2", "W-1", "0.51"),
    );
    let node = v1_node(&server, exceed).await;
    assert_codes(&node, "40004", "REFUND_AMOUNT_EXCEED");
    assert!(node["sub_msg"].as_str().unwrap().contains("0.50"), "{node}");
    // The token's merchant cannot refund PARTNER_ID's settlement (nor learn it exists).
    let foreign = v1_as_token(
        SETTLE_REFUND,
        &refund_body(AGREEMENT_NO, TOKEN_PARTNER_ID, "R-3", "W-1", "0.10"),
    );
    assert_codes(
        &v1_node(&server, foreign).await,
        "40004",
        "SETTLE_ORDER_NOT_EXIST",
    );
    assert_invariants(&server).await;
}

#[tokio::test]
async fn v3_put_and_v1_unfreeze_within_the_frozen_amount() {
    let server = TestServer::start().await;
    assert!(server
        .storage
        .set_freeze_amount(AGREEMENT_NO, Fen(1_000))
        .await
        .unwrap());
    let first = V3::put(
        V3_SETTLE_UNFREEZE,
        &unfreeze_body(AGREEMENT_NO, PARTNER_ID, "U-1", "4.00"),
    )
    .send(&server)
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let v = first.json();
    assert_eq!(v["unfreeze_amount"], "4.00");
    assert_eq!(v["unfreeze_status"], "SUCCESS");
    assert_eq!(v["retry"], "N");
    assert!(v.get("fail_reaseon").is_none(), "{v}");
    let again = V3::put(
        V3_SETTLE_UNFREEZE,
        &unfreeze_body(AGREEMENT_NO, PARTNER_ID, "U-1", "4.00"),
    )
    .send(&server)
    .await;
    assert_eq!((again.status, &again.body), (200, &first.body));
    V3::put(
        V3_SETTLE_UNFREEZE,
        &unfreeze_body(AGREEMENT_NO, PARTNER_ID, "U-1", "3.00"),
    )
    .send(&server)
    .await
    .assert_error(400, "IDEMPOTENT_ERROR");
    let msg = V3::put(
        V3_SETTLE_UNFREEZE,
        &unfreeze_body(AGREEMENT_NO, PARTNER_ID, "U-2", "6.01"),
    )
    .send(&server)
    .await
    .assert_error(400, "UNFREEZE_AMOUNT_EXCEED");
    assert!(msg.contains("6.00"), "{msg}");
    V3::put(
        V3_SETTLE_UNFREEZE,
        &unfreeze_body(AGREEMENT_NO, TOKEN_PARTNER_ID, "U-2", "1.00"),
    )
    .send(&server)
    .await
    .assert_error(403, "REQUEST_ACCESS_ILLEGAL");
    V3::put(
        V3_SETTLE_UNFREEZE,
        &unfreeze_body(AGREEMENT_NO, PARTNER_ID, "U-2", "-1"),
    )
    .send(&server)
    .await
    .assert_error(400, "ORDER_AMOUNT_ILLEGAL");
    let foreign = V3::put(
        V3_SETTLE_UNFREEZE,
        &unfreeze_body(TOKEN_AGREEMENT_NO, PARTNER_ID, "U-3", "1.00"),
    )
    .send(&server)
    .await
    .assert_error(400, "EASY_MEMBER_CONSULT_FAIL");
    let missing = V3::put(
        V3_SETTLE_UNFREEZE,
        &unfreeze_body("20195108518085621111", PARTNER_ID, "U-3", "1.00"),
    )
    .send(&server)
    .await
    .assert_error(400, "EASY_MEMBER_CONSULT_FAIL");
    assert_eq!(
        foreign.replace(TOKEN_AGREEMENT_NO, "X"),
        missing.replace("20195108518085621111", "X")
    );

    // v1: the remaining 6.00, then nothing.
    let call = V1::new(
        SETTLE_UNFREEZE,
        &unfreeze_body(AGREEMENT_NO, PARTNER_ID, "U-4", "6.00"),
    );
    let node = v1_node(&server, call.clone()).await;
    assert_eq!(node["code"], "10000", "{node}");
    assert_eq!(node["unfreeze_amount"], "6.00");
    assert_eq!(node["unfreeze_status"], "SUCCESS");
    assert_eq!(v1_node(&server, call).await, node);
    let node = v1_node(
        &server,
        V1::new(
            SETTLE_UNFREEZE,
            &unfreeze_body(AGREEMENT_NO, PARTNER_ID, "U-5", "0.01"),
        ),
    )
    .await;
    assert_codes(&node, "40004", "UNFREEZE_AMOUNT_EXCEED");
    assert_invariants(&server).await;
}

#[tokio::test]
async fn settle_apply_names_the_plan_of_an_expired_agreement() {
    let server = TestServer::start().await;
    let expired = server
        .storage
        .expire_due(zhima_proto::time::parse_alipay_datetime("2031-01-01 00:00:00").unwrap())
        .await
        .unwrap();
    let plan = expired
        .iter()
        .find(|e| e.agreement_no == AGREEMENT_NO)
        .unwrap()
        .quit
        .withhold_plan_no
        .clone();
    let msg = V3::post(
        V3_SETTLE,
        &settle_body(AGREEMENT_NO, PARTNER_ID, "S-1", "W-WRONG", "1.00"),
    )
    .send(&server)
    .await
    .assert_error(400, "WITHHOLD_PLAN_NO_ILLEGAL");
    assert!(msg.contains("W-WRONG"), "{msg}");
    let node = v1_node(
        &server,
        V1::new(
            SETTLE_APPLY,
            &settle_body(AGREEMENT_NO, PARTNER_ID, "S-1", "W-WRONG", "1.00"),
        ),
    )
    .await;
    assert_codes(&node, "40004", "WITHHOLD_PLAN_NO_ILLEGAL");
    let ok = V3::post(
        V3_SETTLE,
        &settle_body(AGREEMENT_NO, PARTNER_ID, "S-1", &plan, "1.00"),
    )
    .send(&server)
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["withhold_plan_no"], plan.as_str());
    // The settlement it made is refundable under that plan.
    let refund = V3::post(
        V3_SETTLE_REFUND,
        &refund_body(AGREEMENT_NO, PARTNER_ID, "R-1", &plan, "1.00"),
    )
    .send(&server)
    .await;
    assert_eq!(refund.status, 200, "{}", refund.body);
    assert_invariants(&server).await;
}

fn merchant_body(
    partner: &str,
    key: &str,
    action: &str,
    refer: Option<&str>,
    amount: &str,
) -> String {
    let mut b = json!({
        "agreement_id": AGREEMENT_NO, "provider_pid": partner, "out_biz_no": key,
        "user_id": USER_ID, "biz_action": action, "sub_biz_action": "ADD",
        "biz_time": "2024-05-21 10:00:00", "data_type": "TASK",
        "times_type_sync_data": {"task_times": 1, "task_amount": amount}
    });
    if let Some(r) = refer {
        b["refer_out_biz_no"] = json!(r);
    }
    b.to_string()
}

#[tokio::test]
async fn merchant_cumulate_sync_writes_the_shared_ledger_over_v3_and_v1() {
    let server = TestServer::start().await;
    let first = V3::post(
        V3_MERCHANT_CUMULATE_SYNC,
        &merchant_body(PARTNER_ID, "M-1", "POSITIVE", None, "5.00"),
    )
    .send(&server)
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let v = first.json();
    assert_eq!(v["agreement_id"], AGREEMENT_NO);
    assert_eq!(v["out_biz_no"], "M-1");
    let again = V3::post(
        V3_MERCHANT_CUMULATE_SYNC,
        &merchant_body(PARTNER_ID, "M-1", "POSITIVE", None, "5.00"),
    )
    .send(&server)
    .await;
    assert_eq!((again.status, &again.body), (200, &first.body));
    V3::post(
        V3_MERCHANT_CUMULATE_SYNC,
        &merchant_body(PARTNER_ID, "M-1", "POSITIVE", None, "6.00"),
    )
    .send(&server)
    .await
    .assert_error(400, "IDEMPOTENT_ERROR");
    // cumulation.sync's key space is the same.
    V3::post(V3_SYNC, &cumulation_body(AGREEMENT_NO, PARTNER_ID, "M-1"))
        .send(&server)
        .await
        .assert_error(400, "IDEMPOTENT_ERROR");
    V3::post(
        V3_MERCHANT_CUMULATE_SYNC,
        &merchant_body(TOKEN_PARTNER_ID, "M-2", "POSITIVE", None, "1.00"),
    )
    .send(&server)
    .await
    .assert_error(403, "REQUEST_ACCESS_ILLEGAL");
    V3::post(
        V3_MERCHANT_CUMULATE_SYNC,
        &merchant_body(PARTNER_ID, "M-2", "SIDEWAYS", None, "1.00"),
    )
    .send(&server)
    .await
    .assert_error(400, "INVALID_BIZ_ACTION");

    // v1: reverse 2.00 of it, then more than is left.
    let call = V1::new(
        MERCHANT_CUMULATE_SYNC,
        &merchant_body(PARTNER_ID, "M-3", "REVERSE", Some("M-1"), "2.00"),
    );
    let node = v1_node(&server, call.clone()).await;
    assert_eq!(node["code"], "10000", "{node}");
    assert_eq!(node["out_biz_no"], "M-3");
    assert_eq!(v1_node(&server, call).await, node);
    let over = V1::new(
        MERCHANT_CUMULATE_SYNC,
        &merchant_body(PARTNER_ID, "M-4", "REVERSE", Some("M-1"), "3.01"),
    );
    assert_codes(&v1_node(&server, over).await, "40004", "REFUND_ILLEGAL");

    // cumulate.query shows the net 3.00.
    let q = V3::get(&format!(
        "{V3_CUMULATE_QUERY}?agreement_id={AGREEMENT_NO}&user_id={USER_ID}"
    ))
    .send(&server)
    .await;
    assert_eq!(q.status, 200, "{}", q.body);
    assert_eq!(q.json()["aggr_amount"], "3.00", "{}", q.body);
    assert_invariants(&server).await;
}
