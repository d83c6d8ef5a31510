//! Notifications to merchants with a real local HTTP receiver (PRODUCT §12): every event type
//! arrives once, signed with the platform key, in order per agreement; a receiver that fails
//! twice gets the third attempt after the sandbox clock passes the schedule, same notify_id; a
//! receiver down for the whole schedule ends FAILED and redelivers on command; a request's
//! notify_url reaches only allowed hosts; the admin API lists and filters.

mod http_support;
mod storage_support;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::post;
use http_support::*;
use serde_json::{json, Value};
use storage_support::pg::PgDatabase;
use zhima_proto::v1::{verify_notify, GatewayParams};
use zhima_server::domain::entities::Records;
use zhima_server::storage::PgOptions;

/// A merchant endpoint: records every POST (verified) and answers from a script (then
/// `success`).
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<GatewayParams>>>,
    script: Arc<Mutex<VecDeque<&'static str>>>,
}

async fn receive(State(r): State<Receiver>, body: String) -> &'static str {
    let params = GatewayParams::parse(b"", body.as_bytes(), None).unwrap();
    verify_notify(&params, &keys().platform_public).expect("zhima's notify verifies");
    r.got.lock().unwrap().push(params);
    r.script.lock().unwrap().pop_front().unwrap_or("success")
}

