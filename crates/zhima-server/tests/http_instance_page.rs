//! The state-sync instance page (PRODUCT §13) through a real server: a link minted by the
//! admin API opens the instance's current state and history, with the state machine's names
//! and the merchant's biz_data escaped; another user's, another principal's, a card token, a
//! forged or expired token all get the 403 page; the API refuses unknown instances and
//! bodies that name no subject or two.

mod http_support;
mod storage_support;

use http_support::*;
use scraper::{Html, Selector};
use serde_json::{json, Value};
use storage_support::pg::PgDatabase;
use zhima_server::bootstrap::view_key::view_token_key;
use zhima_server::domain::view_token::{instance_subject, mint, PageKind};
use zhima_server::storage::PgOptions;

const CATEGORY: &str = "WATCH_MOVIE";

async fn sync(server: &TestServer, out_biz_no: &str, principal: &str, state: &str, data: &str) {
    let body = json!({
        "user_id": USER_ID, "out_biz_no": out_biz_no, "out_principal_id": principal,
        "biz_state_code": state, "category_code": CATEGORY, "service_id": SERVICE_ID,
        "biz_data": data,
    });
    let call = V1::new(STATE_SYNC, &body.to_string());
    let node = call.send(server).await.node(&call);
    assert_eq!(node["code"], "10000", "{node}");
}

async fn view_link(server: &TestServer, body: Value) -> (u16, Value) {
    let admin = server.admin_token().await;
    let resp = client()
        .post(format!("{}/admin/api/v1/view-links", server.base))
        .bearer_auth(admin)
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
    (resp.status().as_u16(), resp.text().await.unwrap())
}

fn texts(html: &str, css: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(css).unwrap();
    doc.select(&sel)
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

#[tokio::test]
async fn the_instance_page_on_sqlite() {
    instance_page(&TestServer::start().await).await;
}

#[tokio::test]
async fn the_instance_page_on_postgres() {
    let db = PgDatabase::create();
    let server = TestServer::start_on(Some(PgOptions::new(db.url.clone())), |_| {}).await;
    instance_page(&server).await;
}

async fn instance_page(server: &TestServer) {
    // A principal with a slash and a non-ASCII char: the path segments are encoded.
    let principal = format!("{}/场次", unique("movie"));
    sync(
        server,
        &unique("S"),
        &principal,
        "CONTRACT_STATE_WATCH_MOVIE_BUY",
        r#"{"orderNo":"<script>x</script>","buyCnt":2}"#,
    )
    .await;
    let instance = json!({"service_id": SERVICE_ID, "category_code": CATEGORY,
                          "out_principal_id": principal, "user_id": USER_ID});
    let (status, link) = view_link(server, json!({"instance": instance, "ttl": "10m"})).await;
    assert_eq!(status, 200, "{link}");
    let url = link["url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!(
            "{}/c/instances/{SERVICE_ID}/{CATEGORY}/",
            server.base
        )),
        "{url}"
    );
    assert!(
        url.contains("%2F") && url.contains(&format!("user_id={USER_ID}&t=")),
        "{url}"
    );

    let (status, html) = get(&url).await;
    assert_eq!(status, 200, "{html}");
    assert!(!html.contains("<script>x"), "biz_data is escaped");
    assert!(texts(&html, "script").is_empty());
    // The machine names its category and the first state (the last state has no name: its
    // code is shown).
    assert_eq!(texts(&html, "h1.name"), ["观影约定"]);
    assert_eq!(texts(&html, ".current .state"), ["已购票"]);
    assert_eq!(texts(&html, ".hero .status"), ["进行中"]);
    assert_eq!(texts(&html, ".principal"), [principal.as_str()]);
    assert_eq!(texts(&html, ".step-data dd"), ["2", "<script>x</script>"]);

    // A transition later, the same link shows it, newest first.
    sync(
        server,
        &unique("S"),
        &principal,
        "CONTRACT_STATE_WATCH_MOVIE_WATCHED",
        "{}",
    )
    .await;
    let (_, html) = get(&url).await;
    let watched = "CONTRACT_STATE_WATCH_MOVIE_WATCHED";
    assert_eq!(texts(&html, ".current .state"), [watched]);
    assert_eq!(texts(&html, ".hero .status"), ["已完成"]);
    assert_eq!(texts(&html, ".step-state"), [watched, "已购票"]);
    assert_eq!(texts(&html, ".step-from"), ["由「已购票」变更", "开始"]);

    // Refusals: all the same 403, naming nothing.
    let (path, token) = url.split_once("?user_id=").unwrap();
    let token = token.split_once("&t=").unwrap().1;
    let key = view_token_key(&server.storage).await.unwrap();
    let subject = instance_subject(SERVICE_ID, CATEGORY, USER_ID, &principal);
    let expired = mint(
        &key,
        PageKind::StateInstance,
        &subject,
        chrono::Utc::now().timestamp() - 1,
    );
    let card_kind = mint(
        &key,
        PageKind::AgreementCard,
        &subject,
        chrono::Utc::now().timestamp() + 600,
    );
    let other_principal = path.replace("%2F", "%2G");
    for bad in [
        format!("{path}?user_id=2088602002015002&t={token}"),
        format!("{other_principal}?user_id={USER_ID}&t={token}"),
        format!("{path}?user_id={USER_ID}&t={expired}"),
        format!("{path}?user_id={USER_ID}&t={card_kind}"),
        format!("{path}?user_id={USER_ID}&t=1.AAAA"),
        format!("{path}?user_id={USER_ID}"),
    ] {
        let (status, body) = get(&bad).await;
        assert_eq!(status, 403, "{bad}");
        assert!(body.contains("链接无效或已过期"), "{body}");
        assert!(
            !body.contains("movie") && !body.contains("观影"),
            "{bad}: {body}"
        );
    }
    // The card's path with the instance token opens nothing either.
    let (status, _) = get(&format!(
        "{}/c/agreements/{AGREEMENT_NO}?t={token}",
        server.base
    ))
    .await;
    assert_eq!(status, 403);

    // The API: unknown instance 404, no subject or both 400.
    let mut unknown = instance.clone();
    unknown["out_principal_id"] = json!("nope");
    let (status, body) = view_link(server, json!({"instance": unknown})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("NOT_FOUND")),
        "{body}"
    );
    for bad in [
        json!({}),
        json!({"agreement_no": AGREEMENT_NO, "instance": instance}),
        json!({"instance": {"service_id": SERVICE_ID}}),
    ] {
        let (status, body) = view_link(server, bad.clone()).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("BAD_REQUEST")),
            "{bad}: {body}"
        );
    }
}
