//! The operator console (PRODUCT §14) through a real server: login with the admin token, the
//! session cookie's flags, redirects without a session, CSRF on every form that changes
//! something, and pages that render what merchants sent escaped. Both engines.

mod http_support;
mod storage_support;

use http_support::*;
use scraper::{Html, Selector};
use serde_json::{json, Value};
use storage_support::pg::PgDatabase;
use zhima_server::storage::PgOptions;

const HOSTILE: &str = "<script>alert(1)</script>";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

struct Answer {
    status: u16,
    location: Option<String>,
    set_cookie: Option<String>,
    csp: Option<String>,
    body: String,
}

async fn send(req: reqwest::RequestBuilder) -> Answer {
    let resp = req.send().await.unwrap();
    let header = |n: &str| {
        resp.headers()
            .get(n)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (location, set_cookie, csp) = (
        header("location"),
        header("set-cookie"),
        header("content-security-policy"),
    );
    Answer {
        status: resp.status().as_u16(),
        location,
        set_cookie,
        csp,
        body: resp.text().await.unwrap(),
    }
}

async fn get(server: &TestServer, path: &str, cookie: Option<&str>) -> Answer {
    let mut req = no_redirects().get(format!("{}{path}", server.base));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    send(req).await
}

async fn post(server: &TestServer, path: &str, cookie: Option<&str>, form: &str) -> Answer {
    let mut req = no_redirects()
        .post(format!("{}{path}", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned());
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    send(req).await
}

fn csrf_of(page: &str) -> String {
    let doc = Html::parse_document(page);
    let sel = Selector::parse("input[name=csrf]").unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .expect("the page carries a CSRF token")
        .to_owned()
}

async fn sync(server: &TestServer, out_biz_no: &str) {
    let mut v: Value =
        serde_json::from_str(&cumulation_body(AGREEMENT_NO, PARTNER_ID, out_biz_no)).unwrap();
    v["amount_type_data"]["out_discount_infos"][0]["discount_name"] = json!(HOSTILE);
    let call = V1::new(CUMULATION_SYNC, &v.to_string());
    let node = call.send(server).await.node(&call);
    assert_eq!(node["code"], "10000", "{node}");
}

#[tokio::test]
async fn the_console_logs_in_checks_csrf_and_escapes_on_sqlite() {
    let server = TestServer::start().await;
    console(&server).await;
}

#[tokio::test]
async fn the_console_logs_in_checks_csrf_and_escapes_on_postgres() {
    let db = PgDatabase::create();
    let server = TestServer::start_on(Some(PgOptions::new(db.url.clone())), |_| {}).await;
    console(&server).await;
}

async fn console(server: &TestServer) {
    let token = server.admin_token().await;

    // No session: every page sends to the login page.
    for path in [
        "/admin",
        "/admin/events",
        "/admin/agreements/x",
        "/admin/clock",
    ] {
        let a = get(server, path, None).await;
        assert_eq!(a.status, 303, "{path}");
        assert_eq!(a.location.as_deref(), Some("/admin/login"), "{path}");
    }
    let login = get(server, "/admin/login", None).await;
    assert_eq!(login.status, 200);
    assert!(login.body.contains("name=\"token\""));
    assert!(login.csp.unwrap().contains("default-src 'none'"));

    // A wrong token: refused, no cookie.
    let wrong = post(server, "/admin/login", None, &format!("token={token}x")).await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.set_cookie.is_none());
    assert!(wrong.body.contains("not valid"));

    // The right one: a session cookie with the flags.
    let ok = post(server, "/admin/login", None, &format!("token={token}")).await;
    assert_eq!(ok.status, 303);
    assert_eq!(ok.location.as_deref(), Some("/admin"));
    let set = ok.set_cookie.expect("a session cookie");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(set.contains(flag), "{flag} in {set}");
    }
    let cookie = set.split(';').next().unwrap().to_owned();
    assert!(cookie.starts_with("zhima_console="));

    // A forged or altered session is no session.
    let (name, value) = cookie.split_once('=').unwrap();
    let (exp, tag) = value.split_once('.').unwrap();
    let later: i64 = exp.parse::<i64>().unwrap() + 999_999;
    for forged in [
        format!("{name}={later}.{tag}"),
        format!("{name}={exp}.{}", "0".repeat(64)),
        format!("{name}=garbage"),
    ] {
        let a = get(server, "/admin", Some(&forged)).await;
        assert_eq!(a.status, 303, "{forged}");
    }

    // Pages render; merchant-sent text is escaped.
    let out_biz_no = unique("CONSOLE");
    sync(server, &out_biz_no).await;
    let dash = get(server, "/admin", Some(&cookie)).await;
    assert_eq!(dash.status, 200);
    assert!(
        dash.body.contains(&out_biz_no),
        "the dashboard lists the event"
    );
    let found = get(
        server,
        &format!("/admin/events?out_biz_no={out_biz_no}&agreement_no=&user="),
        Some(&cookie),
    )
    .await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert!(found.body.contains(&out_biz_no));
    assert!(!found.body.contains(HOSTILE), "merchant text is escaped");
    assert!(found.body.contains("&lt;script&gt;") || found.body.contains("&#60;script&#62;"));
    let doc = Html::parse_document(&found.body);
    assert_eq!(doc.select(&Selector::parse("script").unwrap()).count(), 0);
    let link = format!("/admin/agreements/{AGREEMENT_NO}");
    assert!(found.body.contains(&format!("href=\"{link}\"")));
    let agreement = get(server, &link, Some(&cookie)).await;
    assert_eq!(agreement.status, 200);
    assert!(
        agreement.body.contains(&out_biz_no),
        "the ledger shows the event"
    );
    assert!(!agreement.body.contains(HOSTILE));
    let missing = get(server, "/admin/agreements/NOPE", Some(&cookie)).await;
    assert_eq!(missing.status, 404);
    for path in [
        "/admin/apps",
        "/admin/templates",
        "/admin/agreements",
        "/admin/instances",
        "/admin/audit",
    ] {
        let a = get(server, path, Some(&cookie)).await;
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        assert!(!a.body.contains(&token), "{path} shows no token");
        assert!(!a.body.contains("PRIVATE KEY"), "{path}");
    }
    // Detail pages, reached through the listings' links.
    let apps = get(server, "/admin/apps", Some(&cookie)).await;
    let app_link = format!("/admin/apps/{APP_ID}");
    assert!(
        apps.body.contains(&format!("href=\"{app_link}\"")),
        "{}",
        apps.body
    );
    let app = get(server, &app_link, Some(&cookie)).await;
    assert_eq!(app.status, 200);
    assert!(app.body.contains("key_fingerprint") && app.body.contains(APP_ID));
    assert!(!app.body.contains("PRIVATE KEY"));
    let templates = get(server, "/admin/templates", Some(&cookie)).await;
    let doc = Html::parse_document(&templates.body);
    let template_link = doc
        .select(&Selector::parse("a[href^='/admin/templates/']").unwrap())
        .next()
        .and_then(|a| a.value().attr("href"))
        .expect("a template links to its page")
        .to_owned();
    assert_eq!(get(server, &template_link, Some(&cookie)).await.status, 200);
    let call = V1::new(
        STATE_SYNC,
        &state_sync_body(&unique("CONSOLE-STATE"), r#"{"orderNo":"o-1"}"#),
    );
    assert_eq!(call.send(server).await.node(&call)["code"], "10000");
    let instances = get(server, "/admin/instances", Some(&cookie)).await;
    let doc = Html::parse_document(&instances.body);
    let instance_link = doc
        .select(&Selector::parse("a[href^='/admin/instances/']").unwrap())
        .next()
        .and_then(|a| a.value().attr("href"))
        .expect("an instance links to its page")
        .to_owned();
    let instance = get(server, &instance_link, Some(&cookie)).await;
    assert_eq!(instance.status, 200);
    assert!(instance.body.contains("events"), "its history table");
    assert_eq!(
        get(server, "/admin/instances/99999999", Some(&cookie))
            .await
            .status,
        404
    );
    assert_eq!(
        get(server, "/admin/instances/abc", Some(&cookie))
            .await
            .status,
        400
    );
    assert_eq!(get(server, "/admin/apps/NOPE", None).await.status, 303);

    let bad = get(server, "/admin/events?from=yesterday", Some(&cookie)).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("from"));

    // The clock: advancing needs the form's CSRF token.
    let clock = get(server, "/admin/clock", Some(&cookie)).await;
    assert_eq!(clock.status, 200);
    let csrf = csrf_of(&clock.body);
    let refused = post(server, "/admin/clock", Some(&cookie), "by=1d").await;
    assert_eq!(refused.status, 403);
    let refused = post(server, "/admin/clock", Some(&cookie), "by=1d&csrf=00").await;
    assert_eq!(refused.status, 403);
    assert_eq!(server.storage.clock().await.unwrap().clock.offset_ms, 0);
    let no_session = post(server, "/admin/clock", None, &format!("by=1d&csrf={csrf}")).await;
    assert_eq!(no_session.status, 303);
    assert_eq!(server.storage.clock().await.unwrap().clock.offset_ms, 0);
    let moved = post(
        server,
        "/admin/clock",
        Some(&cookie),
        &format!("by=1d&csrf={csrf}"),
    )
    .await;
    assert_eq!(moved.status, 303);
    assert_eq!(
        server.storage.clock().await.unwrap().clock.offset_ms,
        86_400_000
    );

    // Logout needs the token too, and clears the cookie.
    let refused = post(server, "/admin/logout", Some(&cookie), "").await;
    assert_eq!(refused.status, 403);
    let out = post(
        server,
        "/admin/logout",
        Some(&cookie),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(out.status, 303);
    assert!(out.set_cookie.unwrap().contains("Max-Age=0"));
}
