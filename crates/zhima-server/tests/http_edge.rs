//! The edge against unauthenticated attackers (issue "The edge holds against anyone"): log
//! injection, unbounded untrusted strings, malformed framing, connection timeouts and caps,
//! and the app auth token in debug logs. Each test fails without its fix.

mod http_support;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use http_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zhima_proto::v1::Charset;

// ---------------------------------------------------------------------------------------
// A log captured in memory (nextest runs each test in its own process, so one global
// subscriber per test is fine). No escaping writer here: the handlers' own fields must be
// safe without the process log's last line of defence.
// ---------------------------------------------------------------------------------------

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_log() -> Captured {
    static LOG: OnceLock<Captured> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Captured::default();
        let writer = log.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        log
    })
    .clone()
}

impl Captured {
    fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }
}

/// One raw exchange: writes `request`, optionally half-closes, reads until the server closes
/// (or 10 s pass).
async fn exchange(addr: &str, request: &[u8], half_close: bool) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    if half_close {
        stream.shutdown().await.unwrap();
    }
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf))
        .await
        .expect("the server answers and closes")
        .unwrap();
    buf
}

fn split_response(raw: &[u8]) -> V1Reply {
    V1Reply::from_raw(parse_raw_response(raw))
}

/// A v1 body exchange whose answer is `error_response` (no method known).
fn error_node(reply: &V1Reply) -> serde_json::Value {
    serde_json::from_str(&verified_node_json(&reply.text(Charset::Utf8), "")).unwrap()
}

