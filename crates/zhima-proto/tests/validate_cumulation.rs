//! PRODUCT §4 rule 1: every code reachable with a request broken in exactly one way, the
//! documented order when two things are broken, and the idempotency fingerprint.

use chrono::{DateTime, Duration, FixedOffset};
use serde_json::{json, Value};
use zhima_proto::catalog::CumulationCode::{self, *};
use zhima_proto::models::ZhimaCreditPeZmgoCumulationSyncModel;
use zhima_proto::time::parse_alipay_datetime;
use zhima_proto::validate::{parse_cumulation, validate_cumulation, ValidCumulation, Violation};

/// PROTOCOL §C6's v3 body, as a JSON value to break.
fn base() -> Value {
    json!({
        "agreement_no": "20195108518085620000",
        "user_id": "2088602002015001",
        "partner_id": "2088621805983504",
        "out_biz_no": "2020081211223006150094012926289",
        "biz_action": "ORDER_PAID",
        "biz_time": "2024-05-20 10:00:00",
        "cumulate_data_type": "AMOUNT",
        "request_from": "ExternalMerchantSource",
        "has_alipay_trade": false,
        "amount_type_data": {
            "name": "累计消费",
            "trade_info": {"trade_no": "2020081722001435461000061785", "amount": "3.57"},
            "out_discount_infos": [
                {"discount_name": "滴滴打车优惠001", "discount_type": "exclusiveBenefit", "discount_amount": "8.75"}
            ]
        },
        "ext_info": "{\"number\":\"20200303938282939\"}"
    })
}

fn now() -> DateTime<FixedOffset> {
    parse_alipay_datetime("2024-05-20 10:00:00").unwrap()
}

fn run(v: &Value) -> Result<ValidCumulation, Violation<CumulationCode>> {
    let m: ZhimaCreditPeZmgoCumulationSyncModel = serde_json::from_value(v.clone()).unwrap();
    validate_cumulation(&m, now(), Duration::minutes(15))
}

/// Sets (or with `Value::Null`, removes) the field at a `/`-separated JSON pointer.
fn with(mut v: Value, pointer: &str, new: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = v
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent}"));
    match (target, new) {
        (Value::Object(m), Value::Null) => {
            m.remove(key);
        }
        (Value::Object(m), new) => {
            m.insert(key.to_owned(), new);
        }
        (Value::Array(a), new) => a[key.parse::<usize>().unwrap()] = new,
        _ => panic!("{pointer} is not in an object or array"),
    }
    v
}

fn expect(v: &Value, code: CumulationCode, field: &str) {
    let err = run(v).expect_err(&format!("expected {code} for {v}"));
    assert_eq!(err.code, code, "{}", err.sub_msg);
    assert!(
        err.sub_msg.starts_with(code.default_message()),
        "{}",
        err.sub_msg
    );
    assert!(
        err.sub_msg.contains(field),
        "{:?} should name {field}",
        err.sub_msg
    );
}

#[test]
fn the_base_request_is_valid() {
    run(&base()).unwrap();
}

#[test]
fn request_param_illegal_for_each_missing_required_field() {
    for field in [
        "agreement_no",
        "partner_id",
        "out_biz_no",
        "biz_action",
        "biz_time",
        "cumulate_data_type",
        "request_from",
    ] {
        expect(
            &with(base(), &format!("/{field}"), Value::Null),
            RequestParamIllegal,
            field,
        );
        // Empty and blank strings are absent too (SDKs drop empty values).
        expect(
            &with(base(), &format!("/{field}"), json!("")),
            RequestParamIllegal,
            field,
        );
        expect(
            &with(base(), &format!("/{field}"), json!("  ")),
            RequestParamIllegal,
            field,
        );
    }
    expect(
        &with(base(), "/user_id", Value::Null),
        RequestParamIllegal,
        "open_id",
    );
    let open_id_only = with(
        with(base(), "/user_id", Value::Null),
        "/open_id",
        json!("074a1C"),
    );
    run(&open_id_only).unwrap();
}

