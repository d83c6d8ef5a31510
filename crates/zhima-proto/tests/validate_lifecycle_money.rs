//! Validation of settle.refund, settle.unfreeze and the merchant cumulate.sync (PRODUCT §11).

use serde_json::{json, Value};
use zhima_proto::catalog::CumulationCode::{
    self, DiscountAmountIllegal, InvalidBizAction, InvalidCumulateType, OrderAmountIllegal,
    RequestParamIllegal,
};
use zhima_proto::models::*;
use zhima_proto::money::Fen;
use zhima_proto::validate::*;

fn model<T: serde::de::DeserializeOwned>(v: Value) -> T {
    from_json(&v.to_string()).unwrap()
}

fn with(mut base: Value, path: &[&str], value: Value) -> Value {
    let mut at = &mut base;
    for p in &path[..path.len() - 1] {
        at = at.as_object_mut().unwrap().entry(*p).or_insert(json!({}));
    }
    let obj = at.as_object_mut().unwrap();
    if value.is_null() {
        obj.remove(path[path.len() - 1]);
    } else {
        obj.insert(path[path.len() - 1].into(), value);
    }
    base
}

fn assert_violation<T: std::fmt::Debug>(
    r: Result<T, Violation<CumulationCode>>,
    code: CumulationCode,
    field: &str,
) {
    let v = r.expect_err("should be refused");
    assert_eq!(v.code, code, "{v}");
    assert!(
        v.sub_msg.contains(field),
        "{field} not named in {}",
        v.sub_msg
    );
}

fn refund() -> Value {
    json!({"agreement_id": "A", "partner_id": "P", "out_request_no": "R", "withhold_plan_no": "W", "refund_amount": "1.50"})
}

#[test]
fn refund_rules() {
    let v = validate_settle_refund(&model(refund())).unwrap();
    assert_eq!(v.refund_amount, Fen::parse_yuan("1.50").unwrap());
    let n = validate_settle_refund(&model(with(refund(), &["refund_amount"], json!(1.5)))).unwrap();
    assert_eq!(
        n.refund_amount, v.refund_amount,
        "a number is read as its text"
    );
    for f in [
        "agreement_id",
        "partner_id",
        "out_request_no",
        "withhold_plan_no",
    ] {
        assert_violation(
            validate_settle_refund(&model(with(refund(), &[f], Value::Null))),
            RequestParamIllegal,
            f,
        );
    }
    for bad in [
        json!("0"),
        json!("0.00"),
        json!("-1"),
        json!("1.001"),
        Value::Null,
    ] {
        assert_violation(
            validate_settle_refund(&model(with(refund(), &["refund_amount"], bad))),
            OrderAmountIllegal,
            "refund_amount",
        );
    }
    let other = validate_settle_refund(&model(with(refund(), &["memo"], json!("m")))).unwrap();
    assert_ne!(v.business_fingerprint(), other.business_fingerprint());
}

fn unfreeze() -> Value {
    json!({"agreement_id": "A", "partner_id": "P", "out_request_no": "U", "unfreeze_amount": "2"})
}

#[test]
fn unfreeze_rules() {
    let v = validate_settle_unfreeze(&model(unfreeze())).unwrap();
    assert_eq!(v.unfreeze_amount, Fen::parse_yuan("2").unwrap());
    let full = with(
        with(unfreeze(), &["biz_time"], json!("2026-01-01 00:00:00")),
        &["unfreeze_extend_params", "quit_type"],
        json!("USER_CANCEL_QUIT"),
    );
    let v = validate_settle_unfreeze(&model(full)).unwrap();
    assert_eq!(v.quit_type.as_deref(), Some("USER_CANCEL_QUIT"));
    for f in ["agreement_id", "partner_id", "out_request_no"] {
        assert_violation(
            validate_settle_unfreeze(&model(with(unfreeze(), &[f], Value::Null))),
            RequestParamIllegal,
            f,
        );
    }
    assert_violation(
        validate_settle_unfreeze(&model(with(unfreeze(), &["unfreeze_amount"], json!("0")))),
        OrderAmountIllegal,
        "unfreeze_amount",
    );
    assert_violation(
        validate_settle_unfreeze(&model(with(unfreeze(), &["biz_time"], json!("2026/01/01")))),
        RequestParamIllegal,
        "biz_time",
    );
}

fn sync() -> Value {
    json!({"agreement_id": "A", "provider_pid": "P", "out_biz_no": "M1", "biz_time": "2026-01-01 10:00:00",
           "biz_action": "POSITIVE", "data_type": "TASK", "times_type_sync_data": {"task_times": 2, "task_amount": "3.57"}})
}

