//! The real `zhima serve` binary: zero-config start, a signed call with the generated demo
//! keys, SIGTERM → exit 0 with a flushed database, restart on the same data, exit codes.

mod serve_process;

use std::path::Path;
use std::time::Duration;

use serve_process::ServeProcess;
use zhima_proto::keys::{PrivateKey, PublicKey};
use zhima_proto::time::{format_alipay_datetime, now_alipay};
use zhima_proto::v1::{self, Charset, GatewayParams, SdkLayout};
use zhima_proto::SignType;

const STARTUP: Duration = Duration::from_secs(60);
const STATE_SYNC: &str = "zhima.data.state.data.sync";

fn zhima() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_zhima"))
}

/// Sends the demo state sync signed with the demo app key; returns the verified node JSON.
async fn demo_state_sync(base: &str, data: &Path) -> String {
    let read = |rel: &str| std::fs::read_to_string(data.join(rel)).unwrap();
    let app_key = PrivateKey::from_text(&read("keys/app_private.pem")).unwrap();
    let platform = PublicKey::from_text(&read("keys/platform_public.pem")).unwrap();
    let biz = r#"{"user_id":"2088602002015001","out_biz_no":"cli-1","out_principal_id":"m1","biz_state_code":"CONTRACT_STATE_WATCH_MOVIE_BUY","category_code":"WATCH_MOVIE","service_id":"2019080700000000000001800100","biz_data":"{\"orderNo\":\"o-1\"}"}"#;
    let params = GatewayParams::from_pairs([
        ("app_id", "2021000000000001"),
        ("method", STATE_SYNC),
        ("charset", "utf-8"),
        ("sign_type", "RSA2"),
        ("timestamp", &format_alipay_datetime(&now_alipay())),
        ("version", "1.0"),
        ("biz_content", biz),
    ]);
    let req = v1::build_request(&params, &app_key, SdkLayout::Node).unwrap();
    let resp = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("{base}/gateway.do?{}", req.query))
        .header(
            "content-type",
            "application/x-www-form-urlencoded;charset=utf-8",
        )
        .body(req.body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body = resp.text().await.unwrap();
    v1::verify_response(
        &body,
        STATE_SYNC,
        &platform,
        SignType::Rsa2,
        Charset::Utf8,
        None,
    )
    .unwrap_or_else(|e| panic!("{e}: {body}"))
    .node_json
}

#[tokio::test]
async fn zero_config_serve_answers_stops_cleanly_and_restarts_on_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let args = ["--listen", "127.0.0.1:0", "--data-dir", "data"];
    let server = ServeProcess::spawn(zhima(), &args, dir.path(), STARTUP).unwrap();
    let base = server.base_url().to_owned();
    assert!(
        base.starts_with("http://127.0.0.1:") && !base.ends_with(":0"),
        "{base}"
    );
    let banner = server.wait_stdout("cannot.", Duration::from_secs(5));
    for needle in [
        "2021000000000001",
        "keys/app_private.pem",
        "keys/platform_public.pem",
        "zhima call",
        "/gateway.do",
    ] {
        assert!(banner.contains(needle), "banner lacks {needle}:\n{banner}");
    }
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(health.status().as_u16(), 200);

    let first = demo_state_sync(&base, &data).await;
    assert!(first.contains(r#""code":"10000""#), "{first}");
    let finished = server.terminate(Duration::from_secs(15)).unwrap();
    assert!(
        finished.status.success(),
        "exit {:?}; stderr:\n{}",
        finished.status,
        finished.stderr
    );
    assert!(
        finished.stderr.contains("stopped cleanly"),
        "{}",
        finished.stderr
    );
    assert!(
        !finished.stderr.contains('\u{1b}'),
        "no ANSI colours when stderr is not a terminal"
    );

    // Second start reuses the generated config and keys; the sync is remembered (a replay).
    let server = ServeProcess::spawn(zhima(), &args, dir.path(), STARTUP).unwrap();
    let again = demo_state_sync(server.base_url(), &data).await;
    assert_eq!(again, first);
    assert!(server
        .terminate(Duration::from_secs(15))
        .unwrap()
        .status
        .success());
}

#[test]
fn a_bad_config_exits_2_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("zhima.toml"),
        "[server]\ncolour = \"blue\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(zhima())
        .args(["serve", "--config", "zhima.toml", "--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("colour") && stderr.contains("line 2"),
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing is printed before the server is ready"
    );
}

#[test]
fn a_taken_address_exits_1() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(zhima())
        .args(["serve", "--listen", &addr, "--data-dir", "d"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains(&addr));
}

#[test]
fn bad_usage_exits_2() {
    let out = std::process::Command::new(zhima())
        .args(["serve", "--listen", "not-an-address"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
