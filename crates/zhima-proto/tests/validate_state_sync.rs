//! PRODUCT §5 checks 1–3 and 7 (config-free part): every ZMDATA code reachable, the order,
//! and the idempotency fingerprint.

use serde_json::{json, Value};
use zhima_proto::catalog::ZmdataCode::{self, *};
use zhima_proto::models::ZhimaDataStateDataSyncModel;
use zhima_proto::validate::{
    parse_state_sync, validate_biz_data, validate_state_sync_shape, ValidStateSync, Violation,
};

fn base() -> Value {
    json!({
        "user_id": "2088102000000001",
        "out_biz_no": "ZMDS20240520000001",
        "out_principal_id": "1303902",
        "biz_state_code": "CONTRACT_STATE_WATCH_MOVIE_BUY",
        "category_code": "MOVIE",
        "service_id": "2024052000000000000000000001",
        "biz_data": "{\"movie_name\":\"流浪地球\",\"ticket_count\":2}"
    })
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

/// Runs the proto-side checks in the documented order (1–3, then 7a).
fn run(v: &Value) -> Result<ValidStateSync, Violation<ZmdataCode>> {
    let m = parse_state_sync(&v.to_string())?;
    let ok = validate_state_sync_shape(&m)?;
    validate_biz_data(&ok)?;
    Ok(ok)
}

fn expect(v: &Value, code: ZmdataCode, field: &str) {
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
fn the_base_request_is_valid_and_keeps_every_field() {
    let ok = run(&base()).unwrap();
    assert_eq!(ok.service_id, "2024052000000000000000000001");
    assert_eq!(ok.category_code, "MOVIE");
    assert_eq!(ok.out_principal_id, "1303902");
}

#[test]
fn user_id_error() {
    for bad in [
        Value::Null,
        json!(""),
        json!("2088"),
        json!("20881020000000011"),
        json!("1088102000000001"),
        json!("2088１02000000001"),
        json!(" 2088102000000001"),
    ] {
        expect(&with(base(), "user_id", bad), UserIdError, "user_id");
    }
    // A non-string user_id is reported as a user_id error, not a parse failure.
    expect(
        &with(base(), "user_id", json!(2088102000000001u64)),
        UserIdError,
        "user_id",
    );
}

#[test]
fn out_biz_no_null() {
    expect(
        &with(base(), "out_biz_no", Value::Null),
        OutBizNoNull,
        "out_biz_no",
    );
    expect(
        &with(base(), "out_biz_no", json!("")),
        OutBizNoNull,
        "out_biz_no",
    );
    run(&with(base(), "out_biz_no", json!("x".repeat(128)))).unwrap();
    expect(
        &with(base(), "out_biz_no", json!("x".repeat(129))),
        OutBizNoNull,
        "out_biz_no",
    );
}

#[test]
fn out_principal_id_error() {
    expect(
        &with(base(), "out_principal_id", Value::Null),
        OutPrincipalIdError,
        "out_principal_id",
    );
    run(&with(base(), "out_principal_id", json!("影".repeat(128)))).unwrap();
    expect(
        &with(base(), "out_principal_id", json!("影".repeat(129))),
        OutPrincipalIdError,
        "out_principal_id",
    );
}

#[test]
fn biz_data_error() {
    for (bad, why) in [
        (Value::Null, "biz_data"),
        (json!(""), "biz_data"),
        (json!("[1,2]"), "JSON对象"),
        (json!("\"text\""), "JSON对象"),
        (json!("{\"a\":"), "JSON"),
        (json!(format!("{{\"a\":\"{}\"}}", "x".repeat(4090))), "4096"),
    ] {
        expect(&with(base(), "biz_data", bad), BizDataError, why);
    }
    // Exactly 4096 chars is fine; chars, not bytes.
    let fill = "流".repeat(4096 - 8);
    let at_max = format!("{{\"a\":\"{fill}\"}}");
    assert_eq!(at_max.chars().count(), 4096 - 8 + 8);
    run(&with(base(), "biz_data", json!(at_max))).unwrap();
    // biz_data sent as an object instead of a JSON text.
    expect(
        &with(base(), "biz_data", json!({"a": 1})),
        BizDataError,
        "biz_data",
    );
}

#[test]
fn parse_failures_map_to_the_field_code() {
    for (field, code) in [
        ("user_id", UserIdError),
        ("out_biz_no", OutBizNoNull),
        ("out_principal_id", OutPrincipalIdError),
        ("service_id", ServiceIdError),
        ("category_code", CategoryCodeError),
        ("biz_state_code", BizStateCodeError),
        ("biz_data", BizDataError),
    ] {
        expect(&with(base(), field, json!([1])), code, field);
    }
    for text in ["", "not json", "[]", "{} {}"] {
        let e = parse_state_sync(text).unwrap_err();
        assert_eq!(e.code, BizDataError, "{text:?}");
        assert!(e.sub_msg.contains("biz_content"), "{}", e.sub_msg);
    }
}

#[test]
fn checks_run_in_documented_order() {
    let all_bad = json!({"user_id": "x", "biz_data": "[]"});
    expect(&all_bad, UserIdError, "user_id");
    let v = with(all_bad, "user_id", json!("2088102000000001"));
    expect(&v, OutBizNoNull, "out_biz_no");
    let v = with(v, "out_biz_no", json!("1"));
    expect(&v, OutPrincipalIdError, "out_principal_id");
    let v = with(v, "out_principal_id", json!("p"));
    // 4–6 are the server's: shape passes with empty service/category/state...
    let m: ZhimaDataStateDataSyncModel = serde_json::from_value(v.clone()).unwrap();
    let ok = validate_state_sync_shape(&m).unwrap();
    assert_eq!(
        (
            ok.service_id.as_str(),
            ok.category_code.as_str(),
            ok.biz_state_code.as_str()
        ),
        ("", "", "")
    );
    // ...and 7 comes after them.
    expect(&v, BizDataError, "JSON对象");
}

#[test]
fn fingerprint_compares_biz_data_semantically() {
    let fp = |v: &Value| run(v).unwrap().business_fingerprint();
    let original = fp(&base());
    let respelled = with(
        base(),
        "biz_data",
        json!("{ \"ticket_count\": 2, \"movie_name\": \"流浪地球\" }"),
    );
    assert_eq!(fp(&respelled), original);
    let escaped = with(
        base(),
        "biz_data",
        json!("{\"movie_name\":\"\\u6d41\\u6d6a\\u5730\\u7403\",\"ticket_count\":2.0}"),
    );
    assert_eq!(fp(&escaped), original);
    for (field, value) in [
        (
            "biz_data",
            json!("{\"movie_name\":\"流浪地球\",\"ticket_count\":3}"),
        ),
        (
            "biz_state_code",
            json!("CONTRACT_STATE_WATCH_MOVIE_WATCHED"),
        ),
        ("out_principal_id", json!("1303903")),
        ("user_id", json!("2088102000000002")),
        ("category_code", json!("LIVE")),
    ] {
        assert_ne!(fp(&with(base(), field, value)), original, "{field}");
    }
}
