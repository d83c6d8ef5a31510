//! Shared test fixtures: the golden vectors, their keys, and fake v1/v3 platforms built on
//! zhima-proto's server-side functions (the fakes also verify every request they receive).

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use wiremock::{Request, ResponseTemplate};
use zhima_client::proto::aes::AesKey;
use zhima_client::proto::keys::{PrivateKey, PublicKey};
use zhima_client::proto::v1::{self, Charset, GatewayParams, ResponseNode};
use zhima_client::proto::v3::{self, Authorization};
use zhima_client::proto::SignType;
use zhima_client::{ClientBuilder, Endpoint, ZhimaClient};

pub const APP_ID: &str = "2021000000000001";

pub fn spec_dir() -> PathBuf {
    std::env::var_os("ZHIMA_SPEC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec"))
}

pub fn load(name: &str) -> Value {
    let path = spec_dir().join("vectors").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("golden vector {} is required: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

pub fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

/// The throwaway key material of keys.json.
pub struct Keys {
    pub app_pkcs1_pem: String,
    pub app_pub: PublicKey,
    pub platform: PrivateKey,
    pub platform_pub_b64: String,
    pub aes_b64: String,
    pub app_cert: String,
    pub platform_cert: String,
    pub root_bundle: String,
}

pub fn keys() -> Keys {
    let k = load("keys.json");
    Keys {
        app_pkcs1_pem: s(&k["app"]["private_key_pkcs1_pem"]).to_string(),
        app_pub: PublicKey::from_text(s(&k["app"]["public_key_spki_pem"])).unwrap(),
        platform: PrivateKey::from_text(s(&k["platform"]["private_key_pkcs8_pem"])).unwrap(),
        platform_pub_b64: s(&k["platform"]["public_key_spki_base64"]).to_string(),
        aes_b64: s(&k["aes_key_base64"]).to_string(),
        app_cert: s(&k["certs"]["app_cert_pem"]).to_string(),
        platform_cert: s(&k["certs"]["platform_cert_pem"]).to_string(),
        root_bundle: s(&k["certs"]["root_bundle_pem"]).to_string(),
    }
}

/// SN of the platform certificate of keys.json (cert_sn.json `expected.alipay_cert_sn`).
pub fn platform_cert_sn() -> String {
    s(&load("cert_sn.json")["expected"]["alipay_cert_sn"]).to_string()
}

/// A builder in key mode pointed at `base` (a wiremock URI).
pub fn builder(base: &str) -> ClientBuilder {
    let k = keys();
    ZhimaClient::builder()
        .app_id(APP_ID)
        .app_private_key(&k.app_pkcs1_pem)
        .platform_public_key(&k.platform_pub_b64)
        .endpoint(Endpoint::local(base))
}

/// A builder in cert mode pointed at `base`.
pub fn cert_builder(base: &str) -> ClientBuilder {
    let k = keys();
    ZhimaClient::builder()
        .app_id(APP_ID)
        .app_private_key(&k.app_pkcs1_pem)
        .certificates(&k.app_cert, &k.root_bundle, &k.platform_cert)
        .endpoint(Endpoint::local(base))
}

/// A clock frozen at `t`.
pub fn frozen(t: DateTime<Utc>) -> impl Fn() -> DateTime<Utc> + Send + Sync + 'static {
    move || t
}

/// A clock that moves one second forward at every reading (so v1 retries differ).
pub fn ticking(start: DateTime<Utc>) -> impl Fn() -> DateTime<Utc> + Send + Sync + 'static {
    let secs = AtomicI64::new(start.timestamp());
    move || {
        Utc.timestamp_opt(secs.fetch_add(1, Ordering::SeqCst), 0)
            .unwrap()
    }
}

/// UTC instant of a UTC+8 wall time.
pub fn alipay_time(wall: &str) -> DateTime<Utc> {
    zhima_client::proto::time::parse_alipay_datetime(wall)
        .unwrap()
        .with_timezone(&Utc)
}

// ---------------------------------------------------------------------------------------------
// v1
// ---------------------------------------------------------------------------------------------

/// The merged parameters of a v1 request as the gateway sees them.
pub fn v1_params(req: &Request) -> GatewayParams {
    GatewayParams::parse(
        req.url.query().unwrap_or("").as_bytes(),
        &req.body,
        Some("utf-8"),
    )
    .unwrap()
}

/// Decrypted `biz_content` of a received v1 request.
pub fn v1_biz_json(req: &Request, aes: Option<&AesKey>) -> Value {
    let params = v1_params(req);
    let biz = params.get("biz_content").unwrap();
    let text = match (params.get("encrypt_type"), aes) {
        (Some("AES"), Some(key)) => key.decrypt_to_string(biz).unwrap(),
        _ => biz.to_string(),
    };
    serde_json::from_str(&text).unwrap()
}

/// A signed v1 body for `method` whose node is `node_json`.
pub fn v1_body(method: &str, node_json: &str, key: &PrivateKey, cert_sn: Option<&str>) -> String {
    let node = ResponseNode::Json(node_json.to_string());
    v1::build_response(
        &v1::response_node_key(method),
        &node,
        key,
        SignType::Rsa2,
        Charset::Utf8,
        cert_sn,
    )
    .unwrap()
}

