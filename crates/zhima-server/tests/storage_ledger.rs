//! Cumulation rules 2–6, refunds, queries and settlement against a real SQLite database.

mod storage_support;

use serde_json::json;
use storage_support::*;
use zhima_proto::models::{from_json, ZhimaMerchantZmgoCumulateQueryModel};
use zhima_proto::validate;
use zhima_server::domain::entities::Records;
use zhima_server::domain::query::{self, CumulateQuery, Page};
use zhima_server::storage::Storage;

async fn sync(s: &Storage, body: serde_json::Value) -> zhima_server::Result<i64> {
    s.sync_cumulation(cmd(&body), caller()).await.map(|r| r.seq)
}

fn cumulate_query(
    agreement: &str,
    need_detail: bool,
    page_no: i64,
    page_size: i64,
) -> CumulateQuery {
    let model: ZhimaMerchantZmgoCumulateQueryModel = from_json(
        &json!({"agreement_id": agreement, "user_id": USER, "need_detail": need_detail,
                "page_no": page_no, "page_size": page_size})
        .to_string(),
    )
    .unwrap();
    validate::validate_cumulate_query(&model).unwrap()
}

/// AGREEMENT's (trade amount, discount amount, aggr_times) as `cumulate.query` reports them.
async fn amounts_and_times(s: &Storage) -> (i64, i64, i64) {
    let summary = s
        .cumulate_query(cumulate_query(AGREEMENT, false, 1, 20), caller())
        .await
        .unwrap();
    let t = &summary.totals;
    (t.trade_amount.0, t.discount_amount.0, t.aggr_times())
}

async fn rule_order_access_agreement_mode(backend: Backend) {
    let (_dir, s) = open(backend).await;

    let mut body = sync_body("R-1");
    body["partner_id"] = json!(OTHER_PARTNER);
    let rej = rejection_of(s.sync_cumulation(cmd(&body), caller()).await);
    assert_eq!(rej.code.as_str(), "REQUEST_ACCESS_ILLEGAL");
    assert!(rej.sub_msg.contains(OTHER_PARTNER), "{}", rej.sub_msg);

    // An ISV app acting through an app_auth_token for PARTNER may sync PARTNER's data.
    assert!(s
        .sync_cumulation(cmd(&sync_body("R-ISV")), caller_for(ISV_APP, PARTNER))
        .await
        .is_ok());

    for (agreement, user, why) in [
        ("NOPE", USER, "不存在"),
        // Another merchant's agreement reads exactly like a missing one.
        (FOREIGN_AGREEMENT, USER, "不存在"),
        (AGREEMENT, OTHER_USER, "不属于该用户"),
        (INVALID_AGREEMENT, USER, "状态为N"),
    ] {
        let mut body = sync_body(&format!("R-{agreement}-{user}"));
        body["agreement_no"] = json!(agreement);
        body["user_id"] = json!(user);
        let rej = rejection_of(s.sync_cumulation(cmd(&body), caller()).await);
        assert_eq!(rej.code.as_str(), "EASY_MEMBER_CONSULT_FAIL", "{agreement}");
        assert!(rej.sub_msg.contains(why), "{agreement}: {}", rej.sub_msg);
        if agreement == FOREIGN_AGREEMENT {
            // The same words as for "NOPE": nothing says the number exists elsewhere.
            assert!(rej
                .sub_msg
                .ends_with(&format!("协议{FOREIGN_AGREEMENT}不存在")));
            assert!(!rej.sub_msg.contains("商户"), "{}", rej.sub_msg);
        }
    }

    // Decoupled template: AMOUNT_TASK is not allowed; bound template: only AMOUNT_TASK.
    let mut body = sync_body("R-MODE-1");
    body["cumulate_data_type"] = json!("AMOUNT_TASK");
    assert_eq!(code_of(sync(&s, body).await), "INVALID_CUMULATE_MODE");
    let mut body = task_body("R-MODE-2", "t");
    body["agreement_no"] = json!(BOUND_AGREEMENT);
    assert_eq!(code_of(sync(&s, body).await), "INVALID_CUMULATE_MODE");
    let mut body = sync_body("R-MODE-3");
    body["agreement_no"] = json!(BOUND_AGREEMENT);
    body["cumulate_data_type"] = json!("AMOUNT_TASK");
    body["amount_type_data"]["out_discount_infos"] = json!([]);
    let rej = rejection_of(sync(&s, body).await);
    assert_eq!(rej.code.as_str(), "INVALID_CUMULATE_MODE");
    assert!(
        rej.sub_msg.contains("out_discount_infos"),
        "{}",
        rej.sub_msg
    );

    assert!(s.verify_invariants().await.unwrap().is_ok());
}

