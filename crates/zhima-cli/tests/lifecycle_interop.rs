//! The official SDKs against a real `zhima serve` for the eleven lifecycle APIs (PRODUCT §11):
//! every API once per SDK path — alipay-sdk-python 3.7.1411 `execute()` with its generated
//! `Zhima…Request(biz_model=Zhima…Model)` classes, alipay-sdk 4.14.0 `exec()` (v1, response
//! signature validated) and `curl()` (v3, PUT for preorder.create and settle.unfreeze) — in the
//! order a merchant calls them, each answer verified by the SDK itself. sign.apply, a page
//! method, is built by Python's `page_execute` (GET URL) and Node's `pageExecute` (GET URL and
//! POST form), and opening it answers the signing page with its consent form.
//!
//! Needs python3 and node (the tests fail, never skip, without them).

mod support;

use serde_json::{json, Value};
use support::lifecycle::{self as lc, method, text};
use support::*;
use zhima_proto::models::Api;
use zhima_proto::time::{format_alipay_datetime, now_alipay};

/// One SDK path against one server.
struct Via<'a> {
    ch: Channel,
    sandbox: &'a Sandbox,
    server: &'a Server,
}

impl Via<'_> {
    /// Calls `api` through the SDK and returns the verified success body. On the v3 path the
    /// v1-only APIs (pre.consult, agreement.sign; no v3 route) go through the same Node SDK's
    /// `exec()`.
    async fn call(&self, api: Api, biz: &Value) -> Value {
        let what = format!("{:?} {} {biz}", self.ch, method(api));
        self.send(api, biz, None).await.success(&what).clone()
    }

    /// The SDK's outcome; `platform_key` replaces the platform public key it verifies with.
    async fn send(&self, api: Api, biz: &Value, platform_key: Option<&str>) -> Outcome {
        let ch = match (self.ch, api.v3_route()) {
            (Channel::NodeV3, None) => Channel::NodeV1,
            (ch, _) => ch,
        };
        let what = format!("{ch:?} {} {biz}", method(api));
        let mut input = ch.input(self.sandbox, self.server, method(api), biz);
        if let Some(key) = platform_key {
            input["platform_public_key"] = json!(key);
        }
        if ch == Channel::PyV1 {
            input["model"] = json!(true);
            let out = Sdk::Py.run("call-v1", &input).await;
            assert_eq!(
                out["model_dropped"],
                json!([]),
                "{what}: fields the official Zhima…Model does not have (so the SDK drops them)"
            );
            Outcome::from_v1(&out)
        } else {
            ch.send(&input).await
        }
    }
}

/// A `biz_time` a minute ago (UTC+8).
fn a_minute_ago() -> String {
    format_alipay_datetime(&(now_alipay() - chrono::Duration::minutes(1)))
}

