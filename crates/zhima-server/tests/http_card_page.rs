//! The consumer's Zhima GO card (PRODUCT §13) through a real server: view links minted by the
//! admin API, the card's progress, savings and history from synced events, escaping, and the
//! 403 that names nothing for forged, expired and other agreements' tokens.

mod http_support;
mod storage_support;

use http_support::*;
use scraper::{Html, Selector};
use serde_json::{json, Value};
use storage_support::pg::PgDatabase;
use zhima_server::bootstrap::view_key::view_token_key;
use zhima_server::domain::view_token::{mint, PageKind};
use zhima_server::storage::PgOptions;

const HOSTILE: &str = "<script>alert(1)</script>";

fn sync_body(out_biz_no: &str, day: u32, amount: &str, discount: (&str, &str)) -> Value {
    let mut v: Value =
        serde_json::from_str(&cumulation_body(AGREEMENT_NO, PARTNER_ID, out_biz_no)).unwrap();
    v["biz_time"] = json!(format!("2024-05-{day:02} 10:00:00"));
    v["amount_type_data"]["trade_info"]["amount"] = json!(amount);
    v["amount_type_data"]["out_discount_infos"][0]["discount_name"] = json!(discount.0);
    v["amount_type_data"]["out_discount_infos"][0]["discount_amount"] = json!(discount.1);
    v
}

async fn sync(server: &TestServer, body: &Value) {
    let call = V1::new(CUMULATION_SYNC, &body.to_string());
    let node = call.send(server).await.node(&call);
    assert_eq!(node["code"], "10000", "{node}");
}