fn bound_body(out_biz_no: &str, trade_no: &str) -> serde_json::Value {
    let mut body = sync_body(out_biz_no);
    body["agreement_no"] = json!(BOUND_AGREEMENT);
    body["cumulate_data_type"] = json!("AMOUNT_TASK");
    body["has_alipay_trade"] = json!(true);
    body["amount_type_data"]["trade_info"]["trade_no"] = json!(trade_no);
    body
}

async fn alipay_trades_are_checked_in_bound_mode(backend: Backend) {
    let (_dir, s) = open(backend).await;
    assert_eq!(
        code_of(sync(&s, bound_body("B-1", "2020000000000000000000000000")).await),
        "TRADE_NOT_EXIST"
    );

    // The trade's buyer must be the user; its seller the partner.
    let mut other_buyer = s.trades().await.unwrap()[0].clone();
    other_buyer.trade_no = "T_OTHER_BUYER".into();
    other_buyer.buyer_user_id = OTHER_USER.into();
    s.apply_records(&Records {
        trades: vec![other_buyer.clone()],
        ..Records::default()
    })
    .await
    .unwrap();
    assert_eq!(
        code_of(sync(&s, bound_body("B-2", "T_OTHER_BUYER")).await),
        "BUYER_INFO_ERROR"
    );
    let mut other_seller = other_buyer.clone();
    other_seller.trade_no = "T_OTHER_SELLER".into();
    other_seller.buyer_user_id = USER.into();
    other_seller.seller_partner_id = OTHER_PARTNER.into();
    s.apply_records(&Records {
        trades: vec![other_seller],
        ..Records::default()
    })
    .await
    .unwrap();
    assert_eq!(
        code_of(sync(&s, bound_body("B-3", "T_OTHER_SELLER")).await),
        "SELLER_INFO_ERROR"
    );

    let ok = s
        .sync_cumulation(cmd(&bound_body("B-4", TRADE)), caller())
        .await
        .unwrap();
    assert!(!ok.replayed);
    let (totals, _) = s
        .ledger(BOUND_AGREEMENT, Page { no: 1, size: 10 })
        .await
        .unwrap();
    assert_eq!((totals.trade_amount.0, totals.task_count), (357, 1));
    // AMOUNT_TASK without task data counts under the amount name.
    assert_eq!(totals.tasks.get("累计消费"), Some(&1));

    // In decoupled mode has_alipay_trade is ignored, even for an unknown trade.
    let mut body = sync_body("B-5");
    body["has_alipay_trade"] = json!(true);
    body["amount_type_data"]["trade_info"]["trade_no"] = json!("UNKNOWN");
    assert!(sync(&s, body).await.is_ok());
}