#[test]
fn request_param_illegal_for_each_length_limit() {
    let long = |n: usize| json!("9".repeat(n));
    for (pointer, max) in [
        ("/agreement_no", 64),
        ("/partner_id", 64),
        ("/out_biz_no", 128),
        ("/user_id", 64),
        ("/ext_info", 2048),
        ("/amount_type_data/name", 128),
        ("/amount_type_data/trade_info/trade_no", 64),
        ("/amount_type_data/out_discount_infos/0/discount_name", 128),
    ] {
        let field = pointer.rsplit('/').next().unwrap();
        let at_max = with(base(), pointer, long(max));
        run(&at_max).unwrap_or_else(|e| panic!("{pointer} at {max}: {e}"));
        expect(
            &with(base(), pointer, long(max + 1)),
            RequestParamIllegal,
            field,
        );
    }
    // Characters, not bytes: 128 CJK characters are fine.
    run(&with(
        base(),
        "/amount_type_data/name",
        json!("累".repeat(128)),
    ))
    .unwrap();
    let refund = with(
        with(base(), "/biz_action", json!("ORDER_REFUND")),
        "/pay_out_biz_no",
        long(129),
    );
    expect(&refund, RequestParamIllegal, "pay_out_biz_no");
}

#[test]
fn invalid_biz_action() {
    expect(
        &with(base(), "/biz_action", json!("ORDER_CANCEL")),
        InvalidBizAction,
        "biz_action",
    );
    expect(
        &with(base(), "/biz_action", json!("order_paid")),
        InvalidBizAction,
        "ORDER_PAID/ORDER_REFUND",
    );
}

#[test]
fn invalid_cumulate_type_for_bad_type_or_missing_block() {
    expect(
        &with(base(), "/cumulate_data_type", json!("POINTS")),
        InvalidCumulateType,
        "cumulate_data_type",
    );
    expect(
        &with(base(), "/amount_type_data", Value::Null),
        InvalidCumulateType,
        "amount_type_data",
    );
    expect(
        &with(base(), "/amount_type_data/name", json!("")),
        InvalidCumulateType,
        "amount_type_data.name",
    );
    let task = with(
        with(base(), "/cumulate_data_type", json!("TASK")),
        "/amount_type_data",
        Value::Null,
    );
    expect(&task, InvalidCumulateType, "task_type_data");
    expect(
        &with(task.clone(), "/task_type_data", json!({})),
        InvalidCumulateType,
        "task_type_data.name",
    );
    let ok = run(&with(task, "/task_type_data", json!({"name": "打车1次"}))).unwrap();
    assert_eq!(ok.task_name.as_deref(), Some("打车1次"));
    let amount_task = with(base(), "/cumulate_data_type", json!("AMOUNT_TASK"));
    assert_eq!(run(&amount_task).unwrap().task_name, None);
    expect(
        &with(amount_task.clone(), "/task_type_data", json!({"name": ""})),
        InvalidCumulateType,
        "task_type_data.name",
    );
    expect(
        &with(amount_task, "/amount_type_data", Value::Null),
        InvalidCumulateType,
        "amount_type_data",
    );
}

#[test]
fn blocks_the_type_does_not_use_are_ignored() {
    let task = with(base(), "/cumulate_data_type", json!("TASK"));
    let task = with(task, "/task_type_data", json!({"name": "t"}));
    // A broken amount block is not looked at for TASK.
    let ok = run(&with(
        task,
        "/amount_type_data/trade_info/amount",
        json!("bad"),
    ))
    .unwrap();
    assert_eq!(ok.amount, None);
    let amount = with(base(), "/task_type_data", json!({}));
    assert_eq!(run(&amount).unwrap().task_name, None);
}

#[test]
fn request_param_illegal_for_conditional_and_nested_fields() {
    let refund = with(base(), "/biz_action", json!("ORDER_REFUND"));
    expect(&refund, RequestParamIllegal, "pay_out_biz_no");
    let ok = run(&with(refund, "/pay_out_biz_no", json!("P1"))).unwrap();
    assert_eq!(ok.pay_out_biz_no.as_deref(), Some("P1"));
    // pay_out_biz_no on a payment is dropped.
    assert_eq!(
        run(&with(base(), "/pay_out_biz_no", json!("P1")))
            .unwrap()
            .pay_out_biz_no,
        None
    );

    let d = "/amount_type_data/out_discount_infos/0";
    expect(
        &with(base(), &format!("{d}/discount_name"), Value::Null),
        RequestParamIllegal,
        "out_discount_infos[0].discount_name",
    );
    expect(
        &with(base(), &format!("{d}/discount_type"), Value::Null),
        RequestParamIllegal,
        "out_discount_infos[0].discount_type",
    );
    expect(
        &with(base(), &format!("{d}/discount_type"), json!("cashback")),
        RequestParamIllegal,
        "exclusiveBenefit/exclusiveDiscount/appreciationBenefit/memberPoint",
    );
    let many = json!(vec![
        json!({"discount_name": "d", "discount_type": "memberPoint", "discount_amount": "1"});
        51
    ]);
    expect(
        &with(base(), "/amount_type_data/out_discount_infos", many),
        RequestParamIllegal,
        "out_discount_infos",
    );
    expect(
        &with(base(), "/request_from", json!("Merchant")),
        RequestParamIllegal,
        "request_from",
    );
}

