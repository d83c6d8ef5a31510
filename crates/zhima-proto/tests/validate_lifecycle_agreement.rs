//! Validation of the template, preorder and agreement lifecycle APIs (PRODUCT §11): minimal
//! and maximal valid inputs, and each rule's exact code and field.

use serde_json::{json, Value};
use zhima_proto::catalog::CumulationCode::{self, OrderAmountIllegal, RequestParamIllegal};
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
    assert!(
        v.sub_msg.starts_with(code.default_message()),
        "{}",
        v.sub_msg
    );
}

fn template() -> Value {
    json!({"basic_config": {"partner_id": "2088P", "out_biz_no": "T1", "template_name": "GO"}})
}

#[test]
fn template_minimal_and_maximal() {
    let v = validate_template_create(&model(template())).unwrap();
    assert_eq!(
        (v.partner_id.as_str(), v.out_biz_no.as_str()),
        ("2088P", "T1")
    );
    assert_eq!(v.period, None);
    let full = with(
        with(
            with(
                template(),
                &["open_config", "period_mode"],
                json!("RELATIVE_DATE"),
            ),
            &["open_config", "period_time"],
            json!("30"),
        ),
        &["open_config", "freeze_amount"],
        json!("9.90"),
    );
    let full = with(full, &["obligation_config", "obligation_times"], json!(3));
    let full = with(
        full,
        &["obligation_config", "obligation_amount"],
        json!("100"),
    );
    let v = validate_template_create(&model(full.clone())).unwrap();
    let p = v.period.clone().unwrap();
    assert_eq!((p.mode, p.time), (PeriodMode::RelativeDate, Some(30)));
    assert_eq!(v.freeze_amount, Some(Fen::parse_yuan("9.90").unwrap()));
    assert_eq!(v.obligation_times, Some(3));
    assert_eq!(v.obligation_amount, Some(Fen::parse_yuan("100").unwrap()));
    // The fingerprint ignores key order and whitespace, not content.
    let again = validate_template_create(&model(full.clone())).unwrap();
    assert_eq!(v.business_fingerprint(), again.business_fingerprint());
    let other = with(full, &["open_config", "freeze_amount"], json!("9.91"));
    let other = validate_template_create(&model(other)).unwrap();
    assert_ne!(v.business_fingerprint(), other.business_fingerprint());
}

#[test]
fn template_periods() {
    let t = |mode: &str, time: Value, appoint: Value| {
        let v = with(template(), &["open_config", "period_mode"], json!(mode));
        let v = with(v, &["open_config", "period_time"], time);
        validate_template_create(&model(with(v, &["open_config", "appoint_date"], appoint)))
    };
    let ok = t("APPOINT_DATE", Value::Null, json!("2026-06-01 00:00:00")).unwrap();
    assert_eq!(
        ok.period.unwrap().appoint_date.as_deref(),
        Some("2026-06-01 00:00:00")
    );
    let ok = t("FIX_DATE", json!("2"), json!("3")).unwrap();
    assert_eq!(ok.period.unwrap().appoint_date.as_deref(), Some("3"));
    assert_violation(
        t("MONTHLY", json!("1"), Value::Null),
        RequestParamIllegal,
        "open_config.period_mode",
    );
    assert_violation(
        t("RELATIVE_DATE", Value::Null, Value::Null),
        RequestParamIllegal,
        "open_config.period_time",
    );
    assert_violation(
        t("RELATIVE_DATE", json!("0"), Value::Null),
        RequestParamIllegal,
        "open_config.period_time",
    );
    assert_violation(
        t("ABSOLATE_DATE", json!("x"), Value::Null),
        RequestParamIllegal,
        "open_config.period_time",
    );
    assert_violation(
        t("APPOINT_DATE", Value::Null, Value::Null),
        RequestParamIllegal,
        "open_config.appoint_date",
    );
    assert_violation(
        t("APPOINT_DATE", Value::Null, json!("2026-06-01")),
        RequestParamIllegal,
        "open_config.appoint_date",
    );
    assert_violation(
        t("FIX_DATE", json!("1"), json!("32")),
        RequestParamIllegal,
        "open_config.appoint_date",
    );
}