async fn refunds_stay_within_the_payment(backend: Backend) {
    let (_dir, s) = open(backend).await;
    sync(&s, sync_body("P-1")).await.unwrap(); // 3.57 trade, 8.75 discount

    assert_eq!(
        code_of(sync(&s, refund_body("RF-0", "P-UNKNOWN", "1.00", "0")).await),
        "PAY_ORDER_NOT_EXIST"
    );
    let mut early = refund_body("RF-1", "P-1", "1.00", "0");
    early["biz_time"] = json!("2024-05-20 09:59:59");
    assert_eq!(code_of(sync(&s, early).await), "REFUND_TIME_ILLEGAL");

    // Partial refund: totals drop, aggr_times keeps the payment.
    sync(&s, refund_body("RF-2", "P-1", "2.00", "5.00"))
        .await
        .unwrap();
    assert_eq!(amounts_and_times(&s).await, (157, 375, 1));

    let rej = rejection_of(sync(&s, refund_body("RF-3", "P-1", "1.58", "0")).await);
    assert_eq!(rej.code.as_str(), "REFUND_ILLEGAL");
    assert!(
        rej.sub_msg.contains("1.57"),
        "names what is left: {}",
        rej.sub_msg
    );
    assert_eq!(
        code_of(sync(&s, refund_body("RF-4", "P-1", "0", "3.76")).await),
        "REFUND_ILLEGAL"
    );
    let mut renamed = refund_body("RF-5", "P-1", "0", "1.00");
    renamed["amount_type_data"]["out_discount_infos"][0]["discount_name"] = json!("另一个优惠");
    assert_eq!(code_of(sync(&s, renamed).await), "REFUND_ILLEGAL");
    assert_eq!(
        code_of(sync(&s, refund_body("RF-6", "P-1", "0", "0")).await),
        "REFUND_ILLEGAL"
    );
    let mut as_task = task_body("RF-7", "打车1次");
    as_task["biz_action"] = json!("ORDER_REFUND");
    as_task["pay_out_biz_no"] = json!("P-1");
    assert_eq!(code_of(sync(&s, as_task).await), "REFUND_ILLEGAL");

    // A refund cannot be refunded, nor can another agreement's payment.
    assert_eq!(
        code_of(sync(&s, refund_body("RF-8", "RF-2", "0.01", "0")).await),
        "PAY_ORDER_NOT_EXIST"
    );
    let mut elsewhere = refund_body("RF-9", "P-1", "0.01", "0");
    elsewhere["agreement_no"] = json!(AGREEMENT_2);
    assert_eq!(code_of(sync(&s, elsewhere).await), "PAY_ORDER_NOT_EXIST");

    // The exact remainder completes the refund: aggr_times drops to 0.
    sync(&s, refund_body("RF-10", "P-1", "1.57", "3.75"))
        .await
        .unwrap();
    assert_eq!(amounts_and_times(&s).await, (0, 0, 0));
    assert_eq!(
        code_of(sync(&s, refund_body("RF-11", "P-1", "0.01", "0")).await),
        "REFUND_ILLEGAL"
    );

    // Task refunds: one task per payment.
    sync(&s, task_body("TP-1", "打车1次")).await.unwrap();
    let mut task_refund = task_body("TR-1", "打车1次");
    task_refund["biz_action"] = json!("ORDER_REFUND");
    task_refund["pay_out_biz_no"] = json!("TP-1");
    task_refund["biz_time"] = json!("2024-05-21 00:00:00");
    sync(&s, task_refund.clone()).await.unwrap();
    task_refund["out_biz_no"] = json!("TR-2");
    assert_eq!(code_of(sync(&s, task_refund).await), "REFUND_ILLEGAL");

    let report = s.verify_invariants().await.unwrap();
    assert!(report.is_ok(), "{:?}", report.violations);
    assert_eq!(report.events_checked, 5);
}

async fn replay_after_settlement_returns_the_original_success(backend: Backend) {
    let (_dir, s) = open(backend).await;
    let original = s
        .sync_cumulation(cmd(&sync_body("S-1")), caller())
        .await
        .unwrap();
    let settle = settle_cmd(json!({
        "agreement_id": AGREEMENT, "partner_id": PARTNER, "out_request_no": "SETTLE-1",
        "withhold_plan_no": "W-1", "pay_amount": "9.90",
        "total_real_pay_amount": "3.57", "total_discount_amount": "8.75", "total_task_count": "0"
    }));
    let receipt = s.apply_settlement(settle.clone(), caller()).await.unwrap();
    assert!(!receipt.replayed);
    assert_eq!(receipt.to_response().settle_status.as_deref(), Some("Y"));
    assert_eq!(
        s.agreement(AGREEMENT)
            .await
            .unwrap()
            .unwrap()
            .status
            .as_str(),
        "N"
    );

    let replay = s
        .sync_cumulation(cmd(&sync_body("S-1")), caller())
        .await
        .unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.to_response(), original.to_response());
    assert_eq!(
        code_of(sync(&s, sync_body("S-2")).await),
        "EASY_MEMBER_CONSULT_FAIL"
    );

    // Settlement is idempotent on out_request_no; a different request under it conflicts;
    // a new settlement of the now-invalid agreement is refused.
    assert!(
        s.apply_settlement(settle.clone(), caller())
            .await
            .unwrap()
            .replayed
    );
    let mut other = settle.clone();
    other.pay_amount = zhima_proto::money::Fen(1);
    assert_eq!(
        code_of(s.apply_settlement(other.clone(), caller()).await),
        "IDEMPOTENT_ERROR"
    );
    other.out_request_no = "SETTLE-2".into();
    assert_eq!(
        code_of(s.apply_settlement(other, caller()).await),
        "EASY_MEMBER_CONSULT_FAIL"
    );

    // Reapplying the configuration does not resurrect a settled agreement.
    s.apply_records(&records()).await.unwrap();
    assert_eq!(
        s.agreement(AGREEMENT)
            .await
            .unwrap()
            .unwrap()
            .status
            .as_str(),
        "N"
    );
}

