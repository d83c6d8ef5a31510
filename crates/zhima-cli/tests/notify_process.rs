//! Notifications to merchants from real `zhima serve` processes (PRODUCT §12, §15): the
//! official SDKs' notify verifiers accept what zhima sends (Node `checkNotifySignV2`, Python
//! `verify_with_rsa` over the documented string) and zhima-client's `verify_notify` refuses
//! tampered or wrong-key ones; a SIGKILL after commit and before delivery (the receiver holds
//! the first attempt open) still delivers after restart; several processes on PostgreSQL
//! deliver each notify once per attempt; `zhima admin notifications list|redeliver`. Runs in
//! the nextest `serial` group.

mod support;

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zhima_proto::v1::GatewayParams;

/// Points [`APP_ID`] at `notify_url` with a 5 s attempt timeout.
fn with_notify_url(sandbox: &Sandbox, notify_url: &str) {
    let text = std::fs::read_to_string(&sandbox.config).unwrap();
    let text = text
        .replacen("[server]\n", "[server]\nnotify_timeout_secs = 5\n", 1)
        .replacen(
            "sign_types = [\"RSA2\", \"RSA\"]\n",
            &format!("sign_types = [\"RSA2\", \"RSA\"]\nnotify_url = \"{notify_url}\"\n"),
            1,
        );
    std::fs::write(&sandbox.config, text).unwrap();
}

fn settle_body(lane: &str, key: &str) -> String {
    json!({
        "agreement_id": agreement(lane, Kind::Decoupled), "partner_id": PARTNER_ID,
        "out_request_no": key, "withhold_plan_no": format!("W-{key}"), "pay_amount": "0.01",
        "total_real_pay_amount": "0.00", "total_discount_amount": "0.00", "total_task_count": "0"
    })
    .to_string()
}

async fn settle(v1: &V1, lane: &str, key: &str) {
    let node = v1
        .call("zhima.credit.pe.zmgo.settle.apply", &settle_body(lane, key))
        .await
        .unwrap_or_else(|e| panic!("settle {lane}: {e:?}"));
    Outcome::from_v1_node(node).success("settle.apply");
}

/// The received notify forms, decoded, in arrival order.
async fn received(mock: &MockServer) -> Vec<GatewayParams> {
    mock.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/notify")
        .map(|r| GatewayParams::parse(b"", &r.body, None).unwrap())
        .collect()
}

