//! The v1 gateway over real HTTP: success paths (RSA2, RSA, GBK, AES, cert mode,
//! app_auth_token), every gateway error in PRODUCT §3 order, with each answer's signature
//! checked by `zhima_proto::v1::verify_response` exactly as an SDK would.

mod http_support;

use http_support::*;
use serde_json::Value;
use zhima_proto::catalog::INVALID_SIGNATURE_SUB_MSG_PREFIX;
use zhima_proto::time::{format_alipay_datetime, now_alipay};
use zhima_proto::v1::Charset;
use zhima_proto::SignType;

fn state_sync(out_biz_no: &str) -> V1 {
    V1::new(
        STATE_SYNC,
        &state_sync_body(out_biz_no, r#"{"orderNo":"o-1","movie_name":"流浪地球"}"#),
    )
}

#[tokio::test]
async fn state_sync_succeeds_signed_rsa2_with_trace_id() {
    let server = TestServer::start().await;
    let call = state_sync(&unique("S"));
    let reply = call.send(&server).await;
    assert_eq!(reply.content_type(), "application/json;charset=utf-8");
    assert!(reply.headers.get("trace_id").is_some_and(|v| v.len() == 32));
    let text = reply.text(Charset::Utf8);
    assert!(text.starts_with(r#"{"zhima_data_state_data_sync_response":{"code":"10000","msg":"Success","biz_result":"success"},"sign":""#), "{text}");
    let node = reply.node(&call);
    assert_eq!(node["biz_result"], "success");
}

#[tokio::test]
async fn rsa_requests_get_sha1_signed_answers() {
    let server = TestServer::start().await;
    let call = state_sync(&unique("S")).set("sign_type", "RSA");
    let reply = call.send(&server).await;
    assert_eq!(reply.node(&call)["code"], "10000");
    // The same body must not verify as RSA2: the answer really is SHA1withRSA.
    let text = reply.text(Charset::Utf8);
    let rsa2 = zhima_proto::v1::verify_response(
        &text,
        STATE_SYNC,
        &keys().platform_public,
        SignType::Rsa2,
        Charset::Utf8,
        None,
    );
    assert!(rsa2.is_err());
}

#[tokio::test]
async fn gbk_request_with_chinese_biz_data_gets_a_gbk_answer() {
    let server = TestServer::start().await;
    let call = state_sync(&unique("G")).set("charset", "GBK");
    let (_, body) = call.wire();
    // 流 in GBK is C1 F7: the body really travels as GBK bytes.
    assert!(body.contains("%C1%F7"), "{body}");
    let reply = call.send(&server).await;
    assert_eq!(reply.content_type(), "application/json;charset=GBK");
    let node = reply.verify(STATE_SYNC, SignType::Rsa2, Charset::Gbk, None);
    assert_eq!(node["code"], "10000", "{node}");

    // A GBK business failure carries Chinese text, signed over the GBK bytes.
    let bad = V1::new(
        STATE_SYNC,
        &state_sync_body(&unique("G"), r#"{"电影":"流浪地球"}"#),
    )
    .set("charset", "GBK");
    let reply = bad.send(&server).await;
    let node = reply.verify(STATE_SYNC, SignType::Rsa2, Charset::Gbk, None);
    assert_codes(&node, "40004", "ZMDATA.BIZ_DATA_ERROR");
    assert_eq!(node["biz_result"], "failed");
    assert!(reply.bytes.iter().any(|&b| b >= 0x80) && std::str::from_utf8(&reply.bytes).is_err());
}

#[tokio::test]
async fn cumulation_sync_success_replay_and_conflict() {
    let server = TestServer::start().await;
    let out_biz_no = unique("C");
    let call = V1::new(
        CUMULATION_SYNC,
        &cumulation_body(AGREEMENT_NO, PARTNER_ID, &out_biz_no),
    );
    let reply = call.send(&server).await;
    let expected_node = format!(
        r#"{{"code":"10000","msg":"Success","agreement_no":"{AGREEMENT_NO}","out_biz_no":"{out_biz_no}","user_id":"{USER_ID}"}}"#
    );
    let text = reply.text(Charset::Utf8);
    assert!(
        text.starts_with(&format!(
            r#"{{"zhima_credit_pe_zmgo_cumulation_sync_response":{expected_node},"sign":""#
        )),
        "{text}"
    );
    let first = reply.node(&call);

    let again = V1::new(
        CUMULATION_SYNC,
        &cumulation_body(AGREEMENT_NO, PARTNER_ID, &out_biz_no),
    );
    assert_eq!(again.send(&server).await.node(&again), first);

    let changed = cumulation_body(AGREEMENT_NO, PARTNER_ID, &out_biz_no).replace("3.57", "3.58");
    let conflict = V1::new(CUMULATION_SYNC, &changed);
    let node = conflict.send(&server).await.node(&conflict);
    assert_codes(&node, "40004", "IDEMPOTENT_ERROR");
    assert_eq!(node["msg"], "Business Failed");
    assert_eq!(node["fail_reason"], node["sub_msg"]);
}

#[tokio::test]
async fn missing_method_is_a_signed_error_response() {
    let server = TestServer::start().await;
    let call = state_sync("x").remove("method");
    let reply = call.send(&server).await;
    let text = reply.text(Charset::Utf8);
    assert!(
        text.starts_with(r#"{"error_response":{"code":"40001""#),
        "{text}"
    );
    let node = reply.verify("anything", SignType::Rsa2, Charset::Utf8, None);
    assert_codes(&node, "40001", "isv.missing-method");
}

/// One request per gateway check, each failing exactly there; the answer is in the method's
/// node, signed, with the documented code and sub_code.
#[tokio::test]
async fn every_gateway_check_answers_its_code_in_order() {
    let server = TestServer::start().await;
    let k = keys();
    let utc_now = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string();
    let far = format_alipay_datetime(&(now_alipay() - chrono::Duration::minutes(16)));
    let base = || state_sync(&unique("E"));
    let cases: Vec<(&str, V1, &str, &str)> = vec![
        (
            "no app_id",
            base().remove("app_id"),
            "40001",
            "isv.missing-app-id",
        ),
        (
            "unknown app",
            base().set("app_id", "2021999999999999"),
            "40002",
            "isv.invalid-app-id",
        ),
        (
            "disabled app",
            base().set("app_id", DISABLED_APP_ID),
            "40002",
            "isv.invalid-app-id",
        ),
        (
            "no sign_type",
            base().remove("sign_type"),
            "40001",
            "isv.missing-signature-type",
        ),
        (
            "bad sign_type",
            base().set("sign_type", "RSA3"),
            "40002",
            "isv.invalid-signature-type",
        ),
        (
            "RSA not allowed",
            base().set("app_id", RSA2_APP_ID).set("sign_type", "RSA"),
            "40002",
            "isv.missing-signature-config",
        ),
        (
            "no sign",
            base().after_sign("sign", None),
            "40001",
            "isv.missing-signature",
        ),
        (
            "no timestamp",
            base().remove("timestamp"),
            "40001",
            "isv.missing-timestamp",
        ),
        (
            "bad timestamp",
            base().set("timestamp", "2024/05/20 10:00:00"),
            "40002",
            "isv.invalid-timestamp",
        ),
        (
            "skewed timestamp",
            base().set("timestamp", &far),
            "40002",
            "isv.invalid-timestamp",
        ),
        (
            "UTC wall time",
            base().set("timestamp", &utc_now),
            "40002",
            "isv.invalid-timestamp",
        ),
        (
            "no version",
            base().remove("version"),
            "40001",
            "isv.missing-version",
        ),
        (
            "bad version",
            base().set("version", "2.0"),
            "40002",
            "isv.invalid-parameter",
        ),
        (
            "bad charset",
            base().set("charset", "latin1"),
            "40002",
            "isv.invalid-charset",
        ),
        (
            "bad format",
            base().set("format", "xml"),
            "40002",
            "isv.invalid-format",
        ),
        (
            "unknown token",
            base().set("app_auth_token", "nope"),
            "20001",
            "aop.invalid-app-auth-token",
        ),
        (
            "expired token",
            base().set("app_auth_token", EXPIRED_TOKEN),
            "20001",
            "aop.app-auth-token-time-out",
        ),
        (
            "another app's token",
            base().set("app_auth_token", OTHER_APPS_TOKEN),
            "20001",
            "aop.invalid-app-auth-token",
        ),
        (
            "cert app without app_cert_sn",
            base().set("app_id", CERT_APP_ID),
            "40002",
            "isv.missing-signature-config",
        ),
        (
            "wrong app_cert_sn",
            base().set("app_id", CERT_APP_ID).set("app_cert_sn", "00"),
            "40002",
            "isv.missing-signature-config",
        ),
        (
            "tampered after signing",
            base().after_sign("out_of_band", Some("x")),
            "40002",
            "isv.invalid-signature",
        ),
        (
            "encrypt_type DES",
            base().set("encrypt_type", "DES"),
            "40002",
            "isv.decryption-error-not-valid-encrypt-type",
        ),
        (
            "AES without a key",
            base().set("app_id", RSA2_APP_ID).set("encrypt_type", "AES"),
            "40002",
            "isv.decryption-error-not-valid-encrypt-key",
        ),
        (
            "AES garbage",
            base()
                .set("encrypt_type", "AES")
                .set("biz_content", "not-ciphertext"),
            "40002",
            "isv.decryption-error-unknown",
        ),
        (
            "unknown method",
            base().set("method", "alipay.trade.pay"),
            "40002",
            "isv.invalid-method",
        ),
    ];
    for (name, call, code, sub_code) in cases {
        let reply = call.send(&server).await;
        let method = call.get("method").unwrap();
        let text = reply.text(Charset::Utf8);
        let expected_key = format!("{{\"{}\":", zhima_proto::v1::response_node_key(method));
        assert!(text.starts_with(&expected_key), "{name}: {text}");
        let node = reply.verify(method, call.sign_type(), Charset::Utf8, None);
        assert_eq!(
            (node["code"].as_str(), node["sub_code"].as_str()),
            (Some(code), Some(sub_code)),
            "{name}: {node}"
        );
        assert!(
            node["sub_msg"].as_str().is_some_and(|m| !m.is_empty()),
            "{name}"
        );
    }
    // Sanity: the platform key is a valid signer of requests too, yet not this app's key.
    let wrong_key = V1 {
        key: k.platform.clone(),
        ..state_sync(&unique("E"))
    };
    let node = wrong_key.send(&server).await.node(&wrong_key);
    assert_codes(&node, "40002", "isv.invalid-signature");
}

#[tokio::test]
async fn invalid_signature_shows_the_gateways_string_to_sign() {
    let server = TestServer::start().await;
    let call = V1 {
        key: keys().platform.clone(),
        ..state_sync("SIG1")
    };
    let node = call.send(&server).await.node(&call);
    let sub_msg = node["sub_msg"].as_str().unwrap();
    let shown = sub_msg
        .strip_prefix(INVALID_SIGNATURE_SUB_MSG_PREFIX)
        .expect(sub_msg);
    let expected = zhima_proto::v1::GatewayParams::from_pairs(call.params.clone())
        .sign_content()
        .replace('&', "&amp;");
    assert_eq!(shown, expected);
    assert!(
        shown.starts_with("app_id=2021000000000001&amp;biz_content={"),
        "{shown}"
    );
}

#[tokio::test]
async fn aes_requests_get_encrypted_answers() {
    let server = TestServer::start().await;
    let k = keys();
    let plain = state_sync_body(&unique("A"), r#"{"orderNo":"o-aes"}"#);
    let call = V1::new(STATE_SYNC, &k.aes.encrypt(plain.as_bytes())).set("encrypt_type", "AES");
    let reply = call.send(&server).await;
    let text = reply.text(Charset::Utf8);
    assert!(
        text.starts_with(r#"{"zhima_data_state_data_sync_response":""#),
        "node must be ciphertext: {text}"
    );
    let node = reply.verify(STATE_SYNC, SignType::Rsa2, Charset::Utf8, Some(&k.aes));
    assert_eq!(node["biz_result"], "success");

    // A business failure of an encrypted request is encrypted too.
    let bad = state_sync_body(&unique("A"), r#"{"no":"orderNo"}"#);
    let call = V1::new(STATE_SYNC, &k.aes.encrypt(bad.as_bytes())).set("encrypt_type", "AES");
    let reply = call.send(&server).await;
    let node = reply.verify(STATE_SYNC, SignType::Rsa2, Charset::Utf8, Some(&k.aes));
    assert_codes(&node, "40004", "ZMDATA.BIZ_DATA_ERROR");
}

#[tokio::test]
async fn cert_mode_answers_carry_the_platform_cert_sn() {
    let server = TestServer::start().await;
    let k = keys();
    let call = state_sync(&unique("CM"))
        .set("app_id", CERT_APP_ID)
        .set("app_cert_sn", &k.app_cert_sn)
        .set("alipay_root_cert_sn", &k.root_cert_sn);
    let reply = call.send(&server).await;
    let text = reply.text(Charset::Utf8);
    let verified = zhima_proto::v1::verify_response(
        &text,
        STATE_SYNC,
        &k.platform_public,
        SignType::Rsa2,
        Charset::Utf8,
        None,
    )
    .unwrap();
    assert_eq!(
        verified.cert_sn.as_deref(),
        Some(k.platform_cert_sn.as_str())
    );
    assert!(
        text.contains(&format!(
            r#"}},"alipay_cert_sn":"{}","sign":""#,
            k.platform_cert_sn
        )),
        "{text}"
    );
    // A public-key request gets no alipay_cert_sn (the Python SDK could not parse it).
    let plain = state_sync(&unique("CM")).send(&server).await;
    assert!(!plain.text(Charset::Utf8).contains("alipay_cert_sn"));
}

#[tokio::test]
async fn app_auth_token_acts_for_the_tokens_merchant() {
    let server = TestServer::start().await;
    let ok = V1::new(
        CUMULATION_SYNC,
        &cumulation_body(TOKEN_AGREEMENT_NO, TOKEN_PARTNER_ID, &unique("T")),
    )
    .set("app_auth_token", TOKEN);
    assert_eq!(ok.send(&server).await.node(&ok)["code"], "10000");
    // With the token, the app's own partner is not the one it acts for.
    let foreign = V1::new(
        CUMULATION_SYNC,
        &cumulation_body(AGREEMENT_NO, PARTNER_ID, &unique("T")),
    )
    .set("app_auth_token", TOKEN);
    assert_codes(
        &foreign.send(&server).await.node(&foreign),
        "40004",
        "REQUEST_ACCESS_ILLEGAL",
    );
}

#[tokio::test]
async fn business_validation_failures_are_40004_with_the_catalog_code() {
    let server = TestServer::start().await;
    let body =
        cumulation_body(AGREEMENT_NO, PARTNER_ID, &unique("V")).replace("\"AMOUNT\"", "\"POINTS\"");
    let call = V1::new(CUMULATION_SYNC, &body);
    let node = call.send(&server).await.node(&call);
    assert_codes(&node, "40004", "INVALID_CUMULATE_TYPE");
    let call = V1::new(CUMULATION_SYNC, "not json");
    assert_codes(
        &call.send(&server).await.node(&call),
        "40004",
        "REQUEST_PARAM_ILLEGAL",
    );
    let call = V1::new(STATE_SYNC, "").remove("biz_content");
    assert_codes(
        &call.send(&server).await.node(&call),
        "40004",
        "ZMDATA.USER_ID_ERROR",
    );
}

#[tokio::test]
async fn the_queries_and_settlement_answer_through_the_gateway() {
    let server = TestServer::start().await;
    let sync = V1::new(
        CUMULATION_SYNC,
        &cumulation_body(AGREEMENT_NO, PARTNER_ID, &unique("Q")),
    );
    assert_eq!(sync.send(&server).await.node(&sync)["code"], "10000");
    let q = V1::new(
        "zhima.merchant.zmgo.cumulate.query",
        &format!(r#"{{"agreement_id":"{AGREEMENT_NO}","need_detail":true,"page_size":5}}"#),
    );
    let node = q.send(&server).await.node(&q);
    assert_eq!(node["code"], "10000", "{node}");
    assert_eq!(node["aggr_amount"], "3.57");
    assert_eq!(node["detail_list"].as_array().unwrap().len(), 1);
    let q = V1::new(
        "zhima.credit.pe.zmgo.agreement.query",
        &format!(r#"{{"agreement_id":"{AGREEMENT_NO}"}}"#),
    );
    let node = q.send(&server).await.node(&q);
    assert_eq!(node["agreement_status"], "Y", "{node}");
    let settle = V1::new(
        "zhima.credit.pe.zmgo.settle.apply",
        &format!(
            r#"{{"agreement_id":"{AGREEMENT_NO}","partner_id":"{PARTNER_ID}","out_request_no":"R1","withhold_plan_no":"W1","pay_amount":"0.00","total_real_pay_amount":"9.99"}}"#
        ),
    );
    let node = settle.send(&server).await.node(&settle);
    assert_codes(&node, "40004", "SETTLE_AMOUNT_CHECK_FAIL");
    assert!(
        node["fail_reason"]
            .as_str()
            .unwrap()
            .contains("total_real_pay_amount"),
        "{node}"
    );
}

#[tokio::test]
async fn absolute_form_request_lines_and_get_are_accepted() {
    let server = TestServer::start().await;
    let call = state_sync(&unique("ABS"));
    let (query, body) = call.wire();
    // The Python SDK writes the absolute URL in the request line.
    let request = format!(
        "POST http://{addr}/gateway.do?{query} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded;charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len(),
        addr = server.addr()
    );
    let (status, headers, bytes) = raw_http(&server.addr(), request.as_bytes()).await;
    assert_eq!(status, 200);
    assert!(headers.iter().any(|(k, _)| k == "trace_id"));
    let text = String::from_utf8(bytes).unwrap();
    let node_json = verified_node_json(&text, STATE_SYNC);
    assert_eq!(
        serde_json::from_str::<Value>(&node_json).unwrap()["code"],
        "10000"
    );

    // Everything in the query of a GET.
    let call = state_sync(&unique("GET"));
    let (query, body) = call.wire();
    let resp = client()
        .get(format!("{}/gateway.do?{query}&{body}", server.base))
        .send()
        .await
        .unwrap();
    let reply = V1Reply::from_response(resp).await;
    assert_eq!(reply.node(&call)["code"], "10000");
}

#[tokio::test]
async fn oversized_bodies_get_a_signed_answer_or_413() {
    let server = TestServer::start_with(|s| s.body_limit = 4096).await;
    let big = "x".repeat(5000);
    let call = V1::new(STATE_SYNC, &big);
    let reply = call.send(&server).await;
    let node = reply.node(&call);
    assert_codes(&node, "40002", "isv.invalid-parameter");
    assert!(node["sub_msg"].as_str().unwrap().contains("4096"));

    // No method in the query: nothing to sign an answer for.
    let resp = client()
        .post(format!("{}/gateway.do", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("method={STATE_SYNC}&biz_content={big}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    // Just under the limit still works.
    let ok = state_sync(&unique("L"));
    assert_eq!(ok.send(&server).await.node(&ok)["code"], "10000");
}
