//! The consumer pages (PRODUCT §13) in headless Chromium against a real `zhima serve`, with
//! every step made through zhima-client (the SDK) and view links minted by `zhima admin
//! view-link`: the signing page (暂不签约 signs nothing, 同意并签约 signs), the Zhima GO card
//! after syncs, after a refund and after settlement, an XSS discount name that stays text, a
//! forged token's 403 page, and a state-sync instance's page. Every session fails on any
//! console error (the harness's rule; the 403 document's own status is the one exception).
//! Screenshots at 375 px and 1280 px land in `target/browser-artifacts/`.

mod support;

use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use support::browser::{extract, goto, screenshots, texts, Browser};
use support::lifecycle as lc;
use support::*;
use zhima_client::{Endpoint, ZhimaClient};
use zhima_proto::time::{format_alipay_datetime, now_alipay};

/// A discount name that would run script if it were markup.
const XSS: &str = "<img src=x onerror=alert(1)><script>alert(2)</script>";

fn model<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{v} is not the model: {e}"))
}

/// `zhima admin … view-link ARGS` → the URL it prints.
fn view_link(sandbox: &Sandbox, server: &Server, args: &[&str]) -> String {
    let token = sandbox.dir.path().join("data/admin.token");
    let out = std::process::Command::new(zhima_bin())
        .args(["admin", "--url", &server.base_url, "--token-file"])
        .arg(&token)
        .arg("view-link")
        .args(args)
        .output()
        .expect("run zhima admin view-link");
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        out.status.success(),
        "zhima admin view-link {args:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `n` minutes ago, as a `biz_time`.
fn minutes_ago(n: i64) -> String {
    format_alipay_datetime(&(now_alipay() - chrono::Duration::minutes(n)))
}

/// The card's numbers, as the browser shows them.
const CARD: &[(&str, &str)] = &[
    ("status", ".hero .status"),
    ("tasks_done", ".tasks .done"),
    ("tasks_target", ".tasks .target"),
    ("amount_done", ".amount .done"),
    ("amount_target", ".amount .target"),
    ("savings", ".savings-total"),
    ("discount_names", ".discount-name"),
    ("discount_amounts", ".discount-amount"),
    ("task_names", ".task-name"),
    ("task_counts", ".task-count"),
    ("actions", ".history .action"),
    ("amounts", ".history .amount"),
    ("pay", ".settled .pay"),
    (
        "injected",
        ".savings script, .savings img, .history script, .history img",
    ),
];

#[tokio::test]
async fn consumer_pages_in_chromium() {
    let sandbox = Sandbox::new(&[]);
    let server = Server::start(&sandbox);
    let zc = ZhimaClient::builder()
        .app_id(APP_ID)
        .app_key(sandbox.app_key.clone())
        .platform_key(sandbox.platform_key.public_key())
        .endpoint(Endpoint::local(&server.base_url))
        .build()
        .expect("zhima-client");
    let v1 = V1::new(&sandbox, &server);
    let mut browser = Browser::launch();

    // ---- template with texts, preorder, the signing page --------------------------------
    let mut template = lc::template_create("br-tpl", "芝麻GO观影月卡");
    template["right_config"] = json!({"custom_benefit_desc": "每张电影票立减5元",
                                      "custom_sub_benefit_desc": "30天内看满3场免会员费"});
    template["obligation_config"]["obligation_amount"] = json!("50.00");
    let created = zc
        .v3()
        .template_create(&model(template))
        .await
        .expect("template.create");
    let template_no = created.data.template_no.expect("template_no");
    let preorder = zc
        .v3()
        .preorder_create(&model(lc::preorder_create(&template_no, "br-pre")))
        .await
        .expect("preorder.create");
    let preorder_no = preorder.data.preorder_no.expect("preorder_no");
    let sign_url = zc
        .v1()
        .sign_apply_url(&model(lc::sign_apply(&preorder_no)), None)
        .expect("sign.apply URL");

    let sign_page = [
        ("name", "h1.name"),
        ("benefit", ".benefit"),
        ("sub_benefit", ".sub-benefit"),
        ("obligation", "dd.obligation"),
        ("period", "dd.period"),
        ("freeze", "dd.freeze"),
        ("buttons", "form button"),
    ];
    let steps = browser.run(json!({"name": "sign-decline", "steps": [
        goto(&sign_url, 200),
        extract(&sign_page),
        screenshots("sign"),
        {"click": "button.decline", "status": 200},
        extract(&[("title", "h1"), ("forms", "form")]),
    ]}));
    assert_eq!(texts(&steps, 1, "name"), ["芝麻GO观影月卡"]);
    assert_eq!(texts(&steps, 1, "benefit"), ["每张电影票立减5元"]);
    assert_eq!(texts(&steps, 1, "sub_benefit"), ["30天内看满3场免会员费"]);
    assert_eq!(
        texts(&steps, 1, "obligation"),
        ["完成3次任务，且累计消费满¥50.00"]
    );
    assert_eq!(texts(&steps, 1, "period"), ["30天"]);
    assert_eq!(texts(&steps, 1, "freeze"), ["¥10.00"]);
    assert_eq!(texts(&steps, 1, "buttons"), ["同意并签约", "暂不签约"]);
    assert_eq!(texts(&steps, 4, "title"), ["暂不开通"]);
    assert!(texts(&steps, 4, "forms").is_empty());

    // 暂不签约 signed nothing: the preorder is still signable, so a new page has the form;
    // 同意并签约 on it signs.
    let steps = browser.run(json!({"name": "sign-accept", "steps": [
        goto(&sign_url, 200),
        {"click": "button.confirm", "status": 200},
        extract(&[("title", "h1"), ("detail", "p.detail")]),
    ]}));
    assert_eq!(texts(&steps, 2, "title"), ["开通成功"]);
    let detail = texts(&steps, 2, "detail").remove(0);
    let agreement: String = detail
        .split("协议号")
        .nth(1)
        .unwrap_or_else(|| panic!("no agreement number in {detail:?}"))
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect();
    let status = zc
        .v1()
        .agreement_query(&model::<
            zhima_proto::models::ZhimaCreditPeZmgoAgreementQueryModel,
        >(lc::agreement_query(&agreement)))
        .await
        .expect("agreement.query");
    assert_eq!(status.data.agreement_status.as_deref(), Some("Y"));

    // ---- syncs through the SDK, then the card --------------------------------------------
    let payment = paid_amount(
        &agreement,
        "br-p1",
        3000,
        &[
            ("exclusiveDiscount", XSS, 500),
            ("exclusiveBenefit", "满减券", 200),
        ],
        &minutes_ago(30),
    );
    for body in [
        payment.clone(),
        paid_task(&agreement, "br-t1", &minutes_ago(20)),
        paid_task(&agreement, "br-t2", &minutes_ago(10)),
    ] {
        let r = zc
            .v1()
            .cumulation_sync(&model::<
                zhima_proto::models::ZhimaCreditPeZmgoCumulationSyncModel,
            >(body))
            .await
            .expect("cumulation.sync");
        assert!(r.data.out_biz_no.is_some());
    }
    let card_url = view_link(&sandbox, &server, &[&agreement]);
    let steps = browser.run(json!({"name": "card", "steps": [
        goto(&card_url, 200), extract(CARD), screenshots("card"),
    ]}));
    let t = |key: &str| texts(&steps, 1, key);
    assert_eq!(t("status"), ["生效中"]);
    assert_eq!(
        (t("tasks_done"), t("tasks_target")),
        (vec!["2".to_owned()], vec!["3".to_owned()])
    );
    assert_eq!(t("amount_done"), ["¥30.00"]);
    assert_eq!(t("amount_target"), ["¥50.00"]);
    assert_eq!(t("savings"), ["¥7.00"]);
    // The XSS name is text (code-point order puts `<` first), and nothing was injected.
    assert_eq!(t("discount_names"), [XSS, "满减券"]);
    assert_eq!(t("discount_amounts"), ["¥5.00", "¥2.00"]);
    assert!(t("injected").is_empty(), "{:?}", t("injected"));
    assert_eq!(t("task_names"), ["打车1次"]);
    assert_eq!(t("task_counts"), ["2次"]);
    assert_eq!(t("actions"), ["支付", "支付", "支付"]);
    assert_eq!(t("amounts"), ["", "", "¥30.00"]);
    assert!(t("pay").is_empty());

    // ---- a refund: the totals drop, the refund is shown as one ---------------------------
    let refund = refund_of(&payment, "br-r1", 1000, &[200, 100], &minutes_ago(5));
    zc.v1()
        .cumulation_sync(&model::<
            zhima_proto::models::ZhimaCreditPeZmgoCumulationSyncModel,
        >(refund))
        .await
        .expect("refund");
    let steps = browser.run(json!({"name": "card-refund", "steps": [
        goto(&card_url, 200), extract(CARD),
    ]}));
    let t = |key: &str| texts(&steps, 1, key);
    assert_eq!(t("amount_done"), ["¥20.00"]);
    assert_eq!(t("savings"), ["¥4.00"]);
    assert_eq!(t("discount_amounts"), ["¥3.00", "¥1.00"]);
    assert_eq!(t("actions"), ["退款", "支付", "支付", "支付"]);
    assert_eq!(t("amounts")[0], "¥10.00");

    // ---- unsign and settle: the result shows ---------------------------------------------
    let quit = zc
        .v1()
        .agreement_unsign(&model::<
            zhima_proto::models::ZhimaCreditPeZmgoAgreementUnsignModel,
        >(lc::agreement_unsign(&agreement)))
        .await
        .expect("agreement.unsign")
        .data;
    let plan = lc::assert_withhold_plan_no(quit.withhold_plan_no.as_deref(), "unsign");
    let claim = lc::Claim::of(&query_ledger(&v1, &agreement).await);
    zc.v1()
        .settle_apply(&model::<
            zhima_proto::models::ZhimaCreditPeZmgoSettleApplyModel,
        >(lc::settle_apply(
            &agreement, "br-s1", &plan, 990, claim,
        )))
        .await
        .expect("settle.apply");
    let steps = browser.run(json!({"name": "card-settled", "steps": [
        goto(&card_url, 200), extract(CARD), screenshots("card-settled"),
    ]}));
    assert_eq!(texts(&steps, 1, "status"), ["已结束"]);
    assert_eq!(texts(&steps, 1, "pay"), ["¥9.90"]);
    assert_eq!(texts(&steps, 1, "amount_done"), ["¥20.00"]);

    // ---- a forged token: the 403 page, naming nothing ------------------------------------
    let (at, token) = card_url.split_once("?t=").unwrap();
    let (expiry, mac) = token.split_once('.').unwrap();
    let forged = format!("{at}?t={}.{mac}", expiry.parse::<i64>().unwrap() + 3600);
    let steps = browser.run(json!({"name": "forbidden", "steps": [
        goto(&forged, 403),
        extract(&[("title", "h1"), ("body", "body"), ("numbers", ".agreement-no, .history")]),
        screenshots("forbidden"),
    ]}));
    assert_eq!(texts(&steps, 1, "title"), ["链接无效或已过期"]);
    assert!(texts(&steps, 1, "numbers").is_empty());
    assert!(!texts(&steps, 1, "body")[0].contains(&agreement));
    // The harness is not lenient: the same page where a 200 was expected fails the session,
    // naming both the status and Chromium's console error.
    let out =
        browser.try_run(&json!({"name": "harness-self-check", "steps": [goto(&forged, 200)]}));
    let errors = out["errors"].to_string();
    assert_eq!(out["ok"], false, "{out}");
    assert!(
        errors.contains("HTTP 403") && errors.contains("console error"),
        "{errors}"
    );

    // ---- a state-sync instance -----------------------------------------------------------
    for (no, state, data) in [
        ("br-st1", BUY, json!({"orderNo": "o-9", "buyCnt": 2})),
        (
            "br-st2",
            WATCHED,
            json!({"orderNo": "o-9", "cinema": "<b>万达影城</b>"}),
        ),
    ] {
        let r = zc
            .v1()
            .state_data_sync(&model::<zhima_proto::models::ZhimaDataStateDataSyncModel>(
                state_sync(no, "movie-9", state, &data),
            ))
            .await
            .expect("state.data.sync");
        assert_eq!(r.data.biz_result.as_deref(), Some("success"));
    }
    let instance = format!("{SERVICE_ID}/{CATEGORY}/movie-9");
    let instance_url = view_link(
        &sandbox,
        &server,
        &["--instance", &instance, "--user-id", USER_ID],
    );
    let steps = browser.run(json!({"name": "instance", "steps": [
        goto(&instance_url, 200),
        extract(&[
            ("title", "h1.name"),
            ("state", ".current .state"),
            ("status", ".hero .status"),
            ("steps", ".step-state"),
            ("from", ".step-from"),
            ("data", ".step-data dd"),
            ("injected", ".step-data b"),
        ]),
        screenshots("instance"),
    ]}));
    let t = |key: &str| texts(&steps, 1, key);
    assert_eq!(t("title"), ["观影约定"]);
    assert_eq!(t("state"), ["已观影"]);
    assert_eq!(t("status"), ["已完成"]);
    assert_eq!(t("steps"), ["已观影", "已购票"]);
    assert_eq!(t("from"), ["由「已购票」变更", "开始"]);
    assert_eq!(t("data"), ["<b>万达影城</b>", "o-9", "2", "o-9"]);
    assert!(t("injected").is_empty());
    // Another user's instance with this token: 403.
    let other = instance_url.replace(USER_ID, OTHER_USER_ID);
    assert_ne!(other, instance_url);
    let steps = browser.run(json!({"name": "instance-forbidden", "steps": [
        goto(&other, 403), extract(&[("title", "h1")]),
    ]}));
    assert_eq!(texts(&steps, 1, "title"), ["链接无效或已过期"]);
}
