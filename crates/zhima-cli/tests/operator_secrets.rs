//! The operator surfaces leak nothing (PRODUCT §14, issue 11): after an interop run — the
//! official SDKs (alipay-sdk-python v1, alipay-sdk Node v1 and v3) sign requests that a real
//! `zhima serve` (logging at DEBUG, where strings-to-sign appear) accepts — `/metrics`, every
//! admin API read and the server log are searched for the app private key, the platform
//! private key, every request signature, the app auth tokens (configured and created through
//! the admin API) and the admin token. View links are tokens by design: the one answer that
//! carries one (`POST /admin/api/v1/view-links`) is not searched.

mod support;

use serde_json::{json, Value};
use support::*;

/// Named secret values, searched for whole (keys also in 24-character base64 pieces).
#[derive(Default)]
struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn add(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let value = value.into();
        assert!(!value.is_empty());
        self.0.push((name.into(), value));
    }

    fn add_base64_body(&mut self, name: &str, base64: &str) {
        let body: String = base64.chars().filter(|c| !c.is_whitespace()).collect();
        for (i, piece) in body.as_bytes().chunks(24).enumerate() {
            if piece.len() == 24 {
                self.add(
                    format!("{name}[{i}]"),
                    String::from_utf8(piece.to_vec()).unwrap(),
                );
            }
        }
    }

    fn found_in(&self, text: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(_, v)| text.contains(v.as_str()))
            .map(|(n, _)| n.clone())
            .collect()
    }
}

/// `sign` of a captured v1 request (query or form body).
fn v1_sign(captured: &Value) -> String {
    use base64::Engine as _;
    let target = captured["path_and_query"].as_str().unwrap();
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
    let body = base64::engine::general_purpose::STANDARD
        .decode(captured["body"].as_str().unwrap())
        .unwrap();
    url::form_urlencoded::parse(query.as_bytes())
        .chain(url::form_urlencoded::parse(&body))
        .find(|(k, _)| k == "sign")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no sign in {captured}"))
}

/// `sign` of a captured v3 request's `authorization` header.
fn v3_sign(captured: &Value) -> String {
    let auth = captured["headers"]["authorization"].as_str().unwrap();
    let (_, rest) = auth.split_once("sign=").unwrap_or_else(|| panic!("{auth}"));
    rest.split(',').next().unwrap().to_owned()
}

/// Sends a request an SDK signed (captured by its `sign-v1` / `sign-v3` op) to `server`,
/// unchanged; the answer's status and text.
async fn replay(server: &Server, captured: &Value) -> (u16, String) {
    use base64::Engine as _;
    assert_eq!(captured["sent"], true, "the SDK sent nothing: {captured}");
    let url = format!(
        "{}{}",
        server.base_url,
        captured["path_and_query"].as_str().unwrap()
    );
    let body = base64::engine::general_purpose::STANDARD
        .decode(captured["body"].as_str().unwrap())
        .unwrap();
    let method =
        reqwest::Method::from_bytes(captured["method"].as_str().unwrap().as_bytes()).unwrap();
    let mut req = reqwest::Client::new().request(method, url).body(body);
    for (name, value) in captured["headers"].as_object().unwrap() {
        if matches!(
            name.as_str(),
            "host" | "content-length" | "connection" | "accept-encoding"
        ) {
            continue;
        }
        req = req.header(name.as_str(), value.as_str().unwrap());
    }
    let resp = req.send().await.expect("the server answers");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

async fn admin_get(server: &Server, token: &str, path: &str) -> String {
    let resp = reqwest::Client::new()
        .get(format!("{}/admin/api/v1/{path}", server.base_url))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200, "{path}");
    resp.text().await.unwrap()
}

