//! No secret reaches the log, even at TRACE: a real `zhima serve` with every secret
//! configured (platform private key, AES content key, app auth tokens) is driven through
//! every kind of answer (successes, gateway errors, business rejections, broken framing,
//! hostile parameters, v1 and v3), and its stderr is searched for each secret.
//!
//! The admin token, app auth tokens created through the admin API, the view-link key
//! (`drive_admin_paths`, `view_link_key`) and the signatures of the notifications zhima posts
//! to merchants (`drive_notify_path`) are covered. New secrets join [`Secrets`]: add them where
//! the sandbox is made and drive their paths; the search below then covers them.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zhima_proto::time::{format_alipay_datetime, now_alipay, to_epoch_millis};
use zhima_proto::v1::{build_request, GatewayParams, SdkLayout};
use zhima_proto::v3::{self, AuthString, Authorization};

/// Named secret values, searched for in the log whole and in fragments.
#[derive(Default)]
struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn add(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// Adds a key's base64 body in 24-character pieces, so that a key logged in any
    /// encoding or line wrapping is still caught.
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

    /// Every secret found in `log`, by name.
    fn found_in(&self, log: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(_, value)| log.contains(value.as_str()))
            .map(|(name, _)| name.clone())
            .collect()
    }
}

fn v1_params(pairs: &[(&str, &str)]) -> GatewayParams {
    let timestamp = format_alipay_datetime(&now_alipay());
    let mut all: Vec<(&str, &str)> = vec![
        ("app_id", APP_ID),
        ("charset", "utf-8"),
        ("format", "json"),
        ("sign_type", "RSA2"),
        ("timestamp", &timestamp),
        ("version", "1.0"),
    ];
    for (k, v) in pairs {
        all.retain(|(key, _)| key != k);
        all.push((k, v));
    }
    GatewayParams::from_pairs(all)
}

