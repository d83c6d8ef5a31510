//! Byte-identity with the official SDKs: for the inputs of every golden request vector, the
//! client puts exactly the vector's bytes on the wire (v1: URL query and form body; v3:
//! `Authorization`, path and query, body), both from verbatim JSON text and from typed models.
//! And every golden response vector is accepted (or rejected) as it should be.

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zhima_client::models::{
    ZhimaCreditPeZmgoCumulationSyncModel, ZhimaDataStateDataSyncModel,
    ZhimaMerchantZmgoCumulateQueryModel,
};
use zhima_client::proto::aes::AesKey;
use zhima_client::{ApiError, Content, Error, Method, SdkLayout, SignatureError, ZhimaClient};

// ---------------------------------------------------------------------------------------------
// v1 requests
// ---------------------------------------------------------------------------------------------

/// How a v1 vector case's business content is handed to the client.
#[derive(Clone, Copy, Debug)]
enum Input {
    Raw,
    Typed,
}

fn v1_client(case_name: &str, case: &Value, base: &str) -> ZhimaClient {
    let q = &case["decoded_params_query"];
    let layout = if case_name.starts_with("python_") {
        SdkLayout::Python
    } else {
        SdkLayout::Node
    };
    let mut b = if q.get("app_cert_sn").is_some() {
        cert_builder(base)
    } else {
        builder(base)
    }
    .sdk_layout(layout)
    .clock(frozen(alipay_time(s(&q["timestamp"]))));
    if let Some(token) = q.get("app_auth_token") {
        b = b.app_auth_token(s(token));
    }
    if let Some(aes) = case.get("aes") {
        b = b.aes_key(s(&aes["key_base64"]));
    }
    b.build().unwrap()
}

/// The plaintext biz_content the SDK was given.
fn v1_plain_biz(case: &Value) -> String {
    match case.get("aes") {
        Some(aes) => s(&aes["plaintext"]).to_string(),
        None => s(&case["decoded_params_body"]["biz_content"]).to_string(),
    }
}

async fn send_v1(client: &ZhimaClient, method: &str, biz: &str, input: Input) {
    match (method, input) {
        (_, Input::Raw) => {
            client.execute(method, biz).await.unwrap();
        }
        ("zhima.data.state.data.sync", Input::Typed) => {
            let model: ZhimaDataStateDataSyncModel = serde_json::from_str(biz).unwrap();
            client.v1().state_data_sync(&model).await.unwrap();
        }
        ("zhima.credit.pe.zmgo.cumulation.sync", Input::Typed) => {
            let model: ZhimaCreditPeZmgoCumulationSyncModel = serde_json::from_str(biz).unwrap();
            client.v1().cumulation_sync(&model).await.unwrap();
        }
        other => panic!("no typed method for {other:?}"),
    }
}

