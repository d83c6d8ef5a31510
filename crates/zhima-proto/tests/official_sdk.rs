//! zhima-proto against the OFFICIAL SDKs, run live: alipay-sdk-python 3.7.1411 and
//! alipay-sdk (Node) 4.14.0, driven through `interop/py_sdk.py` and `interop/node_sdk.mjs`.
//!
//! * The SDKs sign fresh requests with keys zhima-proto just generated, and zhima-proto
//!   verifies exactly the bytes they put on the wire.
//! * zhima-proto signs responses, and the SDKs' own verification accepts them and rejects
//!   tampered copies.
//!
//! `interop/setup.sh` installs the SDKs once per run. When python3, node or a package
//! registry is missing, every test here FAILS with setup.sh's message. None is skipped.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};
use zhima_proto::aes::AesKey;
use zhima_proto::cert;
use zhima_proto::keys::{PrivateKey, PublicKey};
use zhima_proto::sign::SignType;
use zhima_proto::v1::{self, Charset, GatewayParams, ResponseNode, SdkLayout};
use zhima_proto::v3::{self, Authorization};

const APP_ID: &str = "2021000000000001";
const STATE_SYNC: &str = "zhima.data.state.data.sync";
const CUMULATION_SYNC: &str = "zhima.credit.pe.zmgo.cumulation.sync";
const V3_SYNC_PATH: &str = "/v3/zhima/credit/pe/zmgo/cumulation/sync";
const APP_AUTH_TOKEN: &str = "202405BBtestAppAuthToken0000000000000001";

// ---------------------------------------------------------------------------------------
// Harness: setup, drivers, keys
// ---------------------------------------------------------------------------------------

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop")
}

