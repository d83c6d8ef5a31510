//! The OpenAPI description of the v3 routes: the shipped `docs/openapi.json` is exactly what
//! the server generates (golden file; `ZHIMA_BLESS=1` rewrites it) and what it serves at
//! `GET /v3/openapi.json`; plus regression tests for what schemathesis found
//! (`crates/zhima-cli/tests/schemathesis.rs`).

mod http_support;

use std::path::PathBuf;

use http_support::*;
use zhima_server::http::openapi;

fn shipped_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

#[test]
fn shipped_description_is_the_generated_one() {
    let path = shipped_path();
    let generated = openapi::json();
    if std::env::var_os("ZHIMA_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, generated).unwrap();
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == generated,
        "{} differs from the generated description; regenerate it with \
         `ZHIMA_BLESS=1 cargo test -p zhima-server --test http_openapi` (or \
         `zhima openapi > docs/openapi.json`) and review the diff",
        path.display()
    );
    let doc: serde_json::Value = serde_json::from_str(&shipped).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
}

#[tokio::test]
async fn the_description_is_served_without_auth_and_cacheable() {
    let server = TestServer::start().await;
    let url = format!("{}{}", server.base, openapi::PATH);
    let resp = client().get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let header = |resp: &reqwest::Response, name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(
        header(&resp, "content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        header(&resp, "cache-control").as_deref(),
        Some("public, max-age=3600")
    );
    let etag = header(&resp, "etag").expect("an ETag");
    assert_eq!(resp.text().await.unwrap(), openapi::json());

    // Revalidation: the same ETag is not sent again.
    let again = client()
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(header(&again, "etag").as_deref(), Some(etag.as_str()));
    assert!(again.bytes().await.unwrap().is_empty());

    // Another method on the path is a signed v3 error, like any /v3/ path.
    let post = client().post(&url).body("{}").send().await.unwrap();
    assert_eq!(post.status(), 405);
    assert!(post
        .headers()
        .contains_key(zhima_proto::v3::HEADER_SIGNATURE));
    server.stop().await.unwrap();
}

/// Asserts that `reply` is what the description promises for `method path`: a documented
/// status, a signed answer, and a body valid against that status's schema.
fn assert_conforms(method: &str, path: &str, reply: &V3Reply) {
    let doc: serde_json::Value = serde_json::from_str(openapi::json()).unwrap();
    let mut response = doc["paths"][path][method]["responses"][reply.status.to_string()].clone();
    assert!(
        response.is_object(),
        "{method} {path}: status {} is not described: {}",
        reply.status,
        reply.body
    );
    if let Some(r) = response["$ref"].as_str() {
        response = doc.pointer(&r[1..]).unwrap().clone();
    }
    let schema = response["content"]["application/json"]["schema"].clone();
    // The document itself is the root, so that its `#/components/...` references resolve; its
    // other members are unknown keywords to JSON Schema and ignored.
    let mut root = doc.clone();
    root["allOf"] = serde_json::json!([schema]);
    let validator = jsonschema::draft202012::new(&root).unwrap();
    let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {}: {} violates the description: {errors:?}",
        reply.status,
        reply.body
    );
    reply.verify_signature(None);
}

/// Schemathesis finding: template.query of a template declared in the configuration answers
/// `basic_config` without `partner_id`, `out_biz_no` or `template_name` (only template.create
/// requires them), and the description said they were always there.
#[tokio::test]
async fn template_query_of_a_configured_template_conforms() {
    let server = TestServer::start().await;
    let reply = V3::get(&format!(
        "{V3_TEMPLATE_QUERY}?partner_id={PARTNER_ID}&template_no=ZMGO_T1"
    ))
    .send(&server)
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(!reply.body.contains("out_biz_no"), "{}", reply.body);
    assert_conforms("get", V3_TEMPLATE_QUERY, &reply);
    server.stop().await.unwrap();
}

/// A `timeout_express` whose last character is several bytes long (`1é`) panicked in
/// validation and the connection died without an answer; it is REQUEST_PARAM_ILLEGAL.
#[tokio::test]
async fn preorder_with_a_multibyte_timeout_express_is_refused_not_dropped() {
    let server = TestServer::start().await;
    let path = "/v3/zhima/credit/pe/zmgo/preorder/create";
    let body = serde_json::json!({
        "partner_id": PARTNER_ID,
        "template_id": "ZMGO_T1",
        "out_request_no": "openapi-timeout-1",
        "alipay_user_id": USER_ID,
        "timeout_express": "1é",
    });
    let reply = V3::put(path, &body.to_string()).send(&server).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(
        reply.body.contains("REQUEST_PARAM_ILLEGAL"),
        "{}",
        reply.body
    );
    assert_conforms("put", path, &reply);
    server.stop().await.unwrap();
}