/// Every lifecycle API once through `ch`, each answer checked against what was sent.
async fn every_api_via(ch: Channel) {
    let sandbox = Sandbox::new(&[]);
    let server = Server::start(&sandbox);
    let via = Via {
        ch,
        sandbox: &sandbox,
        server: &server,
    };
    let run = ch.lane();
    let id = |s: &str| format!("{run}-{s}");

    let created = via
        .call(
            Api::TemplateCreate,
            &lc::template_create(&id("tpl"), "芝麻GO月卡"),
        )
        .await;
    let template = text(&created, "template_no", "template.create");

    let stored = via
        .call(Api::TemplateQuery, &lc::template_query(&template))
        .await;
    assert_eq!(
        stored["basic_config"]["template_name"], "芝麻GO月卡",
        "{stored}"
    );
    assert_eq!(stored["basic_config"]["out_biz_no"], id("tpl"), "{stored}");
    assert_eq!(
        stored["open_config"]["freeze_amount"],
        yuan(lc::FREEZE),
        "{stored}"
    );
    // The SDK really checks the answers' signatures: with another platform key it refuses
    // the same (signed, successful) answer.
    let wrong = zhima_proto::keys::PrivateKey::generate()
        .expect("key")
        .public_key()
        .to_spki_pem();
    let refused = via
        .send(
            Api::TemplateQuery,
            &lc::template_query(&template),
            Some(&wrong),
        )
        .await;
    assert!(
        matches!(refused, Outcome::SdkError(_)),
        "{ch:?}: the SDK accepted an answer it could not verify: {refused:?}"
    );

    let consult = via.call(Api::PreConsult, &lc::pre_consult(&template)).await;
    assert_eq!(consult["admittance"], json!(true), "pre.consult: {consult}");

    let preorder = via
        .call(
            Api::PreorderCreate,
            &lc::preorder_create(&template, &id("pre1")),
        )
        .await;
    let preorder_no = text(&preorder, "preorder_no", "preorder.create");
    assert_eq!(preorder["partner_id"], PARTNER_ID, "{preorder}");

    let signed = via
        .call(Api::AgreementSign, &lc::agreement_sign(&preorder_no))
        .await;
    let agreement = text(&signed, "agreement_id", "agreement.sign");
    assert_eq!(signed["template_id"], json!(template), "{signed}");
    for key in ["sign_time", "start_time", "exp_invalid_time"] {
        text(&signed, key, "agreement.sign");
    }

    via.call(
        Api::PreorderCreate,
        &lc::preorder_create(&template, &id("pre2")),
    )
    .await;
    let closed = via
        .call(Api::BizoptClose, &lc::bizopt_close(&template, &id("pre2")))
        .await;
    assert_eq!(
        closed["out_request_no"],
        id("pre2"),
        "bizopt.close: {closed}"
    );

    let synced = via
        .call(
            Api::MerchantCumulateSync,
            &lc::merchant_task(&agreement, &id("ms1"), 2, 357, &a_minute_ago()),
        )
        .await;
    assert_eq!(synced["out_biz_no"], id("ms1"), "cumulate.sync: {synced}");

    let unsigned = via
        .call(Api::AgreementUnsign, &lc::agreement_unsign(&agreement))
        .await;
    assert_eq!(unsigned["agreement_id"], json!(agreement), "{unsigned}");
    let plan =
        lc::assert_withhold_plan_no(unsigned["withhold_plan_no"].as_str(), "agreement.unsign");
    let status = via
        .call(Api::AgreementQuery, &lc::agreement_query(&agreement))
        .await;
    assert_eq!(status["agreement_status"], "P", "after unsign: {status}");

    let ledger = via
        .call(Api::CumulateQuery, &query_body(&agreement, true, 1, 20))
        .await;
    let totals = totals_of(&ledger);
    assert_eq!(
        totals.times, 1,
        "one merchant report is one payment: {ledger}"
    );
    let tasks: i64 = ledger["detail_list"]
        .as_array()
        .unwrap_or_else(|| panic!("cumulate.query without detail_list: {ledger}"))
        .iter()
        .map(|d| d["task_times"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(tasks, 2, "the report's task_times: {ledger}");
    let claim = lc::Claim {
        amount: totals.amount,
        discount: totals.discount,
        tasks,
    };
    let settled = via
        .call(
            Api::SettleApply,
            &lc::settle_apply(&agreement, &id("settle"), &plan, 500, claim),
        )
        .await;
    assert_eq!(
        settled["withhold_plan_no"],
        json!(plan),
        "settle.apply: {settled}"
    );

    let refunded = via
        .call(
            Api::SettleRefund,
            &lc::settle_refund(&agreement, &id("refund"), &plan, 120),
        )
        .await;
    text(&refunded, "refund_opt_no", "settle.refund");
    assert_eq!(refunded["refund_amount"], yuan(120), "{refunded}");

    let released = via
        .call(
            Api::SettleUnfreeze,
            &lc::settle_unfreeze(&agreement, &id("unfreeze"), 400),
        )
        .await;
    assert_eq!(released["unfreeze_amount"], yuan(400), "{released}");
    text(&released, "unfreeze_status", "settle.unfreeze");
}

#[tokio::test]
async fn every_lifecycle_api_via_python_generated_models() {
    every_api_via(Channel::PyV1).await;
}

#[tokio::test]
async fn every_lifecycle_api_via_node_exec() {
    every_api_via(Channel::NodeV1).await;
}

#[tokio::test]
async fn every_lifecycle_api_via_node_curl_v3() {
    every_api_via(Channel::NodeV3).await;
}

// ---------------------------------------------------------------------------------------
// sign.apply: the page the SDKs build for the user's browser
// ---------------------------------------------------------------------------------------

/// How a browser gets to the signing page.
#[derive(Debug, Clone, Copy)]
enum Page {
    /// Python `page_execute(request, http_method="GET")`: a URL.
    PyGet,
    /// Node `pageExecute(method, 'GET', …)`: a URL.
    NodeGet,
    /// Node `pageExecute(method, 'POST', …)`: an auto-submitting form.
    NodePost,
}

/// Opens the page as a browser does: GET the URL, or POST the form's hidden fields to its action.
async fn open(page: Page, out: &Value) -> reqwest::Response {
    let http = reqwest::Client::new();
    let sent = match page {
        Page::PyGet | Page::NodeGet => {
            http.get(out["url"].as_str().expect("page URL"))
                .send()
                .await
        }
        Page::NodePost => {
            let form = &out["form"];
            let fields = form["fields"].as_object().expect("form fields");
            let mut body = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in fields {
                body.append_pair(k, v.as_str().expect("field value"));
            }
            http.post(form["action"].as_str().expect("form action"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.finish())
                .send()
                .await
        }
    };
    sent.unwrap_or_else(|e| panic!("{page:?}: opening the page failed: {e}"))
}

#[tokio::test]
async fn sign_apply_pages_built_by_the_official_sdks_answer_the_signing_page() {
    let sandbox = Sandbox::new(&[]);
    let server = Server::start(&sandbox);
    let v1 = V1::new(&sandbox, &server);
    let created = v1
        .outcome(
            method(Api::TemplateCreate),
            &lc::template_create("page-tpl", "芝麻GO月卡"),
        )
        .await;
    let template = text(
        created.success("template.create"),
        "template_no",
        "template.create",
    );
    for (i, page) in [Page::PyGet, Page::NodeGet, Page::NodePost]
        .into_iter()
        .enumerate()
    {
        let preorder = v1
            .outcome(
                method(Api::PreorderCreate),
                &lc::preorder_create(&template, &format!("page-pre{i}")),
            )
            .await;
        let preorder_no = text(
            preorder.success("preorder.create"),
            "preorder_no",
            "preorder",
        );
        let (sdk, http_method) = match page {
            Page::PyGet => (Sdk::Py, "GET"),
            Page::NodeGet => (Sdk::Node, "GET"),
            Page::NodePost => (Sdk::Node, "POST"),
        };
        let mut input = json!({
            "app_id": APP_ID,
            "private_key": sdk.private_key(&sandbox.app_key),
            "server_url": server.gateway_url(),
            "method": method(Api::SignApply),
            "biz_content": lc::sign_apply(&preorder_no),
            "return_url": "https://merchant.example/signed?from=zhima",
            "http_method": http_method,
        });
        if sdk == Sdk::Py {
            input["model"] = json!(true);
        }
        let out = sdk.run("page-execute", &input).await;
        if sdk == Sdk::Py {
            assert_eq!(out["model_dropped"], json!([]), "{out}");
        }
        let response = open(page, &out).await;
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let html = response.text().await.expect("page body");
        assert_eq!(status, 200, "{page:?}: {html}");
        assert!(
            content_type.starts_with("text/html"),
            "{page:?}: {content_type}: {html}"
        );
        assert!(
            html.contains("<form") && html.contains("/c/sign/confirm") && html.contains("同意"),
            "{page:?}: no consent form (POST /c/sign/confirm, 同意) in the signing page: {html}"
        );
        // The page presents the template the preorder names.
        assert!(
            html.contains("芝麻GO月卡") && html.contains(&yuan(lc::FREEZE)),
            "{page:?}: the signing page does not show the template's name and freeze amount: {html}"
        );
    }
}
