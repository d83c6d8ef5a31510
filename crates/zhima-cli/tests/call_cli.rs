//! `zhima call` against a real `zhima serve` (zero-config demo sandbox).

mod cli_support;

use cli_support::{cumulation_sync, state_sync, zhima, Serve};
use serde_json::Value;

fn call(serve: &Serve, args: &[&str]) -> (i32, String, String) {
    let mut all: Vec<String> = vec!["call".into()];
    all.extend(serve.conn_args());
    all.extend(args.iter().map(|a| a.to_string()));
    zhima(&all)
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stdout}"))
}

#[test]
fn v1_success_business_error_and_idempotent_resend() {
    let serve = Serve::start();
    let body = state_sync("call-1", "CONTRACT_STATE_WATCH_MOVIE_BUY");
    let (code, stdout, stderr) = call(&serve, &["zhima.data.state.data.sync", "--json", &body]);
    assert_eq!(code, 0, "{stderr}");
    let node = json(&stdout);
    assert_eq!(
        (node["code"].as_str(), node["biz_result"].as_str()),
        (Some("10000"), Some("success"))
    );
    assert!(stderr.contains("response signature verified"), "{stderr}");

    // The same content again is the original success (and `BODY` works like --json).
    let (code, stdout, _) = call(&serve, &["zhima.data.state.data.sync", &body]);
    assert_eq!((code, json(&stdout)["code"].as_str()), (0, Some("10000")));

    // A state the machine does not know: a verified refusal, exit 1, the node on stdout.
    let bad = state_sync("call-2", "NO_SUCH_STATE");
    let (code, stdout, stderr) = call(&serve, &["zhima.data.state.data.sync", "--json", &bad]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(json(&stdout)["sub_code"], "ZMDATA.BIZ_STATE_CODE_ERROR");
    assert!(stderr.contains("refused (signature verified)"), "{stderr}");
}

#[test]
fn v3_post_from_a_file_and_from_stdin_then_query() {
    let serve = Serve::start();
    let file = serve.dir.path().join("sync.json");
    std::fs::write(&file, cumulation_sync("call-v3-1")).unwrap();
    let at_file = format!("@{}", file.display());
    let (code, stdout, stderr) = call(
        &serve,
        &[
            "POST",
            "/v3/zhima/credit/pe/zmgo/cumulation/sync",
            "--json",
            &at_file,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json(&stdout)["out_biz_no"], "call-v3-1");
    assert!(stderr.contains("HTTP 200"), "{stderr}");

    // `-` reads the body from stdin.
    let mut args: Vec<String> = vec!["call".into()];
    args.extend(serve.conn_args());
    args.extend([
        "POST".into(),
        "/v3/zhima/credit/pe/zmgo/cumulation/sync".into(),
        "-".into(),
    ]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_zhima"))
        .args(&args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(cumulation_sync("call-v3-2").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        json(&String::from_utf8(out.stdout).unwrap())["out_biz_no"],
        "call-v3-2"
    );

    // GET with a query: the ledger shows both tasks.
    let (code, stdout, stderr) = call(
        &serve,
        &["GET", "/v3/zhima/merchant/zmgo/cumulate/query?agreement_id=20195108518085620000&user_id=2088602002015001"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        json(&stdout)["aggr_times"].to_string().trim_matches('"'),
        "2",
        "{stdout}"
    );
}

#[test]
fn explicit_flags_and_environment_work_without_a_data_dir() {
    let serve = Serve::start();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_zhima"))
        .args([
            "call",
            "--url",
            &serve.base_url,
            "--key",
            &serve.key("keys/app_private_pkcs8.pem"),
        ])
        .args([
            "zhima.data.state.data.sync",
            &state_sync("call-env", "CONTRACT_STATE_WATCH_MOVIE_BUY"),
        ])
        .env("ZHIMA_APP_ID", "2021000000000001")
        .env(
            "ZHIMA_PLATFORM_PUBLIC_KEY",
            serve.key("keys/platform_public.pem"),
        )
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        json(&String::from_utf8(out.stdout).unwrap())["code"],
        "10000"
    );
}

#[test]
fn a_response_that_does_not_verify_fails_and_is_not_shown() {
    let serve = Serve::start();
    let dir = tempfile::tempdir().unwrap();
    let stranger = dir.path().join("stranger.pem");
    std::fs::write(
        &stranger,
        zhima_proto::keys::PrivateKey::generate()
            .unwrap()
            .public_key()
            .to_spki_pem(),
    )
    .unwrap();
    let body = state_sync("call-sig", "CONTRACT_STATE_WATCH_MOVIE_BUY");
    let (code, stdout, stderr) = call(
        &serve,
        &[
            "--platform-public-key",
            stranger.to_str().unwrap(),
            "zhima.data.state.data.sync",
            &body,
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.is_empty(),
        "an unverified response is not printed: {stdout}"
    );
    assert!(
        stderr.contains("response signature") && stderr.contains("not trusted"),
        "{stderr}"
    );
}

#[test]
fn bad_usage_exits_2() {
    let (code, _, stderr) = zhima(&["call", "zhima.data.state.data.sync", "{}"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--base-url"), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (code, _, stderr) = zhima(&[
        "call",
        "--from-data-dir",
        d,
        "zhima.data.state.data.sync",
        "{}",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("zhima.toml"), "{stderr}");
    let (code, _, stderr) = zhima(&["call", "--base-url", "http://127.0.0.1:1", "{\"a\":1}"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = zhima(&[
        "call",
        "--base-url",
        "http://127.0.0.1:1",
        "a.b",
        "{}",
        "--json",
        "{}",
    ]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn an_unreachable_platform_is_a_transport_failure() {
    let keys = cli_support::Keys::new();
    let (code, _, stderr) = zhima(&[
        "call",
        "--base-url",
        "http://127.0.0.1:1",
        "--app-id",
        "2021000000000001",
        "--app-private-key",
        keys.path("app_private.pem").to_str().unwrap(),
        "--platform-public-key",
        keys.path("platform_public.pem").to_str().unwrap(),
        "zhima.data.state.data.sync",
        "{}",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("transport"), "{stderr}");
}

#[test]
fn malformed_content_and_wrong_keys_are_refused_before_anything_is_sent() {
    let serve = Serve::start();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{bad").unwrap();
    let bad_arg = format!("@{}", bad.display());
    for args in [
        vec!["zhima.data.state.data.sync", r#"{"out_biz_no":"call-bad","#],
        vec!["POST", "/v3/zhima/credit/pe/zmgo/cumulation/sync", &bad_arg],
        vec!["zhima.data.state.data.sync", "--json", "not json"],
    ] {
        let (code, stdout, stderr) = call(&serve, &args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            stderr.contains("not valid JSON") && stderr.contains("line 1 column"),
            "{args:?}: {stderr}"
        );
    }
    // The app's own public key given as the platform key: a configuration error.
    let app_public = serve.key("keys/app_public.pem");
    let (code, _, stderr) = call(
        &serve,
        &[
            "--platform-public-key",
            &app_public,
            "zhima.data.state.data.sync",
            "{}",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("app's own public key"), "{stderr}");
    // A missing key file names the file.
    let missing = dir.path().join("missing.pem");
    let (code, _, stderr) = call(
        &serve,
        &[
            "--app-private-key",
            missing.to_str().unwrap(),
            "zhima.data.state.data.sync",
            "{}",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("missing.pem"), "{stderr}");
}
