//! Each call is traced as one `zhima_call` span (method, out_biz_no, attempt, latency,
//! outcome), and nothing secret — keys, signatures, the app auth token — reaches the logs or
//! a `Debug` print.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use tracing_subscriber::fmt::format::FmtSpan;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};
use zhima_client::RequestStrategy;

const TOKEN: &str = "202405BBtestAppAuthToken0000000000000001";

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

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[tokio::test]
async fn calls_are_traced_without_secrets() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(FakeGateway::ok(
            r#"{"code":"10000","msg":"Success","biz_result":"success"}"#,
        ))
        .mount(&server)
        .await;
    let client = builder(&server.uri())
        .app_auth_token(TOKEN)
        .strategy(RequestStrategy::Retry {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        })
        .build()
        .unwrap();
    client
        .execute("zhima.data.state.data.sync", r#"{"out_biz_no":"TRACE-1"}"#)
        .await
        .unwrap();

    let logs = capture.text();
    for expected in [
        "zhima_call",
        "zhima.data.state.data.sync",
        "TRACE-1",
        "attempt=2",
        "latency_ms=",
        "outcome=\"ok\"",
        "retrying",
        "http_status",
    ] {
        assert!(
            logs.contains(expected),
            "{expected:?} missing from logs:\n{logs}"
        );
    }
    let k = keys();
    let mut secrets = vec![
        TOKEN.to_string(),
        k.app_pkcs1_pem.lines().nth(1).unwrap().to_string(),
    ];
    for req in server.received_requests().await.unwrap() {
        let sign = v1_params(&req).get("sign").unwrap().to_string();
        secrets.push(sign[..40].to_string());
    }
    let debug = format!("{client:?}");
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "secret {secret:?} logged:\n{logs}"
        );
        assert!(
            !debug.contains(secret.as_str()),
            "secret {secret:?} in Debug: {debug}"
        );
    }
    assert!(
        debug.contains("<redacted>") && debug.contains("2021000000000001"),
        "{debug}"
    );
}
