//! The operator console (PRODUCT §14) in headless Chromium against a real `zhima serve`: log in
//! with the admin token from the file `zhima serve` wrote, open the dashboard, search an
//! `out_biz_no` synced by the test, open its agreement's page and see the event there. Every
//! session fails on any console error (the harness's rule). Screenshots land in
//! `target/browser-artifacts/` (`console-*.png`).

mod support;

use serde_json::json;
use support::browser::{extract, goto, screenshots, texts, Browser};
use support::*;
use zhima_proto::time::{format_alipay_datetime, now_alipay};

/// A discount name that would run script if it were markup.
const XSS: &str = "<img src=x onerror=alert(1)><script>alert(2)</script>";

#[tokio::test]
async fn console_in_chromium() {
    let sandbox = Sandbox::new(&["con"]);
    let server = Server::start(&sandbox);
    let v1 = V1::new(&sandbox, &server);
    let agreement_no = agreement("con", Kind::Decoupled);
    let out_biz_no = format!("con-{}", std::process::id());
    let biz_time = format_alipay_datetime(&(now_alipay() - chrono::Duration::minutes(5)));
    let body = paid_amount(
        &agreement_no,
        &out_biz_no,
        3000,
        &[("exclusiveDiscount", XSS, 500)],
        &biz_time,
    );
    let node = v1
        .call(CUMULATION_SYNC, &body.to_string())
        .await
        .expect("sync");
    assert_eq!(node["code"], "10000", "{node}");

    let token = std::fs::read_to_string(sandbox.dir.path().join("data/admin.token"))
        .expect("zhima serve wrote the admin token file");
    let token = token.trim();
    let base = &server.base_url;
    let mut browser = Browser::launch();

    // (A wrong token's 401 login page is tested over HTTP in zhima-server's http_console.)
    let row = "table tbody tr td";
    let steps = browser.run(json!({"name": "console", "width": 1280, "steps": [
        goto(&format!("{base}/admin"), 200),
        {"fill": "#token", "value": token},
        {"click": "form.login button", "status": 200},
        extract(&[("h1", "h1"), ("cells", row)]),
        screenshots("console-dashboard"),
        goto(&format!("{base}/admin/events"), 200),
        {"fill": "#search input[name=out_biz_no]", "value": out_biz_no},
        {"click": "#search button", "status": 200},
        extract(&[("cells", row), ("links", "table a"), ("injected", "td script, td img")]),
        {"click": "table a", "status": 200},
        extract(&[("h1", "h1"), ("cells", row), ("headings", "h2")]),
        screenshots("console-agreement"),
    ]}));
    assert_eq!(texts(&steps, 3, "h1"), ["Dashboard"]);
    assert!(texts(&steps, 3, "cells").contains(&out_biz_no));
    let cells = texts(&steps, 8, "cells");
    assert!(cells.contains(&out_biz_no), "{cells:?}");
    assert!(
        cells.iter().any(|c| c.contains(XSS)),
        "the name stays text: {cells:?}"
    );
    assert!(texts(&steps, 8, "injected").is_empty());
    assert_eq!(texts(&steps, 8, "links")[0], agreement_no);
    assert_eq!(texts(&steps, 10, "h1"), ["Agreement"]);
    let cells = texts(&steps, 10, "cells");
    assert!(cells.contains(&agreement_no), "{cells:?}");
    assert!(
        cells.contains(&out_biz_no),
        "the ledger lists the event: {cells:?}"
    );
    assert!(texts(&steps, 10, "headings").contains(&"Events".to_owned()));
}
