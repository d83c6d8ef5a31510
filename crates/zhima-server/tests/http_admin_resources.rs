//! The admin API's resources (PRODUCT §14) over HTTP, on SQLite and PostgreSQL: every route
//! refuses a missing or wrong token and changes nothing; the happy paths; invalid input is a
//! 400 whose message names the field, and writes nothing; no secret in any answer.

mod http_support;
mod storage_support;

use http_support::*;
use serde_json::{json, Value};
use storage_support::pg::PgDatabase;
use zhima_server::storage::PgOptions;

/// A server on SQLite, or on a fresh PostgreSQL database (kept alive with it).
struct Env {
    server: TestServer,
    token: String,
    _db: Option<PgDatabase>,
}

async fn env(postgres: bool) -> Env {
    let (server, db) = if postgres {
        let db = PgDatabase::create();
        let server = TestServer::start_on(Some(PgOptions::new(db.url.clone())), |_| {}).await;
        (server, Some(db))
    } else {
        (TestServer::start().await, None)
    };
    let token = server.admin_token().await;
    Env {
        server,
        token,
        _db: db,
    }
}

impl Env {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        call(&self.server, method, path, Some(&self.token), body).await
    }

    async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, v) = self.call(method, path, body).await;
        assert_eq!(status, 200, "{method} {path}: {v}");
        v
    }

    /// Asserts a 400 whose message starts with `field`.
    async fn bad(&self, method: &str, path: &str, body: Option<Value>, field: &str) {
        let (status, v) = self.call(method, path, body).await;
        assert_eq!(status, 400, "{method} {path}: {v}");
        assert_eq!(v["error"]["code"], "BAD_REQUEST");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(field) || message.contains(&format!("`{field}`")),
            "{method} {path}: {message:?} does not name {field}"
        );
    }
}

async fn call(
    server: &TestServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("{}/admin/api/v1/{path}", server.base);
    let mut req = match method {
        "GET" => client().get(url),
        "POST" => client().post(url),
        "PUT" => client().put(url),
        "DELETE" => client().delete(url),
        _ => unreachable!(),
    };
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, value)
}

fn items(v: &Value) -> &Vec<Value> {
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {v}"))
}

fn field<'a>(v: &'a Value, name: &str) -> Vec<&'a str> {
    items(v).iter().map(|i| i[name].as_str().unwrap()).collect()
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    super::$name(false).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    super::$name(true).await
                }
            }
        )*
    };
}

on_both!(
    every_route_refuses_a_missing_or_wrong_token,
    apps_are_created_toggled_and_rotated,
    tokens_are_shown_once_and_listed_by_prefix,
    templates_are_created_and_updated,
    agreements_are_listed_and_shown_with_their_ledger,
    events_are_searched_and_paginated,
    instances_show_their_history,
    the_audit_log_is_filtered,
    trades_admittance_and_machines,
);

