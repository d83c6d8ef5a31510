//! cumulate.query, agreement.query and settle.apply validation, and the settlement check.

use serde_json::{json, Value};
use zhima_proto::catalog::CumulationCode::{self, *};
use zhima_proto::models::{
    self, SettleActionType, SettleAdjustReason, ZhimaCreditPeZmgoAgreementQueryModel,
    ZhimaCreditPeZmgoSettleApplyModel, ZhimaMerchantZmgoCumulateQueryModel,
};
use zhima_proto::money::Fen;
use zhima_proto::validate::{
    check_settle_totals, validate_agreement_query, validate_cumulate_query, validate_settle_apply,
    AgreementSelector, LedgerTotals, ValidSettleApply, Violation,
};

fn model<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    models::from_json(&v.to_string()).unwrap()
}

fn with(mut v: Value, field: &str, new: Value) -> Value {
    let m = v.as_object_mut().unwrap();
    if new.is_null() {
        m.remove(field);
    } else {
        m.insert(field.to_owned(), new);
    }
    v
}

fn assert_violation<T: std::fmt::Debug>(
    r: Result<T, Violation<CumulationCode>>,
    code: CumulationCode,
    field: &str,
) {
    let e = r.expect_err("expected a violation");
    assert_eq!(e.code, code, "{}", e.sub_msg);
    assert!(
        e.sub_msg.contains(field),
        "{:?} should name {field}",
        e.sub_msg
    );
}

// ----- cumulate.query -----

fn query(
    v: &Value,
) -> Result<zhima_proto::validate::ValidCumulateQuery, Violation<CumulationCode>> {
    validate_cumulate_query(&model::<ZhimaMerchantZmgoCumulateQueryModel>(v))
}

#[test]
fn cumulate_query_defaults() {
    let q = query(&json!({"agreement_id": "A1"})).unwrap();
    assert_eq!((q.need_detail, q.page_no, q.page_size), (false, 1, 20));
    assert_eq!(q.offset(), 0);
    let q = query(
        &json!({"agreement_id": "A1", "need_detail": "true", "page_no": "3", "page_size": 100}),
    )
    .unwrap();
    assert_eq!((q.need_detail, q.page_no, q.page_size), (true, 3, 100));
    assert_eq!(q.offset(), 200);
}

#[test]
fn cumulate_query_violations() {
    assert_violation(query(&json!({})), RequestParamIllegal, "agreement_id");
    assert_violation(
        query(&json!({"agreement_id": "x".repeat(65)})),
        RequestParamIllegal,
        "agreement_id",
    );
    assert_violation(
        query(&json!({"agreement_id": "A", "provider_pid": "x".repeat(65)})),
        RequestParamIllegal,
        "provider_pid",
    );
    for bad in [0, -1, 1_000_001, i64::MAX] {
        assert_violation(
            query(&json!({"agreement_id": "A", "page_no": bad})),
            RequestParamIllegal,
            "page_no",
        );
    }
    for bad in [0, 101, -20] {
        assert_violation(
            query(&json!({"agreement_id": "A", "page_size": bad})),
            RequestParamIllegal,
            "page_size",
        );
    }
    // Order: agreement_id before paging.
    assert_violation(
        query(&json!({"page_size": 0})),
        RequestParamIllegal,
        "agreement_id",
    );
}

// ----- agreement.query -----

#[test]
fn agreement_query_selectors() {
    let q = |v: Value| validate_agreement_query(&model::<ZhimaCreditPeZmgoAgreementQueryModel>(&v));
    assert_eq!(
        q(json!({"agreement_id": "A1", "open_id": "x".repeat(500)}))
            .unwrap()
            .selector,
        AgreementSelector::AgreementId("A1".into()),
    );
    assert_eq!(
        q(json!({"open_id": "o"})).unwrap().selector,
        AgreementSelector::User {
            alipay_user_id: None,
            open_id: Some("o".into())
        },
    );
    assert_violation(
        q(json!({"agreement_id": ""})),
        RequestParamIllegal,
        "alipay_user_id",
    );
    assert_violation(
        q(json!({"alipay_user_id": "x".repeat(65)})),
        RequestParamIllegal,
        "alipay_user_id",
    );
    assert_violation(
        q(json!({"agreement_id": "x".repeat(65)})),
        RequestParamIllegal,
        "agreement_id",
    );
}

// ----- settle.apply -----

fn settle_base() -> Value {
    json!({
        "agreement_id": "20195108518085620000",
        "partner_id": "2088621805983504",
        "out_request_no": "S1",
        "withhold_plan_no": "W1",
        "pay_amount": "10.00",
        "total_real_pay_amount": "100.00",
        "total_discount_amount": "8.75",
        "total_task_count": "5",
        "action_type": "DEFAULT_SETTLE"
    })
}

fn settle(v: &Value) -> Result<ValidSettleApply, Violation<CumulationCode>> {
    validate_settle_apply(&model::<ZhimaCreditPeZmgoSettleApplyModel>(v))
}