#[test]
fn template_required_fields_and_amounts() {
    assert_violation(
        validate_template_create(&model(json!({}))),
        RequestParamIllegal,
        "basic_config",
    );
    for f in ["partner_id", "out_biz_no", "template_name"] {
        let v = with(template(), &["basic_config", f], Value::Null);
        assert_violation(
            validate_template_create(&model(v)),
            RequestParamIllegal,
            &format!("basic_config.{f}"),
        );
    }
    let long = with(
        template(),
        &["basic_config", "partner_id"],
        json!("p".repeat(65)),
    );
    assert_violation(
        validate_template_create(&model(long)),
        RequestParamIllegal,
        "basic_config.partner_id",
    );
    let bad = with(
        template(),
        &["open_config", "freeze_amount"],
        json!("1.234"),
    );
    assert_violation(
        validate_template_create(&model(bad)),
        OrderAmountIllegal,
        "open_config.freeze_amount",
    );
    let bad = with(
        template(),
        &["obligation_config", "obligation_times"],
        json!("-1"),
    );
    assert_violation(
        validate_template_create(&model(bad)),
        RequestParamIllegal,
        "obligation_config.obligation_times",
    );
}

#[test]
fn template_query_and_pre_consult() {
    let q =
        validate_template_query(&model(json!({"partner_id": "P", "template_no": "T"}))).unwrap();
    assert_eq!(q.template_no, "T");
    assert_violation(
        validate_template_query(&model(json!({"partner_id": "P"}))),
        RequestParamIllegal,
        "template_no",
    );
    assert_violation(
        validate_template_query(&model(json!({"template_no": "T"}))),
        RequestParamIllegal,
        "partner_id",
    );

    let base = json!({"partner_id": "P", "template_id": "T", "open_id": "O"});
    let c = validate_pre_consult(&model(base.clone())).unwrap();
    assert_eq!(
        c.user,
        UserRef {
            user_id: None,
            open_id: Some("O".into())
        }
    );
    assert_violation(
        validate_pre_consult(&model(with(base.clone(), &["open_id"], Value::Null))),
        RequestParamIllegal,
        "alipay_user_id",
    );
    assert_violation(
        validate_pre_consult(&model(with(base.clone(), &["template_id"], Value::Null))),
        RequestParamIllegal,
        "template_id",
    );
    assert_violation(
        validate_pre_consult(&model(with(base, &["phone"], json!("1".repeat(33))))),
        RequestParamIllegal,
        "phone",
    );
}

fn preorder() -> Value {
    json!({"partner_id": "P", "template_id": "T", "out_request_no": "R1", "alipay_user_id": "2088U"})
}

#[test]
fn preorder_timeout_express_and_defaults() {
    let v = validate_preorder_create(&model(preorder())).unwrap();
    assert_eq!(v.timeout_secs, DEFAULT_TIMEOUT_EXPRESS_SECS);
    assert_eq!(v.timeout_secs, 900);
    for (raw, secs) in [
        ("15m", 900),
        ("2h", 7200),
        ("1d", 86_400),
        ("15d", MAX_TIMEOUT_EXPRESS_SECS),
    ] {
        let v =
            validate_preorder_create(&model(with(preorder(), &["timeout_express"], json!(raw))))
                .unwrap();
        assert_eq!(v.timeout_secs, secs, "{raw}");
    }
    for raw in ["0m", "16d", "15", "m", "1.5h", "1w", "+1h", "1H"] {
        let r =
            validate_preorder_create(&model(with(preorder(), &["timeout_express"], json!(raw))));
        assert_violation(r, RequestParamIllegal, "timeout_express");
    }
}

/// Found by fuzzing (`models`): a unit that is a multi-byte character split the text inside
/// it and panicked; it is a `timeout_express` violation like any other unit.
#[test]
fn timeout_express_with_a_multi_byte_unit_is_a_violation_not_a_panic() {
    for raw in ["1分", "m\u{95}", "15天", "é", "1m\u{301}"] {
        let r =
            validate_preorder_create(&model(with(preorder(), &["timeout_express"], json!(raw))));
        assert_violation(r, RequestParamIllegal, "timeout_express");
        let r = validate_sign_apply(&model(
            json!({"partner_id": "P", "template_id": "T", "timeout_express": raw}),
        ));
        assert_violation(r, RequestParamIllegal, "timeout_express");
    }
}