/// Every admin route with a body that would change something if it were accepted.
fn routes() -> Vec<(&'static str, String, Option<Value>)> {
    let key = keys().app_public_pem.clone();
    vec![
        ("GET", "apps".into(), None),
        (
            "POST",
            "apps".into(),
            Some(
                json!({"app_id": "2021000000000999", "partner_id": PARTNER_ID, "public_key": key}),
            ),
        ),
        ("GET", format!("apps/{APP_ID}"), None),
        ("POST", format!("apps/{APP_ID}/disable"), None),
        ("POST", format!("apps/{DISABLED_APP_ID}/enable"), None),
        (
            "PUT",
            format!("apps/{APP_ID}/public-key"),
            Some(json!({"public_key": keys().platform_public.to_spki_pem()})),
        ),
        ("GET", "tokens".into(), None),
        (
            "POST",
            "tokens".into(),
            Some(json!({"app_id": APP_ID, "partner_id": PARTNER_ID})),
        ),
        ("DELETE", format!("tokens/{TOKEN}"), None),
        ("GET", "templates".into(), None),
        (
            "POST",
            "templates".into(),
            Some(json!({"template_no": "T_NEW", "mode": "BOUND"})),
        ),
        ("GET", "templates/ZMGO_T1".into(), None),
        (
            "PUT",
            "templates/ZMGO_T1".into(),
            Some(json!({"mode": "BOUND"})),
        ),
        ("GET", "agreements".into(), None),
        ("GET", format!("agreements/{AGREEMENT_NO}"), None),
        (
            "PUT",
            "agreements/A_NEW".into(),
            Some(
                json!({"template_no": "ZMGO_T1", "user_id": USER_ID, "partner_id": PARTNER_ID,
                "start_time": "2024-01-01 00:00:00", "end_time": "2030-01-01 00:00:00"}),
            ),
        ),
        ("GET", "trades".into(), None),
        (
            "POST",
            "trades".into(),
            Some(
                json!({"trade_no": "T1", "buyer_user_id": USER_ID, "seller_partner_id": PARTNER_ID, "amount": "1.00"}),
            ),
        ),
        ("GET", "admittance".into(), None),
        (
            "PUT",
            format!("admittance/{USER_ID}"),
            Some(json!({"admitted": false})),
        ),
        ("GET", "machines".into(), None),
        ("GET", format!("machines/{SERVICE_ID}"), None),
        (
            "PUT",
            "machines/S_NEW".into(),
            Some(json!({"service_id": "S_NEW", "app_ids": [], "categories": []})),
        ),
        ("GET", "events".into(), None),
        ("GET", "instances".into(), None),
        ("GET", "instances/1".into(), None),
        ("GET", "audit".into(), None),
    ]
}

/// What an accepted edit would have changed.
async fn snapshot(server: &TestServer) -> String {
    let s = &server.storage;
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        s.apps().await.unwrap(),
        s.token_views(None).await.unwrap(),
        s.app_auth_token(TOKEN).await.unwrap(),
        s.templates().await.unwrap(),
        s.agreement("A_NEW").await.unwrap(),
        s.trades().await.unwrap(),
        s.zmgo_users().await.unwrap(),
        s.state_services().await.unwrap(),
    )
}

async fn every_route_refuses_a_missing_or_wrong_token(postgres: bool) {
    let env = env(postgres).await;
    let before = snapshot(&env.server).await;
    let wrong = format!("{}x", env.token);
    for (method, path, body) in routes() {
        for token in [None, Some(wrong.as_str()), Some("")] {
            let (status, v) = call(&env.server, method, &path, token, body.clone()).await;
            assert_eq!(status, 401, "{method} {path} with {token:?}: {v}");
            assert_eq!(v["error"]["code"], "UNAUTHORIZED");
        }
    }
    assert_eq!(
        snapshot(&env.server).await,
        before,
        "a refused call changed something"
    );
    // With the token every route answers (the edits then apply).
    for (method, path, body) in routes() {
        let (status, v) = env.call(method, &path, body).await;
        assert!(
            status == 200 || status == 404,
            "{method} {path}: {status} {v}"
        );
    }
    assert_ne!(snapshot(&env.server).await, before);
}

