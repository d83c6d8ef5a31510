//! The models against the golden vectors (../shared/spec/vectors) and the PROTOCOL §C6
//! examples: every body the official SDKs produced must parse, validate and round-trip, and
//! every business error in the vectors must be in the catalogue with the same message.

use std::path::PathBuf;

use chrono::Duration;
use serde_json::Value;
use zhima_proto::catalog::{CumulationCode, GatewayCode, ZmdataCode};
use zhima_proto::models::{
    self, canonical_json, canonical_json_str, Api, ApiModel, BizAction, CumulateDataType,
    DiscountType, HttpMethod, ZhimaCreditPeZmgoAgreementQueryModel,
    ZhimaCreditPeZmgoCumulationSyncModel, ZhimaCreditPeZmgoCumulationSyncResponse,
    ZhimaCreditPeZmgoSettleApplyModel, ZhimaDataStateDataSyncModel, ZhimaDataStateDataSyncResponse,
    ZhimaMerchantZmgoCumulateQueryModel,
};
use zhima_proto::money::Fen;
use zhima_proto::time::parse_alipay_datetime;
use zhima_proto::validate::{
    parse_cumulation, parse_state_sync, validate_biz_data, validate_cumulation,
    validate_state_sync_shape,
};

fn vectors_dir() -> PathBuf {
    std::env::var_os("ZHIMA_SPEC_DIR")
        .map(|d| PathBuf::from(d).join("vectors"))
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec/vectors")
        })
}

