//! sign.apply's signing page through a real server (PRODUCT §11, §13): the official Python
//! SDK's page_execute URL renders the page with its 同意 form; every failure (signature,
//! app, biz_content, unknown template) is an HTML error page naming the gateway code and
//! sub_code without any form; consent tokens are refused when unknown, expired or used.

mod http_support;
mod storage_support;

use http_support::*;
use scraper::{Html, Selector};
use serde_json::json;
use zhima_server::domain::consent::{token_hash, SignConsent};

const SIGN_APPLY: &str = "zhima.credit.pe.zmgo.sign.apply";

struct Page {
    status: u16,
    content_type: String,
    headers: reqwest::header::HeaderMap,
    dom: Html,
}

impl Page {
    fn all(&self, css: &str) -> Vec<String> {
        let sel = Selector::parse(css).unwrap();
        self.dom
            .select(&sel)
            .map(|e| e.text().collect::<String>())
            .collect()
    }

    fn one(&self, css: &str) -> String {
        let found = self.all(css);
        assert_eq!(found.len(), 1, "{css}: {found:?}");
        found.into_iter().next().unwrap()
    }

    fn attr(&self, css: &str, attr: &str) -> Option<String> {
        let sel = Selector::parse(css).unwrap();
        self.dom
            .select(&sel)
            .next()
            .and_then(|e| e.value().attr(attr).map(str::to_owned))
    }

    fn has_no_form(&self) {
        assert!(self.all("form").is_empty(), "a form on an error page");
        assert!(self.all("button").is_empty(), "a button on an error page");
        assert!(self.all("input").is_empty(), "an input on an error page");
    }
}

async fn open(url: &str) -> Page {
    let resp = client().get(url).send().await.unwrap();
    page(resp).await
}

async fn page(resp: reqwest::Response) -> Page {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let content_type = headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = resp.text().await.unwrap();
    Page {
        status,
        content_type,
        headers,
        dom: Html::parse_document(&text),
    }
}

fn sign_apply(biz: &str) -> V1 {
    V1::new(SIGN_APPLY, biz)
}

fn template_biz() -> String {
    format!(
        r#"{{"partner_id":"{PARTNER_ID}","template_id":"ZMGO_T1","out_request_no":"{}","freeze_amount":"9.90"}}"#,
        unique("OR")
    )
}