async fn apps_are_created_toggled_and_rotated(postgres: bool) {
    let env = env(postgres).await;
    let k = keys();
    let list = env.ok("GET", "apps", None).await;
    assert_eq!(
        field(&list, "app_id"),
        [APP_ID, CERT_APP_ID, RSA2_APP_ID, DISABLED_APP_ID]
    );
    let app = &items(&list)[0];
    let fingerprint = zhima_proto::keys::PublicKey::from_text(&k.app_public_pem)
        .unwrap()
        .fingerprint();
    assert_eq!(app["key_fingerprint"], fingerprint.as_str());
    assert_eq!(app["encrypt_key_set"], true);
    assert!(app.get("encrypt_key").is_none() && app.get("public_key_pem").is_none());
    assert!(
        !list.to_string().contains(&k.aes_b64),
        "the AES key is never shown"
    );
    assert_eq!(
        env.ok("GET", &format!("apps/{CERT_APP_ID}"), None).await["app_cert_sn"],
        k.app_cert_sn.as_str()
    );

    // Invalid creates name the field and write nothing.
    let before = env.server.storage.apps().await.unwrap();
    let new = |app_id: &str, key: &str| json!({"app_id": app_id, "partner_id": PARTNER_ID, "public_key": key});
    env.bad(
        "POST",
        "apps",
        Some(new(APP_ID, &k.app_public_pem)),
        "app_id",
    )
    .await;
    env.bad(
        "POST",
        "apps",
        Some(new(&"9".repeat(33), &k.app_public_pem)),
        "app_id",
    )
    .await;
    env.bad(
        "POST",
        "apps",
        Some(new("2021000000000009", &k.app_private_pem)),
        "public_key",
    )
    .await;
    env.bad(
        "POST",
        "apps",
        Some(new("2021000000000009", "garbage")),
        "public_key",
    )
    .await;
    let mut bad_types = new("2021000000000009", &k.app_public_pem);
    bad_types["sign_types"] = json!(["RSA3"]);
    env.bad("POST", "apps", Some(bad_types), "sign_types").await;
    let mut none = new("2021000000000009", &k.app_public_pem);
    none["sign_types"] = json!([]);
    env.bad("POST", "apps", Some(none), "sign_types").await;
    env.bad(
        "POST",
        "apps",
        Some(json!({"app_id": "x", "public_key": "k"})),
        "partner_id",
    )
    .await;
    env.bad(
        "POST",
        "apps",
        Some(json!({"app_id": "x", "partner_id": "p", "public_key": "k", "colour": 1})),
        "colour",
    )
    .await;
    assert_eq!(env.server.storage.apps().await.unwrap(), before);

    let created = env
        .ok(
            "POST",
            "apps",
            Some(new("2021000000000009", &k.app_public_pem)),
        )
        .await;
    assert_eq!(created["enabled"], true);
    assert_eq!(created["key_fingerprint"], fingerprint.as_str());
    assert_eq!(created["sign_types"], json!(["RSA2", "RSA"]));
    let stored = env
        .server
        .storage
        .app("2021000000000009")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.partner_id, PARTNER_ID);

    // Disabled, the gateway refuses it; enabled again, it serves.
    let off = env.ok("POST", "apps/2021000000000009/disable", None).await;
    assert_eq!(off["enabled"], false);
    assert!(
        !env.server
            .storage
            .app("2021000000000009")
            .await
            .unwrap()
            .unwrap()
            .enabled
    );
    let on = env.ok("POST", "apps/2021000000000009/enable", None).await;
    assert_eq!(on["enabled"], true);

    // Rotation replaces the key (and ends certificate mode).
    let platform_pem = k.platform_public.to_spki_pem();
    let rotated = env
        .ok(
            "PUT",
            &format!("apps/{CERT_APP_ID}/public-key"),
            Some(json!({"public_key": platform_pem})),
        )
        .await;
    assert_eq!(
        rotated["key_fingerprint"],
        k.platform_public.fingerprint().as_str()
    );
    assert_eq!(rotated["app_cert_sn"], Value::Null);
    let before = env.server.storage.app(CERT_APP_ID).await.unwrap();
    env.bad(
        "PUT",
        &format!("apps/{CERT_APP_ID}/public-key"),
        Some(json!({"public_key": k.platform_private_pem})),
        "public_key",
    )
    .await;
    assert_eq!(env.server.storage.app(CERT_APP_ID).await.unwrap(), before);

    let (status, v) = env.call("POST", "apps/NOPE/disable", None).await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (404, Some("NOT_FOUND"))
    );
    let (status, _) = env.call("GET", "apps/NOPE", None).await;
    assert_eq!(status, 404);
}

