//! Fault injection against wiremock (and one raw socket): every way a response can go wrong
//! ends in its own error variant, retries happen exactly when they should and resend the same
//! business content with a fresh timestamp / nonce / signature.

mod common;

use std::time::Duration;

use common::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use wiremock::matchers::{any, method};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zhima_client::models::{ZhimaCreditPeZmgoCumulationSyncModel, ZhimaDataStateDataSyncModel};
use zhima_client::proto::aes::AesKey;
use zhima_client::proto::keys::PrivateKey;
use zhima_client::proto::v3::{self, Authorization};
use zhima_client::{ApiError, Error, Method, RequestStrategy, SignatureError, ZhimaClient};

const STATE_SYNC: &str = "zhima.data.state.data.sync";
const OK_NODE: &str = r#"{"code":"10000","msg":"Success","biz_result":"success"}"#;
const V3_OK: &str =
    r#"{"agreement_no":"20195108518085620000","out_biz_no":"B-1","user_id":"2088602002015001"}"#;

fn fast_retry(max_attempts: u32) -> RequestStrategy {
    RequestStrategy::Retry {
        max_attempts,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(10),
    }
}

fn state_model() -> ZhimaDataStateDataSyncModel {
    ZhimaDataStateDataSyncModel {
        user_id: Some("2088102000000001".into()),
        out_biz_no: Some("ZMDS-RETRY-1".into()),
        out_principal_id: Some("1303902".into()),
        biz_state_code: Some("CONTRACT_STATE_WATCH_MOVIE_BUY".into()),
        category_code: Some("MOVIE".into()),
        service_id: Some("2024052000000000000000000001".into()),
        biz_data: Some(r#"{"orderNo":"1"}"#.into()),
        ..Default::default()
    }
}

fn sync_model() -> ZhimaCreditPeZmgoCumulationSyncModel {
    serde_json::from_str(V3_OK).unwrap()
}

async fn v1_server(
    responses: Vec<ResponseTemplate>,
    last: impl wiremock::Respond + 'static,
) -> MockServer {
    let server = MockServer::start().await;
    for r in responses {
        Mock::given(method("POST"))
            .respond_with(r)
            .up_to_n_times(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .respond_with(last)
        .mount(&server)
        .await;
    server
}

async fn v3_server(
    responses: Vec<ResponseTemplate>,
    last: impl wiremock::Respond + 'static,
) -> MockServer {
    let server = MockServer::start().await;
    for r in responses {
        Mock::given(any())
            .respond_with(r)
            .up_to_n_times(1)
            .mount(&server)
            .await;
    }
    Mock::given(any()).respond_with(last).mount(&server).await;
    server
}

fn client(server: &MockServer) -> ZhimaClient {
    builder(&server.uri()).build().unwrap()
}

/// A client retrying up to `max_attempts` times, quickly.
fn retrying(server: &MockServer, max_attempts: u32) -> ZhimaClient {
    builder(&server.uri())
        .strategy(fast_retry(max_attempts))
        .build()
        .unwrap()
}

fn signed_v1(node: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(
        v1_body(STATE_SYNC, node, &keys().platform, None),
        "application/json",
    )
}

async fn requests(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.unwrap()
}

// ---------------------------------------------------------------------------------------------
// timeouts and transport
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn v1_timeout_is_a_timeout() {
    let server = v1_server(vec![], signed_v1(OK_NODE).set_delay(Duration::from_secs(3))).await;
    let client = builder(&server.uri())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = expect_err(client.v1().state_data_sync(&state_model())).await;
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn v3_timeout_is_retried_then_reported_as_a_timeout() {
    let slow = v3_signed(200, V3_OK, &keys().platform, None).set_delay(Duration::from_secs(3));
    let server = v3_server(vec![], slow).await;
    let client = builder(&server.uri())
        .timeout(Duration::from_millis(150))
        .strategy(fast_retry(2))
        .build()
        .unwrap();
    let err = expect_err(client.v3().cumulation_sync(&sync_model())).await;
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert_eq!(requests(&server).await.len(), 2, "a timeout is retried");
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = builder(&base).build().unwrap();
    let err = expect_err(client.execute(STATE_SYNC, "{}")).await;
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
}

/// Serves one connection: reads the request, answers headers announcing a longer body than
/// it sends, and hangs up.
async fn cut_short_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = sock.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf);
            if let Some(end) = text.find("\r\n\r\n") {
                let len: usize = text[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len || n == 0 {
                    break;
                }
            }
        }
        let head =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
        sock.write_all(head.as_bytes()).await.unwrap();
        sock.write_all(br#"{"zhima_data_state_data_sync_response":{"code":"10000""#)
            .await
            .unwrap();
        sock.shutdown().await.unwrap();
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn body_cut_by_the_connection_is_a_transport_error() {
    let base = cut_short_server().await;
    let client = builder(&base).build().unwrap();
    let err = expect_err(client.execute(STATE_SYNC, "{}")).await;
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    // No URL (which carries `sign`) in the error text.
    assert!(!err.to_string().contains("sign="), "{err}");
}

// ---------------------------------------------------------------------------------------------
// retries
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn v1_5xx_then_success_resends_the_same_content_with_a_fresh_signature() {
    let server = v1_server(
        vec![ResponseTemplate::new(503).set_body_string("busy")],
        FakeGateway::ok(OK_NODE),
    )
    .await;
    let client = builder(&server.uri())
        .strategy(fast_retry(3))
        .clock(ticking(alipay_time("2024-05-20 10:00:00")))
        .build()
        .unwrap();
    let reply = client.v1().state_data_sync(&state_model()).await.unwrap();
    assert_eq!(reply.attempts, 2);
    assert_eq!(reply.data.biz_result.as_deref(), Some("success"));
    assert_eq!(reply.trace_id.as_deref(), Some("0b1234567890abcdef"));

    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 2);
    let (a, b) = (v1_params(&reqs[0]), v1_params(&reqs[1]));
    assert_eq!(v1_biz_json(&reqs[0], None)["out_biz_no"], "ZMDS-RETRY-1");
    assert_eq!(v1_biz_json(&reqs[1], None)["out_biz_no"], "ZMDS-RETRY-1");
    assert_eq!(
        a.get("biz_content"),
        b.get("biz_content"),
        "same business content"
    );
    assert_ne!(a.get("timestamp"), b.get("timestamp"), "fresh timestamp");
    assert_ne!(a.get("sign"), b.get("sign"), "fresh signature");
}

#[tokio::test]
async fn v3_5xx_then_success_resends_the_same_body_with_a_fresh_authorization() {
    let first = v3_signed(
        503,
        r#"{"code":"SYSTEM_ERROR","message":"busy"}"#,
        &keys().platform,
        None,
    );
    let server = v3_server(vec![first], FakeV3::ok(V3_OK)).await;
    let client = retrying(&server, 3);
    let reply = client.v3().cumulation_sync(&sync_model()).await.unwrap();
    assert_eq!(reply.attempts, 2);
    assert_eq!(reply.data.out_biz_no.as_deref(), Some("B-1"));

    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body, reqs[1].body, "same body");
    let body: serde_json::Value = serde_json::from_slice(&reqs[1].body).unwrap();
    assert_eq!(body["out_biz_no"], "B-1");
    let auth =
        |r: &wiremock::Request| Authorization::parse(header(r, "authorization").unwrap()).unwrap();
    let (a, b) = (auth(&reqs[0]), auth(&reqs[1]));
    assert_ne!(a.fields.nonce, b.fields.nonce, "fresh nonce");
    assert_ne!(a.sign, b.sign, "fresh signature");
    assert_eq!(
        header(&reqs[0], "alipay-request-id"),
        header(&reqs[1], "alipay-request-id")
    );
}

#[tokio::test]
async fn v1_service_unavailable_and_system_error_are_retried() {
    for node in [
        r#"{"code":"20000","msg":"Service Currently Unavailable","sub_code":"isp.unknow-error","sub_msg":"x"}"#,
        r#"{"code":"40004","msg":"Business Failed","sub_code":"SYSTEM_ERROR","sub_msg":"x"}"#,
    ] {
        let server = v1_server(vec![signed_v1(node)], FakeGateway::ok(OK_NODE)).await;
        let client = retrying(&server, 3);
        let reply = client
            .execute(STATE_SYNC, r#"{"out_biz_no":"R1"}"#)
            .await
            .unwrap();
        assert_eq!(reply.attempts, 2, "{node}");
        assert_eq!(requests(&server).await.len(), 2);
    }
}

#[tokio::test]
async fn v3_system_error_is_retried_and_gives_up_after_max_attempts() {
    let server = v3_server(
        vec![],
        FakeV3::status(500, r#"{"code":"SYSTEM_ERROR","message":"x"}"#),
    )
    .await;
    let client = retrying(&server, 3);
    let err = expect_err(client.v3().cumulation_sync(&sync_model())).await;
    let Error::Api(ApiError::V3(e)) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (e.status, e.code.as_str(), e.verified),
        (500, "SYSTEM_ERROR", true)
    );
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn business_refusals_are_typed_and_never_retried() {
    let node = r#"{"code":"40004","msg":"Business Failed","sub_code":"IDEMPOTENT_ERROR","sub_msg":"幂等冲突","fail_reason":"幂等冲突"}"#;
    let server = v1_server(vec![], FakeGateway::ok(node)).await;
    let client = retrying(&server, 5);
    let err = expect_err(client.execute(STATE_SYNC, "{}")).await;
    let Error::Api(ApiError::V1(e)) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.code, "40004");
    assert_eq!(e.msg, "Business Failed");
    assert_eq!(e.sub_code.as_deref(), Some("IDEMPOTENT_ERROR"));
    assert_eq!(e.sub_msg.as_deref(), Some("幂等冲突"));
    assert_eq!(e.trace_id.as_deref(), Some("0b1234567890abcdef"));
    assert!(e.verified);
    assert!(e.node_json.contains("fail_reason"));
    assert_eq!(requests(&server).await.len(), 1);

    let body = r#"{"code":"IDEMPOTENT_ERROR","message":"幂等冲突","links":[{"link":"https://x/y","desc":"解决方案"}]}"#;
    let server = v3_server(vec![], FakeV3::status(400, body)).await;
    let client = retrying(&server, 5);
    let err = expect_err(client.v3().cumulation_sync(&sync_model())).await;
    let Error::Api(ApiError::V3(e)) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (e.status, e.code.as_str(), e.message.as_str()),
        (400, "IDEMPOTENT_ERROR", "幂等冲突")
    );
    assert_eq!(e.links[0].link, "https://x/y");
    assert_eq!(e.trace_id.as_deref(), Some("0b1234567890abcdef"));
    assert!(e.verified);
    assert_eq!(requests(&server).await.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// HTTP status
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn v1_non_200_is_an_http_status_error_even_with_a_signed_body() {
    for status in [201u16, 302, 404, 502] {
        let body = v1_body(STATE_SYNC, OK_NODE, &keys().platform, None);
        let server = v1_server(
            vec![],
            ResponseTemplate::new(status).set_body_raw(body, "application/json"),
        )
        .await;
        let err = expect_err(client(&server).execute(STATE_SYNC, "{}")).await;
        let Error::HttpStatus {
            status: got,
            body_snippet,
        } = &err
        else {
            panic!("{status}: {err:?}")
        };
        assert_eq!(*got, status);
        assert!(body_snippet.starts_with("{\"zhima_data_state_data_sync_response\""));
        assert!(!body_snippet.contains("sign"), "{body_snippet}");
        assert_eq!(err.is_retryable(), status >= 500);
    }
}

#[tokio::test]
async fn v3_error_status_without_an_error_body_is_an_http_status_error() {
    let server = v3_server(
        vec![],
        ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"),
    )
    .await;
    let client = retrying(&server, 2);
    let err = expect_err(client.request(Method::GET, "/v3/x?a=1", None)).await;
    assert!(
        matches!(err, Error::HttpStatus { status: 502, .. }),
        "{err:?}"
    );
    assert_eq!(requests(&server).await.len(), 2, "5xx is retried");
}

// ---------------------------------------------------------------------------------------------
// signatures and bodies
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn v1_truncated_body_is_malformed() {
    let body = v1_body(STATE_SYNC, OK_NODE, &keys().platform, None);
    let cut = body[..body.len() / 2].to_string();
    let server = v1_server(
        vec![],
        ResponseTemplate::new(200).set_body_raw(cut, "application/json"),
    )
    .await;
    let err = expect_err(client(&server).execute(STATE_SYNC, "{}")).await;
    assert!(matches!(err, Error::MalformedResponse(_)), "{err:?}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn v3_truncated_body_fails_verification() {
    let full = v3_signed(200, V3_OK, &keys().platform, None);
    // Same signature headers, half the body.
    let cut = full.set_body_raw(V3_OK[..V3_OK.len() / 2].to_string(), "application/json");
    let server = v3_server(vec![], cut).await;
    let err = expect_err(client(&server).v3().cumulation_sync(&sync_model())).await;
    assert!(
        matches!(err, Error::Signature(SignatureError::Mismatch)),
        "{err:?}"
    );
}

#[tokio::test]
async fn unsigned_success_is_a_missing_signature() {
    let unsigned = r#"{"zhima_data_state_data_sync_response":{"code":"10000","msg":"Success","biz_result":"success"}}"#;
    let server = v1_server(
        vec![],
        ResponseTemplate::new(200).set_body_raw(unsigned, "application/json"),
    )
    .await;
    let err = expect_err(client(&server).execute(STATE_SYNC, "{}")).await;
    assert!(
        matches!(err, Error::Signature(SignatureError::Missing(_))),
        "{err:?}"
    );

    let server = v3_server(
        vec![],
        ResponseTemplate::new(200).set_body_raw(V3_OK, "application/json"),
    )
    .await;
    let err = expect_err(client(&server).v3().cumulation_sync(&sync_model())).await;
    assert!(
        matches!(err, Error::Signature(SignatureError::Missing(_))),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn v3_signature_headers_must_be_complete() {
    // A signature whose timestamp/nonce headers are gone cannot be checked: missing.
    let mut t = v3_signed(200, V3_OK, &keys().platform, None);
    t = t.insert_header(v3::HEADER_NONCE, "");
    let server = v3_server(vec![], t).await;
    let err = expect_err(client(&server).v3().cumulation_sync(&sync_model())).await;
    assert!(
        matches!(err, Error::Signature(SignatureError::Missing(_))),
        "{err:?}"
    );
    // The literal "null" the Java SDK treats as absent.
    let t =
        v3_signed(200, V3_OK, &keys().platform, None).insert_header(v3::HEADER_SIGNATURE, "null");
    let server = v3_server(vec![], t).await;
    let err = expect_err(client(&server).v3().cumulation_sync(&sync_model())).await;
    assert!(
        matches!(err, Error::Signature(SignatureError::Missing(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn unsigned_refusals_are_typed_but_marked_unverified() {
    let unsigned = r#"{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id","sub_msg":"无效的AppID参数"}}"#;
    let server = v1_server(
        vec![],
        ResponseTemplate::new(200).set_body_raw(unsigned, "application/json"),
    )
    .await;
    let err = expect_err(client(&server).execute(STATE_SYNC, "{}")).await;
    let Error::Api(api) = err else {
        panic!("{err:?}")
    };
    assert_eq!(api.code(), "isv.invalid-app-id");
    assert!(!api.is_verified());
    assert!(api.to_string().contains("(unsigned)"));

    let body = r#"{"code":"invalid-signature","message":"验签出错"}"#;
    let server = v3_server(
        vec![],
        ResponseTemplate::new(401).set_body_raw(body, "application/json"),
    )
    .await;
    let err = expect_err(client(&server).request(Method::GET, "/v3/x", None)).await;
    let Error::Api(ApiError::V3(e)) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (e.status, e.code.as_str(), e.verified),
        (401, "invalid-signature", false)
    );
}

#[tokio::test]
async fn wrong_signatures_are_mismatches() {
    let other = PrivateKey::generate().unwrap();
    // v1: signed by another key; and signed correctly but then altered.
    let forged = v1_body(STATE_SYNC, OK_NODE, &other, None);
    let altered =
        v1_body(STATE_SYNC, OK_NODE, &keys().platform, None).replace("\"success\"", "\"failed\"");
    for body in [forged, altered] {
        let server = v1_server(
            vec![],
            ResponseTemplate::new(200).set_body_raw(body, "application/json"),
        )
        .await;
        let err = expect_err(client(&server).execute(STATE_SYNC, "{}")).await;
        assert!(
            matches!(err, Error::Signature(SignatureError::Mismatch)),
            "{err:?}"
        );
    }
    // v3: success and error bodies signed by another key.
    for (status, body) in [
        (200, V3_OK),
        (400, r#"{"code":"INVALID_PARAMETER","message":"x"}"#),
    ] {
        let server = v3_server(vec![], v3_signed(status, body, &other, None)).await;
        let err = expect_err(client(&server).v3().cumulation_sync(&sync_model())).await;
        assert!(
            matches!(err, Error::Signature(SignatureError::Mismatch)),
            "{status}: {err:?}"
        );
    }
}

#[tokio::test]
async fn malformed_signatures_are_told_apart() {
    let good = v1_body(STATE_SYNC, OK_NODE, &keys().platform, None);
    let sign_at = good.find("\"sign\":\"").unwrap() + 8;
    for bad in ["not base64!", "AAAA"] {
        let body = format!("{}{bad}\"}}", &good[..sign_at]);
        let server = v1_server(
            vec![],
            ResponseTemplate::new(200).set_body_raw(body, "application/json"),
        )
        .await;
        let err = expect_err(client(&server).execute(STATE_SYNC, "{}")).await;
        assert!(
            matches!(err, Error::Signature(SignatureError::Malformed)),
            "{bad}: {err:?}"
        );
    }
    let t =
        v3_signed(200, V3_OK, &keys().platform, None).insert_header(v3::HEADER_SIGNATURE, "%%%");
    let server = v3_server(vec![], t).await;
    let err = expect_err(client(&server).v3().cumulation_sync(&sync_model())).await;
    assert!(
        matches!(err, Error::Signature(SignatureError::Malformed)),
        "{err:?}"
    );
}

#[tokio::test]
async fn cert_mode_responses_must_name_the_configured_platform_certificate() {
    let k = keys();
    let want = platform_cert_sn();
    let wrong = "ffffffffffffffffffffffffffffffff";
    for sn in [Some(wrong), None] {
        // v1 `alipay_cert_sn`
        let body = v1_body(STATE_SYNC, OK_NODE, &k.platform, sn);
        let server = v1_server(
            vec![],
            ResponseTemplate::new(200).set_body_raw(body, "application/json"),
        )
        .await;
        let err = expect_err(
            cert_builder(&server.uri())
                .build()
                .unwrap()
                .execute(STATE_SYNC, "{}"),
        )
        .await;
        let Error::Signature(SignatureError::CertSn { expected, got }) = err else {
            panic!("{err:?}")
        };
        assert_eq!((expected.as_str(), got.as_deref()), (want.as_str(), sn));

        // v3 `alipay-sn`
        let server = v3_server(vec![], v3_signed(200, V3_OK, &k.platform, sn)).await;
        let client = cert_builder(&server.uri()).build().unwrap();
        let err = expect_err(client.v3().cumulation_sync(&sync_model())).await;
        let Error::Signature(SignatureError::CertSn { expected, got }) = err else {
            panic!("{err:?}")
        };
        assert_eq!((expected.as_str(), got.as_deref()), (want.as_str(), sn));
    }
    // The right SN passes in both protocols.
    let server = v1_server(
        vec![],
        FakeGateway {
            cert_sn: Some(want.clone()),
            ..FakeGateway::ok(OK_NODE)
        },
    )
    .await;
    cert_builder(&server.uri())
        .build()
        .unwrap()
        .v1()
        .state_data_sync(&state_model())
        .await
        .unwrap();
    let server = v3_server(
        vec![],
        FakeV3 {
            sn: Some(want),
            ..FakeV3::ok(V3_OK)
        },
    )
    .await;
    cert_builder(&server.uri())
        .build()
        .unwrap()
        .v3()
        .cumulation_sync(&sync_model())
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// AES
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn aes_requests_and_responses_round_trip_in_both_protocols() {
    let k = keys();
    let key = AesKey::from_base64(&k.aes_b64).unwrap();
    let server = v1_server(
        vec![],
        FakeGateway {
            aes: Some(key.clone()),
            ..FakeGateway::ok(OK_NODE)
        },
    )
    .await;
    let client = builder(&server.uri()).aes_key(&k.aes_b64).build().unwrap();
    let reply = client.v1().state_data_sync(&state_model()).await.unwrap();
    assert_eq!(reply.data.biz_result.as_deref(), Some("success"));
    let req = &requests(&server).await[0];
    assert_eq!(v1_params(req).get("encrypt_type"), Some("AES"));
    assert_eq!(v1_biz_json(req, Some(&key))["out_biz_no"], "ZMDS-RETRY-1");

    let server = v3_server(
        vec![],
        FakeV3 {
            aes: Some(key.clone()),
            ..FakeV3::ok(V3_OK)
        },
    )
    .await;
    let client = builder(&server.uri()).aes_key(&k.aes_b64).build().unwrap();
    let reply = client.v3().cumulation_sync(&sync_model()).await.unwrap();
    assert_eq!(
        reply.data.agreement_no.as_deref(),
        Some("20195108518085620000")
    );
    let req = &requests(&server).await[0];
    assert_eq!(header(req, "content-type"), Some("text/plain"));
    let plain = key
        .decrypt_to_string(std::str::from_utf8(&req.body).unwrap())
        .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&plain).unwrap()["out_biz_no"],
        "B-1"
    );

    // An encrypted v3 error body is decrypted into the typed refusal.
    let err_body = r#"{"code":"REQUEST_PARAM_ILLEGAL","message":"x"}"#;
    let server = v3_server(
        vec![],
        FakeV3 {
            status: 400,
            body: err_body.into(),
            aes: Some(key),
            sn: None,
        },
    )
    .await;
    let client = builder(&server.uri()).aes_key(&k.aes_b64).build().unwrap();
    let err = expect_err(client.v3().cumulation_sync(&sync_model())).await;
    let Error::Api(ApiError::V3(e)) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (e.code.as_str(), e.body.as_str(), e.verified),
        ("REQUEST_PARAM_ILLEGAL", err_body, true)
    );
}

#[tokio::test]
async fn undecryptable_responses_are_malformed() {
    let k = keys();
    let other = AesKey::generate();
    let server = v1_server(
        vec![],
        FakeGateway {
            aes: Some(other.clone()),
            ..FakeGateway::ok(OK_NODE)
        },
    )
    .await;
    let client = builder(&server.uri()).aes_key(&k.aes_b64).build().unwrap();
    let err = expect_err(client.execute(STATE_SYNC, "{}")).await;
    assert!(matches!(err, Error::MalformedResponse(_)), "{err:?}");

    let server = v3_server(
        vec![],
        FakeV3 {
            aes: Some(other),
            ..FakeV3::ok(V3_OK)
        },
    )
    .await;
    let client = builder(&server.uri()).aes_key(&k.aes_b64).build().unwrap();
    let err = expect_err(client.v3().cumulation_sync(&sync_model())).await;
    assert!(matches!(err, Error::MalformedResponse(_)), "{err:?}");
}

#[tokio::test]
async fn success_bodies_that_do_not_fit_the_model_are_malformed() {
    let server = v3_server(vec![], FakeV3::ok(r#"{"out_biz_no":12}"#)).await;
    let err = expect_err(client(&server).v3().cumulation_sync(&sync_model())).await;
    let Error::MalformedResponse(msg) = err else {
        panic!("{err:?}")
    };
    assert!(msg.contains("out_biz_no"), "{msg}");
}