#[tokio::test]
async fn v1_requests_are_byte_identical_to_the_official_sdks() {
    let doc = load("v1_gateway_request.json");
    let cases = doc["cases"].as_object().unwrap();
    assert_eq!(cases.len(), 5, "a new v1 request vector needs a look here");
    for (name, case) in cases {
        for input in [Input::Raw, Input::Typed] {
            let server = MockServer::start().await;
            let mut gateway =
                FakeGateway::ok(r#"{"code":"10000","msg":"Success","biz_result":"success"}"#);
            gateway.aes = case
                .get("aes")
                .map(|a| AesKey::from_base64(s(&a["key_base64"])).unwrap());
            if case["decoded_params_query"].get("app_cert_sn").is_some() {
                gateway.cert_sn = Some(platform_cert_sn());
            }
            Mock::given(method("POST"))
                .and(path("/gateway.do"))
                .respond_with(gateway)
                .mount(&server)
                .await;

            let client = v1_client(name, case, &server.uri());
            let m = s(&case["decoded_params_query"]["method"]);
            send_v1(&client, m, &v1_plain_biz(case), input).await;

            let received = server.received_requests().await.unwrap();
            assert_eq!(received.len(), 1, "{name}/{input:?}");
            let req = &received[0];
            let http = &case["http"];
            let target = http
                .get("url")
                .or(http.get("path_and_query"))
                .map(s)
                .unwrap();
            let (_, want_query) = target.split_once('?').unwrap();
            assert_eq!(req.url.query(), Some(want_query), "{name}/{input:?}: query");
            assert_eq!(
                std::str::from_utf8(&req.body).unwrap(),
                s(&http["body"]),
                "{name}/{input:?}: body"
            );
            let ct = http["headers"]
                .as_object()
                .unwrap()
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                .map(|(_, v)| s(v))
                .unwrap();
            assert_eq!(
                header(req, "content-type"),
                Some(ct),
                "{name}/{input:?}: content-type"
            );
            assert_eq!(
                v1_params(req).sign_content(),
                s(&case["string_to_sign"]),
                "{name}: string to sign"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// v3 requests
// ---------------------------------------------------------------------------------------------

/// The authString fields of a vector (nonce, timestamp ms).
fn auth_fields(case: &Value) -> (String, i64) {
    let auth = s(&case["auth_string"]);
    let field = |k: &str| {
        auth.split(',')
            .find_map(|p| p.strip_prefix(&format!("{k}=")))
            .unwrap()
            .to_string()
    };
    (field("nonce"), field("timestamp").parse().unwrap())
}

fn v3_client(name: &str, case: &Value, base: &str) -> ZhimaClient {
    let (nonce, millis) = auth_fields(case);
    let headers = &case["http"]["headers"];
    let mut b = if name.contains("cert") {
        cert_builder(base)
    } else {
        builder(base)
    }
    .clock(frozen(Utc.timestamp_millis_opt(millis).unwrap()))
    // The fake platform signs at the real now, far from the vector's frozen clock.
    .response_max_skew(None)
    .nonce_source(move || nonce.clone());
    if let Some(token) = headers.get("alipay-app-auth-token") {
        b = b.app_auth_token(s(token));
    }
    if case.get("aes_plaintext").is_some() {
        b = b.aes_key(keys().aes_b64);
    }
    b.build().unwrap()
}

#[tokio::test]
async fn v3_requests_are_byte_identical_to_the_node_sdk() {
    let doc = load("v3_request_response.json");
    let cases = doc["requests"].as_object().unwrap();
    assert_eq!(cases.len(), 5, "a new v3 request vector needs a look here");
    for (name, case) in cases {
        let http = &case["http"];
        let target = s(&http["path_and_query"]);
        let plain = case
            .get("aes_plaintext")
            .map(s)
            .unwrap_or_else(|| s(&http["body"]));
        for input in [Input::Raw, Input::Typed] {
            let server = MockServer::start().await;
            let mut fake = FakeV3::ok(r#"{"out_biz_no":"x"}"#);
            fake.aes = case
                .get("aes_plaintext")
                .map(|_| AesKey::from_base64(&keys().aes_b64).unwrap());
            if name.contains("cert") {
                fake.sn = Some(platform_cert_sn());
            }
            Mock::given(wiremock::matchers::any())
                .respond_with(fake)
                .mount(&server)
                .await;
            let client = v3_client(name, case, &server.uri());
            let http_method: Method = s(&http["method"]).parse().unwrap();
            match input {
                Input::Raw => {
                    let body = (http_method == Method::POST).then_some(plain);
                    client.request(http_method, target, body).await.unwrap();
                }
                // Typed GET writes fields in declaration order, as Node writes its object.
                Input::Typed if http_method == Method::GET => {
                    let query = target.split_once('?').unwrap().1;
                    let model: ZhimaMerchantZmgoCumulateQueryModel =
                        zhima_client::models::from_query_pairs(
                            serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap(),
                        )
                        .unwrap();
                    client.v3().cumulate_query(&model).await.unwrap();
                }
                // The Node object's member order is not a Rust field order: pass the text.
                Input::Typed => {
                    client
                        .v3()
                        .cumulation_sync(Content::json(plain))
                        .await
                        .unwrap();
                }
            }
            let received = server.received_requests().await.unwrap();
            assert_eq!(received.len(), 1);
            let req = &received[0];
            let ctx = format!("{name}/{input:?}");
            assert_eq!(path_and_query(req), target, "{ctx}: path");
            assert_eq!(
                std::str::from_utf8(&req.body).unwrap(),
                s(&http["body"]),
                "{ctx}: body"
            );
            assert_eq!(
                header(req, "authorization"),
                Some(s(&http["headers"]["authorization"])),
                "{ctx}: Authorization"
            );
            for h in [
                "alipay-app-auth-token",
                "alipay-root-cert-sn",
                "alipay-encrypt-type",
                "content-type",
                "accept",
            ] {
                assert_eq!(
                    header(req, h),
                    http["headers"].get(h).map(s),
                    "{ctx}: header {h}"
                );
            }
            let id = header(req, "alipay-request-id").unwrap();
            assert!(
                id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
                "{ctx}: request id {id}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// v1 responses
// ---------------------------------------------------------------------------------------------

async fn serve_v1_body(body: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(body.to_string(), "application/json;charset=utf-8"),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn v1_golden_responses_are_judged_like_the_java_sdk() {
    let doc = load("v1_gateway_response.json");
    let cases = doc["cases"].as_object().unwrap();
    assert_eq!(cases.len(), 8, "a new v1 response vector needs a look here");
    for (name, case) in cases {
        let body = s(&case["http_body"]);
        let server = serve_v1_body(body).await;
        let method = case
            .get("method")
            .map(s)
            .unwrap_or("zhima.data.state.data.sync");
        let mut b = if name.starts_with("cert_mode") {
            cert_builder(&server.uri())
        } else {
            builder(&server.uri())
        };
        if let Some(aes) = case.get("aes_key_base64") {
            // Responses are decrypted with the key whether or not requests are encrypted.
            b = b.aes_key(s(aes)).encrypt_requests(false);
        }
        let client = b.build().unwrap();
        let result = client.execute(method, r#"{"out_biz_no":"1"}"#).await;
        match name.as_str() {
            "state_sync_success"
            | "cumulation_sync_success"
            | "escaped_slash_case"
            | "cert_mode_success" => {
                let r = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(r.node_json, s(&case["signed_content"]), "{name}");
            }
            "aes_encrypted_success" => {
                assert_eq!(result.unwrap().node_json, s(&case["decrypted_node"]));
            }
            "state_sync_business_failure" | "cumulation_sync_business_failure_constructed" => {
                let Err(Error::Api(ApiError::V1(e))) = result else {
                    panic!("{name}: {result:?}")
                };
                let node: Value = serde_json::from_str(s(&case["signed_content"])).unwrap();
                assert_eq!(e.code, s(&node["code"]));
                assert_eq!(e.msg, s(&node["msg"]));
                assert_eq!(e.sub_code.as_deref(), Some(s(&node["sub_code"])));
                assert_eq!(e.sub_msg.as_deref(), Some(s(&node["sub_msg"])));
                assert!(e.verified, "{name}");
            }
            "gateway_error_unsigned_example" => {
                let Err(Error::Api(ApiError::V1(e))) = result else {
                    panic!("{name}: {result:?}")
                };
                assert_eq!(
                    (e.code.as_str(), e.sub_code.as_deref()),
                    ("40002", Some("isv.invalid-app-id"))
                );
                assert!(!e.verified, "an unsigned refusal is marked unverified");
            }
            other => panic!("unexpected case {other}"),
        }
    }
}

#[tokio::test]
async fn v1_golden_cert_mode_response_is_refused_in_key_mode_only_when_tampered() {
    // A cert-mode body read by a key-mode client still verifies (same platform key) …
    let doc = load("v1_gateway_response.json");
    let body = s(&doc["cases"]["cert_mode_success"]["http_body"]);
    let server = serve_v1_body(body).await;
    builder(&server.uri())
        .build()
        .unwrap()
        .execute("zhima.data.state.data.sync", "{}")
        .await
        .unwrap();
    // … but one byte changed in the signed node is a signature mismatch.
    let tampered = body.replace("\"success\"", "\"succes5\"");
    let server = serve_v1_body(&tampered).await;
    let err = builder(&server.uri())
        .build()
        .unwrap()
        .execute("zhima.data.state.data.sync", "{}")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Signature(SignatureError::Mismatch)),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// v3 responses
// ---------------------------------------------------------------------------------------------

async fn serve_v3_vector(resp: &Value) -> MockServer {
    let server = MockServer::start().await;
    let mut t = ResponseTemplate::new(resp["status"].as_u64().unwrap() as u16);
    for (k, v) in resp["headers"].as_object().unwrap() {
        if k != "content-type" {
            t = t.insert_header(k.as_str(), s(v));
        }
    }
    let t = t.set_body_raw(
        s(&resp["body"]).to_string(),
        "application/json;charset=utf-8",
    );
    Mock::given(wiremock::matchers::any())
        .respond_with(t)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn v3_golden_responses_are_verified() {
    let doc = load("v3_request_response.json");
    let responses = doc["responses"].as_object().unwrap();
    assert_eq!(
        responses.len(),
        4,
        "a new v3 response vector needs a look here"
    );
    for (name, resp) in responses {
        let server = serve_v3_vector(resp).await;
        let b = match name.as_str() {
            "success_200_cert_mode" => cert_builder(&server.uri()),
            "success_200_aes" => builder(&server.uri()).aes_key(keys().aes_b64),
            _ => builder(&server.uri()),
        };
        // The vectors were signed long ago: judge their freshness at their own time.
        let signed_at: i64 = s(&resp["headers"]["alipay-timestamp"]).parse().unwrap();
        let client = b
            .clock(frozen(Utc.timestamp_millis_opt(signed_at).unwrap()))
            .build()
            .unwrap();
        let result = client
            .request(
                Method::POST,
                "/v3/zhima/credit/pe/zmgo/cumulation/sync",
                Some("{}"),
            )
            .await;
        match name.as_str() {
            "success_200" | "success_200_cert_mode" => {
                let r = result.unwrap();
                assert_eq!(r.body, s(&resp["body"]));
                assert_eq!(r.trace_id.as_deref(), Some("0b1234567890abcdef"));
            }
            "success_200_aes" => assert_eq!(result.unwrap().body, s(&resp["plaintext"])),
            "error_400" => {
                let Err(Error::Api(ApiError::V3(e))) = result else {
                    panic!("{result:?}")
                };
                let observed = &doc["sdk_observed_errors"]["400"];
                assert_eq!(e.status, 400);
                assert_eq!(e.code, s(&observed["err_code"]));
                assert_eq!(e.message, "累计类型不合法");
                assert_eq!(
                    serde_json::to_value(&e.links).unwrap(),
                    observed["err_links"]
                );
                assert_eq!(e.trace_id.as_deref(), Some("0b1234567890abcdef"));
                assert!(e.verified);
            }
            other => panic!("unexpected case {other}"),
        }
    }
}

#[tokio::test]
async fn v3_golden_cert_response_with_another_sn_is_refused() {
    // The Node SDK's `response-alipay-sn-verify-error` case (sdk_observed_errors.wrong_alipay_sn).
    let doc = load("v3_request_response.json");
    let mut resp = doc["responses"]["success_200_cert_mode"].clone();
    resp["headers"]["alipay-sn"] = "ffffffffffffffffffffffffffffffff".into();
    let server = serve_v3_vector(&resp).await;
    let client = cert_builder(&server.uri()).build().unwrap();
    let err = client
        .request(Method::POST, "/v3/x", Some("{}"))
        .await
        .unwrap_err();
    let Error::Signature(SignatureError::CertSn { expected, got }) = err else {
        panic!("{err:?}")
    };
    assert_eq!(expected, platform_cert_sn());
    assert_eq!(got.as_deref(), Some("ffffffffffffffffffffffffffffffff"));
}