#[test]
fn order_amount_illegal() {
    let p = "/amount_type_data/trade_info/amount";
    for bad in ["3.571", "-3.57", "3,57", "1e2", "", "12345678901", " 3.57"] {
        expect(
            &with(base(), p, json!(bad)),
            OrderAmountIllegal,
            "trade_info.amount",
        );
    }
    expect(
        &with(base(), p, Value::Null),
        OrderAmountIllegal,
        "trade_info.amount",
    );
    let ok = run(&with(base(), p, json!("03.5"))).unwrap();
    assert_eq!(ok.trade_amount().as_i64(), 350);
    // Without trade_info there is no trade amount to check.
    let ok = run(&with(base(), "/amount_type_data/trade_info", Value::Null)).unwrap();
    assert_eq!(ok.trade_amount().as_i64(), 0);
}

#[test]
fn discount_amount_illegal() {
    let p = "/amount_type_data/out_discount_infos/0/discount_amount";
    for bad in ["8.755", "abc", "8.", ".75"] {
        expect(
            &with(base(), p, json!(bad)),
            DiscountAmountIllegal,
            "out_discount_infos[0].discount_amount",
        );
    }
    expect(
        &with(base(), p, Value::Null),
        DiscountAmountIllegal,
        "discount_amount",
    );
}

#[test]
fn biz_time_format_and_future_limit() {
    for bad in [
        "2024/05/20 10:00:00",
        "2024-05-20",
        "2024-05-20 10:00:00.000",
        "1716170400000",
    ] {
        expect(
            &with(base(), "/biz_time", json!(bad)),
            RequestParamIllegal,
            "biz_time",
        );
    }
    // now = 10:00:00, skew 15 min: 10:15:00 is the last accepted instant.
    run(&with(base(), "/biz_time", json!("2024-05-20 10:15:00"))).unwrap();
    expect(
        &with(base(), "/biz_time", json!("2024-05-20 10:15:01")),
        RequestParamIllegal,
        "biz_time",
    );
    // Long past is fine (the agreement period does not limit syncs).
    run(&with(base(), "/biz_time", json!("2001-01-01 00:00:00"))).unwrap();
    // …down to the floor of 2000-01-01 00:00:00 (UTC+8); earlier is absurd, not history.
    run(&with(base(), "/biz_time", json!("2000-01-01 00:00:00"))).unwrap();
    for ancient in ["1999-12-31 23:59:59", "0000-01-01 00:00:00"] {
        expect(
            &with(base(), "/biz_time", json!(ancient)),
            RequestParamIllegal,
            "biz_time",
        );
    }
    // An enormous skew does not overflow.
    let m: ZhimaCreditPeZmgoCumulationSyncModel = serde_json::from_value(base()).unwrap();
    validate_cumulation(&m, now(), Duration::MAX).unwrap();
}

#[test]
fn with_two_faults_the_earlier_check_decides() {
    let bad_time = with(base(), "/biz_time", json!("tomorrow"));
    let bad_discount = with(
        base(),
        "/amount_type_data/out_discount_infos/0/discount_amount",
        json!("x"),
    );
    let bad_trade = with(base(), "/amount_type_data/trade_info/amount", json!("x"));
    let pairs: Vec<(Value, &str, Value, CumulationCode)> = vec![
        // required beats enum
        (
            with(base(), "/agreement_no", Value::Null),
            "/biz_action",
            json!("NOPE"),
            RequestParamIllegal,
        ),
        // biz_action beats cumulate_data_type
        (
            with(base(), "/cumulate_data_type", json!("NOPE")),
            "/biz_action",
            json!("NOPE"),
            InvalidBizAction,
        ),
        // cumulate_data_type beats request_from and amounts
        (
            with(base(), "/request_from", json!("x")),
            "/cumulate_data_type",
            json!("NOPE"),
            InvalidCumulateType,
        ),
        (
            bad_trade.clone(),
            "/cumulate_data_type",
            json!("NOPE"),
            InvalidCumulateType,
        ),
        // request_from beats amounts and biz_time
        (
            bad_trade.clone(),
            "/request_from",
            json!("x"),
            RequestParamIllegal,
        ),
        // trade amount beats discount amount
        (
            bad_discount.clone(),
            "/amount_type_data/trade_info/amount",
            json!("x"),
            OrderAmountIllegal,
        ),
        // amounts beat biz_time
        (
            bad_time.clone(),
            "/amount_type_data/trade_info/amount",
            json!("x"),
            OrderAmountIllegal,
        ),
        (
            bad_time.clone(),
            "/amount_type_data/out_discount_infos/0/discount_amount",
            json!("x"),
            DiscountAmountIllegal,
        ),
        // a missing required field beats everything after it
        (bad_trade, "/agreement_no", Value::Null, RequestParamIllegal),
        (bad_time, "/biz_action", json!("NOPE"), InvalidBizAction),
    ];
    for (broken, pointer, value, code) in pairs {
        let v = with(broken, pointer, value);
        assert_eq!(run(&v).unwrap_err().code, code, "{v}");
    }
    // Among required fields, the documented field order decides.
    let v = with(
        with(base(), "/agreement_no", Value::Null),
        "/partner_id",
        Value::Null,
    );
    assert!(run(&v).unwrap_err().sub_msg.contains("agreement_no"));
    let v = with(
        with(base(), "/out_biz_no", Value::Null),
        "/request_from",
        Value::Null,
    );
    assert!(run(&v).unwrap_err().sub_msg.contains("out_biz_no"));
}

