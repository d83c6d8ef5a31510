//! `zhima replay`: against a real `zhima serve` for outcomes, and against wiremock (responses
//! signed with zhima-proto) for retries and concurrency, which need a platform that misbehaves
//! on demand.

mod cli_support;

use std::time::{Duration, Instant};

use cli_support::{cumulation_sync, state_sync, zhima, Keys, Serve};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zhima_proto::v1::{build_response, Charset, GatewayParams, ResponseNode};
use zhima_proto::SignType;

const STATE_SYNC: &str = "zhima.data.state.data.sync";

fn v1_line(biz: &str) -> String {
    // The recorded content is embedded as a JSON object, exactly as recorded.
    format!(r#"{{"api":"v1","method":"{STATE_SYNC}","biz_content":{biz}}}"#)
}

fn v3_line(body: &str) -> String {
    json!({"api": "v3", "path": "/v3/zhima/credit/pe/zmgo/cumulation/sync", "body": body})
        .to_string()
}

fn write_lines(dir: &std::path::Path, lines: &[String]) -> String {
    let file = dir.join("syncs.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    file.display().to_string()
}

#[test]
fn outcomes_are_summarised_and_failures_reported() {
    let serve = Serve::start();
    let work = tempfile::tempdir().unwrap();
    let lines = vec![
        v1_line(&state_sync("rp-1", "CONTRACT_STATE_WATCH_MOVIE_BUY")),
        v1_line(&state_sync("rp-2", "CONTRACT_STATE_WATCH_MOVIE_BUY")),
        // A re-sent line: the platform answers the original success again.
        v1_line(&state_sync("rp-1", "CONTRACT_STATE_WATCH_MOVIE_BUY")),
        v1_line(&state_sync("rp-3", "NO_SUCH_STATE")),
        v3_line(&cumulation_sync("rp-v3-1")),
        String::new(),
        "{ not json".into(),
    ];
    let file = write_lines(work.path(), &lines);
    let report = work.path().join("failures.jsonl");
    let mut args: Vec<String> = vec![
        "replay".into(),
        file,
        "--json".into(),
        "--concurrency".into(),
        "3".into(),
    ];
    args.extend(["--report".into(), report.display().to_string()]);
    args.extend(serve.conn_args());
    let (code, stdout, stderr) = zhima(&args);
    assert_eq!(code, 1, "a failed line exits 1: {stderr}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["lines"], 6, "blank lines are skipped");
    assert_eq!(summary["sent"], 5);
    assert_eq!(summary["succeeded"], 4);
    assert_eq!(summary["idempotent_replays"], 1);
    assert_eq!(
        summary["business_errors"],
        json!({"ZMDATA.BIZ_STATE_CODE_ERROR": 1})
    );
    assert_eq!(summary["transport_errors"], 0);
    assert_eq!(summary["invalid_lines"], 1);

    let failures: Vec<Value> = std::fs::read_to_string(&report)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(failures.len(), 2, "{failures:#?}");
    assert_eq!(failures[0]["line"], 4);
    assert_eq!(failures[0]["outcome"], "business_error");
    assert_eq!(failures[0]["sub_code"], "ZMDATA.BIZ_STATE_CODE_ERROR");
    assert_eq!(failures[0]["out_biz_no"], "rp-3");
    assert_eq!(failures[1]["line"], 7);
    assert_eq!(failures[1]["outcome"], "invalid_line");
}

#[test]
fn an_all_good_file_exits_0_with_a_table() {
    let serve = Serve::start();
    let work = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..6)
        .map(|i| v3_line(&cumulation_sync(&format!("ok-{i}"))))
        .collect();
    let file = write_lines(work.path(), &lines);
    let mut args: Vec<String> = vec!["replay".into(), file];
    args.extend(serve.conn_args());
    let (code, stdout, stderr) = zhima(&args);
    assert_eq!(code, 0, "{stderr}");
    let row = |label: &str| -> String {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("{label}: {stdout}"));
        line.split_whitespace().last().unwrap().to_string()
    };
    assert_eq!(
        (row("sent"), row("succeeded"), row("business errors")),
        ("6".into(), "6".into(), "0".into())
    );
    assert!(
        !stderr.contains("eta"),
        "no progress bar when stderr is not a terminal: {stderr}"
    );
}

/// A signed v1 success as the platform writes it.
fn signed_success(platform: &zhima_proto::keys::PrivateKey) -> String {
    let node =
        ResponseNode::Json(r#"{"code":"10000","msg":"Success","biz_result":"success"}"#.into());
    build_response(
        "zhima_data_state_data_sync_response",
        &node,
        platform,
        SignType::Rsa2,
        Charset::Utf8,
        None,
    )
    .unwrap()
}

fn wiremock_args(keys: &Keys, base_url: &str, file: String) -> Vec<String> {
    let mut args: Vec<String> = vec!["replay".into(), file, "--json".into()];
    args.extend([
        "--base-url".into(),
        base_url.into(),
        "--app-id".into(),
        "2021000000000001".into(),
    ]);
    args.extend([
        "--app-private-key".into(),
        keys.path("app_private.pem").display().to_string(),
    ]);
    args.extend([
        "--platform-public-key".into(),
        keys.path("platform_public.pem").display().to_string(),
    ]);
    args
}

/// The `biz_content` of a recorded gateway request (Python layout: in the form body).
fn biz_content(request: &wiremock::Request) -> Value {
    let query = request.url.query().unwrap_or_default().as_bytes().to_vec();
    let params = GatewayParams::parse(&query, &request.body, None).unwrap();
    serde_json::from_str(params.get("biz_content").unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_resend_the_same_out_biz_no() {
    let keys = Keys::new();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/gateway.do"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/gateway.do"))
        .respond_with(ResponseTemplate::new(200).set_body_string(signed_success(&keys.platform)))
        .with_priority(2)
        .mount(&server)
        .await;
    let work = tempfile::tempdir().unwrap();
    let file = write_lines(
        work.path(),
        &[v1_line(&state_sync(
            "retry-1",
            "CONTRACT_STATE_WATCH_MOVIE_BUY",
        ))],
    );
    let mut args = wiremock_args(&keys, &server.uri(), file);
    args.extend(["--attempts".into(), "3".into()]);
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || zhima(&args))
        .await
        .unwrap();
    assert_eq!(code, 0, "{stdout}{stderr}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (
            summary["succeeded"].as_u64(),
            summary["transport_errors"].as_u64()
        ),
        (Some(1), Some(0))
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2, "one 503, one retry");
    let (first, second) = (biz_content(&requests[0]), biz_content(&requests[1]));
    assert_eq!(first["out_biz_no"], "retry-1");
    assert_eq!(first, second, "the retry resends the same content");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_retries_a_503_is_reported_and_concurrency_is_bounded() {
    let keys = Keys::new();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/gateway.do"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(signed_success(&keys.platform))
                .set_delay(Duration::from_millis(800)),
        )
        .mount(&server)
        .await;
    let work = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..8)
        .map(|i| {
            v1_line(&state_sync(
                &format!("c-{i}"),
                "CONTRACT_STATE_WATCH_MOVIE_BUY",
            ))
        })
        .collect();
    let file = write_lines(work.path(), &lines);
    let mut args = wiremock_args(&keys, &server.uri(), file.clone());
    args.extend(["--concurrency".into(), "8".into()]);
    let started = Instant::now();
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || zhima(&args))
        .await
        .unwrap();
    assert_eq!(code, 0, "{stdout}{stderr}");
    // 8 requests of 0.8 s each: sequential would take 6.4 s.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 8);

    // At most 4 in flight: 8 requests need at least two rounds of 0.8 s.
    let mut args = wiremock_args(&keys, &server.uri(), file.clone());
    args.extend(["--concurrency".into(), "4".into()]);
    let started = Instant::now();
    let (code, _, _) = tokio::task::spawn_blocking(move || zhima(&args))
        .await
        .unwrap();
    assert_eq!(code, 0);
    assert!(
        started.elapsed() >= Duration::from_millis(1600),
        "took {:?}",
        started.elapsed()
    );

    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let report = work.path().join("failures.jsonl");
    let mut args = wiremock_args(&keys, &server.uri(), file);
    args.extend([
        "--attempts".into(),
        "1".into(),
        "--report".into(),
        report.display().to_string(),
    ]);
    let (code, stdout, _) = tokio::task::spawn_blocking(move || zhima(&args))
        .await
        .unwrap();
    assert_eq!(code, 1);
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        summary["other_errors"],
        json!({"http_status": 8}),
        "{summary:#}"
    );
    assert_eq!(std::fs::read_to_string(&report).unwrap().lines().count(), 8);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        8,
        "--attempts 1 never retries"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_lines_are_not_sent_and_a_big_file_stays_quick() {
    let keys = Keys::new();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/gateway.do"))
        .respond_with(ResponseTemplate::new(200).set_body_string(signed_success(&keys.platform)))
        .mount(&server)
        .await;
    let work = tempfile::tempdir().unwrap();
    const GOOD: usize = 1000;
    let mut lines: Vec<String> = (0..GOOD)
        .map(|i| v1_line(&format!(r#"{{"out_biz_no":"big-{i}"}}"#)))
        .collect();
    lines.insert(10, String::new());
    lines.insert(20, "   ".into());
    lines.insert(30, "{ not json".into());
    // Content held as a string must be JSON too: it is not sent.
    lines.insert(
        40,
        json!({"method": STATE_SYNC, "biz_content": "{\"out_biz_no\":"}).to_string(),
    );
    let file = write_lines(work.path(), &lines);
    let mut args = wiremock_args(&keys, &server.uri(), file);
    args.extend([
        "--concurrency".into(),
        "8".into(),
        "--attempts".into(),
        "1".into(),
    ]);
    let started = Instant::now();
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || zhima(&args))
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 1, "the invalid lines fail the run: {stderr}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["lines"], GOOD + 2, "blank lines are skipped");
    assert_eq!(summary["invalid_lines"], 2);
    assert_eq!(summary["succeeded"], GOOD);
    assert_eq!(server.received_requests().await.unwrap().len(), GOOD);
}