async fn view_link(server: &TestServer, token: &str, body: Value) -> (u16, Value) {
    let resp = client()
        .post(format!("{}/admin/api/v1/view-links", server.base))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

async fn get(url: &str) -> (u16, String) {
    let resp = client().get(url).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

fn texts(doc: &Html, css: &str) -> Vec<String> {
    let sel = Selector::parse(css).unwrap();
    doc.select(&sel)
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

fn attr(doc: &Html, css: &str, name: &str) -> Vec<String> {
    let sel = Selector::parse(css).unwrap();
    doc.select(&sel)
        .filter_map(|e| e.value().attr(name).map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn the_card_shows_progress_savings_and_history_on_sqlite() {
    card_shows_progress_savings_and_history(&TestServer::start().await).await;
}

#[tokio::test]
async fn the_card_shows_progress_savings_and_history_on_postgres() {
    let db = PgDatabase::create();
    let server = TestServer::start_on(Some(PgOptions::new(db.url.clone())), |_| {}).await;
    card_shows_progress_savings_and_history(&server).await;
}

async fn card_shows_progress_savings_and_history(server: &TestServer) {
    let admin = server.admin_token().await;
    let first = unique("PAY");
    sync(server, &sync_body(&first, 20, "3.57", (HOSTILE, "8.75"))).await;
    sync(
        server,
        &sync_body(&unique("PAY"), 21, "10.00", ("满减", "1.00")),
    )
    .await;
    let mut refund = sync_body(&unique("REF"), 22, "1.00", (HOSTILE, "0.50"));
    refund["biz_action"] = json!("ORDER_REFUND");
    refund["pay_out_biz_no"] = json!(first);
    sync(server, &refund).await;

    let (status, link) = view_link(
        server,
        &admin,
        json!({"agreement_no": AGREEMENT_NO, "ttl": "1h"}),
    )
    .await;
    assert_eq!(status, 200, "{link}");
    let url = link["url"].as_str().unwrap();
    let now = chrono::Utc::now().timestamp();
    let expires_at = link["expires_at"].as_i64().unwrap();
    assert!((now + 3590..=now + 3610).contains(&expires_at), "{link}");
    assert!(url.starts_with(&format!("{}/c/agreements/{AGREEMENT_NO}?t=", server.base)));

    let resp = client().get(url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    assert!(resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    let html = resp.text().await.unwrap();
    assert!(!html.contains(HOSTILE), "the discount name is escaped");
    let doc = Html::parse_document(&html);
    assert!(texts(&doc, "script").is_empty());
    assert_eq!(texts(&doc, ".agreement-no"), [AGREEMENT_NO]);
    assert_eq!(texts(&doc, ".status"), ["生效中"]);
    // Obligations of ZMGO_T1: 5 tasks and ¥100.00; AMOUNT events count no task.
    assert_eq!(texts(&doc, ".tasks .done"), ["0"]);
    assert_eq!(texts(&doc, ".tasks .target"), ["5"]);
    assert_eq!(texts(&doc, ".amount .done"), ["¥12.57"]);
    assert_eq!(texts(&doc, ".amount .target"), ["¥100.00"]);
    assert_eq!(attr(&doc, ".amount progress", "value"), ["12"]);
    assert_eq!(attr(&doc, ".tasks progress", "value"), ["0"]);
    // Savings: 8.75 − 0.50 + 1.00, by name (names in code-point order).
    assert_eq!(texts(&doc, ".savings-total"), ["¥9.25"]);
    assert_eq!(texts(&doc, ".discount-name"), [HOSTILE, "满减"]);
    assert_eq!(texts(&doc, ".discount-amount"), ["¥8.25", "¥1.00"]);
    // History newest first, the refund shown as 退款.
    assert_eq!(texts(&doc, ".history .action"), ["退款", "支付", "支付"]);
    assert_eq!(
        texts(&doc, ".history .amount"),
        ["¥1.00", "¥10.00", "¥3.57"]
    );
    assert_eq!(
        texts(&doc, ".history .when"),
        ["2024-05-22 10:00", "2024-05-21 10:00", "2024-05-20 10:00"]
    );
    assert!(texts(&doc, ".settled").is_empty(), "not settled yet");
    let days: i64 = texts(&doc, ".days-left")[0].parse().unwrap();
    assert!(days >= 0);
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_get_a_403_that_names_nothing() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let (_, link) = view_link(&server, &admin, json!({"agreement_no": AGREEMENT_NO})).await;
    let url = link["url"].as_str().unwrap().to_owned();
    let (token_at, token) = url.split_once("?t=").unwrap();
    assert_eq!(get(&url).await.0, 200);

    let key = view_token_key(&server.storage).await.unwrap();
    let past = chrono::Utc::now().timestamp() - 1;
    let expired = mint(&key, PageKind::AgreementCard, AGREEMENT_NO, past);
    let (_, other) = view_link(
        &server,
        &admin,
        json!({"agreement_no": TOKEN_AGREEMENT_NO, "ttl": "5m"}),
    )
    .await;
    let other_token = other["url"].as_str().unwrap().split_once("?t=").unwrap().1;
    let (expiry, mac) = token.split_once('.').unwrap();
    let later = format!("{}.{mac}", expiry.parse::<i64>().unwrap() + 86_400);
    let forged_key = mint(&[9; 32], PageKind::AgreementCard, AGREEMENT_NO, past + 3600);
    for bad in [
        format!("{token_at}?t={expired}"),
        format!("{token_at}?t={other_token}"),
        format!("{token_at}?t={later}"),
        format!("{token_at}?t={forged_key}"),
        format!("{token_at}?t="),
        token_at.to_owned(),
    ] {
        let (status, body) = get(&bad).await;
        assert_eq!(status, 403, "{bad}");
        assert!(!body.contains(AGREEMENT_NO), "{bad}: {body}");
        assert!(body.contains("链接无效或已过期"), "{body}");
    }
    // An unknown agreement is an admin 404; a bad ttl a 400.
    let (status, body) = view_link(&server, &admin, json!({"agreement_no": "404"})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("NOT_FOUND"))
    );
    let (status, body) = view_link(
        &server,
        &admin,
        json!({"agreement_no": AGREEMENT_NO, "ttl": "99d"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("BAD_REQUEST"))
    );
    let (status, _) = view_link(
        &server,
        "wrong-wrong-wrong",
        json!({"agreement_no": AGREEMENT_NO}),
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_settled_agreement_shows_its_settlement_on_sqlite() {
    settled_agreement_shows_its_settlement(&TestServer::start().await).await;
}

#[tokio::test]
async fn a_settled_agreement_shows_its_settlement_on_postgres() {
    let db = PgDatabase::create();
    let server = TestServer::start_on(Some(PgOptions::new(db.url.clone())), |_| {}).await;
    settled_agreement_shows_its_settlement(&server).await;
}

/// Two processes on one database share the key: a link one minted opens on the other.
#[tokio::test]
async fn a_link_minted_by_one_process_opens_on_another() {
    let db = PgDatabase::create();
    let a = TestServer::start_on(Some(PgOptions::new(db.url.clone())), |_| {}).await;
    let b = TestServer::start_on(Some(PgOptions::new(db.url.clone())), |_| {}).await;
    let (key_a, key_b) = tokio::join!(view_token_key(&a.storage), view_token_key(&b.storage));
    assert_eq!(key_a.unwrap(), key_b.unwrap());
    let admin = a.admin_token().await;
    let (status, link) = view_link(&a, &admin, json!({"agreement_no": AGREEMENT_NO})).await;
    assert_eq!(status, 200, "{link}");
    let path = link["path"].as_str().unwrap();
    let (status, html) = get(&format!("{}{path}", b.base)).await;
    assert_eq!(status, 200);
    assert!(html.contains(AGREEMENT_NO));
}

async fn settled_agreement_shows_its_settlement(server: &TestServer) {
    let admin = server.admin_token().await;
    let expired = server
        .storage
        .expire_due(zhima_proto::time::parse_alipay_datetime("2031-01-01 00:00:00").unwrap())
        .await
        .unwrap();
    let plan = &expired
        .iter()
        .find(|e| e.agreement_no == AGREEMENT_NO)
        .unwrap()
        .quit
        .withhold_plan_no;
    let (_, link) = view_link(server, &admin, json!({"agreement_no": AGREEMENT_NO})).await;
    let url = link["url"].as_str().unwrap();
    let (status, html) = get(url).await;
    assert_eq!(status, 200);
    let doc = Html::parse_document(&html);
    assert_eq!(texts(&doc, ".status"), ["结算中"]);
    assert!(texts(&doc, ".days-left").is_empty());
    assert!(texts(&doc, ".settled").is_empty());
    assert_eq!(texts(&doc, ".empty"), ["暂无记录"]);

    let settle = json!({
        "agreement_id": AGREEMENT_NO, "partner_id": PARTNER_ID, "out_request_no": unique("S"),
        "withhold_plan_no": plan, "pay_amount": "3.57",
        "total_real_pay_amount": "0.00", "total_discount_amount": "0.00", "total_task_count": "0"
    });
    let ok = V3::post(V3_SETTLE, &settle.to_string()).send(server).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let (status, html) = get(url).await;
    assert_eq!(status, 200);
    let doc = Html::parse_document(&html);
    assert_eq!(texts(&doc, ".status"), ["已结束"]);
    assert_eq!(texts(&doc, ".settled .pay"), ["¥3.57"]);
    assert_eq!(texts(&doc, ".savings-total"), ["¥0.00"]);
}