/// Runs `interop/setup.sh` once per test binary; every test fails with its output if it fails.
fn ensure_setup() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let result = READY.get_or_init(|| {
        let script = interop_dir().join("setup.sh");
        let out = Command::new("bash")
            .arg(&script)
            .output()
            .map_err(|e| format!("cannot run {} (is bash installed?): {e}", script.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} failed ({}): the official SDKs are required for this test.\n{}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    if let Err(msg) = result {
        panic!("{msg}");
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sdk {
    Py,
    Node,
}

impl Sdk {
    fn command(self) -> Command {
        let dir = interop_dir();
        match self {
            Sdk::Py => {
                let mut c = Command::new(dir.join(".venv/bin/python"));
                c.arg(dir.join("py_sdk.py"));
                c
            }
            Sdk::Node => {
                let mut c = Command::new("node");
                c.arg(dir.join("node_sdk.mjs"));
                c
            }
        }
    }

    /// Runs one driver op; returns its exit code and JSON output.
    fn run(self, op: &str, input: &Value) -> (i32, Value) {
        ensure_setup();
        let mut child = self
            .command()
            .arg(op)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the {self:?} driver: {e}"));
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(input.to_string().as_bytes())
            .expect("write driver input");
        let out = child.wait_with_output().expect("driver output");
        let code = out.status.code().unwrap_or(-1);
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{self:?} {op}: output is not JSON ({e}); exit {code}\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (code, json)
    }

    /// Runs an op that must succeed as an op (exit 0).
    fn ok(self, op: &str, input: &Value) -> Value {
        let (code, out) = self.run(op, input);
        assert_eq!(code, 0, "{self:?} {op} exited {code}: {out}");
        out
    }

    /// The private-key text this SDK is configured with in real life.
    fn private_key_text(self, key: &PrivateKey) -> String {
        match self {
            Sdk::Py => key.to_pkcs1_pem(),
            Sdk::Node => key.to_pkcs8_pem(),
        }
    }
}

/// Fresh keys made by zhima-proto for this run.
struct Fresh {
    app: PrivateKey,
    platform: PrivateKey,
    aes: AesKey,
}

fn fresh() -> &'static Fresh {
    static KEYS: OnceLock<Fresh> = OnceLock::new();
    KEYS.get_or_init(|| Fresh {
        app: PrivateKey::generate().expect("generate app key"),
        platform: PrivateKey::generate().expect("generate platform key"),
        aes: AesKey::generate(),
    })
}

/// Cert mode needs certificates, which zhima-proto does not issue: use the spec's test
/// certificates and the key pairs they certify.
struct CertFixture {
    app: PrivateKey,
    platform: PrivateKey,
    app_cert: String,
    platform_cert: String,
    root_bundle: String,
}

fn cert_fixture() -> CertFixture {
    let dir = std::env::var_os("ZHIMA_SPEC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec"));
    let path = dir.join("vectors/keys.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} is required for cert mode: {e}", path.display()));
    let k: Value = serde_json::from_str(&text).expect("keys.json is JSON");
    let s = |v: &Value| v.as_str().expect("string").to_string();
    let fixture = CertFixture {
        app: PrivateKey::from_text(&s(&k["app"]["private_key_pkcs1_pem"])).unwrap(),
        platform: PrivateKey::from_text(&s(&k["platform"]["private_key_pkcs1_pem"])).unwrap(),
        app_cert: s(&k["certs"]["app_cert_pem"]),
        platform_cert: s(&k["certs"]["platform_cert_pem"]),
        root_bundle: s(&k["certs"]["root_bundle_pem"]),
    };
    // The certificates must certify exactly these keys, or the test proves nothing.
    assert!(fixture
        .app
        .matches(&PublicKey::from_text(&fixture.app_cert).unwrap()));
    assert!(fixture
        .platform
        .matches(&PublicKey::from_text(&fixture.platform_cert).unwrap()));
    fixture
}

impl CertFixture {
    fn add_to(&self, input: &mut Value) {
        input["app_cert"] = json!(self.app_cert);
        input["platform_cert"] = json!(self.platform_cert);
        input["root_cert_bundle"] = json!(self.root_bundle);
    }
}

// ---------------------------------------------------------------------------------------
// Captured requests
// ---------------------------------------------------------------------------------------

/// A request exactly as an SDK put it on the wire.
struct Captured {
    method: String,
    path_and_query: String,
    out: Value,
    body: Vec<u8>,
}

impl Captured {
    fn new(out: Value) -> Self {
        assert_eq!(out["sent"], true, "the SDK sent nothing: {out}");
        let body = STANDARD
            .decode(out["body"].as_str().expect("body"))
            .expect("base64 body");
        Self {
            method: out["method"].as_str().unwrap().to_string(),
            path_and_query: out["path_and_query"].as_str().unwrap().to_string(),
            out,
            body,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.out["headers"][name].as_str()
    }

    fn query(&self) -> &str {
        self.path_and_query.split_once('?').map_or("", |(_, q)| q)
    }

    fn body_text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("body is UTF-8 / ASCII")
    }

    /// The v1 parameters as the gateway decodes them.
    fn v1_params(&self) -> GatewayParams {
        let ct_charset = self.header("content-type").and_then(|ct| {
            ct.split(';')
                .find_map(|p| p.trim().strip_prefix("charset="))
        });
        GatewayParams::parse(self.query().as_bytes(), &self.body, ct_charset)
            .unwrap_or_else(|e| panic!("zhima-proto cannot parse the SDK's request: {e}"))
    }

    /// The v3 `Authorization`, verified against `app_key` with the raw request target.
    fn verify_v3(&self, app_key: &PublicKey) -> Result<Authorization, zhima_proto::Error> {
        let auth =
            Authorization::parse(self.header("authorization").expect("authorization header"))?;
        auth.verify(
            app_key,
            &self.method,
            &self.path_and_query,
            self.body_text(),
            self.header(v3::HEADER_APP_AUTH_TOKEN),
        )?;
        Ok(auth)
    }
}

fn state_sync_biz() -> Value {
    json!({
        "user_id": "2088102000000001",
        "out_biz_no": "ZMDS20240520000001",
        "out_principal_id": "1303902",
        "biz_state_code": "CONTRACT_STATE_WATCH_MOVIE_BUY",
        "category_code": "MOVIE",
        "service_id": "2024052000000000000000000001",
        "biz_data": "{\"movie_name\":\"流浪地球\",\"show_time\":\"2024-05-21 19:30:00\",\"url\":\"https://example.com/a?b=c&d=e\"}"
    })
}

fn cumulation_biz() -> Value {
    json!({
        "agreement_no": "20195108518085620000",
        "user_id": "2088602002015001",
        "partner_id": "2088621805983504",
        "out_biz_no": "2020081211223006150094012926289",
        "biz_action": "ORDER_PAID",
        "biz_time": "2024-05-20 10:00:00",
        "cumulate_data_type": "AMOUNT",
        "request_from": "ExternalMerchantSource",
        "amount_type_data": {
            "name": "累计消费",
            "trade_info": {"trade_no": "2020081722001435461000061785", "amount": "3.57"},
            "out_discount_infos": [{"discount_name": "滴滴打车优惠001", "discount_type": "exclusiveBenefit", "discount_amount": "8.75"}]
        },
        "ext_info": "{\"number\":\"20200303938282939\"}"
    })
}

fn sign_v1_input(
    sdk: Sdk,
    key: &PrivateKey,
    sign_type: SignType,
    charset: &str,
    method: &str,
    biz: &Value,
) -> Value {
    json!({
        "app_id": APP_ID,
        "private_key": sdk.private_key_text(key),
        "sign_type": sign_type.as_str(),
        "charset": charset,
        "method": method,
        "biz_content": biz,
        "app_auth_token": APP_AUTH_TOKEN,
    })
}

/// Checks a v1 request the way the gateway does and returns its parameters.
fn assert_v1_request_verifies(
    req: &Captured,
    app: &PrivateKey,
    sign_type: SignType,
    charset: Charset,
) -> GatewayParams {
    assert_eq!(req.method, "POST");
    assert!(
        req.path_and_query.starts_with("/gateway.do?"),
        "{}",
        req.path_and_query
    );
    let params = req.v1_params();
    v1::verify_request(&params, &app.public_key()).unwrap_or_else(|e| {
        panic!(
            "zhima-proto rejects the SDK's signature ({e}): {}",
            params.sign_content()
        )
    });
    assert_eq!(
        v1::verify_request(&params, &fresh().platform.public_key()),
        Err(zhima_proto::Error::BadSignature),
        "a different key must not verify"
    );
    assert_eq!(params.get("sign_type"), Some(sign_type.as_str()));
    assert_eq!(params.charset(), charset);
    assert_eq!(params.get("app_id"), Some(APP_ID));
    assert_eq!(params.get("version"), Some("1.0"));
    params
}

fn biz_json(params: &GatewayParams) -> Value {
    serde_json::from_str(params.get("biz_content").expect("biz_content"))
        .expect("biz_content is JSON")
}

// ---------------------------------------------------------------------------------------
// v1 requests: the SDKs sign, zhima-proto verifies
// ---------------------------------------------------------------------------------------

#[test]
fn python_v1_requests_verify_for_both_sign_types_and_charsets() {
    let keys = fresh();
    for (sign_type, label, charset) in [
        (SignType::Rsa2, "utf-8", Charset::Utf8),
        (SignType::Rsa, "utf-8", Charset::Utf8),
        (SignType::Rsa2, "GBK", Charset::Gbk),
        (SignType::Rsa, "GBK", Charset::Gbk),
    ] {
        let input = sign_v1_input(
            Sdk::Py,
            &keys.app,
            sign_type,
            label,
            STATE_SYNC,
            &state_sync_biz(),
        );
        let req = Captured::new(Sdk::Py.ok("sign-v1", &input));
        let params = assert_v1_request_verifies(&req, &keys.app, sign_type, charset);
        assert_eq!(params.get("method"), Some(STATE_SYNC));
        assert_eq!(params.get("app_auth_token"), Some(APP_AUTH_TOKEN));
        assert_eq!(params.get("format"), Some("json"));
        // Non-ASCII survives the charset round trip (流浪地球 is in GBK).
        assert_eq!(biz_json(&params), state_sync_biz());
        if charset == Charset::Gbk {
            // 流浪 percent-encoded as GBK bytes, not UTF-8.
            assert!(
                req.body_text().contains("%C1%F7%C0%CB"),
                "GBK bytes expected: {}",
                req.body_text()
            );
        }
    }
}

#[test]
fn python_v1_cumulation_request_verifies_and_keys_are_sorted_by_the_sdk() {
    let keys = fresh();
    let input = sign_v1_input(
        Sdk::Py,
        &keys.app,
        SignType::Rsa2,
        "utf-8",
        CUMULATION_SYNC,
        &cumulation_biz(),
    );
    let params = assert_v1_request_verifies(
        &Captured::new(Sdk::Py.ok("sign-v1", &input)),
        &keys.app,
        SignType::Rsa2,
        Charset::Utf8,
    );
    let text = params.get("biz_content").unwrap();
    assert!(
        text.starts_with("{\"agreement_no\":\"20195108518085620000\",\"amount_type_data\":{"),
        "{text}"
    );
    assert_eq!(biz_json(&params), cumulation_biz());
}

/// zhima-proto's `build_request` must lay out a request byte for byte like the SDK.
fn assert_layout_matches(sdk: Sdk, layout: SdkLayout, input: &Value) {
    let keys = fresh();
    let mut input = input.clone();
    input["timestamp"] = json!("2024-05-20 10:00:00");
    let req = Captured::new(sdk.ok("sign-v1", &input));
    let mut params = req.v1_params();
    let sent_sign = params.remove("sign").expect("sign");
    let built = v1::build_request(&params, &keys.app, layout).expect("build_request");
    assert_eq!(
        built.sign, sent_sign,
        "{sdk:?}: same key, same bytes, same signature"
    );
    assert_eq!(built.query, req.query(), "{sdk:?}: query layout differs");
    assert_eq!(built.body, req.body_text(), "{sdk:?}: body layout differs");
}

#[test]
fn zhima_proto_build_request_reproduces_both_sdks_byte_for_byte() {
    let keys = fresh();
    for charset in ["utf-8", "GBK"] {
        let input = sign_v1_input(
            Sdk::Py,
            &keys.app,
            SignType::Rsa2,
            charset,
            STATE_SYNC,
            &state_sync_biz(),
        );
        assert_layout_matches(Sdk::Py, SdkLayout::Python, &input);
    }
    let input = sign_v1_input(
        Sdk::Node,
        &keys.app,
        SignType::Rsa2,
        "utf-8",
        CUMULATION_SYNC,
        &cumulation_biz(),
    );
    assert_layout_matches(Sdk::Node, SdkLayout::Node, &input);
}

#[test]
fn node_v1_requests_verify_for_both_sign_types_and_key_forms() {
    let keys = fresh();
    for (sign_type, key_text) in [
        (SignType::Rsa2, keys.app.to_pkcs8_pem()),
        (SignType::Rsa, keys.app.to_pkcs1_base64()),
    ] {
        let mut input = sign_v1_input(
            Sdk::Node,
            &keys.app,
            sign_type,
            "utf-8",
            CUMULATION_SYNC,
            &cumulation_biz(),
        );
        input["private_key"] = json!(key_text);
        let req = Captured::new(Sdk::Node.ok("sign-v1", &input));
        let params = assert_v1_request_verifies(&req, &keys.app, sign_type, Charset::Utf8);
        assert_eq!(
            params.get("format"),
            None,
            "the Node SDK never sends format"
        );
        assert_eq!(params.get("app_auth_token"), Some(APP_AUTH_TOKEN));
        // JSON.stringify keeps the order it was given, which is serde_json's (sorted) order.
        assert_eq!(
            params.get("biz_content"),
            Some(cumulation_biz().to_string().as_str())
        );
    }
}

#[test]
fn node_v1_aes_request_verifies_and_decrypts_to_the_biz_content() {
    let keys = fresh();
    let mut input = sign_v1_input(
        Sdk::Node,
        &keys.app,
        SignType::Rsa2,
        "utf-8",
        STATE_SYNC,
        &state_sync_biz(),
    );
    input["encrypt_key"] = json!(keys.aes.to_base64());
    let req = Captured::new(Sdk::Node.ok("sign-v1", &input));
    assert!(
        req.body_text().starts_with("encrypt_type=AES&biz_content="),
        "{}",
        req.body_text()
    );
    let params = assert_v1_request_verifies(&req, &keys.app, SignType::Rsa2, Charset::Utf8);
    assert!(
        params.sign_content().contains("&encrypt_type=AES&"),
        "encrypt_type is signed"
    );
    let plain = keys
        .aes
        .decrypt_to_string(params.get("biz_content").unwrap())
        .expect("decrypts");
    assert_eq!(plain, state_sync_biz().to_string());
}

#[test]
fn node_v1_cert_mode_request_carries_the_sns_zhima_proto_computes() {
    let fx = cert_fixture();
    let mut input = sign_v1_input(
        Sdk::Node,
        &fx.app,
        SignType::Rsa2,
        "utf-8",
        STATE_SYNC,
        &state_sync_biz(),
    );
    fx.add_to(&mut input);
    let req = Captured::new(Sdk::Node.ok("sign-v1", &input));
    let params = req.v1_params();
    v1::verify_request(&params, &fx.app.public_key()).expect("cert-mode request verifies");
    assert_eq!(
        params.get("app_cert_sn"),
        Some(cert::cert_sn(&fx.app_cert).unwrap().as_str())
    );
    assert_eq!(
        params.get("alipay_root_cert_sn"),
        Some(cert::root_cert_sn(&fx.root_bundle).unwrap().as_str())
    );
    assert!(
        params.sign_content().contains("app_cert_sn="),
        "the SNs are signed"
    );
}

#[test]
fn sdk_limits_are_reported_not_hidden() {
    let keys = fresh();
    // Node 4.14.0 only speaks UTF-8.
    let input = sign_v1_input(
        Sdk::Node,
        &keys.app,
        SignType::Rsa2,
        "GBK",
        STATE_SYNC,
        &state_sync_biz(),
    );
    let (code, out) = Sdk::Node.run("sign-v1", &input);
    assert_eq!(code, 3, "{out}");
    assert!(
        out["unsupported"].as_str().unwrap().contains("utf-8"),
        "{out}"
    );
    // Python 3.7.1411 has neither v3 nor cert mode.
    assert_eq!(Sdk::Py.run("sign-v3", &json!({})).0, 3);
    let mut input = sign_v1_input(
        Sdk::Py,
        &keys.app,
        SignType::Rsa2,
        "utf-8",
        STATE_SYNC,
        &state_sync_biz(),
    );
    cert_fixture().add_to(&mut input);
    assert_eq!(Sdk::Py.run("sign-v1", &input).0, 3);
    // Python's AES is broken on Python 3 (PROTOCOL.md §A7): it fails before sending.
    let mut input = sign_v1_input(
        Sdk::Py,
        &keys.app,
        SignType::Rsa2,
        "utf-8",
        STATE_SYNC,
        &state_sync_biz(),
    );
    input["encrypt_key"] = json!(keys.aes.to_base64());
    let out = Sdk::Py.ok("sign-v1", &input);
    assert_eq!(out["sent"], false, "{out}");
    assert!(
        out["sdk_error"].as_str().unwrap().contains("TypeError"),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------
// v3 requests: the Node SDK signs, zhima-proto verifies
// ---------------------------------------------------------------------------------------

fn sign_v3_input(key: &PrivateKey, http_method: &str, path: &str) -> Value {
    json!({"app_id": APP_ID, "private_key": key.to_pkcs1_pem(), "http_method": http_method, "path": path})
}

#[test]
fn node_v3_requests_verify_post_get_and_app_auth_token() {
    let keys = fresh();
    let mut post = sign_v3_input(&keys.app, "POST", V3_SYNC_PATH);
    post["body"] = cumulation_biz();
    let mut get = sign_v3_input(&keys.app, "GET", "/v3/zhima/merchant/zmgo/cumulate/query");
    get["query"] = json!({"agreement_id": "20195108518085620000", "note": "a b/中", "page_no": 1});
    let mut delegated = post.clone();
    delegated["app_auth_token"] = json!(APP_AUTH_TOKEN);
    let mut extra = post.clone();
    extra["additional_auth_info"] = json!("app_version=1.0");
    for input in [post, get, delegated, extra] {
        let req = Captured::new(Sdk::Node.ok("sign-v3", &input));
        let auth = req
            .verify_v3(&keys.app.public_key())
            .unwrap_or_else(|e| panic!("{e}: {}", req.out));
        assert!(
            req.verify_v3(&keys.platform.public_key()).is_err(),
            "a different key must not verify"
        );
        assert_eq!(auth.fields.app_id, APP_ID);
        assert_eq!(req.method, input["http_method"].as_str().unwrap());
        assert!(req
            .path_and_query
            .starts_with(input["path"].as_str().unwrap()));
        let expected_body = input.get("body").map(Value::to_string).unwrap_or_default();
        assert_eq!(req.body_text(), expected_body);
        assert_eq!(
            req.header(v3::HEADER_APP_AUTH_TOKEN),
            input["app_auth_token"].as_str()
        );
        if input.get("additional_auth_info").is_some() {
            assert_eq!(
                auth.fields.extra,
                vec![("app_version".to_string(), "1.0".to_string())]
            );
        }
        let request_id = req.header(v3::HEADER_REQUEST_ID).expect("request id");
        assert!(
            request_id.len() == 32 && request_id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{request_id}"
        );
    }
}

#[test]
fn node_v3_aes_request_signs_the_ciphertext() {
    let keys = fresh();
    let mut input = sign_v3_input(&keys.app, "POST", V3_SYNC_PATH);
    input["body"] = cumulation_biz();
    input["encrypt_key"] = json!(keys.aes.to_base64());
    let req = Captured::new(Sdk::Node.ok("sign-v3", &input));
    req.verify_v3(&keys.app.public_key())
        .expect("verifies over the ciphertext");
    assert_eq!(req.header("content-type"), Some("text/plain"));
    assert_eq!(req.header(v3::HEADER_ENCRYPT_TYPE), Some("AES"));
    assert_eq!(
        keys.aes.decrypt_to_string(req.body_text()).unwrap(),
        cumulation_biz().to_string()
    );
}

#[test]
fn node_v3_cert_mode_request_carries_the_sns_zhima_proto_computes() {
    let fx = cert_fixture();
    let mut input = sign_v3_input(&fx.app, "POST", V3_SYNC_PATH);
    input["body"] = json!({"out_biz_no": "C2"});
    fx.add_to(&mut input);
    let req = Captured::new(Sdk::Node.ok("sign-v3", &input));
    let auth = req
        .verify_v3(&fx.app.public_key())
        .expect("cert-mode v3 request verifies");
    assert_eq!(
        auth.fields.app_cert_sn,
        Some(cert::cert_sn(&fx.app_cert).unwrap())
    );
    assert_eq!(
        req.header(v3::HEADER_ROOT_CERT_SN),
        Some(cert::root_cert_sn(&fx.root_bundle).unwrap().as_str())
    );
}

// ---------------------------------------------------------------------------------------
// v1 responses: zhima-proto signs, the SDKs verify
// ---------------------------------------------------------------------------------------

fn success_node() -> ResponseNode {
    ResponseNode::Json(r#"{"code":"10000","msg":"Success","biz_result":"success"}"#.into())
}

fn failure_node() -> ResponseNode {
    ResponseNode::Json(
        r#"{"code":"40004","msg":"Business Failed","sub_code":"ZMDATA.BIZ_STATE_CODE_ERROR","sub_msg":"业务状态码错误"}"#.into(),
    )
}

fn signed_body(
    node: &ResponseNode,
    key: &PrivateKey,
    sign_type: SignType,
    charset: Charset,
    cert_sn: Option<&str>,
) -> String {
    v1::build_response(
        &v1::response_node_key(STATE_SYNC),
        node,
        key,
        sign_type,
        charset,
        cert_sn,
    )
    .expect("build_response")
}

/// Changes one ASCII character at byte `at`, keeping the text valid JSON.
fn flip_char(text: &str, at: usize) -> String {
    let mut bytes = text.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).expect("an ASCII byte was replaced")
}

/// Tampers with the signed node of a v1 body: the first letter of `msg`, or the first
/// ciphertext character of an encrypted node. The body stays well-formed JSON, so only the
/// signature can catch it.
fn tamper(body: &str) -> String {
    let at = match body.find("\"msg\":\"") {
        Some(i) => i + "\"msg\":\"".len(),
        None => body.find(":\"").expect("an encrypted node") + 2,
    };
    flip_char(body, at)
}

fn verify_v1_input(body: &str, public: &PublicKey, sign_type: SignType) -> Value {
    json!({"method": STATE_SYNC, "body": body, "platform_public_key": public.to_spki_pem(), "sign_type": sign_type.as_str()})
}

#[test]
fn v1_responses_signed_by_zhima_proto_verify_in_both_sdks_and_tampering_is_caught() {
    let keys = fresh();
    let platform_pub = keys.platform.public_key();
    for sdk in [Sdk::Py, Sdk::Node] {
        for sign_type in [SignType::Rsa2, SignType::Rsa] {
            for (node, code) in [(success_node(), "10000"), (failure_node(), "40004")] {
                let body = signed_body(&node, &keys.platform, sign_type, Charset::Utf8, None);
                let out = sdk.ok(
                    "verify-v1-response",
                    &verify_v1_input(&body, &platform_pub, sign_type),
                );
                assert_eq!(out["ok"], true, "{sdk:?} {sign_type} rejects {body}: {out}");
                assert_eq!(out["parsed"]["code"], code, "{out}");
                if code == "40004" {
                    assert_eq!(out["parsed"]["sub_msg"], "业务状态码错误");
                }
                let bad = sdk.ok(
                    "verify-v1-response",
                    &verify_v1_input(&tamper(&body), &platform_pub, sign_type),
                );
                assert_eq!(bad["ok"], false, "{sdk:?} accepted a tampered body: {bad}");
                // Signed by the wrong key (the app's): rejected.
                let forged = signed_body(&node, &keys.app, sign_type, Charset::Utf8, None);
                let bad = sdk.ok(
                    "verify-v1-response",
                    &verify_v1_input(&forged, &platform_pub, sign_type),
                );
                assert_eq!(
                    bad["ok"], false,
                    "{sdk:?} accepted a body signed by another key: {bad}"
                );
            }
        }
    }
}

#[test]
fn python_verifies_a_gbk_response_signed_over_gbk_bytes() {
    let keys = fresh();
    let body = signed_body(
        &failure_node(),
        &keys.platform,
        SignType::Rsa2,
        Charset::Gbk,
        None,
    );
    let gbk = Charset::Gbk.encode(&body).unwrap();
    let mut input = verify_v1_input("", &keys.platform.public_key(), SignType::Rsa2);
    input["body_base64"] = json!(STANDARD.encode(&gbk));
    input["charset"] = json!("GBK");
    let out = Sdk::Py.ok("verify-v1-response", &input);
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(out["parsed"]["sub_msg"], "业务状态码错误");
    assert_eq!(out["is_success"], false);
    // The same body signed over UTF-8 bytes must not pass as GBK.
    let utf8_signed = signed_body(
        &failure_node(),
        &keys.platform,
        SignType::Rsa2,
        Charset::Utf8,
        None,
    );
    input["body_base64"] = json!(STANDARD.encode(Charset::Gbk.encode(&utf8_signed).unwrap()));
    assert_eq!(Sdk::Py.ok("verify-v1-response", &input)["ok"], false);
}

#[test]
fn cert_mode_response_verifies_in_node_and_python_rejects_its_shape() {
    let fx = cert_fixture();
    let sn = cert::cert_sn(&fx.platform_cert).unwrap();
    let body = signed_body(
        &success_node(),
        &fx.platform,
        SignType::Rsa2,
        Charset::Utf8,
        Some(&sn),
    );
    assert!(
        body.contains(&format!(",\"alipay_cert_sn\":\"{sn}\",\"sign\":")),
        "{body}"
    );
    let mut input = json!({"method": STATE_SYNC, "body": body, "sign_type": "RSA2"});
    fx.add_to(&mut input);
    let out = Sdk::Node.ok("verify-v1-response", &input);
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(out["parsed"]["biz_result"], "success");
    input["body"] = json!(tamper(&body));
    assert_eq!(Sdk::Node.ok("verify-v1-response", &input)["ok"], false);
    // PROTOCOL.md §A5: Python 3.7.1411 needs "sign" right after the node.
    let py = Sdk::Py.ok(
        "verify-v1-response",
        &verify_v1_input(&body, &fx.platform.public_key(), SignType::Rsa2),
    );
    assert_eq!(py["ok"], false);
    assert!(
        py["error"]
            .as_str()
            .unwrap()
            .contains("response shape maybe illegal"),
        "{py}"
    );
}

#[test]
fn encrypted_v1_response_signature_and_ciphertext_are_what_the_sdks_expect() {
    let keys = fresh();
    let node = success_node().encrypt(&keys.aes);
    let body = signed_body(&node, &keys.platform, SignType::Rsa2, Charset::Utf8, None);
    let mut input = verify_v1_input(&body, &keys.platform.public_key(), SignType::Rsa2);
    input["encrypt_key"] = json!(keys.aes.to_base64());
    // Python verifies the quoted ciphertext and only then trips on its broken AES (§A7):
    // a TypeError, not "sign verify failed", proves the signature was accepted.
    let py = Sdk::Py.ok("verify-v1-response", &input);
    let err = py["error"].as_str().unwrap_or_default();
    assert!(
        err.contains("TypeError") && !err.contains("sign verify failed"),
        "{py}"
    );
    let mut tampered = input.clone();
    tampered["body"] = json!(tamper(&body));
    let py_bad = Sdk::Py.ok("verify-v1-response", &tampered);
    assert!(
        py_bad["error"]
            .as_str()
            .unwrap()
            .contains("sign verify failed"),
        "{py_bad}"
    );
    // Node 4.14.0 cannot verify encrypted v1 responses at all, but decrypts them.
    input["validate_sign"] = json!(false);
    let out = Sdk::Node.ok("verify-v1-response", &input);
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(out["parsed"]["biz_result"], "success");
}

// ---------------------------------------------------------------------------------------
// v3 responses: zhima-proto signs, the Node SDK verifies
// ---------------------------------------------------------------------------------------

const NONCE: &str = "c6f1b0a2e4d84a5e9b7f3a1d2e4f6a8b";
const TRACE_ID: &str = "0b1234567890abcdef";

fn v3_response(
    status: u16,
    body: &str,
    key: &PrivateKey,
    sn: Option<&str>,
    platform: &PublicKey,
) -> Value {
    let signed = v3::sign_response(key, 1_716_170_400_123, NONCE, body, sn).expect("sign_response");
    let mut headers = serde_json::Map::new();
    headers.insert(v3::HEADER_TIMESTAMP.into(), json!(signed.timestamp));
    headers.insert(v3::HEADER_NONCE.into(), json!(signed.nonce));
    headers.insert(v3::HEADER_SIGNATURE.into(), json!(signed.signature));
    headers.insert(v3::HEADER_TRACE_ID.into(), json!(TRACE_ID));
    headers.insert(
        "content-type".into(),
        json!("application/json;charset=utf-8"),
    );
    if let Some(sn) = &signed.sn {
        headers.insert(v3::HEADER_SN.into(), json!(sn));
    }
    json!({"status": status, "headers": headers, "body": body, "platform_public_key": platform.to_spki_pem()})
}

fn v3_success_body() -> String {
    json!({"agreement_no": "20195108518085620000", "out_biz_no": "2020081211223006150094012926289", "user_id": "2088602002015001"}).to_string()
}

#[test]
fn v3_responses_signed_by_zhima_proto_verify_in_node_and_tampering_is_caught() {
    let keys = fresh();
    let platform_pub = keys.platform.public_key();
    let body = v3_success_body();
    let out = Sdk::Node.ok(
        "verify-v3-response",
        &v3_response(200, &body, &keys.platform, None, &platform_pub),
    );
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(out["data"], serde_json::from_str::<Value>(&body).unwrap());
    assert_eq!(out["trace_id"], TRACE_ID);

    let mut tampered = v3_response(200, &body, &keys.platform, None, &platform_pub);
    tampered["body"] = json!(body.replace("2088602002015001", "2088602002015002"));
    let forged = v3_response(200, &body, &keys.app, None, &platform_pub);
    for bad in [tampered, forged] {
        let out = Sdk::Node.ok("verify-v3-response", &bad);
        assert_eq!(out["ok"], false, "{out}");
        assert_eq!(out["error_code"], "response-signature-verify-error");
    }
}

#[test]
fn v3_encrypted_response_verifies_over_the_ciphertext_and_decrypts() {
    let keys = fresh();
    let platform_pub = keys.platform.public_key();
    let ciphertext = keys.aes.encrypt(v3_success_body().as_bytes());
    let mut input = v3_response(200, &ciphertext, &keys.platform, None, &platform_pub);
    input["encrypt_key"] = json!(keys.aes.to_base64());
    let out = Sdk::Node.ok("verify-v3-response", &input);
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(
        out["data"],
        serde_json::from_str::<Value>(&v3_success_body()).unwrap()
    );
    input["body"] = json!(flip_char(&ciphertext, 0));
    let out = Sdk::Node.ok("verify-v3-response", &input);
    assert_eq!(
        out["error_code"], "response-signature-verify-error",
        "{out}"
    );
}

#[test]
fn v3_cert_mode_response_needs_the_right_alipay_sn() {
    let fx = cert_fixture();
    let platform_pub = fx.platform.public_key();
    let sn = cert::cert_sn(&fx.platform_cert).unwrap();
    let mut input = v3_response(
        200,
        &v3_success_body(),
        &fx.platform,
        Some(&sn),
        &platform_pub,
    );
    fx.add_to(&mut input);
    assert_eq!(Sdk::Node.ok("verify-v3-response", &input)["ok"], true);
    let wrong = "ffffffffffffffffffffffffffffffff";
    let mut input = v3_response(
        200,
        &v3_success_body(),
        &fx.platform,
        Some(wrong),
        &platform_pub,
    );
    fx.add_to(&mut input);
    let out = Sdk::Node.ok("verify-v3-response", &input);
    assert_eq!(
        out["error_code"], "response-alipay-sn-verify-error",
        "{out}"
    );
}

#[test]
fn v3_error_response_reaches_the_caller_with_its_code_and_links() {
    let keys = fresh();
    let body = json!({
        "code": "IDEMPOTENT_ERROR",
        "message": "幂等冲突，请更换out_biz_no",
        "links": [{"link": format!("https://open.alipay.com/api/errCheck?traceId={TRACE_ID}"), "desc": "解决方案"}]
    })
    .to_string();
    let out = Sdk::Node.ok(
        "verify-v3-response",
        &v3_response(
            400,
            &body,
            &keys.platform,
            None,
            &keys.platform.public_key(),
        ),
    );
    assert_eq!(out["ok"], false);
    assert_eq!(out["error_code"], "IDEMPOTENT_ERROR", "{out}");
    assert_eq!(out["response_http_status"], 400);
    assert_eq!(out["links"][0]["desc"], "解决方案");
}