async fn tokens_are_shown_once_and_listed_by_prefix(postgres: bool) {
    let env = env(postgres).await;
    let list = env.ok("GET", "tokens", None).await;
    assert_eq!(items(&list).len(), 3);
    for t in [TOKEN, EXPIRED_TOKEN, OTHER_APPS_TOKEN] {
        assert!(!list.to_string().contains(t), "a token value was listed");
    }
    assert_eq!(field(&list, "prefix"), ["202405BBtest"; 3]);
    let expired: Vec<bool> = items(&list)
        .iter()
        .map(|t| t["expired"].as_bool().unwrap())
        .collect();
    assert_eq!(expired.iter().filter(|e| **e).count(), 1);
    let of_app = env
        .ok("GET", &format!("tokens?app_id={RSA2_APP_ID}"), None)
        .await;
    assert_eq!(items(&of_app).len(), 1);
    env.bad("GET", "tokens?app=1", None, "query").await;

    // Invalid creates write nothing.
    let before = env.server.storage.token_views(None).await.unwrap();
    env.bad(
        "POST",
        "tokens",
        Some(json!({"app_id": "NOPE", "partner_id": PARTNER_ID})),
        "app_id",
    )
    .await;
    env.bad(
        "POST",
        "tokens",
        Some(json!({"app_id": APP_ID, "partner_id": ""})),
        "partner_id",
    )
    .await;
    env.bad("POST", "tokens", Some(json!({"app_id": APP_ID, "partner_id": PARTNER_ID, "expires_at": "2020-01-01 00:00:00"})), "expires_at").await;
    env.bad(
        "POST",
        "tokens",
        Some(json!({"app_id": APP_ID, "partner_id": PARTNER_ID, "expires_at": "tomorrow"})),
        "expires_at",
    )
    .await;
    assert_eq!(env.server.storage.token_views(None).await.unwrap(), before);

    let created = env
        .ok("POST", "tokens", Some(json!({"app_id": RSA2_APP_ID, "partner_id": TOKEN_PARTNER_ID, "expires_at": "2031-01-01 00:00:00"})))
        .await;
    let value = created["token"].as_str().unwrap().to_owned();
    assert_eq!(value.len(), 40);
    assert!(value.starts_with(created["prefix"].as_str().unwrap()));
    let stored = env
        .server
        .storage
        .app_auth_token(&value)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.partner_id, TOKEN_PARTNER_ID);
    assert_eq!(created["expires_at"], "2031-01-01 00:00:00");
    let list = env.ok("GET", "tokens", None).await;
    assert_eq!(items(&list).len(), 4);
    assert!(!list.to_string().contains(&value), "shown only on create");

    // Revoke: a prefix shared by several is refused, an unknown one is 404.
    env.bad("DELETE", "tokens/202405BB", None, "prefix").await;
    assert_eq!(env.server.storage.token_views(None).await.unwrap().len(), 4);
    let (status, _) = env.call("DELETE", "tokens/nomatch", None).await;
    assert_eq!(status, 404);
    let revoked = env
        .ok("DELETE", &format!("tokens/{}", &value[..20]), None)
        .await;
    assert_eq!(revoked["revoked"], true);
    assert!(!revoked.to_string().contains(&value));
    assert!(env
        .server
        .storage
        .app_auth_token(&value)
        .await
        .unwrap()
        .is_none());
}