/// A user id no configured agreement uses.
fn fresh_user() -> String {
    let n: u64 = unique("")
        .bytes()
        .fold(7, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
    format!("2088{:012}", n % 1_000_000_000_000)
}

/// The user's agreement with the test merchant, through v1 agreement.query.
async fn agreement_of(server: &TestServer, user: &str) -> serde_json::Value {
    let call = V1::new(
        "zhima.credit.pe.zmgo.agreement.query",
        &format!(r#"{{"alipay_user_id":"{user}"}}"#),
    );
    call.send(server).await.node(&call)
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn submit(server: &TestServer, token: &str) -> reqwest::Response {
    post_token(server, "/c/sign/confirm", token).await
}

/// 暂不签约.
async fn decline(server: &TestServer, token: &str) -> reqwest::Response {
    post_token(server, "/c/sign/decline", token).await
}

async fn post_token(server: &TestServer, path: &str, token: &str) -> reqwest::Response {
    no_redirects()
        .post(format!("{}{path}", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_python_sdk_page_execute_url_opens_the_signing_page() {
    let server = TestServer::start().await;
    let user = fresh_user();
    let biz = json!({"partner_id": PARTNER_ID, "template_id": "ZMGO_T1", "freeze_amount": "9.90",
                     "out_request_no": unique("OR"), "alipay_user_id": user});
    let url = py_page_execute(
        &server,
        SIGN_APPLY,
        &biz,
        Some("https://m.example/back?b=流"),
    );
    let p = open(&url).await;
    assert_eq!(p.status, 200);
    assert_eq!(p.content_type, "text/html; charset=utf-8");
    assert_eq!(p.headers["cache-control"], "no-store");
    assert!(p.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    // The consent form: posts a 64-hex token to the confirm path (同意并签约); 暂不签约 posts
    // the same form to the decline path.
    assert_eq!(p.attr("form", "method").as_deref(), Some("post"));
    assert_eq!(p.attr("form", "action").as_deref(), Some("/c/sign/confirm"));
    let token = p.attr("form input[name=token]", "value").unwrap();
    assert_eq!(token.len(), 64);
    assert_eq!(p.one("form button.confirm[type=submit]"), "同意并签约");
    assert_eq!(p.one("form button.decline[type=submit]"), "暂不签约");
    assert_eq!(
        p.attr("form button.decline", "formaction").as_deref(),
        Some("/c/sign/decline")
    );
    // The icon is ours (no 404 in the browser's console).
    assert_eq!(
        p.attr("link[rel=icon]", "href").as_deref(),
        Some("/c/static/favicon.svg")
    );
    for path in ["/c/static/favicon.svg", "/favicon.ico"] {
        let resp = client()
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(resp.headers()["content-type"], "image/svg+xml", "{path}");
        assert!(resp.text().await.unwrap().starts_with("<svg"), "{path}");
    }
    // What is agreed to: the configured template (no blocks: the generic name), its
    // obligation, the default period, the freeze amount in yuan, the merchant.
    assert_eq!(p.one("h1.name"), "芝麻GO");
    assert_eq!(p.one("dd.obligation"), "完成5次任务，且累计消费满¥100.00");
    assert_eq!(p.one("dd.period"), "30天");
    assert_eq!(p.one("dd.freeze"), "¥9.90");
    assert_eq!(p.one("dd.merchant"), PARTNER_ID);
    // Nothing external: one stylesheet, ours, and no scripts.
    let css = p.attr("link[rel=stylesheet]", "href").unwrap();
    assert!(css.starts_with("/c/static/zhima.css?v="), "{css}");
    assert!(p.all("script").is_empty());
    let resp = client()
        .get(format!("{}{css}", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/css; charset=utf-8");
    assert!(resp.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age"));
    // A second rendering mints a different token.
    let again = open(&url).await;
    let second = again.attr("form input[name=token]", "value").unwrap();
    assert_ne!(second, token);
    assert_eq!(
        agreement_of(&server, &user).await["sub_code"],
        "EASY_MEMBER_CONSULT_FAIL"
    );

    // 同意: signed, then 303 to the merchant's return_url.
    let resp = submit(&server, &token).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()["location"],
        "https://m.example/back?b=%E6%B5%81"
    );
    let node = agreement_of(&server, &user).await;
    assert_eq!(node["code"], "10000", "{node}");
    let agreement_id = node["agreement_id"].as_str().unwrap().to_owned();
    // The same token again: refused, nothing signed twice.
    let p = page(submit(&server, &token).await).await;
    assert_eq!(p.status, 409);
    p.has_no_form();
    // The other page of the same request (same out_request_no): the same agreement.
    let resp = submit(&server, &second).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        agreement_of(&server, &user).await["agreement_id"],
        agreement_id.as_str()
    );
    assert!(server.storage.verify_invariants().await.unwrap().is_ok());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn without_return_url_a_success_page_and_concurrent_submits_sign_once() {
    let server = TestServer::start().await;
    let user = fresh_user();
    let biz = format!(
        r#"{{"partner_id":"{PARTNER_ID}","template_id":"ZMGO_T1","out_request_no":"{}","alipay_user_id":"{user}"}}"#,
        unique("OR")
    );
    let p = open(&sign_apply(&biz).page_url(&server)).await;
    let token = p.attr("form input[name=token]", "value").unwrap();
    let submits: Vec<_> = (0..8)
        .map(|_| {
            let base = server.base.clone();
            let token = token.clone();
            tokio::spawn(async move {
                no_redirects()
                    .post(format!("{base}/c/sign/confirm"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(format!("token={token}"))
                    .send()
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    let mut success = None;
    for s in submits {
        let resp = s.await.unwrap();
        statuses.push(resp.status().as_u16());
        if resp.status() == 200 {
            success = Some(page(resp).await);
        }
    }
    statuses.sort();
    assert_eq!(statuses, [200, 409, 409, 409, 409, 409, 409, 409]);
    let done = success.unwrap();
    let node = agreement_of(&server, &user).await;
    let agreement_id = node["agreement_id"].as_str().unwrap();
    assert!(done.one("p.detail").contains(agreement_id));
    done.has_no_form();
    server.stop().await.unwrap();
}

#[tokio::test]
async fn post_page_execute_form_and_head_requests() {
    let server = TestServer::start().await;
    // The SDKs' POST form posts the same parameters as a form body.
    let (query, body) = sign_apply(&template_biz()).wire();
    let resp = client()
        .post(format!("{}/gateway.do", server.base))
        .header(
            "content-type",
            "application/x-www-form-urlencoded;charset=utf-8",
        )
        .body(format!("{query}&{body}"))
        .send()
        .await
        .unwrap();
    let p = page(resp).await;
    assert_eq!(p.status, 200);
    assert_eq!(p.one("form button.confirm"), "同意并签约");
    // HEAD renders nothing and mints no token.
    let consents = || {
        let db = rusqlite::Connection::open(server.sqlite_path()).unwrap();
        db.query_row("SELECT count(*) FROM sign_consents", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap()
    };
    assert_eq!(consents(), 1);
    let url = sign_apply(&template_biz()).page_url(&server);
    let resp = client().head(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/html; charset=utf-8");
    assert!(resp.bytes().await.unwrap().is_empty());
    assert_eq!(consents(), 1);
    open(&url).await;
    assert_eq!(consents(), 2);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn failures_are_error_pages_with_codes_and_no_form() {
    let server = TestServer::start().await;
    let cases = [
        // tampered after signing
        (
            sign_apply(&template_biz()).after_sign(
                "biz_content",
                Some(&format!(
                    r#"{{"partner_id":"{PARTNER_ID}","template_id":"OTHER"}}"#
                )),
            ),
            401,
            "40002",
            "isv.invalid-signature",
        ),
        (
            sign_apply(&template_biz()).set("app_id", "2021000000009999"),
            401,
            "40002",
            "isv.invalid-app-id",
        ),
        (
            sign_apply(r#"{"template_id":"ZMGO_T1"}"#),
            400,
            "40004",
            "REQUEST_PARAM_ILLEGAL",
        ),
        (
            sign_apply(&format!(
                r#"{{"partner_id":"{PARTNER_ID}","template_id":"NOPE","out_request_no":"O1"}}"#
            )),
            400,
            "40004",
            "TEMPLATE_NOT_EXIST",
        ),
        (
            sign_apply(&template_biz()).set("return_url", "javascript:alert(1)"),
            400,
            "40002",
            "isv.invalid-parameter",
        ),
    ];
    for (call, status, code, sub_code) in cases {
        let p = open(&call.page_url(&server)).await;
        assert_eq!(p.status, status, "{sub_code}");
        assert_eq!(p.content_type, "text/html; charset=utf-8");
        assert_eq!(p.one("code.code"), code);
        assert_eq!(p.one("code.sub-code"), sub_code);
        assert!(!p.one("p.detail").is_empty());
        p.has_no_form();
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn unknown_expired_and_used_tokens_get_pages_without_a_form() {
    let server = TestServer::start().await;
    let now_ms = zhima_proto::time::now_alipay().timestamp_millis();
    let mint = |token: &str, expires_ms: i64, used_ms: Option<i64>| SignConsent {
        token_hash: token_hash(token),
        app_id: APP_ID.into(),
        partner_id: PARTNER_ID.into(),
        request: template_biz(),
        return_url: Some("https://m.example/back".into()),
        expires_ms,
        used_ms,
    };
    let expired = "e".repeat(64);
    let used = "a".repeat(64);
    server
        .storage
        .mint_consent(mint(&expired, now_ms - 1, None))
        .await
        .unwrap();
    server
        .storage
        .mint_consent(mint(&used, now_ms + 60_000, Some(now_ms)))
        .await
        .unwrap();
    for (token, status) in [
        ("f".repeat(64), 404),
        ("not-hex".to_owned(), 404),
        (String::new(), 404),
        (expired, 410),
        (used, 409),
    ] {
        let p = page(submit(&server, &token).await).await;
        assert_eq!(p.status, status, "{token}");
        assert!(p.headers.get("location").is_none());
        p.has_no_form();
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_preorder_page_shows_its_freeze_amount_and_signs_it() {
    let server = TestServer::start().await;
    let user = fresh_user();
    let model = zhima_proto::models::from_json(&format!(
        r#"{{"partner_id":"{PARTNER_ID}","template_id":"ZMGO_T1","out_request_no":"{}","alipay_user_id":"{user}","freeze_amount":"3.05"}}"#,
        unique("PO")
    ))
    .unwrap();
    let cmd = zhima_proto::validate::validate_preorder_create(&model).unwrap();
    let now = zhima_proto::time::now_alipay();
    let caller = zhima_server::domain::entities::Caller {
        app_id: APP_ID.into(),
        partner_id: PARTNER_ID.into(),
        now,
        business_now: server.storage.business_now(),
        notify_url: None,
    };
    let preorder_no = server
        .storage
        .create_preorder(cmd, caller)
        .await
        .unwrap()
        .preorder_no;
    let url = sign_apply(&format!(
        r#"{{"partner_id":"{PARTNER_ID}","preorder_no":"{preorder_no}"}}"#
    ))
    .set("return_url", "http://127.0.0.1:9/done")
    .page_url(&server);
    let p = open(&url).await;
    assert_eq!(p.status, 200);
    assert_eq!(p.one("dd.freeze"), "¥3.05");
    let token = p.attr("form input[name=token]", "value").unwrap();
    let resp = submit(&server, &token).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "http://127.0.0.1:9/done");
    let node = agreement_of(&server, &user).await;
    assert_eq!(node["code"], "10000", "{node}");
    // Signed: the preorder is no longer signable, so its page is an error page.
    let p = open(&url).await;
    assert_eq!(p.status, 400);
    assert_eq!(p.one("code.sub-code"), "PREORDER_STATUS_ILLEGAL");
    p.has_no_form();
    server.stop().await.unwrap();
}

#[tokio::test]
async fn declining_signs_nothing_and_spends_the_token_on_sqlite() {
    declining_signs_nothing_and_spends_the_token(TestServer::start().await).await;
}

#[tokio::test]
async fn declining_signs_nothing_and_spends_the_token_on_postgres() {
    let db = storage_support::pg::PgDatabase::create();
    let server = TestServer::start_on(
        Some(zhima_server::storage::PgOptions::new(db.url.clone())),
        |_| {},
    )
    .await;
    declining_signs_nothing_and_spends_the_token(server).await;
}

async fn declining_signs_nothing_and_spends_the_token(server: TestServer) {
    let user = fresh_user();
    let biz = format!(
        r#"{{"partner_id":"{PARTNER_ID}","template_id":"ZMGO_T1","out_request_no":"{}","alipay_user_id":"{user}"}}"#,
        unique("OR")
    );
    // With a return_url: 暂不签约 goes back there, and nothing is signed.
    let with_return = sign_apply(&biz).set("return_url", "https://m.example/back?declined=1");
    let p = open(&with_return.page_url(&server)).await;
    let token = p.attr("form input[name=token]", "value").unwrap();
    let resp = decline(&server, &token).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()["location"],
        "https://m.example/back?declined=1"
    );
    assert_eq!(
        agreement_of(&server, &user).await["sub_code"],
        "EASY_MEMBER_CONSULT_FAIL",
        "declining signs nothing"
    );
    // The declined token is spent: 同意 with it afterwards signs nothing either.
    let p = page(submit(&server, &token).await).await;
    assert_eq!(p.status, 409);
    p.has_no_form();
    assert_eq!(
        agreement_of(&server, &user).await["sub_code"],
        "EASY_MEMBER_CONSULT_FAIL"
    );
    // Without a return_url: a page saying nothing was opened; a forged token: 404 page.
    let p = open(&sign_apply(&biz).page_url(&server)).await;
    let token = p.attr("form input[name=token]", "value").unwrap();
    let p = page(decline(&server, &token).await).await;
    assert_eq!(p.status, 200);
    assert_eq!(p.one("h1"), "暂不开通");
    p.has_no_form();
    let p = page(decline(&server, &"f".repeat(64)).await).await;
    assert_eq!(p.status, 404);
    // The merchant may ask again: a new page of the same request still signs.
    let p = open(&sign_apply(&biz).page_url(&server)).await;
    let token = p.attr("form input[name=token]", "value").unwrap();
    assert_eq!(page(submit(&server, &token).await).await.status, 200);
    assert_eq!(agreement_of(&server, &user).await["code"], "10000");
    server.stop().await.unwrap();
}