/// A fake gateway: verifies the request's signature with the app key (panicking otherwise,
/// which wiremock turns into a 500 the test will notice), then answers `node_json` signed with
/// the platform key, encrypted when the request was.
pub struct FakeGateway {
    pub node_json: String,
    pub aes: Option<AesKey>,
    pub cert_sn: Option<String>,
    pub status: u16,
}

impl FakeGateway {
    pub fn ok(node_json: &str) -> Self {
        Self {
            node_json: node_json.to_string(),
            aes: None,
            cert_sn: None,
            status: 200,
        }
    }
}

impl wiremock::Respond for FakeGateway {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let k = keys();
        let params = v1_params(req);
        v1::verify_request(&params, &k.app_pub).expect("the client's request must verify");
        let method = params.get("method").unwrap();
        let mut node = ResponseNode::Json(self.node_json.clone());
        if params.get("encrypt_type") == Some("AES") {
            node = node.encrypt(self.aes.as_ref().expect("fake gateway has no AES key"));
        }
        let body = v1::build_response(
            &v1::response_node_key(method),
            &node,
            &k.platform,
            SignType::Rsa2,
            Charset::Utf8,
            self.cert_sn.as_deref(),
        )
        .unwrap();
        ResponseTemplate::new(self.status)
            .insert_header("trace_id", "0b1234567890abcdef")
            .set_body_raw(body, "application/json;charset=utf-8")
    }
}

// ---------------------------------------------------------------------------------------------
// v3
// ---------------------------------------------------------------------------------------------

/// Path and query of a received request, as on the wire.
pub fn path_and_query(req: &Request) -> String {
    match req.url.query() {
        Some(q) => format!("{}?{q}", req.url.path()),
        None => req.url.path().to_string(),
    }
}

pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Verifies a received v3 request's `Authorization` with the app key (server side).
pub fn verify_v3_request(req: &Request) -> Authorization {
    let auth = Authorization::parse(header(req, "authorization").unwrap()).unwrap();
    let body = std::str::from_utf8(&req.body).unwrap();
    auth.verify(
        &keys().app_pub,
        req.method.as_str(),
        &path_and_query(req),
        body,
        header(req, v3::HEADER_APP_AUTH_TOKEN),
    )
    .expect("the client's v3 request must verify");
    auth
}

/// A v3 response template with `body` signed by `key` (and `alipay-sn` when given).
pub fn v3_signed(status: u16, body: &str, key: &PrivateKey, sn: Option<&str>) -> ResponseTemplate {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let h = v3::sign_response(key, Utc::now().timestamp_millis(), &nonce, body, sn).unwrap();
    let mut t = ResponseTemplate::new(status)
        .insert_header(v3::HEADER_TIMESTAMP, h.timestamp.as_str())
        .insert_header(v3::HEADER_NONCE, h.nonce.as_str())
        .insert_header(v3::HEADER_SIGNATURE, h.signature.as_str())
        .insert_header(v3::HEADER_TRACE_ID, "0b1234567890abcdef")
        .set_body_raw(body.to_string(), "application/json;charset=utf-8");
    if let Some(sn) = sn {
        t = t.insert_header(v3::HEADER_SN, sn);
    }
    t
}

/// A fake v3 platform: verifies the request, answers `status` + `body` signed with the
/// platform key, encrypted when the request was.
pub struct FakeV3 {
    pub status: u16,
    pub body: String,
    pub aes: Option<AesKey>,
    pub sn: Option<String>,
}

impl FakeV3 {
    pub fn ok(body: &str) -> Self {
        Self::status(200, body)
    }

    /// Answers `status` with `body`, signed (encrypted when the request is), no cert SN.
    pub fn status(status: u16, body: &str) -> Self {
        Self {
            status,
            body: body.to_string(),
            aes: None,
            sn: None,
        }
    }
}

impl wiremock::Respond for FakeV3 {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        verify_v3_request(req);
        let encrypted = header(req, v3::HEADER_ENCRYPT_TYPE) == Some("AES");
        let body = match (&self.aes, encrypted) {
            (Some(key), true) => key.encrypt(self.body.as_bytes()),
            _ => self.body.clone(),
        };
        v3_signed(self.status, &body, &keys().platform, self.sn.as_deref())
    }
}

/// Runs `f` and returns its error, failing the test on success.
pub async fn expect_err<T: std::fmt::Debug>(
    f: impl std::future::Future<Output = zhima_client::Result<T>>,
) -> zhima_client::Error {
    match f.await {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    }
}

/// A client against a fake v1 gateway answering every call with `node` (signed).
pub async fn v1_fake(node: &str) -> (wiremock::MockServer, zhima_client::ZhimaClient) {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path("/gateway.do"))
        .respond_with(FakeGateway::ok(node))
        .mount(&server)
        .await;
    let client = builder(&server.uri()).build().unwrap();
    (server, client)
}

/// A client against a fake v3 route answering `body` (signed).
pub async fn v3_fake(
    http_method: &str,
    route: &str,
    body: &str,
) -> (wiremock::MockServer, zhima_client::ZhimaClient) {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method(http_method))
        .and(wiremock::matchers::path(route))
        .respond_with(FakeV3::ok(body))
        .mount(&server)
        .await;
    let client = builder(&server.uri()).build().unwrap();
    (server, client)
}

/// The one request the fake received.
pub async fn only_request(server: &wiremock::MockServer) -> wiremock::Request {
    let mut reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    reqs.remove(0)
}