async fn templates_are_created_and_updated(postgres: bool) {
    let env = env(postgres).await;
    let list = env.ok("GET", "templates", None).await;
    assert_eq!(field(&list, "template_no"), ["ZMGO_T1"]);
    let t1 = env.ok("GET", "templates/ZMGO_T1", None).await;
    assert_eq!(t1["mode"], "DECOUPLED");
    assert_eq!(t1["obligation_amount"], "100.00");
    assert_eq!(t1["owner_partner_id"], Value::Null);

    let before = env.server.storage.templates().await.unwrap();
    for (body, named) in [
        (
            json!({"template_no": "ZMGO_T1", "mode": "BOUND"}),
            "template_no",
        ),
        (json!({"mode": "BOUND"}), "template_no"),
        (json!({"template_no": "T2", "mode": "LOOSE"}), "mode"),
        (
            json!({"template_no": "T2", "mode": "BOUND", "obligation_times": -1}),
            "obligation_times",
        ),
        (
            json!({"template_no": "T2", "mode": "BOUND", "obligation_amount": "1.234"}),
            "obligation_amount",
        ),
        (
            json!({"template_no": "T2", "mode": "BOUND", "settle_tolerance": "-1.00"}),
            "settle_tolerance",
        ),
        (
            json!({"template_no": "T2", "mode": "BOUND", "period_days": -3}),
            "period_days",
        ),
        (json!({"template_no": "", "mode": "BOUND"}), "template_no"),
    ] {
        env.bad("POST", "templates", Some(body), named).await;
    }
    env.bad(
        "PUT",
        "templates/ZMGO_T1",
        Some(json!({"template_no": "OTHER", "mode": "BOUND"})),
        "template_no",
    )
    .await;
    env.bad(
        "PUT",
        "templates/ZMGO_T1",
        Some(json!({"mode": "bound"})),
        "mode",
    )
    .await;
    assert_eq!(env.server.storage.templates().await.unwrap(), before);

    let created = env
        .ok("POST", "templates", Some(json!({"template_no": "T2", "mode": "BOUND", "obligation_times": 3, "obligation_amount": "9.90", "period_days": 7, "settle_check": true, "settle_tolerance": "0.10"})))
        .await;
    assert_eq!(created["mode"], "BOUND");
    assert_eq!(created["settle_tolerance"], "0.10");
    let updated = env
        .ok(
            "PUT",
            "templates/T2",
            Some(json!({"mode": "DECOUPLED", "obligation_times": 4})),
        )
        .await;
    assert_eq!(updated["mode"], "DECOUPLED");
    assert_eq!(updated["obligation_times"], 4);
    let (status, _) = env
        .call("PUT", "templates/NOPE", Some(json!({"mode": "BOUND"})))
        .await;
    assert_eq!(status, 404);
    let (status, _) = env.call("GET", "templates/NOPE", None).await;
    assert_eq!(status, 404);
}