impl Receiver {
    /// Serves on `listener`; the notify URL.
    fn serve(&self, listener: tokio::net::TcpListener) -> String {
        let url = format!("http://{}/notify", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .route("/notify", post(receive))
            .with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    async fn start() -> (Receiver, String) {
        let r = Receiver::default();
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = r.serve(l);
        (r, url)
    }

    fn got(&self) -> Vec<GatewayParams> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until at least `n` POSTs arrived.
    async fn wait_for(&self, n: usize) -> Vec<GatewayParams> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.got();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} notifications arrived",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn set_app_notify_url(server: &TestServer, url: &str) {
    let mut app = server.storage.app(APP_ID).await.unwrap().unwrap();
    app.notify_url = Some(url.to_owned());
    let records = Records {
        apps: vec![app],
        ..Default::default()
    };
    server.storage.apply_records(&records).await.unwrap();
}

async fn v1_ok(server: &TestServer, call: V1) -> Value {
    let node = call.send(server).await.node(&call);
    assert_eq!(node["code"], "10000", "{node}");
    node
}

/// A new signed agreement (template period: 3 days); `notify_url` is the request's.
async fn sign_new(server: &TestServer, notify_url: Option<&str>) -> String {
    let tpl = v1_ok(
        server,
        V1::new(
            TEMPLATE_CREATE,
            &template_create_body(PARTNER_ID, &unique("TPL")),
        ),
    )
    .await["template_no"]
        .as_str()
        .unwrap()
        .to_owned();
    let po = v1_ok(
        server,
        V1::new(
            PREORDER_CREATE,
            &preorder_body(PARTNER_ID, &tpl, &unique("PO")),
        ),
    )
    .await["preorder_no"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut call = V1::new(
        AGREEMENT_SIGN,
        &json!({"partner_id": PARTNER_ID, "preorder_no": po, "alipay_user_id": USER_ID})
            .to_string(),
    );
    if let Some(u) = notify_url {
        call = call.set("notify_url", u);
    }
    v1_ok(server, call).await["agreement_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn admin(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let token = server.admin_token().await;
    let mut req = client()
        .request(method, format!("{}/admin/api/v1/{path}", server.base))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

async fn advance(server: &TestServer, by: &str) {
    let (status, body) = admin(
        server,
        reqwest::Method::POST,
        "clock/advance",
        Some(json!({ "by": by })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn listed(server: &TestServer, query: &str) -> Vec<Value> {
    let (status, body) = admin(
        server,
        reqwest::Method::GET,
        &format!("notifications?{query}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["notifications"].as_array().unwrap().clone()
}

/// Waits until the notification's stored attempts reach `n` (or its status is `status`).
async fn wait_stored(server: &TestServer, notify_id: &str, attempts: i64, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let n = server
            .storage
            .notification(notify_id)
            .await
            .unwrap()
            .unwrap();
        if n.attempts >= attempts && n.status.as_str() == status {
            let all = listed(server, "page_size=100").await;
            return all
                .into_iter()
                .find(|v| v["notify_id"] == notify_id)
                .unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "{notify_id}: attempts {} status {:?}, waiting for {attempts} / {status}",
            n.attempts,
            n.status
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn biz(p: &GatewayParams) -> Value {
    serde_json::from_str(p.get("biz_content").unwrap()).unwrap()
}

async fn every_event_arrives_once(server: TestServer) {
    let (receiver, url) = Receiver::start().await;
    set_app_notify_url(&server, &url).await;

    // Agreement 1: signed, unsigned, settled, refunded, unfrozen — in that order.
    let a1 = sign_new(&server, None).await;
    let unsigned = v1_ok(
        &server,
        V1::new(
            AGREEMENT_UNSIGN,
            &json!({"partner_id": PARTNER_ID, "agreement_id": a1, "alipay_user_id": USER_ID,
                    "quit_type": "USER_CANCEL_QUIT"})
            .to_string(),
        ),
    )
    .await;
    let plan = unsigned["withhold_plan_no"].as_str().unwrap().to_owned();
    v1_ok(
        &server,
        V1::new(
            SETTLE_APPLY,
            &json!({"agreement_id": a1, "partner_id": PARTNER_ID, "out_request_no": "S-1",
                    "withhold_plan_no": plan, "pay_amount": "2.00",
                    "total_real_pay_amount": "0.00", "total_discount_amount": "0.00",
                    "total_task_count": "0"})
            .to_string(),
        ),
    )
    .await;
    v1_ok(
        &server,
        V1::new(
            SETTLE_REFUND,
            &json!({"agreement_id": a1, "partner_id": PARTNER_ID, "out_request_no": "R-1",
                    "withhold_plan_no": plan, "refund_amount": "0.50"})
            .to_string(),
        ),
    )
    .await;
    v1_ok(
        &server,
        V1::new(
            SETTLE_UNFREEZE,
            &json!({"agreement_id": a1, "partner_id": PARTNER_ID, "out_request_no": "U-1",
                    "unfreeze_amount": "1.00", "biz_time": "2024-06-01 12:00:00"})
            .to_string(),
        ),
    )
    .await;
    // Agreement 2 expires when the sandbox clock passes its end.
    let a2 = sign_new(&server, None).await;
    advance(&server, "5d").await;

    let got = receiver.wait_for(7).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got_after = receiver.got();
    assert_eq!(got_after.len(), 7, "each notification exactly once");
    let ids: std::collections::HashSet<&str> =
        got.iter().map(|p| p.get("notify_id").unwrap()).collect();
    assert_eq!(ids.len(), 7);

    let of = |agreement: &str| -> Vec<String> {
        got.iter()
            .filter(|p| biz(p)["agreement_id"] == agreement)
            .map(|p| p.get("notify_type").unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        of(&a1),
        [
            "zmgo_agreement_sign",
            "zmgo_agreement_unsign",
            "zmgo_settle_success",
            "zmgo_settle_refund",
            "zmgo_settle_unfreeze"
        ]
    );
    assert_eq!(of(&a2), ["zmgo_agreement_sign", "zmgo_agreement_expire"]);
    for p in &got {
        assert_eq!(p.get("app_id"), Some(APP_ID));
        assert_eq!(p.get("charset"), Some("utf-8"));
        assert_eq!(p.get("version"), Some("1.0"));
        assert_eq!(p.get("sign_type"), Some("RSA2"));
        assert_eq!(p.get("notify_time").unwrap().len(), 19);
    }
    let find = |ty: &str| {
        got.iter()
            .find(|p| p.get("notify_type") == Some(ty))
            .map(biz)
            .unwrap()
    };
    assert_eq!(
        find("zmgo_agreement_unsign")["withhold_plan_no"],
        plan.as_str()
    );
    assert_eq!(
        find("zmgo_agreement_unsign")["quit_type"],
        "USER_CANCEL_QUIT"
    );
    let expired = find("zmgo_agreement_expire");
    assert_eq!(expired["quit_type"], "EXPIRE_QUIT");
    assert!(expired["withhold_plan_no"]
        .as_str()
        .is_some_and(|w| !w.is_empty()));
    assert_eq!(find("zmgo_settle_success")["pay_amount"], "2.00");
    assert_eq!(find("zmgo_settle_refund")["refund_amount"], "0.50");
    assert_eq!(find("zmgo_settle_unfreeze")["unfreeze_amount"], "1.00");
    assert_eq!(find("zmgo_agreement_sign")["user_id"], USER_ID);

    let delivered = listed(&server, "status=DELIVERED&page_size=50").await;
    assert_eq!(delivered.len(), 7);
    assert!(delivered.iter().all(|n| n["attempts"] == 1));
    assert_eq!(listed(&server, &format!("agreement={a2}")).await.len(), 2);
    assert_eq!(listed(&server, "app=nobody").await.len(), 0);
    assert_eq!(listed(&server, "status=PENDING").await.len(), 0);
    let (status, body) = admin(
        &server,
        reqwest::Method::GET,
        "notifications?status=LOST",
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("BAD_REQUEST"))
    );
    let metrics = client()
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"zhima_notification_deliveries_total{outcome="success"} 7"#),
        "{metrics}"
    );
    for p in &got {
        assert!(!metrics.contains(p.get("sign").unwrap()));
    }
}

#[tokio::test]
async fn every_event_arrives_once_on_sqlite() {
    every_event_arrives_once(TestServer::start().await).await;
}

#[tokio::test]
async fn every_event_arrives_once_on_postgres() {
    let db = PgDatabase::create();
    every_event_arrives_once(
        TestServer::start_on(Some(PgOptions::new(db.url.clone())), |_| {}).await,
    )
    .await;
}

#[tokio::test]
async fn a_receiver_failing_twice_gets_the_third_attempt_after_the_schedule() {
    let server = TestServer::start().await;
    let (receiver, url) = Receiver::start().await;
    receiver.script.lock().unwrap().extend(["fail", "oops"]);
    set_app_notify_url(&server, &url).await;
    sign_new(&server, None).await;
    let first = receiver.wait_for(1).await;
    let id = first[0].get("notify_id").unwrap().to_owned();
    let stored = wait_stored(&server, &id, 1, "PENDING").await;
    assert!(
        stored["last_error"].as_str().unwrap().contains("fail"),
        "{stored}"
    );
    // Not before the 4 minutes have passed on the sandbox clock.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(receiver.got().len(), 1);
    advance(&server, "4m").await;
    receiver.wait_for(2).await;
    wait_stored(&server, &id, 2, "PENDING").await;
    advance(&server, "9m").await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(receiver.got().len(), 2, "the second retry waits 10 minutes");
    advance(&server, "1m").await;
    let got = receiver.wait_for(3).await;
    let done = wait_stored(&server, &id, 3, "DELIVERED").await;
    assert!(got.iter().all(|p| p.get("notify_id") == Some(id.as_str())));
    assert_eq!(done["attempts"], 3);
}

#[tokio::test]
async fn a_receiver_down_for_the_whole_schedule_ends_failed_and_redelivers() {
    let server = TestServer::start().await;
    // A port nobody listens on (yet).
    let spare = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = spare.local_addr().unwrap();
    drop(spare);
    set_app_notify_url(&server, &format!("http://{addr}/notify")).await;
    let agreement = sign_new(&server, None).await;
    let id = listed(&server, &format!("agreement={agreement}")).await[0]["notify_id"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_stored(&server, &id, 1, "PENDING").await;
    for (n, step) in ["4m", "10m", "10m", "1h", "2h", "6h", "15h"]
        .iter()
        .enumerate()
    {
        advance(&server, step).await;
        let attempts = n as i64 + 2;
        let status = if attempts == 8 { "FAILED" } else { "PENDING" };
        wait_stored(&server, &id, attempts, status).await;
    }
    let failed = listed(&server, "status=FAILED").await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["attempts"], 8);
    assert!(
        failed[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("connect"),
        "{}",
        failed[0]
    );
    let metrics = client()
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("zhima_notifications_failed_total 1"),
        "{metrics}"
    );

    // The merchant is back: redeliver on command, same notify_id.
    let receiver = Receiver::default();
    receiver.serve(tokio::net::TcpListener::bind(addr).await.unwrap());
    let (status, body) = admin(
        &server,
        reqwest::Method::POST,
        &format!("notifications/{id}/redeliver"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "PENDING");
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].get("notify_id"), Some(id.as_str()));
    wait_stored(&server, &id, 1, "DELIVERED").await;
    let (status, _) = admin(
        &server,
        reqwest::Method::POST,
        "notifications/nosuchid/redeliver",
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_request_notify_url_reaches_only_allowed_hosts() {
    let server = TestServer::start().await;
    let (app_receiver, app_url) = Receiver::start().await;
    let (request_receiver, request_url) = Receiver::start().await;
    set_app_notify_url(&server, &app_url).await;
    // Loopback is allowed: the request's URL wins over the app's.
    sign_new(&server, Some(&request_url)).await;
    let got = request_receiver.wait_for(1).await;
    assert_eq!(got[0].get("notify_type"), Some("zmgo_agreement_sign"));
    // Anywhere else: FAILED "host not allowed", never contacted, no attempt counted.
    let agreement = sign_new(&server, Some("http://10.255.255.1:9/notify")).await;
    let id = listed(&server, &format!("agreement={agreement}")).await[0]["notify_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let failed = wait_stored(&server, &id, 0, "FAILED").await;
    assert_eq!(failed["last_error"], "host not allowed");
    assert_eq!(failed["attempts"], 0);
    assert_eq!(failed["url_from_request"], true);
    assert!(app_receiver.got().is_empty());
}