async fn settle_check_names_each_field(backend: Backend) {
    let (_dir, s) = open(backend).await;
    sync(&s, sync_body("SC-1")).await.unwrap();
    sync(&s, task_body("SC-2", "打车1次")).await.unwrap();
    let bad = settle_cmd(json!({
        "agreement_id": AGREEMENT, "partner_id": PARTNER, "out_request_no": "SC-R1",
        "withhold_plan_no": "W-1", "pay_amount": "0.00",
        "total_real_pay_amount": "3.00", "total_discount_amount": "8.75", "total_task_count": "2"
    }));
    let rej = rejection_of(s.apply_settlement(bad, caller()).await);
    assert_eq!(rej.code.as_str(), "SETTLE_AMOUNT_CHECK_FAIL");
    assert!(
        rej.sub_msg.contains("total_real_pay_amount")
            && rej.sub_msg.contains("3.00")
            && rej.sub_msg.contains("3.57"),
        "{}",
        rej.sub_msg
    );
    assert!(rej.sub_msg.contains("total_task_count"), "{}", rej.sub_msg);
    assert!(
        !rej.sub_msg.contains("total_discount_amount"),
        "matching fields are not listed: {}",
        rej.sub_msg
    );
    assert_eq!(
        s.agreement(AGREEMENT)
            .await
            .unwrap()
            .unwrap()
            .status
            .as_str(),
        "Y",
        "nothing changed"
    );

    let wrong_partner = settle_cmd(json!({
        "agreement_id": AGREEMENT, "partner_id": OTHER_PARTNER, "out_request_no": "SC-R2",
        "withhold_plan_no": "W-1", "pay_amount": "0.00"
    }));
    assert_eq!(
        code_of(s.apply_settlement(wrong_partner, caller()).await),
        "REQUEST_ACCESS_ILLEGAL"
    );
}

async fn cumulate_query_reads_totals_and_pages_newest_first(backend: Backend) {
    let (_dir, s) = open(backend).await;
    for i in 0..25 {
        sync(&s, task_body(&format!("Q-{i:02}"), "签到"))
            .await
            .unwrap();
    }
    sync(&s, sync_body("Q-AMOUNT")).await.unwrap();

    let summary = s
        .cumulate_query(cumulate_query(AGREEMENT, true, 1, 10), caller())
        .await
        .unwrap();
    let response = summary.to_response();
    assert_eq!(response.aggr_amount.as_deref(), Some("3.57"));
    assert_eq!(response.aggr_discount_amount.as_deref(), Some("8.75"));
    assert_eq!(response.aggr_times, Some(26));
    let details = response.detail_list.unwrap();
    assert_eq!(details.len(), 10);
    assert_eq!(details[0].out_biz_no.as_deref(), Some("Q-AMOUNT"));
    assert_eq!(details[0].task_amount.as_deref(), Some("3.57"));
    assert_eq!(details[0].discount_desc.as_deref(), Some("滴滴打车优惠001"));
    assert_eq!(details[1].out_biz_no.as_deref(), Some("Q-24"));
    assert_eq!(details[1].task_times, Some(1));

    let last = s
        .cumulate_query(cumulate_query(AGREEMENT, true, 3, 10), caller())
        .await
        .unwrap();
    let outs: Vec<_> = last
        .details
        .unwrap()
        .iter()
        .map(|e| e.out_biz_no.clone())
        .collect();
    assert_eq!(outs, ["Q-05", "Q-04", "Q-03", "Q-02", "Q-01", "Q-00"]);
    let no_detail = s
        .cumulate_query(cumulate_query(AGREEMENT, false, 1, 20), caller())
        .await
        .unwrap();
    assert!(no_detail.to_response().detail_list.is_none());

    // Access: a foreign agreement looks like a missing one; provider_pid must be the caller's.
    assert_eq!(
        code_of(
            s.cumulate_query(cumulate_query(FOREIGN_AGREEMENT, false, 1, 20), caller())
                .await
        ),
        "EASY_MEMBER_CONSULT_FAIL"
    );
    let mut q = cumulate_query(AGREEMENT, false, 1, 20);
    q.provider_pid = Some(OTHER_PARTNER.into());
    assert_eq!(
        code_of(s.cumulate_query(q, caller()).await),
        "REQUEST_ACCESS_ILLEGAL"
    );
    let mut q = cumulate_query(AGREEMENT, false, 1, 20);
    q.user_id = Some(OTHER_USER.into());
    assert_eq!(
        code_of(s.cumulate_query(q, caller()).await),
        "EASY_MEMBER_CONSULT_FAIL"
    );
}

