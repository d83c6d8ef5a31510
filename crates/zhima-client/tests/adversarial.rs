//! Red-team tests: responses crafted with zhima-proto (and raw sockets) that try to make the
//! SDK accept something it must not, leak a secret, or retry wrongly. Each test names the
//! attack; the assertions are the house rule (fail-closed, clear error, no secret in output).

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use common::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};
use zhima_client::proto::aes::AesKey;
use zhima_client::proto::v1::{self as pv1, Charset, ResponseNode};
use zhima_client::proto::v3 as pv3;
use zhima_client::proto::SignType;
use zhima_client::{ApiError, Error, Method, RequestStrategy, SignatureError, ZhimaClient};

const STATE_SYNC: &str = "zhima.data.state.data.sync";
const NODE_KEY: &str = "zhima_data_state_data_sync_response";
const OK_NODE: &str = r#"{"code":"10000","msg":"Success","biz_result":"success"}"#;
const V3_PATH: &str = "/v3/zhima/credit/pe/zmgo/cumulation/sync";
const V3_BODY: &str = r#"{"out_biz_no":"B-ADV-1"}"#;
const V3_OK: &str = r#"{"out_biz_no":"B-ADV-1","agreement_no":"A1"}"#;

fn fast_retry(max_attempts: u32) -> RequestStrategy {
    RequestStrategy::Retry {
        max_attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    }
}

/// The platform's RSA2 (or `sign_type`) signature over `text`.
fn platform_sign(text: &str, sign_type: SignType) -> String {
    keys().platform.sign(sign_type, text.as_bytes()).unwrap()
}