async fn sync(server: &TestServer, agreement_no: &str, out_biz_no: &str) {
    let reply = V3::post(
        V3_SYNC,
        &cumulation_body(agreement_no, PARTNER_ID, out_biz_no),
    )
    .send(server)
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

async fn agreements_are_listed_and_shown_with_their_ledger(postgres: bool) {
    let env = env(postgres).await;
    sync(&env.server, AGREEMENT_NO, "LEDGER-1").await;
    sync(&env.server, AGREEMENT_NO, "LEDGER-2").await;
    let all = env.ok("GET", "agreements", None).await;
    assert_eq!(
        field(&all, "agreement_no"),
        [AGREEMENT_NO, TOKEN_AGREEMENT_NO]
    );
    assert_eq!(all["next_cursor"], Value::Null);
    let first = env.ok("GET", "agreements?limit=1", None).await;
    assert_eq!(field(&first, "agreement_no"), [AGREEMENT_NO]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest = env
        .ok("GET", &format!("agreements?limit=1&cursor={cursor}"), None)
        .await;
    assert_eq!(field(&rest, "agreement_no"), [TOKEN_AGREEMENT_NO]);
    let mine = env
        .ok("GET", &format!("agreements?partner_id={TOKEN_PARTNER_ID}&status=Y&user={USER_ID}&template_no=ZMGO_T1"), None)
        .await;
    assert_eq!(field(&mine, "agreement_no"), [TOKEN_AGREEMENT_NO]);
    assert!(items(&env.ok("GET", "agreements?status=N", None).await).is_empty());
    env.bad("GET", "agreements?status=Q", None, "status").await;
    env.bad("GET", "agreements?limit=0", None, "limit").await;
    env.bad("GET", "agreements?limit=many", None, "query").await;
    env.bad("GET", "agreements?sort=asc", None, "query").await;

    let one = env
        .ok("GET", &format!("agreements/{AGREEMENT_NO}?events=1"), None)
        .await;
    assert_eq!(one["status"], "Y");
    assert_eq!(one["totals"]["event_count"], 2);
    assert_eq!(one["totals"]["trade_amount"], "7.14");
    assert_eq!(one["totals"]["discount_amount"], "17.50");
    assert_eq!(one["events"][0]["out_biz_no"], "LEDGER-2");
    assert_eq!(one["events"][0]["biz_action"], "ORDER_PAID");
    assert_eq!(one["more_events"], true);
    assert_eq!(one["settlements"], json!([]));
    env.bad(
        "GET",
        &format!("agreements/{AGREEMENT_NO}?events=0"),
        None,
        "events",
    )
    .await;
    let (status, _) = env.call("GET", "agreements/NOPE", None).await;
    assert_eq!(status, 404);

    // Upsert as the config file does; invalid ones write nothing.
    let body = |template: &str, end: &str| {
        json!({"template_no": template, "user_id": USER_ID, "partner_id": PARTNER_ID,
               "start_time": "2024-01-01 00:00:00", "end_time": end})
    };
    env.bad(
        "PUT",
        "agreements/A_NEW",
        Some(body("NOPE", "2030-01-01 00:00:00")),
        "template_no",
    )
    .await;
    env.bad(
        "PUT",
        "agreements/A_NEW",
        Some(body("ZMGO_T1", "2023-01-01 00:00:00")),
        "end_time",
    )
    .await;
    env.bad(
        "PUT",
        "agreements/A_NEW",
        Some(body("ZMGO_T1", "soon")),
        "end_time",
    )
    .await;
    let mut anonymous = body("ZMGO_T1", "2030-01-01 00:00:00");
    anonymous["user_id"] = Value::Null;
    env.bad("PUT", "agreements/A_NEW", Some(anonymous), "user_id")
        .await;
    let mut bad_status = body("ZMGO_T1", "2030-01-01 00:00:00");
    bad_status["status"] = json!("X");
    env.bad("PUT", "agreements/A_NEW", Some(bad_status), "status")
        .await;
    assert!(env
        .server
        .storage
        .agreement("A_NEW")
        .await
        .unwrap()
        .is_none());
    let created = env
        .ok(
            "PUT",
            "agreements/A_NEW",
            Some(body("ZMGO_T1", "2030-01-01 00:00:00")),
        )
        .await;
    assert_eq!(created["status"], "Y");
    assert_eq!(created["end_time"], "2030-01-01 00:00:00");
    assert!(env
        .server
        .storage
        .agreement("A_NEW")
        .await
        .unwrap()
        .is_some());
}

async fn events_are_searched_and_paginated(postgres: bool) {
    let env = env(postgres).await;
    for i in 1..=3 {
        sync(&env.server, AGREEMENT_NO, &format!("EV-{i}")).await;
    }
    let one = env.ok("GET", "events?out_biz_no=EV-2", None).await;
    assert_eq!(field(&one, "out_biz_no"), ["EV-2"]);
    assert_eq!(items(&one)[0]["trade_amount"], "3.57");
    assert_eq!(items(&one)[0]["discounts"][0]["amount"], "8.75");

    let page = env
        .ok(
            "GET",
            &format!("events?agreement_no={AGREEMENT_NO}&user={USER_ID}&limit=2"),
            None,
        )
        .await;
    assert_eq!(field(&page, "out_biz_no"), ["EV-3", "EV-2"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = env
        .ok(
            "GET",
            &format!("events?agreement_no={AGREEMENT_NO}&limit=2&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(field(&next, "out_biz_no"), ["EV-1"]);
    assert_eq!(next["next_cursor"], Value::Null);

    let all = env
        .ok("GET", &format!("events?partner_id={PARTNER_ID}"), None)
        .await;
    assert_eq!(items(&all).len(), 3);
    let other = env
        .ok(
            "GET",
            &format!("events?partner_id={TOKEN_PARTNER_ID}"),
            None,
        )
        .await;
    assert!(items(&other).is_empty());
    let future = env
        .ok("GET", "events?from=2099-01-01%2000:00:00", None)
        .await;
    assert!(items(&future).is_empty());
    let past = env
        .ok(
            "GET",
            "events?to=2099-01-01%2000:00:00&from=2000-01-01%2000:00:00",
            None,
        )
        .await;
    assert_eq!(items(&past).len(), 3);
    env.bad("GET", "events?from=yesterday", None, "from").await;
    env.bad("GET", "events?to=2024-13-01%2000:00:00", None, "to")
        .await;
    env.bad("GET", "events?cursor=abc", None, "cursor").await;
    env.bad("GET", "events?limit=501", None, "limit").await;
}

async fn instances_show_their_history(postgres: bool) {
    let env = env(postgres).await;
    let call = V1::new(
        STATE_SYNC,
        &state_sync_body("INST-1", r#"{"orderNo":"o-1"}"#),
    );
    let reply = call.send(&env.server).await;
    assert_eq!(reply.node(&call)["code"], "10000");
    let list = env
        .ok(
            "GET",
            &format!("instances?service_id={SERVICE_ID}&user_id={USER_ID}"),
            None,
        )
        .await;
    assert_eq!(items(&list).len(), 1);
    let inst = &items(&list)[0];
    assert_eq!(inst["current_state"], "CONTRACT_STATE_WATCH_MOVIE_BUY");
    assert_eq!(inst["event_count"], 1);
    let by_event = env.ok("GET", "instances?out_biz_no=INST-1", None).await;
    assert_eq!(items(&by_event)[0]["id"], inst["id"]);
    assert!(items(&env.ok("GET", "instances?out_biz_no=NOPE", None).await).is_empty());

    let detail = env
        .ok("GET", &format!("instances/{}", inst["id"]), None)
        .await;
    assert_eq!(detail["events"][0]["out_biz_no"], "INST-1");
    assert_eq!(detail["events"][0]["from_state"], Value::Null);
    assert_eq!(detail["events"][0]["biz_data"], r#"{"orderNo":"o-1"}"#);
    env.bad("GET", "instances/abc", None, "id").await;
    env.bad("GET", "instances?cursor=x", None, "cursor").await;
    let (status, _) = env.call("GET", "instances/424242", None).await;
    assert_eq!(status, 404);
}

async fn the_audit_log_is_filtered(postgres: bool) {
    let env = env(postgres).await;
    sync(&env.server, AGREEMENT_NO, "AUD-1").await;
    sync(&env.server, AGREEMENT_NO, "AUD-2").await;
    let refused = V3::post(V3_SYNC, &cumulation_body("NOPE", PARTNER_ID, "AUD-3"))
        .send(&env.server)
        .await;
    assert_ne!(refused.status, 200);
    let api = format!("POST%20{V3_SYNC}");
    // Audit entries are queued after the answer: wait for the third.
    let mut all = Value::Null;
    for _ in 0..50 {
        env.server.storage.flush().await.unwrap();
        all = env
            .ok("GET", &format!("audit?api={api}&app_id={APP_ID}"), None)
            .await;
        if items(&all).len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(items(&all).len(), 3, "{all}");
    let ok = env
        .ok("GET", &format!("audit?api={api}&outcome=10000"), None)
        .await;
    assert_eq!(items(&ok).len(), 2);
    let page = env
        .ok("GET", &format!("audit?api={api}&limit=2"), None)
        .await;
    assert_eq!(items(&page).len(), 2);
    assert_ne!(
        items(&page)[0]["outcome"],
        "10000",
        "newest first: the refusal"
    );
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = env
        .ok(
            "GET",
            &format!("audit?api={api}&limit=2&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(items(&next).len(), 1);
    let none = env
        .ok("GET", "audit?from=2099-01-01%2000:00:00", None)
        .await;
    assert!(items(&none).is_empty());
    env.bad("GET", "audit?from=now", None, "from").await;
    env.bad("GET", "audit?cursor=-", None, "cursor").await;
    env.bad("GET", "audit?who=me", None, "query").await;
}

async fn trades_admittance_and_machines(postgres: bool) {
    let env = env(postgres).await;
    assert!(items(&env.ok("GET", "trades", None).await).is_empty());
    let trade = |amount: &str| {
        json!({"trade_no": "2020081722001435461000000001", "buyer_user_id": USER_ID,
               "seller_partner_id": PARTNER_ID, "amount": amount})
    };
    env.bad("POST", "trades", Some(trade("abc")), "amount")
        .await;
    env.bad("POST", "trades", Some(trade("0.00")), "amount")
        .await;
    env.bad(
        "POST",
        "trades",
        Some(json!({"trade_no": "x"})),
        "buyer_user_id",
    )
    .await;
    assert!(env.server.storage.trades().await.unwrap().is_empty());
    let t = env.ok("POST", "trades", Some(trade("12.30"))).await;
    assert_eq!(t["amount"], "12.30");
    assert_eq!(
        field(&env.ok("GET", "trades", None).await, "amount"),
        ["12.30"]
    );

    let users = env.ok("GET", "admittance", None).await;
    assert_eq!(field(&users, "user_id"), [BARRED_USER_ID]);
    env.bad(
        "PUT",
        &format!("admittance/{USER_ID}"),
        Some(json!({"admitted": "no"})),
        "admitted",
    )
    .await;
    assert_eq!(env.server.storage.zmgo_users().await.unwrap().len(), 1);
    let u = env
        .ok(
            "PUT",
            &format!("admittance/{BARRED_USER_ID}"),
            Some(json!({"admitted": true})),
        )
        .await;
    assert_eq!(u["admitted"], true);
    assert!(env.server.storage.zmgo_users().await.unwrap()[0].admitted);

    let machines = env.ok("GET", "machines", None).await;
    assert_eq!(field(&machines, "service_id"), [SERVICE_ID]);
    let mut svc = env.ok("GET", &format!("machines/{SERVICE_ID}"), None).await;
    assert_eq!(svc["categories"][0]["code"], "WATCH_MOVIE");
    let before = env.server.storage.state_services().await.unwrap();
    let mut unknown_app = svc.clone();
    unknown_app["app_ids"] = json!(["NOPE"]);
    env.bad(
        "PUT",
        &format!("machines/{SERVICE_ID}"),
        Some(unknown_app),
        "app_ids",
    )
    .await;
    let mut broken = svc.clone();
    broken["categories"][0]["states"][0]["next"] = json!(["NO_SUCH_STATE"]);
    env.bad(
        "PUT",
        &format!("machines/{SERVICE_ID}"),
        Some(broken),
        "categories",
    )
    .await;
    env.bad("PUT", "machines/OTHER", Some(svc.clone()), "service_id")
        .await;
    assert_eq!(env.server.storage.state_services().await.unwrap(), before);
    svc["app_ids"] = json!([APP_ID]);
    let put = env
        .ok("PUT", &format!("machines/{SERVICE_ID}"), Some(svc))
        .await;
    assert_eq!(put["app_ids"], json!([APP_ID]));
    let (status, _) = env.call("GET", "machines/NOPE", None).await;
    assert_eq!(status, 404);
}