fn load(name: &str) -> Value {
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("golden vector {} is required: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

fn v1_biz_content(case: &str) -> String {
    let v = load("v1_gateway_request.json");
    s(&v["cases"][case]["decoded_params_body"]["biz_content"]).to_owned()
}

/// `now` of the vectors' runs (PY froze its clock at this time).
fn vector_now() -> chrono::DateTime<chrono::FixedOffset> {
    parse_alipay_datetime("2024-05-20 10:00:00").unwrap()
}

#[test]
fn v3_post_cumulation_sync_body_parses_validates_and_round_trips() {
    let v = load("v3_request_response.json");
    let body = s(&v["requests"]["post_cumulation_sync"]["http"]["body"]);
    let m: ZhimaCreditPeZmgoCumulationSyncModel = models::from_json(body).unwrap();
    assert_eq!(m.agreement_no.as_deref(), Some("20195108518085620000"));
    assert_eq!(m.has_alipay_trade, Some(false));
    assert_eq!(
        m.ext_info.as_deref(),
        Some(r#"{"number":"20200303938282939"}"#)
    );
    // Nothing is lost: re-serialising gives the same JSON, up to key order.
    let again = serde_json::to_string(&m).unwrap();
    assert_eq!(
        canonical_json_str(&again).unwrap(),
        canonical_json_str(body).unwrap()
    );

    let ok = validate_cumulation(&m, vector_now(), Duration::minutes(15)).unwrap();
    assert_eq!(ok.biz_action, BizAction::OrderPaid);
    assert_eq!(ok.cumulate_data_type, CumulateDataType::Amount);
    assert_eq!(ok.trade_amount(), Fen(357));
    assert_eq!(ok.discount_amount(), Fen(875));
    let amount = ok.amount.as_ref().unwrap();
    assert_eq!(amount.name, "累计消费");
    assert_eq!(
        amount.discounts[0].discount_type,
        DiscountType::ExclusiveBenefit
    );
    assert_eq!(amount.discounts[0].name, "滴滴打车优惠001");
    assert_eq!(ok.task_name, None);
    assert!(!ok.counts_task());
}

#[test]
fn v1_python_cumulation_biz_content_is_a_valid_amount_task_sync() {
    let text = v1_biz_content("python_cumulation_sync_v1");
    let m = parse_cumulation(&text).unwrap();
    let ok = validate_cumulation(&m, vector_now(), Duration::zero()).unwrap();
    assert_eq!(ok.cumulate_data_type, CumulateDataType::AmountTask);
    assert!(ok.has_alipay_trade);
    assert_eq!(ok.task_name.as_deref(), Some("打车1次"));
    assert!(ok.counts_task());
    assert_eq!(
        ok.biz_time,
        parse_alipay_datetime("2024-05-20 09:58:00").unwrap()
    );
    let trade = ok.amount.as_ref().unwrap().trade.as_ref().unwrap();
    assert_eq!(
        trade.trade_no.as_deref(),
        Some("2020081722001435461000061785")
    );
    assert_eq!(trade.amount, Fen(357));
}

#[test]
fn protocol_c6_refund_and_task_examples_validate() {
    let refund = r#"{"agreement_no":"20195108518085620000","user_id":"2088602002015001","partner_id":"2088621805983504","out_biz_no":"R20240521001","biz_action":"ORDER_REFUND","pay_out_biz_no":"2020081211223006150094012926289","biz_time":"2024-05-20 10:00:00","cumulate_data_type":"AMOUNT","request_from":"ExternalMerchantSource","amount_type_data":{"name":"累计消费","trade_info":{"trade_no":"2020081722001435461000061785","amount":"1.00"}}}"#;
    let ok = validate_cumulation(
        &parse_cumulation(refund).unwrap(),
        vector_now(),
        Duration::zero(),
    )
    .unwrap();
    assert_eq!(ok.biz_action, BizAction::OrderRefund);
    assert_eq!(
        ok.pay_out_biz_no.as_deref(),
        Some("2020081211223006150094012926289")
    );
    assert_eq!(ok.trade_amount(), Fen(100));
    assert_eq!(ok.discount_amount(), Fen::ZERO);

    let task = r#"{"agreement_no":"20195108518085620000","open_id":"074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5","partner_id":"2088621805983504","out_biz_no":"T1","biz_action":"ORDER_PAID","biz_time":"2024-05-20 10:00:00","cumulate_data_type":"TASK","request_from":"ExternalMerchantSource","task_type_data":{"name":"打车1次"}}"#;
    let ok = validate_cumulation(
        &parse_cumulation(task).unwrap(),
        vector_now(),
        Duration::zero(),
    )
    .unwrap();
    assert_eq!(ok.task_name.as_deref(), Some("打车1次"));
    assert_eq!(ok.amount, None);
    assert_eq!(ok.user_id, None);
    assert!(ok.open_id.is_some());
}

#[test]
fn unknown_fields_are_tolerated() {
    let text = r#"{"agreement_no":"A","future_field":{"x":[1,2]},"amount_type_data":{"name":"n","new":1,"trade_info":{"amount":"1","extra":true}}}"#;
    let m: ZhimaCreditPeZmgoCumulationSyncModel = models::from_json(text).unwrap();
    assert_eq!(m.agreement_no.as_deref(), Some("A"));
    let t = m.amount_type_data.unwrap().trade_info.unwrap();
    assert_eq!(t.amount.as_deref(), Some("1"));
    // None fields are not serialised; nulls read as None.
    let m: ZhimaCreditPeZmgoCumulationSyncModel =
        models::from_json(r#"{"agreement_no":null,"user_id":"u"}"#).unwrap();
    assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"user_id":"u"}"#);
}

#[test]
fn state_sync_vector_bodies_parse_and_pass_the_shape_checks() {
    for case in ["python_state_sync", "node_state_sync"] {
        let m = parse_state_sync(&v1_biz_content(case)).unwrap();
        let ok = validate_state_sync_shape(&m).unwrap();
        assert_eq!(ok.user_id, "2088102000000001", "{case}");
        assert_eq!(ok.biz_state_code, "CONTRACT_STATE_WATCH_MOVIE_BUY");
        let data = validate_biz_data(&ok).unwrap();
        assert_eq!(data["movie_name"], "流浪地球");
        assert_eq!(data["ticket_count"], 2);
    }
    // The cert-mode and AES vectors carry deliberately minimal bodies.
    let cert = parse_state_sync(&v1_biz_content("node_state_sync_cert_mode")).unwrap();
    let err = validate_state_sync_shape(&cert).unwrap_err();
    assert_eq!(err.code, ZmdataCode::OutPrincipalIdError);
    let v = load("v1_gateway_request.json");
    let plain = s(&v["cases"]["node_state_sync_aes"]["aes"]["plaintext"]);
    let err = validate_state_sync_shape(&parse_state_sync(plain).unwrap()).unwrap_err();
    assert_eq!(err.code, ZmdataCode::OutPrincipalIdError);
}

/// The node of a v1 response body, parsed.
fn v1_node(case: &str) -> Value {
    let v = load("v1_gateway_response.json");
    let c = &v["cases"][case];
    let body: Value = serde_json::from_str(s(&c["http_body"])).unwrap();
    body[s(&c["response_node_key"])].clone()
}

#[test]
fn v1_response_vectors_match_models_and_catalogue() {
    let ok = v1_node("cumulation_sync_success");
    assert_eq!(ok["code"], GatewayCode::Success.as_str());
    assert_eq!(ok["msg"], GatewayCode::Success.msg());
    let r: ZhimaCreditPeZmgoCumulationSyncResponse = serde_json::from_value(ok).unwrap();
    assert_eq!(
        r.out_biz_no.as_deref(),
        Some("2020081211223006150094012926289")
    );

    let ok = v1_node("state_sync_success");
    let r: ZhimaDataStateDataSyncResponse = serde_json::from_value(ok).unwrap();
    assert_eq!(r, ZhimaDataStateDataSyncResponse::success());

    let fail = v1_node("state_sync_business_failure");
    assert_eq!(fail["code"], GatewayCode::BusinessFailed.as_str());
    assert_eq!(fail["msg"], GatewayCode::BusinessFailed.msg());
    let code: ZmdataCode = s(&fail["sub_code"]).parse().unwrap();
    assert_eq!(code, ZmdataCode::BizStateCodeError);
    assert_eq!(fail["sub_msg"], code.default_message());
    let r: ZhimaDataStateDataSyncResponse = serde_json::from_value(fail).unwrap();
    assert_eq!(r, ZhimaDataStateDataSyncResponse::failed());

    let fail = v1_node("cumulation_sync_business_failure_constructed");
    let code: CumulationCode = s(&fail["sub_code"]).parse().unwrap();
    assert_eq!(code, CumulationCode::IdempotentError);
    assert_eq!(fail["sub_msg"], code.default_message());
    assert_eq!(code.gateway_code(), GatewayCode::BusinessFailed);
}

#[test]
fn v3_response_vectors_match_models_and_catalogue() {
    let v = load("v3_request_response.json");
    let ok = &v["responses"]["success_200"];
    let r: ZhimaCreditPeZmgoCumulationSyncResponse = models::from_json(s(&ok["body"])).unwrap();
    assert_eq!(r.agreement_no.as_deref(), Some("20195108518085620000"));

    let err = &v["responses"]["error_400"];
    let body: Value = serde_json::from_str(s(&err["body"])).unwrap();
    let code: CumulationCode = s(&body["code"]).parse().unwrap();
    assert_eq!(code, CumulationCode::InvalidCumulateType);
    assert_eq!(body["message"], code.default_message());
    assert_eq!(err["status"], code.http_status());
}

#[test]
fn models_know_their_api() {
    assert_eq!(
        ZhimaCreditPeZmgoCumulationSyncModel::V1_METHOD,
        "zhima.credit.pe.zmgo.cumulation.sync"
    );
    let route = ZhimaCreditPeZmgoCumulationSyncModel::V3_ROUTE.unwrap();
    assert_eq!(
        (route.method, route.path),
        (HttpMethod::Post, "/v3/zhima/credit/pe/zmgo/cumulation/sync")
    );
    assert_eq!(
        ZhimaDataStateDataSyncModel::V1_METHOD,
        "zhima.data.state.data.sync"
    );
    assert_eq!(ZhimaDataStateDataSyncModel::V3_ROUTE, None);
    assert_eq!(ZhimaMerchantZmgoCumulateQueryModel::API, Api::CumulateQuery);
    let q = ZhimaMerchantZmgoCumulateQueryModel::V3_ROUTE.unwrap();
    assert_eq!(
        (q.method, q.path),
        (HttpMethod::Get, "/v3/zhima/merchant/zmgo/cumulate/query")
    );
    let a = ZhimaCreditPeZmgoAgreementQueryModel::V3_ROUTE.unwrap();
    assert_eq!(
        (a.method, a.path),
        (HttpMethod::Get, "/v3/zhima/credit/pe/zmgo/agreement/query")
    );
    assert_eq!(
        ZhimaCreditPeZmgoSettleApplyModel::V1_METHOD,
        "zhima.credit.pe.zmgo.settle.apply"
    );
    let st = ZhimaCreditPeZmgoSettleApplyModel::V3_ROUTE.unwrap();
    assert_eq!(
        (st.method, st.path),
        (HttpMethod::Post, "/v3/zhima/credit/pe/zmgo/settle/apply")
    );
}

#[test]
fn cumulate_query_travels_as_query_pairs_or_json() {
    let q = ZhimaMerchantZmgoCumulateQueryModel {
        agreement_id: Some("A1".into()),
        need_detail: Some(true),
        page_no: Some(2),
        page_size: Some(50),
        ..Default::default()
    };
    let pairs = models::to_query_pairs(&q).unwrap();
    let expect = [
        ("agreement_id", "A1"),
        ("need_detail", "true"),
        ("page_no", "2"),
        ("page_size", "50"),
    ];
    let expect: Vec<(String, String)> = expect
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(pairs, expect);
    let back: ZhimaMerchantZmgoCumulateQueryModel = models::from_query_pairs(pairs).unwrap();
    assert_eq!(back, q);
    // v1 biz_content carries real JSON types.
    let json: ZhimaMerchantZmgoCumulateQueryModel =
        models::from_json(r#"{"agreement_id":"A1","need_detail":true,"page_no":2,"page_size":50}"#)
            .unwrap();
    assert_eq!(json, q);
    // Bad scalar strings name the field.
    let e = models::from_query_pairs::<ZhimaMerchantZmgoCumulateQueryModel, _, _>([(
        "page_size",
        "+5",
    )])
    .unwrap_err();
    assert_eq!(e.path, "page_size");
    let e = models::from_query_pairs::<ZhimaMerchantZmgoCumulateQueryModel, _, _>([(
        "need_detail",
        "yes",
    )])
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("need_detail"));
}

#[test]
fn canonical_json_of_equal_documents_is_equal() {
    let a = canonical_json_str(r#"{"a": 1, "b": {"d": [1, 2], "c": "x"}}"#).unwrap();
    let b = canonical_json_str("{\n  \"b\" : { \"c\":\"x\",\"d\":[1,2]},\"a\":1.0\n}").unwrap();
    assert_eq!(a, b);
    assert_eq!(a, r#"{"a":1,"b":{"c":"x","d":[1,2]}}"#);
    assert_eq!(canonical_json(&Value::Null), "null");
}