async fn post(url: &str, query: &str, body: String) -> String {
    reqwest::Client::new()
        .post(format!("{url}?{query}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("the server answers")
        .text()
        .await
        .unwrap()
}

/// Sends every request shape; records each request signature it made in `secrets`.
async fn drive_every_path(sandbox: &Sandbox, server: &Server, secrets: &mut Secrets) {
    let gateway = server.gateway_url();
    let lane = "s";
    let sync = |n: &str| {
        json!({
            "user_id": USER_ID, "out_biz_no": format!("LS-{n}"), "out_principal_id": "movie-1",
            "biz_state_code": BUY, "category_code": CATEGORY, "service_id": SERVICE_ID,
            "biz_data": "{\"orderNo\":\"o-1\"}"
        })
        .to_string()
    };
    let cumulation = paid_amount_value(lane, "LS-C1");
    let encrypted = sandbox.aes.encrypt(sync("aes").as_bytes());
    let wrong_aes = zhima_proto::aes::AesKey::generate().encrypt(b"{}");
    let cases: Vec<Vec<(&str, String)>> = vec![
        vec![("method", STATE_SYNC.into()), ("biz_content", sync("ok"))],
        vec![("method", STATE_SYNC.into()), ("biz_content", sync("ok"))], // replay
        vec![
            ("method", STATE_SYNC.into()),
            ("biz_content", sync("ok").replace("o-1", "o-2")),
        ], // conflict
        vec![
            ("method", CUMULATION_SYNC.into()),
            ("biz_content", cumulation.clone()),
        ],
        vec![
            ("method", STATE_SYNC.into()),
            ("biz_content", encrypted),
            ("encrypt_type", "AES".into()),
        ],
        vec![
            ("method", STATE_SYNC.into()),
            ("biz_content", wrong_aes),
            ("encrypt_type", "AES".into()),
        ],
        vec![
            ("method", STATE_SYNC.into()),
            ("biz_content", sync("tok")),
            ("app_auth_token", TOKEN.into()),
        ],
        vec![
            ("method", STATE_SYNC.into()),
            ("biz_content", sync("exp")),
            ("app_auth_token", EXPIRED_TOKEN.into()),
        ],
        vec![
            ("method", STATE_SYNC.into()),
            ("biz_content", sync("unk")),
            ("app_auth_token", UNKNOWN_TOKEN.into()),
        ],
        vec![("method", STATE_SYNC.into()), ("biz_content", "{".into())],
        vec![
            ("method", "zhima.unknown.method".into()),
            ("biz_content", "{}".into()),
        ],
        vec![
            ("method", STATE_SYNC.into()),
            ("timestamp", "2000-01-01 00:00:00".into()),
        ],
        vec![
            ("method", STATE_SYNC.into()),
            ("sign_type", "RSA".into()),
            ("biz_content", sync("rsa")),
        ],
        vec![
            ("method", STATE_SYNC.into()),
            ("app_id", "2021999999999999".into()),
        ],
        vec![("method", STATE_SYNC.into()), ("version", "2.0".into())],
        vec![("method", STATE_SYNC.into()), ("charset", "latin-9".into())],
    ];
    for case in cases {
        let pairs: Vec<(&str, &str)> = case.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let signed =
            build_request(&v1_params(&pairs), &sandbox.app_key, SdkLayout::Python).unwrap();
        secrets.add("v1 request sign", signed.sign.clone());
        post(&gateway, &signed.query, signed.body.clone()).await;
        // The same request with a broken signature: the string-to-sign is logged at DEBUG.
        let tampered = signed.query.replacen("sign=", "sign=AAAA", 1);
        post(&gateway, &tampered, signed.body.clone()).await;
        // And with a tampered body (same sign).
        post(&gateway, &signed.query, format!("{}&x=1", signed.body)).await;
    }
    // Hostile, unauthenticated parameters.
    let huge = "m".repeat(100_000);
    post(&gateway, "", format!("app_id=x&method={huge}")).await;
    post(&gateway, "", "method=zz%0Aforged%00&app_id=1".into()).await;
    // v3: success, tampered, token, AES, nonce reuse, unknown route, broken framing.
    let base = server.base_url.clone();
    let v3_cases: Vec<(&str, String, String, Option<&str>, bool)> = vec![
        (
            "POST",
            V3_SYNC_PATH.into(),
            paid_amount_value(lane, "LS-V3"),
            None,
            false,
        ),
        (
            "POST",
            V3_SYNC_PATH.into(),
            paid_amount_value(lane, "LS-V3T"),
            Some(TOKEN),
            false,
        ),
        (
            "POST",
            V3_SYNC_PATH.into(),
            paid_amount_value(lane, "LS-V3A"),
            None,
            true,
        ),
        (
            "GET",
            format!(
                "{V3_QUERY_PATH}?agreement_no={}&user_id={USER_ID}",
                agreement(lane, Kind::Decoupled)
            ),
            String::new(),
            None,
            false,
        ),
        (
            "POST",
            "/v3/zhima/not/there".into(),
            "{}".into(),
            Some(TOKEN),
            false,
        ),
    ];
    for (method, target, body, token, aes) in v3_cases {
        let body = if aes {
            sandbox.aes.encrypt(body.as_bytes())
        } else {
            body
        };
        let fields = AuthString {
            app_id: APP_ID.into(),
            app_cert_sn: None,
            nonce: uuid_like(),
            timestamp: to_epoch_millis(&now_alipay()).to_string(),
            extra: Vec::new(),
        };
        let auth =
            Authorization::sign(&sandbox.app_key, fields, method, &target, &body, token).unwrap();
        secrets.add("v3 request sign", auth.sign.clone());
        for attempt in 0..3 {
            // 0: as signed; 1: the same nonce again (refused); 2: tampered body.
            let sent_body = if attempt == 2 {
                format!("{body} ")
            } else {
                body.clone()
            };
            let client = reqwest::Client::new();
            let url = format!("{base}{target}");
            let mut req = match method {
                "GET" => client.get(&url),
                _ => client.post(&url),
            }
            .header("authorization", auth.header_value())
            .header(
                "content-type",
                if aes {
                    "text/plain"
                } else {
                    "application/json"
                },
            );
            if let Some(t) = token {
                req = req.header(v3::HEADER_APP_AUTH_TOKEN, t);
            }
            if aes {
                req = req.header(v3::HEADER_ENCRYPT_TYPE, "AES");
            }
            req.body(sent_body).send().await.expect("v3 answers");
        }
    }
    // Broken framing on both protocols.
    let addr = base.trim_start_matches("http://").to_owned();
    for path in ["/gateway.do", V3_SYNC_PATH] {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let req = format!("POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await;
    }
}

fn paid_amount_value(lane: &str, out_biz_no: &str) -> String {
    paid_amount(
        &agreement(lane, Kind::Decoupled),
        out_biz_no,
        357,
        &[],
        &format_alipay_datetime(&now_alipay()),
    )
    .to_string()
}

fn uuid_like() -> String {
    use rand::Rng;
    format!("{:032x}", rand::thread_rng().gen::<u128>())
}

/// The admin API with the right token, a wrong one and none; the token (whole and its
/// halves) joins `secrets`.
async fn drive_admin_paths(sandbox: &Sandbox, server: &Server, secrets: &mut Secrets) {
    let token_file = sandbox.dir.path().join("data").join("admin.token");
    let token = std::fs::read_to_string(&token_file)
        .unwrap_or_else(|e| panic!("{}: {e}", token_file.display()))
        .trim()
        .to_owned();
    secrets.add("admin token", token.clone());
    let (head, tail) = token.split_at(token.len() / 2);
    secrets.add("admin token (first half)", head);
    secrets.add("admin token (second half)", tail);
    let base = server.gateway_url().replace("/gateway.do", "");
    let http = reqwest::Client::new();
    for (bearer, path, body, expected) in [
        (Some(token.as_str()), "clock", None, 200),
        (
            Some(token.as_str()),
            "clock/advance",
            Some(r#"{"by":"1d"}"#),
            200,
        ),
        (
            Some(token.as_str()),
            "clock/advance",
            Some(r#"{"by":"bad"}"#),
            400,
        ),
        (Some("zmadm_wrong_wrong_wrong_wrong"), "clock", None, 401),
        (None, "clock", None, 401),
    ] {
        let url = format!("{base}/admin/api/v1/{path}");
        let mut req = match body {
            Some(b) => http.post(url).body(b.to_owned()),
            None => http.get(url),
        };
        if let Some(t) = bearer {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let status = req.send().await.unwrap().status().as_u16();
        assert_eq!(status, expected, "{path}");
    }
    // The resources: an app auth token created (its value joins `secrets`), reads, a view
    // link minted and opened (the link itself is a token by design; its key must not leak).
    let send = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut req = http
            .request(method, format!("{base}/admin/api/v1/{path}"))
            .header("authorization", format!("Bearer {token}"));
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        req.send()
    };
    let created: Value = send(
        reqwest::Method::POST,
        "tokens",
        Some(json!({"app_id": APP_ID, "partner_id": TOKEN_PARTNER_ID})),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let value = created["token"]
        .as_str()
        .expect("the created token")
        .to_owned();
    secrets.add("app auth token (created by the admin API)", value.clone());
    let prefix: String = value.chars().take(20).collect();
    for (method, path) in [
        (reqwest::Method::GET, "apps".to_owned()),
        (reqwest::Method::GET, "tokens".to_owned()),
        (reqwest::Method::GET, "events".to_owned()),
        (reqwest::Method::GET, "audit".to_owned()),
        (reqwest::Method::GET, "instances".to_owned()),
        (reqwest::Method::DELETE, format!("tokens/{prefix}")),
    ] {
        let status = send(method, &path, None).await.unwrap().status().as_u16();
        assert_eq!(status, 200, "{path}");
    }
    let link: Value = send(
        reqwest::Method::POST,
        "view-links",
        Some(json!({"agreement_no": agreement("s", Kind::Decoupled)})),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let path = link["path"].as_str().expect("a view link path");
    let card = http.get(format!("{base}{path}")).send().await.unwrap();
    assert_eq!(card.status().as_u16(), 200);
    let forged = http
        .get(format!("{base}{}", path.replacen("t=", "t=x", 1)))
        .send()
        .await
        .unwrap();
    assert_ne!(forged.status().as_u16(), 200);
}

/// The view-link signing key, read from the stopped server's database (PRODUCT §13).
async fn view_link_key(sandbox: &Sandbox) -> String {
    let data = sandbox.dir.path().join("data");
    let storage = zhima_server::storage::Storage::open_sqlite(
        &zhima_server::storage::SqliteOptions::in_dir(&data),
    )
    .await
    .expect("open the sandbox database");
    storage
        .secret(zhima_server::bootstrap::view_key::VIEW_TOKEN_SECRET)
        .await
        .unwrap()
        .expect("the view-link key exists once a link was minted")
}

/// Settles lane `s` so a notification is posted to `mock`; its `sign` joins `secrets`.
async fn drive_notify_path(
    sandbox: &Sandbox,
    server: &Server,
    mock: &wiremock::MockServer,
    secrets: &mut Secrets,
) {
    let body = json!({
        "agreement_id": agreement("s", Kind::Decoupled), "partner_id": PARTNER_ID,
        "out_request_no": "notify-secret-1", "withhold_plan_no": "W-notify-secret-1",
        "pay_amount": "0.01", "total_real_pay_amount": "0.00",
        "total_discount_amount": "0.00", "total_task_count": "0"
    });
    let node = V1::new(sandbox, server)
        .call("zhima.credit.pe.zmgo.settle.apply", &body.to_string())
        .await
        .expect("settle.apply answered");
    Outcome::from_v1_node(node).success("settle.apply");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let got = mock.received_requests().await.unwrap_or_default();
        if let Some(r) = got.first() {
            let params = GatewayParams::parse(b"", &r.body, None).unwrap();
            secrets.add("notify sign", params.get("sign").unwrap());
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no notification arrived"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn no_secret_reaches_the_log_at_trace() {
    let sandbox = Sandbox::new(&["s"]);
    let mock = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_string("success"))
        .mount(&mock)
        .await;
    let config = std::fs::read_to_string(&sandbox.config).unwrap().replacen(
        "sign_types = [\"RSA2\", \"RSA\"]\n",
        &format!(
            "sign_types = [\"RSA2\", \"RSA\"]\nnotify_url = \"{}/notify\"\n",
            mock.uri()
        ),
        1,
    );
    std::fs::write(&sandbox.config, config).unwrap();
    let server = Server::start_logging(&sandbox, "trace");
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
    secrets.add("AES content key", sandbox.aes.to_base64());
    for token in [TOKEN, EXPIRED_TOKEN, UNKNOWN_TOKEN] {
        secrets.add("app auth token", token);
    }
    drive_notify_path(&sandbox, &server, &mock, &mut secrets).await;
    drive_every_path(&sandbox, &server, &mut secrets).await;
    drive_admin_paths(&sandbox, &server, &mut secrets).await;
    // Let the last lines reach the file.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut server = server;
    server.kill();
    let log = server.stderr_text();
    let key = view_link_key(&sandbox).await;
    secrets.add("view-link key", key.clone());
    let (head, tail) = key.split_at(key.len() / 2);
    secrets.add("view-link key (first half)", head);
    secrets.add("view-link key (second half)", tail);
    // The log really is at TRACE and really saw the failures (else this proves nothing).
    assert!(
        log.contains("TRACE"),
        "not a TRACE log:\n{}",
        &log[..log.len().min(2000)]
    );
    for needle in [
        "v1 string-to-sign",
        "v3 string-to-sign",
        "request rejected",
        "request ok",
        "notification delivered",
    ] {
        assert!(log.contains(needle), "the log lacks {needle:?}");
    }
    assert!(
        secrets.0.len() > 40,
        "too few secrets collected: {}",
        secrets.0.len()
    );
    let found = secrets.found_in(&log);
    assert!(found.is_empty(), "secrets in the log: {found:?}");
    // And no request could forge a line or write a raw NUL.
    assert!(!log.contains('\0'));
    assert!(!log.lines().any(|l| l.starts_with("forged")));
}