async fn wait_received(mock: &MockServer, n: usize, within: Duration) -> Vec<GatewayParams> {
    let deadline = Instant::now() + within;
    loop {
        let got = received(mock).await;
        if got.len() >= n {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n} notifications arrived",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn admin(sandbox: &Sandbox, server: &Server, args: &[&str]) -> Value {
    let token = sandbox.dir.path().join("data/admin.token");
    let out = Command::new(zhima_bin())
        .args(["admin", "--url", &server.base_url, "--token-file"])
        .arg(&token)
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "zhima admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn params_json(p: &GatewayParams) -> Value {
    Value::Object(p.iter().map(|(k, v)| (k.to_owned(), json!(v))).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_sdks_verify_what_zhima_sends_and_verify_notify_refuses_forgeries() {
    let mock = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/notify"))
        .respond_with(ResponseTemplate::new(200).set_body_string("success"))
        .mount(&mock)
        .await;
    let sandbox = Sandbox::new(&["s"]);
    with_notify_url(&sandbox, &format!("{}/notify", mock.uri()));
    let server = Server::start(&sandbox);
    settle(&V1::new(&sandbox, &server), "s", "sdk-1").await;
    let got = wait_received(&mock, 1, Duration::from_secs(20)).await;
    let notify = &got[0];
    assert_eq!(notify.get("notify_type"), Some("zmgo_settle_success"));
    let public = sandbox.platform_public_pem();
    let input = |p: &Value| json!({"params": p, "platform_public_key": public});

    let genuine = params_json(notify);
    let node = Sdk::Node.run("verify-notify", &input(&genuine)).await;
    assert_eq!(node["v2"], true, "checkNotifySignV2: {node}");
    let py = Sdk::Py.run("verify-notify", &input(&genuine)).await;
    assert_eq!(py["ok"], true, "verify_with_rsa: {py}");
    assert!(py["message"].as_str().unwrap().starts_with("app_id="));

    let mut tampered = genuine.clone();
    tampered["biz_content"] = json!(notify.get("biz_content").unwrap().replace("0.01", "9.99"));
    assert_eq!(
        Sdk::Node.run("verify-notify", &input(&tampered)).await["v2"],
        false
    );
    assert_eq!(
        Sdk::Py.run("verify-notify", &input(&tampered)).await["ok"],
        false
    );

    // zhima-client: the genuine raw body verifies; tampered or another key's does not.
    let raw = mock.received_requests().await.unwrap()[0].body.clone();
    let raw = String::from_utf8(raw).unwrap();
    let platform = sandbox.platform_key.public_key();
    let n = zhima_client::verify_notify(&raw, &platform).expect("genuine notify verifies");
    assert_eq!(n.notify_type, "zmgo_settle_success");
    assert_eq!(n.biz_content["pay_amount"], "0.01");
    let forged = raw.replace("0.01", "9.99");
    assert!(matches!(
        zhima_client::verify_notify(&forged, &platform),
        Err(zhima_client::Error::Signature(_))
    ));
    let other = zhima_proto::keys::PrivateKey::generate()
        .unwrap()
        .public_key();
    assert!(matches!(
        zhima_client::verify_notify(&raw, &other),
        Err(zhima_client::Error::Signature(_))
    ));
    let unsigned: String = raw
        .split('&')
        .filter(|kv| !kv.starts_with("sign="))
        .collect::<Vec<_>>()
        .join("&");
    assert!(zhima_client::verify_notify(&unsigned, &platform).is_err());
    let doubled = format!("{raw}&notify_id=again");
    assert!(zhima_client::verify_notify(&doubled, &platform).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_between_commit_and_delivery_delivers_after_restart() {
    let mock = MockServer::start().await;
    // The first attempt is held open (the process dies while it waits); later ones succeed.
    Mock::given(method("POST"))
        .and(path("/notify"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("success")
                .set_delay(Duration::from_secs(120)),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&mock)
        .await;
    Mock::given(method("POST"))
        .and(path("/notify"))
        .respond_with(ResponseTemplate::new(200).set_body_string("success"))
        .with_priority(2)
        .mount(&mock)
        .await;
    let sandbox = Sandbox::new(&["k"]);
    with_notify_url(&sandbox, &format!("{}/notify", mock.uri()));
    let mut server = Server::start(&sandbox);
    settle(&V1::new(&sandbox, &server), "k", "kill-1").await;
    let first = wait_received(&mock, 1, Duration::from_secs(20)).await;
    let id = first[0].get("notify_id").unwrap().to_owned();
    server.kill();

    let server = Server::start(&sandbox);
    // The dead process's claim lease (timeout + 5 s) runs out, then the new one delivers.
    let got = wait_received(&mock, 2, Duration::from_secs(40)).await;
    assert_eq!(got[1].get("notify_id"), Some(id.as_str()), "same notify_id");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let listed = admin(
            &sandbox,
            &server,
            &["notifications", "list", "--status", "DELIVERED"],
        );
        let rows = listed["notifications"].as_array().unwrap();
        if rows.len() == 1 {
            assert_eq!(rows[0]["notify_id"], id.as_str());
            assert_eq!(rows[0]["attempts"], 1);
            break;
        }
        assert!(Instant::now() < deadline, "{listed}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Redeliver on command: same notify_id once more.
    let again = admin(&sandbox, &server, &["notifications", "redeliver", &id]);
    assert_eq!(again["status"], "PENDING");
    let got = wait_received(&mock, 3, Duration::from_secs(20)).await;
    assert_eq!(got[2].get("notify_id"), Some(id.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn several_processes_on_postgres_deliver_each_notify_once_per_attempt() {
    const N: usize = 24;
    let mock = MockServer::start().await;
    // Every first attempt fails (N of them, whichever notify), every retry succeeds.
    Mock::given(method("POST"))
        .and(path("/notify"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("try later")
                .set_delay(Duration::from_millis(30)),
        )
        .up_to_n_times(N as u64)
        .with_priority(1)
        .mount(&mock)
        .await;
    Mock::given(method("POST"))
        .and(path("/notify"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("success")
                .set_delay(Duration::from_millis(30)),
        )
        .with_priority(2)
        .mount(&mock)
        .await;
    let lanes: Vec<String> = (0..N).map(|i| format!("p{i}")).collect();
    let lane_refs: Vec<&str> = lanes.iter().map(String::as_str).collect();
    let sandbox = Sandbox::on(Backend::Postgres, &lane_refs);
    with_notify_url(&sandbox, &format!("{}/notify", mock.uri()));
    let servers: Vec<Server> = std::thread::scope(|s| {
        let starting: Vec<_> = (0..3)
            .map(|_| s.spawn(|| Server::start(&sandbox)))
            .collect();
        starting.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let clients: Vec<V1> = servers.iter().map(|s| V1::new(&sandbox, s)).collect();
    let tasks: Vec<_> = lanes
        .iter()
        .enumerate()
        .map(|(i, lane)| {
            let (v1, lane) = (clients[i % 3].clone(), lane.clone());
            tokio::spawn(async move { settle(&v1, &lane, &format!("mp-{lane}")).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    wait_received(&mock, N, Duration::from_secs(30)).await;
    // Every first attempt failed; nothing is due again until the clock passes 4 minutes.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(received(&mock).await.len(), N);
    admin(&sandbox, &servers[0], &["clock", "advance", "4m"]);
    wait_received(&mock, 2 * N, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = received(&mock).await;
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for p in &got {
        *per_id
            .entry(p.get("notify_id").unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(per_id.len(), N, "one notify per settlement");
    assert!(
        per_id.values().all(|&n| n == 2),
        "each notify exactly once per attempt: {per_id:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let listed = admin(
            &sandbox,
            &servers[1],
            &[
                "notifications",
                "list",
                "--status",
                "DELIVERED",
                "--page-size",
                "100",
            ],
        );
        let rows = listed["notifications"].as_array().unwrap();
        if rows.len() == N {
            assert!(rows.iter().all(|r| r["attempts"] == 2), "{listed}");
            break;
        }
        assert!(Instant::now() < deadline, "{listed}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