async fn admin_send(server: &Server, token: &str, path: &str, body: Value) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{}/admin/api/v1/{path}", server.base_url))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200, "{path}");
    serde_json::from_str(&resp.text().await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_secret_in_metrics_admin_api_or_log_after_an_interop_run() {
    let lanes = [
        Channel::PyV1.lane(),
        Channel::NodeV1.lane(),
        Channel::NodeV3.lane(),
    ];
    let sandbox = Sandbox::new(&lanes);
    let server = Server::start_logging(&sandbox, "debug");
    let mut secrets = Secrets::default();
    secrets.add_base64_body(
        "platform private key (PKCS#8)",
        &sandbox.platform_key.to_pkcs8_base64(),
    );
    secrets.add_base64_body(
        "platform private key (PKCS#1)",
        &sandbox.platform_key.to_pkcs1_base64(),
    );
    secrets.add_base64_body(
        "app private key (PKCS#1)",
        &sandbox.app_key.to_pkcs1_base64(),
    );
    secrets.add_base64_body(
        "app private key (PKCS#8)",
        &sandbox.app_key.to_pkcs8_base64(),
    );
    secrets.add("AES content key", sandbox.aes.to_base64());
    for t in [TOKEN, EXPIRED_TOKEN] {
        secrets.add("app auth token (configured)", t);
    }

    // The interop run: each official SDK signs; the server gets exactly what it signed.
    let now = format_now();
    let state = |n: &str| {
        json!({"user_id": USER_ID, "out_biz_no": format!("OS-{n}"), "out_principal_id": format!("m-{n}"),
               "biz_state_code": BUY, "category_code": CATEGORY, "service_id": SERVICE_ID,
               "biz_data": "{\"orderNo\":\"o-1\"}"})
    };
    let paid = |ch: Channel, n: &str| {
        paid_amount(
            &agreement(ch.lane(), Kind::Decoupled),
            &format!("OS-{n}"),
            357,
            &[],
            &now,
        )
    };
    let mut calls: Vec<(Channel, &str, Value, Option<&str>)> = Vec::new();
    for ch in [Channel::PyV1, Channel::NodeV1] {
        calls.push((ch, STATE_SYNC, state(ch.lane()), None));
        calls.push((ch, CUMULATION_SYNC, paid(ch, ch.lane()), None));
    }
    calls.push((
        Channel::NodeV3,
        CUMULATION_SYNC,
        paid(Channel::NodeV3, "v3"),
        None,
    ));
    calls.push((
        Channel::PyV1,
        CUMULATION_SYNC,
        {
            let mut biz = paid_amount(&agreement("py", Kind::Token), "OS-tok", 357, &[], &now);
            biz["partner_id"] = json!(TOKEN_PARTNER_ID);
            biz
        },
        Some(TOKEN),
    ));
    for (ch, method, biz, token) in calls {
        let mut input = ch.input(&sandbox, &server, method, &biz);
        if let Some(t) = token {
            input["app_auth_token"] = json!(t);
        }
        let (op, v3) = if ch == Channel::NodeV3 {
            ("sign-v3", true)
        } else {
            ("sign-v1", false)
        };
        let captured = ch.sdk().run(op, &input).await;
        secrets.add(
            format!("{ch:?} request sign"),
            if v3 {
                v3_sign(&captured)
            } else {
                v1_sign(&captured)
            },
        );
        let (status, text) = replay(&server, &captured).await;
        assert_eq!(status, 200, "{ch:?} {method}: {text}");
        assert!(
            v3 || text.contains(r#""code":"10000""#),
            "{ch:?} {method}: {text}"
        );
        // A tampered copy: refused, and its string-to-sign is logged at DEBUG.
        let mut tampered = captured.clone();
        if v3 {
            let auth = tampered["headers"]["authorization"]
                .as_str()
                .unwrap()
                .replacen("sign=", "sign=AAAA", 1);
            tampered["headers"]["authorization"] = json!(auth);
        } else {
            let q = tampered["path_and_query"]
                .as_str()
                .unwrap()
                .replacen("sign=", "sign=AAAA", 1);
            tampered["path_and_query"] = json!(q);
        }
        replay(&server, &tampered).await;
    }

    // The operator's own actions: a token created (its value is a secret), a view link.
    let token_file = sandbox.dir.path().join("data").join("admin.token");
    let admin_token = std::fs::read_to_string(&token_file)
        .unwrap()
        .trim()
        .to_owned();
    secrets.add("admin token", admin_token.clone());
    let (head, tail) = admin_token.split_at(admin_token.len() / 2);
    secrets.add("admin token (first half)", head);
    secrets.add("admin token (second half)", tail);
    let created = admin_send(
        &server,
        &admin_token,
        "tokens",
        json!({"app_id": APP_ID, "partner_id": TOKEN_PARTNER_ID}),
    )
    .await;
    secrets.add(
        "app auth token (created)",
        created["token"].as_str().unwrap(),
    );
    let decoupled = agreement("py", Kind::Decoupled);
    admin_send(
        &server,
        &admin_token,
        "view-links",
        json!({"agreement_no": decoupled}),
    )
    .await;

    // Everything an operator can read.
    let mut answers = Vec::new();
    for path in [
        "apps".to_owned(),
        format!("apps/{APP_ID}"),
        "tokens".into(),
        "templates".into(),
        "agreements".into(),
        format!("agreements/{decoupled}"),
        format!("agreements/{}", agreement("py", Kind::Token)),
        "trades".into(),
        "admittance".into(),
        "machines".into(),
        "events".into(),
        "instances".into(),
        "audit".into(),
        "clock".into(),
    ] {
        answers.push((path.clone(), admin_get(&server, &admin_token, &path).await));
    }
    let events = &answers.iter().find(|(p, _)| p == "events").unwrap().1;
    assert!(
        events.contains("OS-py") && events.contains("OS-v3") && events.contains("OS-tok"),
        "{events}"
    );
    let metrics = reqwest::get(format!("{}/metrics", server.base_url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("zhima_"), "{metrics}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let log = server.stderr_text();
    assert!(
        log.contains("DEBUG") && log.contains("string-to-sign"),
        "the log is not at DEBUG"
    );

    assert!(secrets.0.len() > 40, "too few secrets: {}", secrets.0.len());
    assert_eq!(
        secrets.found_in(&metrics),
        Vec::<String>::new(),
        "in /metrics"
    );
    for (path, answer) in &answers {
        assert_eq!(
            secrets.found_in(answer),
            Vec::<String>::new(),
            "in GET /admin/api/v1/{path}"
        );
    }
    assert_eq!(
        secrets.found_in(&log),
        Vec::<String>::new(),
        "in the server log"
    );
}

fn format_now() -> String {
    zhima_proto::time::format_alipay_datetime(&zhima_proto::time::now_alipay())
}