/// A server answering every request with `template`.
async fn serve(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

/// Answers every v1 request with `body` (HTTP 200, JSON) and calls `state_data_sync` once.
async fn v1_call_with_body(body: impl Into<Vec<u8>>) -> zhima_client::Result<String> {
    let server =
        serve(ResponseTemplate::new(200).set_body_raw(body.into(), "application/json")).await;
    let client = builder(&server.uri()).build().unwrap();
    client
        .execute(STATE_SYNC, r#"{"out_biz_no":"ADV-1"}"#)
        .await
        .map(|r| r.node_json)
}

fn malformed(result: zhima_client::Result<String>) -> String {
    match result {
        Err(Error::MalformedResponse(msg)) => msg,
        other => panic!("expected MalformedResponse, got {other:?}"),
    }
}

async fn requests(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.unwrap()
}

// ---------------------------------------------------------------------------------------------
// v1 bodies
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn v1_signed_node_of_another_method_is_rejected() {
    let body = v1_body(
        "zhima.credit.pe.zmgo.cumulation.sync",
        OK_NODE,
        &keys().platform,
        None,
    );
    let msg = malformed(v1_call_with_body(body).await);
    assert!(msg.contains(NODE_KEY), "{msg}");
}

#[tokio::test]
async fn v1_error_response_next_to_a_signed_success_is_ambiguous() {
    // The Java SDK parses the first object member (here the refusal) while verifying the
    // method node: accepting the success would disagree with it on the same bytes.
    let sign = platform_sign(OK_NODE, SignType::Rsa2);
    let body = format!(
        r#"{{"error_response":{{"code":"40004","msg":"Business Failed","sub_code":"X"}},"{NODE_KEY}":{OK_NODE},"sign":"{sign}"}}"#
    );
    let msg = malformed(v1_call_with_body(body).await);
    assert!(msg.contains("error_response"), "{msg}");
}

#[tokio::test]
async fn v1_node_twice_is_rejected() {
    let sign = platform_sign(OK_NODE, SignType::Rsa2);
    let body = format!(r#"{{"{NODE_KEY}":{OK_NODE},"{NODE_KEY}":{OK_NODE},"sign":"{sign}"}}"#);
    let msg = malformed(v1_call_with_body(body).await);
    assert!(msg.contains("twice"), "{msg}");
}

#[tokio::test]
async fn v1_sign_before_the_node_and_whitespace_around_it_still_verify() {
    // The signature covers the node text only; member order and whitespace between members
    // are not part of it (the Java and Python SDKs accept both).
    let sign = platform_sign(OK_NODE, SignType::Rsa2);
    let body = format!("{{ \"sign\" : \"{sign}\" ,\n \"{NODE_KEY}\" :\t{OK_NODE} \r\n}}");
    assert_eq!(v1_call_with_body(body).await.unwrap(), OK_NODE);
}

#[tokio::test]
async fn v1_extra_root_members_are_ignored_but_cannot_smuggle_a_node() {
    let sign = platform_sign(OK_NODE, SignType::Rsa2);
    let body = format!(r#"{{"{NODE_KEY}":{OK_NODE},"sign":"{sign}","extra":{{"a":[1,2]}}}}"#);
    assert_eq!(v1_call_with_body(body).await.unwrap(), OK_NODE);
    // A second copy of the node hidden in an extra member after the signed one.
    let body = format!(
        r#"{{"{NODE_KEY}":{OK_NODE},"sign":"{sign}","x":{{"{NODE_KEY}":{{"code":"10000"}}}}}}"#
    );
    malformed(v1_call_with_body(body).await);
}

#[tokio::test]
async fn v1_rsa_signature_is_refused_when_rsa2_is_configured() {
    let sign = platform_sign(OK_NODE, SignType::Rsa);
    let body = format!(r#"{{"{NODE_KEY}":{OK_NODE},"sign":"{sign}"}}"#);
    let err = v1_call_with_body(body).await.unwrap_err();
    assert!(
        matches!(err, Error::Signature(SignatureError::Mismatch)),
        "{err:?}"
    );
}

#[tokio::test]
async fn v1_bom_before_the_body_is_malformed() {
    let body = format!(
        "\u{feff}{}",
        v1_body(STATE_SYNC, OK_NODE, &keys().platform, None)
    );
    let msg = malformed(v1_call_with_body(body).await);
    assert!(msg.contains("JSON"), "{msg}");
}

#[tokio::test]
async fn v1_success_code_with_a_sub_code_is_a_refusal() {
    // Both official SDKs decide success by an empty sub_code (AlipayResponse.isSuccess).
    let node =
        r#"{"code":"10000","msg":"Success","sub_code":"ZMDATA.BIZ_DATA_ERROR","sub_msg":"x"}"#;
    let body = v1_body(STATE_SYNC, node, &keys().platform, None);
    match v1_call_with_body(body).await {
        Err(Error::Api(ApiError::V1(e))) => {
            assert_eq!(e.code, "10000");
            assert_eq!(e.sub_code.as_deref(), Some("ZMDATA.BIZ_DATA_ERROR"));
            assert!(e.verified);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // An empty sub_code is no sub_code.
    let node = r#"{"code":"10000","msg":"Success","sub_code":""}"#;
    let body = v1_body(STATE_SYNC, node, &keys().platform, None);
    assert!(v1_call_with_body(body).await.is_ok());
}

#[tokio::test]
async fn v1_signed_error_response_is_never_a_success() {
    // error_response is not bound to a method: even signed, code 10000 there proves nothing
    // about the method called.
    let body = pv1::build_response(
        "error_response",
        &ResponseNode::Json(OK_NODE.into()),
        &keys().platform,
        SignType::Rsa2,
        Charset::Utf8,
        None,
    )
    .unwrap();
    let msg = malformed(v1_call_with_body(body).await);
    assert!(msg.contains("error_response"), "{msg}");
}

#[tokio::test]
async fn v1_numeric_code_is_malformed() {
    let node = r#"{"code":10000,"msg":"Success"}"#;
    let body = v1_body(STATE_SYNC, node, &keys().platform, None);
    let msg = malformed(v1_call_with_body(body).await);
    assert!(msg.contains("code"), "{msg}");
}

#[tokio::test]
async fn v1_non_json_200_and_html_are_malformed() {
    for body in ["OK", "<html><body>502 Bad Gateway</body></html>", ""] {
        let server =
            serve(ResponseTemplate::new(200).set_body_raw(body, "text/html;charset=GBK")).await;
        let client = builder(&server.uri()).build().unwrap();
        let err = client.execute(STATE_SYNC, "{}").await.unwrap_err();
        assert!(
            matches!(err, Error::MalformedResponse(_)),
            "{body:?}: {err:?}"
        );
        assert!(!err.is_retryable());
    }
}

#[tokio::test]
async fn v1_gzip_body_without_asking_for_it_is_malformed() {
    let server = serve(
        ResponseTemplate::new(200)
            .insert_header("content-encoding", "gzip")
            .set_body_raw(
                vec![0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x00],
                "application/json",
            ),
    )
    .await;
    let client = builder(&server.uri()).build().unwrap();
    let err = client.execute(STATE_SYNC, "{}").await.unwrap_err();
    assert!(matches!(err, Error::MalformedResponse(_)), "{err:?}");
    // The client never asked for compression.
    let req = &requests(&server).await[0];
    assert!(header(req, "accept-encoding").is_none_or(|v| !v.contains("gzip")));
}

#[tokio::test]
async fn oversized_bodies_are_refused_even_when_signed() {
    // A validly signed node padded past the cap: without a cap the whole body is buffered.
    let pad = "x".repeat(zhima_client::MAX_RESPONSE_BYTES + 1);
    let node = format!(r#"{{"code":"10000","msg":"Success","pad":"{pad}"}}"#);
    let body = v1_body(STATE_SYNC, &node, &keys().platform, None);
    let msg = malformed(v1_call_with_body(body.clone()).await);
    assert!(msg.contains("larger than"), "{msg}");

    // Chunked (no Content-Length): the cap holds while streaming too.
    let base = raw_server(vec![chunked_response(body.as_bytes())]).await;
    let client = builder(&base.url).build().unwrap();
    let err = client.execute(STATE_SYNC, "{}").await.unwrap_err();
    assert!(
        matches!(&err, Error::MalformedResponse(m) if m.contains("larger than")),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// v3
// ---------------------------------------------------------------------------------------------

async fn v3_call(server: &MockServer) -> zhima_client::Result<zhima_client::V3Response> {
    builder(&server.uri())
        .build()
        .unwrap()
        .request(Method::POST, V3_PATH, Some(V3_BODY))
        .await
}

fn v3_headers(body_signed: &str, timestamp_ms: i64) -> pv3::ResponseHeaders {
    pv3::sign_response(&keys().platform, timestamp_ms, "n-adv", body_signed, None).unwrap()
}

fn v3_template(status: u16, body: &str, h: &pv3::ResponseHeaders) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header(pv3::HEADER_TIMESTAMP, h.timestamp.as_str())
        .insert_header(pv3::HEADER_NONCE, h.nonce.as_str())
        .insert_header(pv3::HEADER_SIGNATURE, h.signature.as_str())
        .set_body_raw(body.to_string(), "application/json")
}

#[tokio::test]
async fn v3_signature_over_another_body_is_a_mismatch() {
    let h = v3_headers(r#"{"out_biz_no":"OTHER"}"#, Utc::now().timestamp_millis());
    let server = serve(v3_template(200, V3_OK, &h)).await;
    let err = v3_call(&server).await.unwrap_err();
    assert!(
        matches!(err, Error::Signature(SignatureError::Mismatch)),
        "{err:?}"
    );
}

#[tokio::test]
async fn v3_header_names_are_case_insensitive() {
    let h = v3_headers(V3_OK, Utc::now().timestamp_millis());
    let server = serve(
        ResponseTemplate::new(200)
            .insert_header("Alipay-Timestamp", h.timestamp.as_str())
            .insert_header("ALIPAY-NONCE", h.nonce.as_str())
            .insert_header("Alipay-Signature", h.signature.as_str())
            .set_body_raw(V3_OK, "application/json"),
    )
    .await;
    assert_eq!(v3_call(&server).await.unwrap().body, V3_OK);
}

#[tokio::test]
async fn v3_duplicated_signature_headers_are_rejected() {
    let h = v3_headers(V3_OK, Utc::now().timestamp_millis());
    let junk = platform_sign("junk", SignType::Rsa2);
    for name in [
        pv3::HEADER_SIGNATURE,
        pv3::HEADER_TIMESTAMP,
        pv3::HEADER_NONCE,
    ] {
        let server = serve(v3_template(200, V3_OK, &h).append_header(name, junk.as_str())).await;
        let err = v3_call(&server).await.unwrap_err();
        assert!(
            matches!(&err, Error::Signature(SignatureError::Duplicate(h)) if h == name),
            "{name}: {err:?}"
        );
    }
}

#[tokio::test]
async fn v3_replayed_old_response_is_stale() {
    let old = Utc::now() - chrono::Duration::hours(2);
    let h = v3_headers(V3_OK, old.timestamp_millis());
    let server = serve(v3_template(200, V3_OK, &h)).await;
    let err = v3_call(&server).await.unwrap_err();
    assert!(
        matches!(err, Error::Signature(SignatureError::Stale { .. })),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    // From the future too.
    let ahead = Utc::now() + chrono::Duration::hours(2);
    let h = v3_headers(V3_OK, ahead.timestamp_millis());
    let server = serve(v3_template(200, V3_OK, &h)).await;
    assert!(matches!(
        v3_call(&server).await.unwrap_err(),
        Error::Signature(SignatureError::Stale { .. })
    ));
    // Within the window is fine, and the check can be switched off.
    let h = v3_headers(
        V3_OK,
        (Utc::now() - chrono::Duration::minutes(5)).timestamp_millis(),
    );
    let server = serve(v3_template(200, V3_OK, &h)).await;
    assert!(v3_call(&server).await.is_ok());
    let h = v3_headers(V3_OK, old.timestamp_millis());
    let server = serve(v3_template(200, V3_OK, &h)).await;
    let lenient = builder(&server.uri())
        .response_max_skew(None)
        .build()
        .unwrap();
    assert!(lenient
        .request(Method::POST, V3_PATH, Some(V3_BODY))
        .await
        .is_ok());
}

#[tokio::test]
async fn v3_non_numeric_timestamp_is_stale() {
    let h = pv3::sign_response(&keys().platform, 0, "n", V3_OK, None).unwrap();
    let h = pv3::ResponseHeaders {
        timestamp: "yesterday".into(),
        ..h
    };
    let sig = platform_sign(&format!("yesterday\nn\n{V3_OK}\n"), SignType::Rsa2);
    let h = pv3::ResponseHeaders {
        signature: sig,
        ..h
    };
    let server = serve(v3_template(200, V3_OK, &h)).await;
    let err = v3_call(&server).await.unwrap_err();
    assert!(
        matches!(err, Error::Signature(SignatureError::Stale { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let elsewhere = serve(v3_signed(200, V3_OK, &keys().platform, None)).await;
    let server = serve(
        ResponseTemplate::new(301)
            .insert_header("location", format!("{}{V3_PATH}", elsewhere.uri()).as_str()),
    )
    .await;
    let client = builder(&server.uri())
        .strategy(fast_retry(3))
        .build()
        .unwrap();
    let err = client
        .request(Method::POST, V3_PATH, Some(V3_BODY))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::HttpStatus { status: 301, .. }),
        "{err:?}"
    );
    let err = client.execute(STATE_SYNC, "{}").await.unwrap_err();
    assert!(
        matches!(err, Error::HttpStatus { status: 301, .. }),
        "{err:?}"
    );
    assert!(requests(&elsewhere).await.is_empty(), "redirect followed");
    assert_eq!(requests(&server).await.len(), 2, "3xx is not retried");
}

#[tokio::test]
async fn v3_204_must_still_be_signed() {
    let server = serve(ResponseTemplate::new(204)).await;
    let err = v3_call(&server).await.unwrap_err();
    assert!(
        matches!(err, Error::Signature(SignatureError::Missing(_))),
        "{err:?}"
    );
    let h = v3_headers("", Utc::now().timestamp_millis());
    let server = serve(v3_template(204, "", &h)).await;
    let reply = v3_call(&server).await.unwrap();
    assert_eq!((reply.status, reply.body.as_str()), (204, ""));
}

#[tokio::test]
async fn v3_encrypted_response_to_a_clear_request_does_not_parse_as_success() {
    let aes = AesKey::from_base64(&keys().aes_b64).unwrap();
    let cipher = aes.encrypt(V3_OK.as_bytes());
    let server = serve(v3_signed(200, &cipher, &keys().platform, None)).await;
    let client = builder(&server.uri()).build().unwrap();
    let model = serde_json::from_str(V3_BODY).unwrap();
    let err = client.v3().cumulation_sync(&model).await.unwrap_err();
    assert!(matches!(err, Error::MalformedResponse(_)), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// retries
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn signature_failures_and_4xx_are_never_retried() {
    let bad = ResponseTemplate::new(200).set_body_raw(
        format!(
            r#"{{"{NODE_KEY}":{OK_NODE},"sign":"{}"}}"#,
            platform_sign("other", SignType::Rsa2)
        ),
        "application/json",
    );
    for (template, what) in [
        (bad, "bad signature"),
        (
            ResponseTemplate::new(400).set_body_string("bad"),
            "HTTP 400",
        ),
        (
            ResponseTemplate::new(429).set_body_string("slow down"),
            "HTTP 429",
        ),
    ] {
        let server = serve(template).await;
        let client = builder(&server.uri())
            .strategy(fast_retry(4))
            .build()
            .unwrap();
        client.execute(STATE_SYNC, "{}").await.unwrap_err();
        assert_eq!(requests(&server).await.len(), 1, "{what} was retried");
    }
}

#[tokio::test]
async fn total_attempts_are_respected() {
    let server = serve(ResponseTemplate::new(503)).await;
    let client = builder(&server.uri())
        .strategy(fast_retry(3))
        .build()
        .unwrap();
    let err = client
        .request(Method::POST, V3_PATH, Some(V3_BODY))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::HttpStatus { status: 503, .. }));
    assert_eq!(requests(&server).await.len(), 3);
}

/// A raw HTTP/1.1 server answering the n-th connection with `responses[n]` (a byte string,
/// or `None` to send a 200 head and stall mid-body), recording each request.
struct RawServer {
    url: String,
    seen: Arc<Mutex<Vec<Vec<u8>>>>,
}

fn chunked_response(body: &[u8]) -> Option<Vec<u8>> {
    let mut out =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    for chunk in body.chunks(64 * 1024) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    Some(out)
}

async fn read_request(sock: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = sock.read(&mut chunk).await.unwrap_or(0);
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let len: usize = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return buf;
            }
        }
        if n == 0 {
            return buf;
        }
    }
}

async fn raw_server(responses: Vec<Option<Vec<u8>>>) -> RawServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        for response in responses {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let request = read_request(&mut sock).await;
            record.lock().unwrap().push(request);
            tokio::spawn(async move {
                match response {
                    Some(bytes) => {
                        let _ = sock.write_all(&bytes).await;
                        let _ = sock.shutdown().await;
                    }
                    None => {
                        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"zhima_data";
                        let _ = sock.write_all(head.as_bytes()).await;
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                }
            });
        }
    });
    RawServer { url, seen }
}

#[tokio::test]
async fn timeout_mid_body_is_retried_with_the_same_out_biz_no() {
    // The platform may have committed before the body stalled: the retry must be the same
    // business request (same out_biz_no), which the platform deduplicates.
    let body = v1_body(STATE_SYNC, OK_NODE, &keys().platform, None);
    let ok = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let server = raw_server(vec![None, Some(ok.into_bytes())]).await;
    let client = builder(&server.url)
        .timeout(Duration::from_millis(300))
        .strategy(fast_retry(3))
        .build()
        .unwrap();
    let reply = client
        .execute(STATE_SYNC, r#"{"out_biz_no":"SAME-1","x":"y"}"#)
        .await
        .unwrap();
    assert_eq!(reply.attempts, 2);
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    let biz: Vec<String> = seen
        .iter()
        .map(|raw| {
            let text = String::from_utf8_lossy(raw);
            let (head, body) = text.split_once("\r\n\r\n").unwrap();
            let target = head.lines().next().unwrap().split(' ').nth(1).unwrap();
            let query = target.split_once('?').map_or("", |(_, q)| q);
            let params =
                pv1::GatewayParams::parse(query.as_bytes(), body.as_bytes(), Some("utf-8"))
                    .unwrap();
            params.get("biz_content").unwrap().to_string()
        })
        .collect();
    assert_eq!(biz[0], r#"{"out_biz_no":"SAME-1","x":"y"}"#);
    assert_eq!(biz[0], biz[1]);
}

// ---------------------------------------------------------------------------------------------
// secrets
// ---------------------------------------------------------------------------------------------

const TOKEN: &str = "202405BBadversarialToken00000000000000001";

#[tokio::test]
async fn no_secret_in_debug_display_or_trace_logs() {
    use std::io::Write;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);
    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let capture = Capture::default();
    let writer = capture.clone();
    // Global, so dependencies' `log` records (reqwest, hyper) are bridged in as well.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .unwrap();

    let k = keys();
    let server = MockServer::start().await;
    let mut gateway =
        FakeGateway::ok(r#"{"code":"40004","msg":"Business Failed","sub_code":"SYSTEM_ERROR"}"#);
    gateway.aes = Some(AesKey::from_base64(&k.aes_b64).unwrap());
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(gateway)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500).set_body_string(r#"{"code":"SYSTEM_ERROR"}"#))
        .mount(&server)
        .await;
    let builder_debug = format!(
        "{:?}",
        builder(&server.uri())
            .aes_key(&k.aes_b64)
            .app_auth_token(TOKEN)
    );
    let client: ZhimaClient = builder(&server.uri())
        .aes_key(&k.aes_b64)
        .app_auth_token(TOKEN)
        .strategy(fast_retry(2))
        .build()
        .unwrap();
    let v1_err = client
        .execute(STATE_SYNC, r#"{"out_biz_no":"SECRET-TRACE"}"#)
        .await
        .unwrap_err();
    let v3_err = client
        .request(Method::GET, "/v3/x?a=1", None)
        .await
        .unwrap_err();
    let timeout_err = builder("http://127.0.0.1:9")
        .app_auth_token(TOKEN)
        .connect_timeout(Duration::from_millis(50))
        .build()
        .unwrap()
        .execute(STATE_SYNC, "{}")
        .await
        .unwrap_err();

    let mut secrets = vec![
        TOKEN.to_string(),
        k.aes_b64.clone(),
        k.app_pkcs1_pem.lines().nth(1).unwrap().to_string(),
    ];
    for req in requests(&server).await {
        if let Some(sign) = v1_params(&req).get("sign") {
            secrets.push(sign[..40].to_string());
            // The whole sign string would hold biz_content and the token.
            secrets.push("app_auth_token=".into());
        }
        if let Some(auth) = header(&req, "authorization") {
            let sig = auth.rsplit("sign=").next().unwrap();
            secrets.push(sig[..40].to_string());
        }
    }
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("zhima_call"), "nothing traced:\n{logs}");
    let printed = [
        logs,
        builder_debug,
        format!("{client:?}"),
        format!("{v1_err:?} {v1_err}"),
        format!("{v3_err:?} {v3_err}"),
        format!("{timeout_err:?} {timeout_err}"),
    ];
    for text in &printed {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{secret:?} leaked in:\n{text}"
            );
        }
    }
}

#[tokio::test]
async fn non_utf8_5xx_page_is_an_http_status_and_retried() {
    // A proxy's 503 page in GBK ("服务繁忙"): a status error worth retrying, not a malformed
    // protocol response that stops the retries.
    let gbk: &[u8] = &[0xB7, 0xFE, 0xCE, 0xF1, 0xB7, 0xB1, 0xC3, 0xA6];
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(503).set_body_raw(gbk.to_vec(), "text/html;charset=GBK"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(FakeGateway::ok(OK_NODE))
        .mount(&server)
        .await;
    let client = builder(&server.uri())
        .strategy(fast_retry(2))
        .build()
        .unwrap();
    let reply = client.execute(STATE_SYNC, "{}").await.unwrap();
    assert_eq!(reply.attempts, 2);
}