async fn agreement_query_by_number_or_user(backend: Backend) {
    let (_dir, s) = open(backend).await;
    let by_no = |no: &str| {
        validate::validate_agreement_query(
            &from_json(&json!({"agreement_id": no}).to_string()).unwrap(),
        )
        .unwrap()
    };
    let a = s.agreement_query(by_no(AGREEMENT), caller()).await.unwrap();
    let response = query::agreement_response(&a, None);
    assert_eq!(response.agreement_status.as_deref(), Some("Y"));
    assert_eq!(response.start_time.as_deref(), Some("2024-01-01 00:00:00"));
    assert_eq!(
        code_of(s.agreement_query(by_no(FOREIGN_AGREEMENT), caller()).await),
        "EASY_MEMBER_CONSULT_FAIL"
    );

    let by_user = validate::validate_agreement_query(
        &from_json(&json!({"alipay_user_id": USER}).to_string()).unwrap(),
    )
    .unwrap();
    let found = s.agreement_query(by_user, caller()).await.unwrap();
    assert_eq!(found.partner_id, PARTNER);
    let nobody = validate::validate_agreement_query(
        &from_json(&json!({"alipay_user_id": OTHER_USER}).to_string()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        code_of(s.agreement_query(nobody, caller()).await),
        "EASY_MEMBER_CONSULT_FAIL"
    );
}

/// A small deterministic PRNG (xorshift64*), so the mix is reproducible without extra crates.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A payment the mix may refund: its `out_biz_no`, trade and discount amounts (yuan).
type Paid = (String, String, String);

fn random_command(rng: &mut Rng, i: usize, paid: &[Paid]) -> serde_json::Value {
    let agreement = match rng.below(10) {
        0 => INVALID_AGREEMENT,
        1..=3 => AGREEMENT_2,
        _ => AGREEMENT,
    };
    let yuan = |r: &mut Rng| format!("{}.{:02}", r.below(5), r.below(100));
    let out = format!("MIX-{i}");
    let mut body = match rng.below(6) {
        0 => task_body(&out, ["签到", "打车1次"][rng.below(2) as usize]),
        1 | 2 if !paid.is_empty() => {
            let (target, trade, discount) = &paid[rng.below(paid.len() as u64) as usize];
            // Half the refunds take exactly what was paid (completing it if nothing was
            // refunded before), the rest random amounts (often too much).
            if rng.below(2) == 0 {
                refund_body(&out, target, trade, discount)
            } else {
                refund_body(&out, target, &yuan(rng), &yuan(rng))
            }
        }
        _ => {
            let mut b = sync_body(&out);
            b["amount_type_data"]["trade_info"]["amount"] = json!(yuan(rng));
            b["amount_type_data"]["out_discount_infos"][0]["discount_amount"] = json!(yuan(rng));
            b
        }
    };
    body["agreement_no"] = json!(agreement);
    match rng.below(20) {
        0 => body["partner_id"] = json!(OTHER_PARTNER),
        1 => body["user_id"] = json!(OTHER_USER),
        2 if i > 0 => body["out_biz_no"] = json!(format!("MIX-{}", rng.below(i as u64))),
        _ => {}
    }
    body
}

async fn random_mix_keeps_totals_equal_to_events_and_rejections_change_nothing(backend: Backend) {
    let (_dir, s) = open_with(backend, false).await;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut paid: Vec<Paid> = Vec::new();
    let (mut accepted, mut rejected) = (0, 0);
    for i in 0..400 {
        let body = random_command(&mut rng, i, &paid);
        let before = (
            s.ledger(AGREEMENT, Page { no: 1, size: 1 })
                .await
                .unwrap()
                .0,
            s.ledger(AGREEMENT_2, Page { no: 1, size: 1 })
                .await
                .unwrap()
                .0,
        );
        match s.sync_cumulation(cmd(&body), caller()).await {
            Ok(r) if !r.replayed => {
                accepted += 1;
                if body["biz_action"] == "ORDER_PAID" && body["cumulate_data_type"] == "AMOUNT" {
                    let amounts = &body["amount_type_data"];
                    let trade = amounts["trade_info"]["amount"].as_str().unwrap().to_owned();
                    let discount = amounts["out_discount_infos"][0]["discount_amount"]
                        .as_str()
                        .unwrap()
                        .to_owned();
                    paid.push((r.out_biz_no, trade, discount));
                }
            }
            Ok(_) => {}
            Err(zhima_server::Error::Rejected(_)) => {
                rejected += 1;
                let after = (
                    s.ledger(AGREEMENT, Page { no: 1, size: 1 })
                        .await
                        .unwrap()
                        .0,
                    s.ledger(AGREEMENT_2, Page { no: 1, size: 1 })
                        .await
                        .unwrap()
                        .0,
                );
                assert_eq!(
                    before, after,
                    "rejected command {i} changed the ledger: {body}"
                );
            }
            Err(e) => panic!("internal error on command {i}: {e}"),
        }
    }
    assert!(
        accepted > 100 && rejected > 50,
        "the mix exercises both paths ({accepted} accepted, {rejected} rejected)"
    );
    let report = s.verify_invariants().await.unwrap();
    assert!(report.is_ok(), "{:#?}", report.violations);
    assert_eq!(report.events_checked, accepted);
    let mut fully_refunded = 0;
    for a in [AGREEMENT, AGREEMENT_2] {
        fully_refunded += s
            .ledger(a, Page { no: 1, size: 1 })
            .await
            .unwrap()
            .0
            .fully_refunded_count;
    }
    assert!(fully_refunded > 0, "the mix completes some refunds");
}

/// The read contract lists the configured records in key order, agreements by page.
async fn configured_records_are_listed_in_key_order(backend: Backend) {
    let (_dir, s) = open(backend).await;
    let seeded = records();
    let app_ids: Vec<String> = s
        .apps()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.app_id)
        .collect();
    let mut want: Vec<String> = seeded.apps.iter().map(|a| a.app_id.clone()).collect();
    want.sort();
    assert_eq!(app_ids, want);
    let mut templates = seeded.templates.clone();
    templates.sort_by(|a, b| a.template_no.cmp(&b.template_no));
    assert_eq!(s.templates().await.unwrap(), templates);
    assert_eq!(s.trades().await.unwrap(), seeded.trades);

    let mut numbers: Vec<String> = seeded
        .agreements
        .iter()
        .map(|a| a.agreement_no.clone())
        .collect();
    numbers.sort();
    let page = |no| Page::new(Some(no), Some(2)).unwrap();
    let mut listed = Vec::new();
    for no in 1..=3 {
        let got = s.agreements(page(no)).await.unwrap();
        assert!(got.len() <= 2, "page {no} has {} agreements", got.len());
        listed.extend(got.into_iter().map(|a| a.agreement_no));
    }
    assert_eq!(listed, numbers);
    assert!(s.agreements(page(4)).await.unwrap().is_empty());
}

on_both_backends!(
    rule_order_access_agreement_mode,
    alipay_trades_are_checked_in_bound_mode,
    refunds_stay_within_the_payment,
    replay_after_settlement_returns_the_original_success,
    settle_check_names_each_field,
    cumulate_query_reads_totals_and_pages_newest_first,
    agreement_query_by_number_or_user,
    random_mix_keeps_totals_equal_to_events_and_rejections_change_nothing,
    configured_records_are_listed_in_key_order,
);