async fn post_form(server: &TestServer, body: Vec<u8>) -> V1Reply {
    let resp = client()
        .post(format!("{}/gateway.do", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    V1Reply::from_response(resp).await
}

// ---------------------------------------------------------------------------------------
// 1. Log injection
// ---------------------------------------------------------------------------------------

/// Newlines and NULs in any parameter never start a line of their own or reach the log raw.
#[tokio::test]
async fn request_values_cannot_forge_log_lines() {
    let log = capture_log();
    let server = TestServer::start().await;
    let forged = "zz\n2026-01-01T00:00:00.000000Z  INFO zhima_server::http: request ok FORGED";
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let bodies = [
        format!("method={}&app_id=1", enc(forged)),
        "method=zz%00yy&app_id=1".to_string(),
        format!("method={STATE_SYNC}&app_id={}", enc(forged)),
        format!(
            "method={STATE_SYNC}&app_id={APP_ID}&sign_type=RSA2&sign=x&timestamp={}",
            enc(forged)
        ),
        format!(
            "method={STATE_SYNC}&app_id={APP_ID}&sign_type={}&sign=x",
            enc(forged)
        ),
    ];
    for body in bodies {
        let reply = post_form(&server, body.into_bytes()).await;
        assert_eq!(reply.status, 200);
        assert_ne!(reply.text(Charset::Utf8), "");
    }
    // v3: the Authorization header cannot carry a newline, but its fields can carry anything
    // else; and the HTTP method token is the client's too.
    let raw = format!(
        "POST {V3_SYNC} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\nAuthorization: ALIPAY-SHA256withRSA app_id=1\\u000aFORGED,nonce=a,timestamp=1,sign=x\r\n\r\n{{}}"
    );
    exchange(&server.addr(), raw.as_bytes(), false).await;
    server.stop().await.unwrap();
    let bytes = log.bytes();
    assert!(!bytes.contains(&0), "a raw NUL reached the log");
    let text = log.text();
    assert!(text.contains("request rejected"), "{text}");
    for line in text.lines() {
        assert!(
            !line.starts_with("2026-01-01T00:00:00"),
            "forged line in the log: {line:?}"
        );
        assert!(!line.starts_with("FORGED"), "forged line: {line:?}");
    }
}

// ---------------------------------------------------------------------------------------
// 2. Unbounded untrusted strings
// ---------------------------------------------------------------------------------------

/// `method` beyond 128 characters and `app_id` beyond 32 are refused with a signed 40002
/// that does not echo them; audit rows and log lines stay small; a request's `sign` never
/// reaches the log.
#[tokio::test]
async fn over_long_method_and_app_id_are_refused_without_echo() {
    let log = capture_log();
    let server = TestServer::start().await;
    let huge_method = "m".repeat(1_000_000);
    for _ in 0..3 {
        let reply = post_form(
            &server,
            format!("app_id=x&method={huge_method}").into_bytes(),
        )
        .await;
        assert!(
            reply.bytes.len() < 2048,
            "answer of {} bytes echoes the method",
            reply.bytes.len()
        );
        assert!(reply
            .text(Charset::Utf8)
            .starts_with(r#"{"error_response":"#));
        assert_codes(&error_node(&reply), "40002", "isv.invalid-parameter");
    }
    // Exactly 128 is a (well-formed, unknown) method: echoed as usual.
    let m128 = "m".repeat(128);
    let reply = post_form(
        &server,
        format!("app_id={APP_ID}&method={m128}").into_bytes(),
    )
    .await;
    let text = reply.text(Charset::Utf8);
    assert!(
        text.starts_with(&format!("{{\"{m128}_response\":")),
        "{text}"
    );
    verified_node_json(&text, &m128);
    // 33-character app_id, and the `;`-separated request whose app_id swallows its sign.
    let sign = "S1GNATUREc2lnbmF0dXJlIHZhbHVlIHRoYXQgbXVzdCBuZXZlciBiZSBsb2dnZWQ=";
    for app_id in [
        "1".repeat(33),
        format!("{APP_ID};sign={sign};sign_type=RSA2"),
    ] {
        let body = format!(
            "method={STATE_SYNC}&app_id={}",
            form_urlencoded::byte_serialize(app_id.as_bytes()).collect::<String>()
        );
        let call = V1::new(STATE_SYNC, "{}");
        let reply = post_form(&server, body.into_bytes()).await;
        assert_codes(&reply.node(&call), "40002", "isv.invalid-parameter");
    }
    // A 33-character app_id in a v3 Authorization header.
    let mut call = V3::post(
        V3_SYNC,
        &cumulation_body(AGREEMENT_NO, PARTNER_ID, &unique("L")),
    );
    call.app_id = "1".repeat(33);
    call.send(&server)
        .await
        .assert_error(400, "invalid-parameter");
    server.storage.flush().await.unwrap();
    let audit = server.storage.recent_audit(100).await.unwrap();
    assert!(audit.len() >= 7, "{audit:?}");
    for entry in &audit {
        assert!(
            entry.method.len() <= 300,
            "audit method of {} bytes",
            entry.method.len()
        );
        let app = entry.app_id.as_deref().unwrap_or("");
        assert!(app.len() <= 32, "audit app_id {app:?}");
        assert!(!app.contains(sign) && !entry.method.contains(sign));
    }
    server.stop().await.unwrap();
    let text = log.text();
    assert!(text.contains("request rejected"), "{text}");
    assert!(
        !text.contains(&"m".repeat(200)),
        "the huge method reached the log"
    );
    assert!(!text.contains(sign), "a request's sign reached the log");
    for line in text.lines() {
        assert!(line.len() < 4096, "log line of {} bytes", line.len());
    }
}

// ---------------------------------------------------------------------------------------
// 3. Malformed framing is the client's error
// ---------------------------------------------------------------------------------------

/// Bad chunk sizes, short chunks and short Content-Length bodies get signed 400-class
/// answers (v1 40002, v3 400 invalid-parameter), never SYSTEM_ERROR, never logged at ERROR.
#[tokio::test]
async fn malformed_framing_is_answered_as_the_clients_error() {
    let log = capture_log();
    let server = TestServer::start().await;
    let call = state_call_v1();
    let (query, _) = call.wire();
    let framings: [(&str, &[u8], bool); 4] = [
        (
            "Transfer-Encoding: chunked",
            b"zz\r\nabc\r\n0\r\n\r\n",
            false,
        ),
        (
            "Transfer-Encoding: chunked",
            b"ffffffffffffffffff\r\nabc\r\n0\r\n\r\n",
            false,
        ),
        (
            "Transfer-Encoding: chunked",
            b"40\r\nabc\r\n0\r\n\r\n",
            true,
        ),
        ("Content-Length: 500", b"biz_content=abc", true),
    ];
    for (framing, body, half_close) in framings {
        // v1: method in the query, so the answer is the method's node.
        let mut request = format!(
            "POST /gateway.do?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n{framing}\r\n\r\n"
        )
        .into_bytes();
        request.extend_from_slice(body);
        let raw = exchange(&server.addr(), &request, half_close).await;
        let reply = split_response(&raw);
        assert_eq!(reply.status, 200, "{framing}");
        assert_codes(&reply.node(&call), "40002", "isv.invalid-parameter");
        // v1 without a method anywhere: the gateway's error_response, still 40002.
        let mut request = format!(
            "POST /gateway.do HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{framing}\r\n\r\n"
        )
        .into_bytes();
        request.extend_from_slice(body);
        let raw = exchange(&server.addr(), &request, half_close).await;
        assert_codes(
            &error_node(&split_response(&raw)),
            "40002",
            "isv.invalid-parameter",
        );
        // v3.
        let mut request = format!(
            "POST {V3_SYNC} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
        )
        .into_bytes();
        request.extend_from_slice(body);
        let raw = exchange(&server.addr(), &request, half_close).await;
        let reply = split_response(&raw);
        assert_eq!(
            reply.status,
            400,
            "{framing}: {}",
            reply.text(Charset::Utf8)
        );
        let text = reply.text(Charset::Utf8);
        assert!(text.contains(r#""code":"invalid-parameter""#), "{text}");
        assert!(
            reply.headers.contains_key("alipay-signature"),
            "unsigned v3 answer"
        );
    }
    server.stop().await.unwrap();
    let text = log.text();
    assert!(text.contains("request rejected"), "{text}");
    assert!(
        !text.contains("ERROR"),
        "framing errors logged at ERROR:\n{text}"
    );
}

fn state_call_v1() -> V1 {
    V1::new(
        STATE_SYNC,
        &state_sync_body(&unique("FR"), r#"{"orderNo":"o-1"}"#),
    )
}

// ---------------------------------------------------------------------------------------
// 4. Connection timeouts and the connection cap
// ---------------------------------------------------------------------------------------

/// Whether the server closes `stream` within `within` (EOF or reset), draining anything it
/// writes first.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// Idle connections, half request lines, partial headers, a slowloris and idle keep-alive
/// connections are all closed after the header-read timeout, while real requests are
/// answered all along.
#[tokio::test]
async fn idle_and_slow_connections_are_closed_while_real_requests_are_answered() {
    let server = TestServer::start_with(|s| {
        s.header_read_timeout = Duration::from_secs(1);
        s.max_connections = 500;
    })
    .await;
    let addr = server.addr();
    let mut bad = Vec::new();
    for i in 0..120 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        match i % 3 {
            0 => {}
            1 => s.write_all(b"POST /gatew").await.unwrap(),
            _ => s
                .write_all(b"POST /gateway.do HTTP/1.1\r\nHost: x\r\nContent-Ty")
                .await
                .unwrap(),
        }
        bad.push(s);
    }
    // A slowloris: one header byte every 200 ms, forever.
    let slowloris = tokio::spawn({
        let addr = addr.clone();
        async move {
            let mut s = TcpStream::connect(&addr).await.unwrap();
            let header = b"POST /gateway.do HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
            for b in header.iter().cycle().take(100) {
                tokio::time::sleep(Duration::from_millis(200)).await;
                if s.write_all(&[*b]).await.is_err() {
                    return true; // closed by the server
                }
            }
            false
        }
    });
    // Keep-alive connections that made one real request and then idle.
    let mut kept = Vec::new();
    for _ in 0..5 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        let request = raw_v1_request(&state_call_v1(), true);
        s.write_all(request.as_bytes()).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = s.read(&mut buf).await.unwrap();
        assert!(
            buf[..n].starts_with(b"HTTP/1.1 200"),
            "keep-alive request answered"
        );
        kept.push(s);
    }
    // Real requests are answered while all of that is open.
    for _ in 0..10 {
        let call = state_call_v1();
        assert_eq!(call.send(&server).await.node(&call)["code"], "10000");
    }
    for (i, s) in bad.iter_mut().chain(kept.iter_mut()).enumerate() {
        assert!(
            closed_within(s, Duration::from_secs(5)).await,
            "connection {i} still open long after the header-read timeout"
        );
    }
    assert!(slowloris.await.unwrap(), "the slowloris was never cut off");
    let call = state_call_v1();
    assert_eq!(call.send(&server).await.node(&call)["code"], "10000");
    server.stop().await.unwrap();
}

/// Past `max_connections` a new connection waits in the backlog (it is not served while the
/// cap is reached) and is served once an idle one is timed out.
#[tokio::test]
async fn the_connection_cap_holds_and_frees_up() {
    let server = TestServer::start_with(|s| {
        s.header_read_timeout = Duration::from_secs(1);
        s.max_connections = 4;
    })
    .await;
    let addr = server.addr();
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(&addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let call = state_call_v1();
    let request = raw_v1_request(&call, false);
    let mut fifth = TcpStream::connect(&addr).await.unwrap();
    fifth.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let early = tokio::time::timeout(Duration::from_millis(400), fifth.read_to_end(&mut buf)).await;
    assert!(early.is_err(), "served past the connection cap");
    tokio::time::timeout(Duration::from_secs(5), fifth.read_to_end(&mut buf))
        .await
        .expect("served once the idle connections timed out")
        .unwrap();
    let reply = split_response(&buf);
    assert_eq!(reply.node(&call)["code"], "10000");
    server.stop().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// 5. The app auth token in debug logs
// ---------------------------------------------------------------------------------------

/// A failed verification logs its string-to-sign at DEBUG with the token masked, on both
/// protocols.
#[tokio::test]
async fn the_app_auth_token_is_masked_in_the_logged_string_to_sign() {
    let log = capture_log();
    let server = TestServer::start().await;
    let call = state_call_v1()
        .set("app_auth_token", TOKEN)
        .after_sign("sign", Some("AAAA"));
    let node = call.send(&server).await.node(&call);
    assert_codes(&node, "40002", "isv.invalid-signature");
    let mut v3 = V3::post(
        V3_SYNC,
        &cumulation_body(TOKEN_AGREEMENT_NO, TOKEN_PARTNER_ID, &unique("T")),
    );
    v3.token = Some(TOKEN.to_owned());
    v3.tampered_body = Some(cumulation_body(
        TOKEN_AGREEMENT_NO,
        TOKEN_PARTNER_ID,
        &unique("T"),
    ));
    v3.send(&server)
        .await
        .assert_error(401, "invalid-signature");
    server.stop().await.unwrap();
    let text = log.text();
    assert!(text.contains("v1 string-to-sign"), "{text}");
    assert!(text.contains("v3 string-to-sign"), "{text}");
    assert!(
        !text.contains(TOKEN),
        "the app auth token reached the log:\n{text}"
    );
}

// ---------------------------------------------------------------------------------------
// Also seen
// ---------------------------------------------------------------------------------------

/// `//v3/…` is the v3 surface: a signed v3 404, like every other unknown v3 path.
#[tokio::test]
async fn double_slash_v3_paths_get_a_signed_v3_404() {
    let server = TestServer::start().await;
    let resp = client()
        .post(format!(
            "{}//v3/zhima/credit/pe/zmgo/cumulation/sync",
            server.base
        ))
        .body("{}")
        .send()
        .await
        .unwrap();
    let reply = V3Reply::from_response(resp).await;
    reply.assert_error(404, "invalid-method");
    server.stop().await.unwrap();
}