#[test]
fn body_that_does_not_fit_the_model_is_request_param_illegal() {
    for (text, field) in [
        ("not json", "body"),
        ("[]", "body"),
        (r#"{"agreement_no": 123}"#, "agreement_no"),
        (r#"{"has_alipay_trade": "yes"}"#, "has_alipay_trade"),
        (
            r#"{"amount_type_data": {"out_discount_infos": {}}}"#,
            "amount_type_data.out_discount_infos",
        ),
        // Derived structs would accept arrays positionally; the wire never means that.
        (r#"{"amount_type_data": []}"#, "amount_type_data"),
        (
            r#"{"amount_type_data": {"trade_info": ["1", "2"]}}"#,
            "amount_type_data.trade_info",
        ),
        (
            r#"{"amount_type_data": {"out_discount_infos": [[]]}}"#,
            "amount_type_data.out_discount_infos[0]",
        ),
        (r#"{"task_type_data": 1}"#, "task_type_data"),
    ] {
        let e = parse_cumulation(text).unwrap_err();
        assert_eq!(e.code, RequestParamIllegal);
        assert!(
            e.sub_msg.contains(field),
            "{:?} should name {field}",
            e.sub_msg
        );
    }
}

#[test]
fn fingerprint_ignores_spelling_but_not_content() {
    let fp = |v: &Value| run(v).unwrap().business_fingerprint();
    let original = fp(&base());
    // Same content, different spelling.
    let respelled = r#"{ "ext_info":"{ \"number\" : \"20200303938282939\" }", "request_from":"ExternalMerchantSource",
        "cumulate_data_type":"AMOUNT","biz_time":"2024-05-20 10:00:00","biz_action":"ORDER_PAID",
        "out_biz_no":"2020081211223006150094012926289","partner_id":"2088621805983504","user_id":"2088602002015001",
        "agreement_no":"20195108518085620000",
        "amount_type_data":{"out_discount_infos":[{"discount_amount":"8.75","discount_type":"exclusiveBenefit","discount_name":"滴滴打车优惠001"}],
        "trade_info":{"amount":"3.57","trade_no":"2020081722001435461000061785"},"name":"累计消费"}}"#;
    let m = parse_cumulation(respelled).unwrap();
    let again = validate_cumulation(&m, now(), Duration::minutes(15)).unwrap();
    assert_eq!(again.business_fingerprint(), original);
    assert_eq!(
        fp(&with(base(), "/has_alipay_trade", Value::Null)),
        original
    );
    let decimals = with(
        base(),
        "/amount_type_data/out_discount_infos/0/discount_amount",
        json!("08.75"),
    );
    assert_eq!(fp(&decimals), original);
    assert_eq!(
        fp(&with(
            base(),
            "/amount_type_data/trade_info/amount",
            json!("3.50")
        )),
        fp(&with(
            base(),
            "/amount_type_data/trade_info/amount",
            json!("3.5")
        ))
    );

    // Different content.
    for (pointer, value) in [
        ("/amount_type_data/trade_info/amount", json!("3.58")),
        (
            "/amount_type_data/out_discount_infos/0/discount_type",
            json!("memberPoint"),
        ),
        ("/amount_type_data/name", json!("累计消费2")),
        ("/biz_time", json!("2024-05-20 09:59:59")),
        ("/has_alipay_trade", json!(true)),
        ("/ext_info", json!("{\"number\":\"1\"}")),
        ("/user_id", json!("2088602002015002")),
        ("/agreement_no", json!("20195108518085620001")),
    ] {
        assert_ne!(fp(&with(base(), pointer, value)), original, "{pointer}");
    }
}