#[test]
fn merchant_sync_minimal_and_kinds() {
    let v = validate_merchant_cumulate_sync(&model(sync())).unwrap();
    assert_eq!(v.sub_biz_action, SubBizAction::Add);
    assert!(matches!(
        v.data,
        MerchantSyncData::Times { task_times: 2, .. }
    ));
    let amount = with(
        with(sync(), &["times_type_sync_data"], Value::Null),
        &["amount_type_sync_data"],
        json!({"task_amount": "3.57", "discount_amount": "1", "has_alipay_trade": true, "trade_no": "T"}),
    );
    let v = validate_merchant_cumulate_sync(&model(amount)).unwrap();
    assert!(matches!(
        v.data,
        MerchantSyncData::Amount {
            has_alipay_trade: true,
            ..
        }
    ));
    let discount = with(
        with(
            with(sync(), &["times_type_sync_data"], Value::Null),
            &["data_type"],
            json!("DISCOUNT"),
        ),
        &["discount_type_sync_data"],
        json!({"discount_amount": "0.5"}),
    );
    let v = validate_merchant_cumulate_sync(&model(discount)).unwrap();
    assert_eq!(v.data_type, SyncDataType::Discount);
    let reverse = with(
        with(sync(), &["biz_action"], json!("REVERSE")),
        &["refer_out_biz_no"],
        json!("M0"),
    );
    let v = validate_merchant_cumulate_sync(&model(reverse)).unwrap();
    assert_eq!(
        (v.biz_action, v.refer_out_biz_no.as_deref()),
        (MerchantBizAction::Reverse, Some("M0"))
    );
    let a = validate_merchant_cumulate_sync(&model(sync())).unwrap();
    let b = validate_merchant_cumulate_sync(&model(with(
        sync(),
        &["times_type_sync_data", "task_times"],
        json!(3),
    )))
    .unwrap();
    assert_ne!(a.business_fingerprint(), b.business_fingerprint());
}

#[test]
fn merchant_sync_violations() {
    let r = |v: Value| validate_merchant_cumulate_sync(&model(v));
    for f in ["agreement_id", "provider_pid", "out_biz_no", "biz_time"] {
        assert_violation(r(with(sync(), &[f], Value::Null)), RequestParamIllegal, f);
    }
    assert_violation(
        r(with(sync(), &["biz_action"], json!("ORDER_PAID"))),
        InvalidBizAction,
        "biz_action",
    );
    assert_violation(
        r(with(sync(), &["biz_action"], Value::Null)),
        InvalidBizAction,
        "biz_action",
    );
    assert_violation(
        r(with(sync(), &["sub_biz_action"], json!("DELETE"))),
        InvalidBizAction,
        "sub_biz_action",
    );
    assert_violation(
        r(with(sync(), &["biz_action"], json!("REVERSE"))),
        RequestParamIllegal,
        "refer_out_biz_no",
    );
    assert_violation(
        r(with(sync(), &["sub_biz_action"], json!("UPDATE"))),
        RequestParamIllegal,
        "refer_out_biz_no",
    );
    assert_violation(
        r(with(
            with(sync(), &["sub_biz_action"], json!("UPDATE")),
            &["refer_out_biz_no"],
            json!("M1"),
        )),
        RequestParamIllegal,
        "refer_out_biz_no",
    );
    assert_violation(
        r(with(sync(), &["data_type"], json!("AMOUNT"))),
        InvalidCumulateType,
        "data_type",
    );
    assert_violation(
        r(with(sync(), &["times_type_sync_data"], Value::Null)),
        InvalidCumulateType,
        "times_type_sync_data",
    );
    assert_violation(
        r(with(sync(), &["amount_type_sync_data"], json!({}))),
        InvalidCumulateType,
        "amount_type_sync_data",
    );
    assert_violation(
        r(with(sync(), &["data_type"], json!("DISCOUNT"))),
        InvalidCumulateType,
        "discount_type_sync_data",
    );
    assert_violation(
        r(with(
            sync(),
            &["times_type_sync_data", "task_times"],
            json!(0),
        )),
        RequestParamIllegal,
        "times_type_sync_data.task_times",
    );
    assert_violation(
        r(with(
            sync(),
            &["times_type_sync_data", "task_times"],
            Value::Null,
        )),
        RequestParamIllegal,
        "times_type_sync_data.task_times",
    );
    assert_violation(
        r(with(
            sync(),
            &["times_type_sync_data", "task_amount"],
            json!("x"),
        )),
        OrderAmountIllegal,
        "times_type_sync_data.task_amount",
    );
    assert_violation(
        r(with(
            sync(),
            &["times_type_sync_data", "discount_amount"],
            json!("x"),
        )),
        DiscountAmountIllegal,
        "times_type_sync_data.discount_amount",
    );
}
