//! The lifecycle methods (PRODUCT §11) reach their v1 method / v3 route (PUT included) with the
//! model as content; sign.apply becomes a signed URL instead of a call.

mod common;

use common::*;
use zhima_client::models::*;
use zhima_client::proto::keys::PublicKey;
use zhima_client::proto::v1::GatewayParams;

fn preorder() -> ZhimaCreditPeZmgoPreorderCreateModel {
    ZhimaCreditPeZmgoPreorderCreateModel {
        partner_id: Some("2088621805983504".into()),
        template_id: Some("T1".into()),
        out_request_no: Some("P1".into()),
        alipay_user_id: Some("2088602002015001".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn v3_preorder_create_is_a_signed_put_with_the_model_as_body() {
    let (server, client) = v3_fake(
        "PUT",
        "/v3/zhima/credit/pe/zmgo/preorder/create",
        r#"{"preorder_no":"PO1","partner_id":"2088621805983504"}"#,
    )
    .await;
    let r = client.v3().preorder_create(&preorder()).await.unwrap();
    assert_eq!(r.data.preorder_no.as_deref(), Some("PO1"));
    let req = only_request(&server).await;
    assert_eq!(req.method.as_str(), "PUT");
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["out_request_no"], "P1");
    // The signature covers PUT (the server verifies it like POST).
    let auth = verify_v3_request(&req);
    assert!(!auth.fields.nonce.is_empty());
}

#[tokio::test]
async fn v3_unfreeze_is_put_and_template_query_is_get() {
    let (server, client) = v3_fake(
        "PUT",
        "/v3/zhima/credit/pe/zmgo/settle/unfreeze",
        r#"{"unfreeze_status":"SUCCESS","fail_reaseon":"","retry":"false"}"#,
    )
    .await;
    let m = ZhimaCreditPeZmgoSettleUnfreezeModel {
        agreement_id: Some("A".into()),
        unfreeze_amount: Some("1.00".into()),
        ..Default::default()
    };
    let r = client.v3().settle_unfreeze(&m).await.unwrap();
    assert_eq!(r.data.retry.as_deref(), Some("false"));
    assert_eq!(only_request(&server).await.method.as_str(), "PUT");

    let (server, client) = v3_fake(
        "GET",
        "/v3/zhima/merchant/zmgo/template/query",
        r#"{"basic_config":{"template_no":"T1","template_name":"GO"}}"#,
    )
    .await;
    let q = ZhimaMerchantZmgoTemplateQueryModel {
        partner_id: Some("P".into()),
        template_no: Some("T1".into()),
    };
    let r = client.v3().template_query(&q).await.unwrap();
    assert_eq!(
        r.data.basic_config.unwrap().template_name.as_deref(),
        Some("GO")
    );
    let req = only_request(&server).await;
    assert_eq!(
        path_and_query(&req),
        "/v3/zhima/merchant/zmgo/template/query?partner_id=P&template_no=T1"
    );
}

#[tokio::test]
async fn v1_only_methods_send_their_method() {
    let (server, client) = v1_fake(r#"{"code":"10000","msg":"Success","admittance":true}"#).await;
    let m = ZhimaCreditPeZmgoPreConsultModel {
        partner_id: Some("P".into()),
        template_id: Some("T".into()),
        ..Default::default()
    };
    let r = client.v1().pre_consult(&m).await.unwrap();
    assert_eq!(r.data.admittance, Some(true));
    let req = only_request(&server).await;
    assert_eq!(
        v1_params(&req).get("method"),
        Some("zhima.credit.pe.zmgo.pre.consult")
    );

    let (server, client) = v1_fake(
        r#"{"code":"10000","msg":"Success","agreement_id":"A1","sign_time":"2026-01-01 00:00:00"}"#,
    )
    .await;
    let m = ZhimaCreditPeZmgoAgreementSignModel {
        partner_id: Some("P".into()),
        preorder_no: Some("PO1".into()),
        ..Default::default()
    };
    let r = client.v1().agreement_sign(&m).await.unwrap();
    assert_eq!(r.data.agreement_id.as_deref(), Some("A1"));
    assert_eq!(
        v1_params(&only_request(&server).await).get("method"),
        Some("zhima.credit.pe.zmgo.agreement.sign")
    );
}

#[test]
fn sign_apply_url_is_a_signed_get_url_that_verifies() {
    let client = builder("http://127.0.0.1:9").build().unwrap();
    let m = ZhimaCreditPeZmgoSignApplyModel {
        partner_id: Some("2088621805983504".into()),
        preorder_no: Some("PO1".into()),
        ..Default::default()
    };
    let url = client
        .v1()
        .sign_apply_url(&m, Some("https://merchant.example/back?x=1"))
        .unwrap();
    let (base, query) = url.split_once('?').unwrap();
    assert_eq!(base, "http://127.0.0.1:9/gateway.do");
    let params = GatewayParams::parse(query.as_bytes(), b"", Some("utf-8")).unwrap();
    assert_eq!(
        params.get("method"),
        Some("zhima.credit.pe.zmgo.sign.apply")
    );
    assert_eq!(
        params.get("return_url"),
        Some("https://merchant.example/back?x=1")
    );
    assert_eq!(
        params.get("biz_content"),
        Some(r#"{"partner_id":"2088621805983504","preorder_no":"PO1"}"#)
    );
    // biz_content comes last, after the signed common parameters (page_execute's layout).
    assert!(query.contains("&biz_content="));
    let app_public: &PublicKey = &keys().app_pub;
    zhima_client::proto::v1::verify_request(&params, app_public).unwrap();
}

/// The official Python SDK's `page_execute(request, http_method="GET")` (interop/py_sdk.py
/// `page-execute`) and `sign_apply_url` produce the same bytes for the same content and time.
#[test]
fn sign_apply_url_is_byte_identical_to_the_python_sdk_page_execute() {
    let wall = "2026-03-01 10:20:30";
    let base = "http://127.0.0.1:9";
    let biz = serde_json::json!({"partner_id": "2088621805983504", "preorder_no": "PO1",
                                 "timeout_express": "2h"});
    let input = serde_json::json!({
        "private_key": keys().app_pkcs1_pem,
        "server_url": format!("{base}/gateway.do"),
        "method": "zhima.credit.pe.zmgo.sign.apply",
        "biz_content": biz,
        "return_url": "https://merchant.example/back?a=1&b=流",
        "timestamp": wall,
    });
    let py = interop_run("python", "page-execute", &input);

    let client = builder(base)
        .clock(frozen(alipay_time(wall)))
        .build()
        .unwrap();
    let model: ZhimaCreditPeZmgoSignApplyModel = serde_json::from_value(biz).unwrap();
    let ours = client
        .v1()
        .sign_apply_url(&model, Some("https://merchant.example/back?a=1&b=流"))
        .unwrap();
    assert_eq!(py["url"].as_str(), Some(ours.as_str()));
}

/// Runs one interop driver op (after interop/setup.sh) and returns its JSON output.
fn interop_run(driver: &str, op: &str, input: &serde_json::Value) -> serde_json::Value {
    let interop = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop");
    let setup = std::process::Command::new("bash")
        .arg(interop.join("setup.sh"))
        .output()
        .unwrap();
    assert!(
        setup.status.success(),
        "interop/setup.sh failed: {}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let mut cmd = match driver {
        "node" => std::process::Command::new("node"),
        _ => std::process::Command::new(interop.join(".venv/bin/python")),
    };
    let script = if driver == "node" {
        "node_sdk.mjs"
    } else {
        "py_sdk.py"
    };
    let mut child = cmd
        .arg(interop.join(script))
        .arg(op)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{driver} {op}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `url` with the `sign=` value blanked (and, for Node, its `alipay_sdk=` pair removed).
fn unsigned_url(url: &str) -> String {
    let (base, query) = url.split_once('?').unwrap();
    let pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.starts_with("alipay_sdk="))
        .map(|p| {
            if p.starts_with("sign=") {
                "sign=…".into()
            } else {
                p.to_string()
            }
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

/// The official Node SDK's `pageExecute(method, 'GET', …)` and the Rust client in the Node
/// layout write the same URL, byte for byte, except what only Node can write: its
/// `alipay_sdk=alipay-sdk-nodejs-…` self-identification, which it also signs (so `sign`
/// differs). Both signatures verify with the app's key.
#[test]
fn sign_apply_url_in_the_node_layout_matches_the_node_sdk_page_execute_get() {
    let wall = "2026-03-01 10:20:30";
    let base = "http://127.0.0.1:9";
    let biz = serde_json::json!({"partner_id": "2088621805983504", "preorder_no": "PO1",
                                 "timeout_express": "2h"});
    let return_url = "https://merchant.example/back?a=1&b=流";
    let node = interop_run(
        "node",
        "page-execute",
        &serde_json::json!({
            "private_key": keys().app_pkcs1_pem,
            "server_url": format!("{base}/gateway.do"),
            "method": "zhima.credit.pe.zmgo.sign.apply",
            "biz_content": biz,
            "return_url": return_url,
            "timestamp": wall,
            "http_method": "GET",
        }),
    );
    let node_url = node["url"].as_str().unwrap();
    let client = builder(base)
        .sdk_layout(zhima_client::SdkLayout::Node)
        .clock(frozen(alipay_time(wall)))
        .build()
        .unwrap();
    let model: ZhimaCreditPeZmgoSignApplyModel = serde_json::from_value(biz).unwrap();
    let ours = client
        .v1()
        .sign_apply_url(&model, Some(return_url))
        .unwrap();
    assert_eq!(
        unsigned_url(node_url),
        unsigned_url(&ours),
        "node: {node_url}\nours: {ours}"
    );
    assert!(
        node_url.contains("&alipay_sdk=alipay-sdk-nodejs-"),
        "{node_url}"
    );
    for url in [node_url, ours.as_str()] {
        let query = url.split_once('?').unwrap().1;
        let params = GatewayParams::parse(query.as_bytes(), b"", Some("utf-8")).unwrap();
        zhima_client::proto::v1::verify_request(&params, &keys().app_pub)
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}