#[test]
fn settle_apply_valid() {
    let s = settle(&settle_base()).unwrap();
    assert_eq!(s.pay_amount, Fen(1000));
    assert_eq!(s.total_real_pay_amount, Some(Fen(10000)));
    assert_eq!(s.total_discount_amount, Some(Fen(875)));
    assert_eq!(s.total_task_count, Some(5));
    assert_eq!(s.action_type, SettleActionType::DefaultSettle);
    let minimal = settle(&json!({"agreement_id": "A", "partner_id": "P", "out_request_no": "S", "withhold_plan_no": "W", "pay_amount": "0"})).unwrap();
    assert_eq!(minimal.action_type, SettleActionType::DefaultSettle);
    assert_eq!(
        (minimal.total_real_pay_amount, minimal.total_task_count),
        (None, None)
    );
    let zero = with(
        with(settle_base(), "action_type", json!("PAY_TO_ZERO")),
        "pay_amount",
        Value::Null,
    );
    let zero = with(
        zero,
        "settle_extend_params",
        json!({"settle_adjust_reason": "SERVICE_CANCELED"}),
    );
    let s = settle(&zero).unwrap();
    assert_eq!(
        (s.pay_amount, s.settle_adjust_reason),
        (Fen::ZERO, Some(SettleAdjustReason::ServiceCanceled))
    );
}

#[test]
fn settle_apply_each_code() {
    for field in [
        "agreement_id",
        "partner_id",
        "out_request_no",
        "withhold_plan_no",
    ] {
        assert_violation(
            settle(&with(settle_base(), field, Value::Null)),
            RequestParamIllegal,
            field,
        );
    }
    assert_violation(
        settle(&with(settle_base(), "action_type", json!("SETTLE"))),
        RequestParamIllegal,
        "action_type",
    );
    let zero = with(settle_base(), "action_type", json!("PAY_TO_ZERO"));
    assert_violation(settle(&zero), RequestParamIllegal, "settle_adjust_reason");
    let zero = with(
        zero,
        "settle_extend_params",
        json!({"settle_adjust_reason": "BORED"}),
    );
    assert_violation(
        settle(&zero),
        RequestParamIllegal,
        "SERVICE_CANCELED/OTHER_CHANNEL_PERFORMANCE",
    );
    assert_violation(
        settle(&with(settle_base(), "pay_amount", Value::Null)),
        OrderAmountIllegal,
        "pay_amount",
    );
    assert_violation(
        settle(&with(settle_base(), "pay_amount", json!("1.001"))),
        OrderAmountIllegal,
        "pay_amount",
    );
    assert_violation(
        settle(&with(settle_base(), "total_real_pay_amount", json!("-1"))),
        OrderAmountIllegal,
        "total_real_pay_amount",
    );
    assert_violation(
        settle(&with(settle_base(), "total_discount_amount", json!("x"))),
        DiscountAmountIllegal,
        "total_discount_amount",
    );
    for bad in ["-1", "1.5", "1234567890", "x"] {
        assert_violation(
            settle(&with(settle_base(), "total_task_count", json!(bad))),
            RequestParamIllegal,
            "total_task_count",
        );
    }
}

#[test]
fn settle_apply_order() {
    let v = with(
        with(settle_base(), "total_discount_amount", json!("x")),
        "pay_amount",
        json!("x"),
    );
    assert_eq!(settle(&v).unwrap_err().code, OrderAmountIllegal);
    let v = with(v, "action_type", json!("NOPE"));
    assert_eq!(settle(&v).unwrap_err().code, RequestParamIllegal);
    let v = with(
        with(settle_base(), "total_task_count", json!("x")),
        "total_discount_amount",
        json!("x"),
    );
    assert_eq!(settle(&v).unwrap_err().code, DiscountAmountIllegal);
}

#[test]
fn settle_fingerprint_is_semantic() {
    let a = settle(&settle_base()).unwrap().business_fingerprint();
    let b = settle(&with(settle_base(), "pay_amount", json!("10")))
        .unwrap()
        .business_fingerprint();
    let c = settle(&with(settle_base(), "action_type", Value::Null))
        .unwrap()
        .business_fingerprint();
    assert_eq!(a, b);
    assert_eq!(a, c);
    let d = settle(&with(settle_base(), "pay_amount", json!("10.01")))
        .unwrap()
        .business_fingerprint();
    assert_ne!(a, d);
}

#[test]
fn settle_totals_check() {
    let s = settle(&settle_base()).unwrap();
    let ledger = LedgerTotals {
        trade_amount: Fen(10000),
        discount_amount: Fen(875),
        task_count: 5,
    };
    check_settle_totals(&s, &ledger, Fen::ZERO).unwrap();

    let off = LedgerTotals {
        trade_amount: Fen(9950),
        discount_amount: Fen(875),
        task_count: 4,
    };
    let e = check_settle_totals(&s, &off, Fen::ZERO).unwrap_err();
    assert_eq!(e.code, SettleAmountCheckFail);
    assert!(e.sub_msg.starts_with("结算金额校验失败: "), "{}", e.sub_msg);
    assert!(
        e.sub_msg
            .contains("total_real_pay_amount商户传入100.00，平台累计99.50"),
        "{}",
        e.sub_msg
    );
    assert!(
        e.sub_msg.contains("total_task_count商户传入5，平台累计4"),
        "{}",
        e.sub_msg
    );
    assert!(
        !e.sub_msg.contains("total_discount_amount"),
        "{}",
        e.sub_msg
    );

    // Within tolerance for amounts; task counts must match exactly.
    let close = LedgerTotals {
        trade_amount: Fen(9950),
        discount_amount: Fen(925),
        task_count: 5,
    };
    check_settle_totals(&s, &close, Fen(50)).unwrap();
    let e = check_settle_totals(&s, &close, Fen(49)).unwrap_err();
    assert!(e.sub_msg.contains("允许误差0.49"), "{}", e.sub_msg);

    // Totals the merchant did not claim are not compared.
    let unclaimed = settle(&json!({"agreement_id": "A", "partner_id": "P", "out_request_no": "S", "withhold_plan_no": "W", "pay_amount": "1"})).unwrap();
    check_settle_totals(&unclaimed, &off, Fen::ZERO).unwrap();
}