#[test]
fn preorder_rules() {
    let full = with(
        with(preorder(), &["freeze_amount"], json!("0.01")),
        &["biz_time"],
        json!("2026-01-02 03:04:05"),
    );
    let v = validate_preorder_create(&model(full)).unwrap();
    assert_eq!(v.freeze_amount, Some(Fen::parse_yuan("0.01").unwrap()));
    assert_eq!(v.biz_time.as_deref(), Some("2026-01-02 03:04:05"));
    for f in ["partner_id", "template_id", "out_request_no"] {
        assert_violation(
            validate_preorder_create(&model(with(preorder(), &[f], Value::Null))),
            RequestParamIllegal,
            f,
        );
    }
    assert_violation(
        validate_preorder_create(&model(with(preorder(), &["alipay_user_id"], Value::Null))),
        RequestParamIllegal,
        "alipay_open_id",
    );
    assert_violation(
        validate_preorder_create(&model(with(preorder(), &["biz_time"], json!("yesterday")))),
        RequestParamIllegal,
        "biz_time",
    );
    assert_violation(
        validate_preorder_create(&model(with(preorder(), &["freeze_amount"], json!("abc")))),
        OrderAmountIllegal,
        "freeze_amount",
    );
    let a = validate_preorder_create(&model(preorder())).unwrap();
    let b = validate_preorder_create(&model(with(preorder(), &["timeout_express"], json!("2h"))))
        .unwrap();
    assert_ne!(a.business_fingerprint(), b.business_fingerprint());
}

#[test]
fn sign_apply_sign_close_unsign() {
    let s = validate_sign_apply(&model(json!({"partner_id": "P", "preorder_no": "PO"}))).unwrap();
    assert_eq!(
        (s.preorder_no.as_deref(), s.timeout_secs),
        (Some("PO"), 900)
    );
    assert_violation(
        validate_sign_apply(&model(json!({"partner_id": "P"}))),
        RequestParamIllegal,
        "preorder_no",
    );
    assert_violation(
        validate_sign_apply(&model(json!({"preorder_no": "PO"}))),
        RequestParamIllegal,
        "partner_id",
    );
    assert_violation(
        validate_sign_apply(&model(
            json!({"partner_id": "P", "template_id": "T", "timeout_express": "3x"}),
        )),
        RequestParamIllegal,
        "timeout_express",
    );

    let g =
        validate_agreement_sign(&model(json!({"partner_id": "P", "preorder_no": "PO"}))).unwrap();
    assert_eq!(g.preorder_no, "PO");
    assert_violation(
        validate_agreement_sign(&model(json!({"partner_id": "P"}))),
        RequestParamIllegal,
        "preorder_no",
    );

    let c =
        validate_bizopt_close(&model(json!({"partner_id": "P", "out_request_no": "R"}))).unwrap();
    assert_eq!(c.out_request_no, "R");
    assert_violation(
        validate_bizopt_close(&model(json!({"partner_id": "P"}))),
        RequestParamIllegal,
        "out_request_no",
    );

    let base = json!({"agreement_id": "A", "partner_id": "P", "quit_type": "SETTLE_APPLY_QUIT"});
    let u = validate_agreement_unsign(&model(base.clone())).unwrap();
    assert_eq!(u.quit_type, QuitType::SettleApplyQuit);
    assert_violation(
        validate_agreement_unsign(&model(with(base.clone(), &["quit_type"], json!("BYE")))),
        RequestParamIllegal,
        "quit_type",
    );
    assert_violation(
        validate_agreement_unsign(&model(with(base.clone(), &["quit_type"], Value::Null))),
        RequestParamIllegal,
        "quit_type",
    );
    assert_violation(
        validate_agreement_unsign(&model(with(base, &["agreement_id"], Value::Null))),
        RequestParamIllegal,
        "agreement_id",
    );
}
