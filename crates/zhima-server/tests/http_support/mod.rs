//! Shared harness of the `http_*` tests: a real server on 127.0.0.1:0 (SQLite in a temp dir,
//! configured through a real `zhima.toml`), the golden-vector keys, and clients that sign
//! v1/v3 requests with zhima-proto and verify the answers with zhima-proto.
#![allow(dead_code)] // each test binary uses a different part of the harness

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use reqwest::header::HeaderMap;
use serde_json::Value;
use zhima_proto::aes::AesKey;
use zhima_proto::keys::{PrivateKey, PublicKey};
use zhima_proto::time::{format_alipay_datetime, now_alipay, to_epoch_millis};
use zhima_proto::v1::{self, Charset, GatewayParams};
use zhima_proto::v3::{self, AuthString, Authorization};
use zhima_proto::{cert, SignType};
use zhima_server::config::Config;
use zhima_server::http::{Server, Settings};
use zhima_server::storage::{PgOptions, SqliteOptions, Storage};

/// The ordinary app: public key, RSA2 and RSA, AES key.
pub const APP_ID: &str = "2021000000000001";
/// Same key pair, registered in cert mode.
pub const CERT_APP_ID: &str = "2021000000000002";
/// Accepts RSA2 only, has no AES key.
pub const RSA2_APP_ID: &str = "2021000000000003";
/// Disabled.
pub const DISABLED_APP_ID: &str = "2021000000000004";
pub const PARTNER_ID: &str = "2088621805983504";
pub const TOKEN_PARTNER_ID: &str = "2088621805983999";
pub const USER_ID: &str = "2088602002015001";
/// A user `[[zmgo.users]]` marks not admitted (pre.consult, preorder.create).
pub const BARRED_USER_ID: &str = "2088602002015003";
pub const AGREEMENT_NO: &str = "20195108518085620000";
/// An agreement of the token's merchant.
pub const TOKEN_AGREEMENT_NO: &str = "20195108518085629999";
pub const SERVICE_ID: &str = "2019080700000000000001800100";
pub const TOKEN: &str = "202405BBtestAppAuthToken0000000000000001";
pub const EXPIRED_TOKEN: &str = "202405BBtestAppAuthToken0000000000000002";
pub const OTHER_APPS_TOKEN: &str = "202405BBtestAppAuthToken0000000000000003";

pub const STATE_SYNC: &str = "zhima.data.state.data.sync";
pub const CUMULATION_SYNC: &str = "zhima.credit.pe.zmgo.cumulation.sync";
pub const V3_SYNC: &str = "/v3/zhima/credit/pe/zmgo/cumulation/sync";
pub const V3_CUMULATE_QUERY: &str = "/v3/zhima/merchant/zmgo/cumulate/query";
pub const V3_AGREEMENT_QUERY: &str = "/v3/zhima/credit/pe/zmgo/agreement/query";
pub const V3_SETTLE: &str = "/v3/zhima/credit/pe/zmgo/settle/apply";
pub const TEMPLATE_CREATE: &str = "zhima.merchant.zmgo.template.create";
pub const TEMPLATE_QUERY: &str = "zhima.merchant.zmgo.template.query";
pub const PRE_CONSULT: &str = "zhima.credit.pe.zmgo.pre.consult";
pub const PREORDER_CREATE: &str = "zhima.credit.pe.zmgo.preorder.create";
pub const AGREEMENT_SIGN: &str = "zhima.credit.pe.zmgo.agreement.sign";
pub const BIZOPT_CLOSE: &str = "zhima.credit.pe.zmgo.bizopt.close";
pub const AGREEMENT_UNSIGN: &str = "zhima.credit.pe.zmgo.agreement.unsign";
pub const AGREEMENT_QUERY: &str = "zhima.credit.pe.zmgo.agreement.query";
pub const V3_TEMPLATE_CREATE: &str = "/v3/zhima/merchant/zmgo/template/create";
pub const V3_TEMPLATE_QUERY: &str = "/v3/zhima/merchant/zmgo/template/query";
pub const V3_PREORDER_CREATE: &str = "/v3/zhima/credit/pe/zmgo/preorder/create";
pub const V3_BIZOPT_CLOSE: &str = "/v3/zhima/credit/pe/zmgo/bizopt/close";
pub const V3_AGREEMENT_UNSIGN: &str = "/v3/zhima/credit/pe/zmgo/agreement/unsign";
pub const SETTLE_APPLY: &str = "zhima.credit.pe.zmgo.settle.apply";
pub const SETTLE_REFUND: &str = "zhima.credit.pe.zmgo.settle.refund";
pub const V3_SETTLE_REFUND: &str = "/v3/zhima/credit/pe/zmgo/settle/refund";
pub const SETTLE_UNFREEZE: &str = "zhima.credit.pe.zmgo.settle.unfreeze";
pub const V3_SETTLE_UNFREEZE: &str = "/v3/zhima/credit/pe/zmgo/settle/unfreeze";
pub const MERCHANT_CUMULATE_SYNC: &str = "zhima.merchant.zmgo.cumulate.sync";
pub const V3_MERCHANT_CUMULATE_SYNC: &str = "/v3/zhima/merchant/zmgo/cumulate/sync";

// ---------------------------------------------------------------------------------------
// Keys (shared/spec/vectors/keys.json: fixed throwaway keys, with matching certificates)
// ---------------------------------------------------------------------------------------

pub struct Keys {
    pub app: PrivateKey,
    pub app_private_pem: String,
    pub app_public_pem: String,
    pub platform: PrivateKey,
    pub platform_private_pem: String,
    pub platform_public: PublicKey,
    pub aes_b64: String,
    pub aes: AesKey,
    pub app_cert_pem: String,
    pub platform_cert_pem: String,
    pub root_bundle_pem: String,
    pub app_cert_sn: String,
    pub platform_cert_sn: String,
    pub root_cert_sn: String,
}

fn vectors_dir() -> PathBuf {
    std::env::var_os("ZHIMA_SPEC_DIR")
        .map(|d| PathBuf::from(d).join("vectors"))
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec/vectors")
        })
}

pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let path = vectors_dir().join("keys.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let v: Value = serde_json::from_str(&text).unwrap();
        let s = |p: &str| {
            v.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("keys.json{p}"))
                .to_owned()
        };
        let platform_private_pem = s("/platform/private_key_pkcs1_pem");
        let platform = PrivateKey::from_text(&platform_private_pem).unwrap();
        let aes_b64 = s("/aes_key_base64");
        let (app_cert_pem, platform_cert_pem, root_bundle_pem) = (
            s("/certs/app_cert_pem"),
            s("/certs/platform_cert_pem"),
            s("/certs/root_bundle_pem"),
        );
        Keys {
            app: PrivateKey::from_text(&s("/app/private_key_pkcs1_pem")).unwrap(),
            app_private_pem: s("/app/private_key_pkcs1_pem"),
            app_public_pem: s("/app/public_key_spki_pem"),
            platform_public: platform.public_key(),
            platform,
            platform_private_pem,
            aes: AesKey::from_base64(&aes_b64).unwrap(),
            aes_b64,
            app_cert_sn: cert::cert_sn(&app_cert_pem).unwrap(),
            platform_cert_sn: cert::cert_sn(&platform_cert_pem).unwrap(),
            root_cert_sn: cert::root_cert_sn(&root_bundle_pem).unwrap(),
            app_cert_pem,
            platform_cert_pem,
            root_bundle_pem,
        }
    })
}

// ---------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------

fn config_toml(k: &Keys) -> String {
    format!(
        r#"[server]
data_dir = "."
clock_skew_secs = 900

[platform]
private_key_file = "platform_private.pem"
cert_file = "platform_cert.pem"
root_cert_file = "root_bundle.pem"

[[apps]]
app_id = "{APP_ID}"
partner_id = "{PARTNER_ID}"
public_key_file = "app_public.pem"
encrypt_key = "{aes}"
sign_types = ["RSA2", "RSA"]

[[apps]]
app_id = "{CERT_APP_ID}"
partner_id = "{PARTNER_ID}"
app_cert_file = "app_cert.pem"
encrypt_key = "{aes}"

[[apps]]
app_id = "{RSA2_APP_ID}"
partner_id = "{PARTNER_ID}"
public_key_file = "app_public.pem"
sign_types = ["RSA2"]

[[apps]]
app_id = "{DISABLED_APP_ID}"
partner_id = "{PARTNER_ID}"
public_key_file = "app_public.pem"
enabled = false

[[app_auth_tokens]]
token = "{TOKEN}"
app_id = "{APP_ID}"
partner_id = "{TOKEN_PARTNER_ID}"
expires_at = "2030-01-01 00:00:00"

[[app_auth_tokens]]
token = "{EXPIRED_TOKEN}"
app_id = "{APP_ID}"
partner_id = "{TOKEN_PARTNER_ID}"
expires_at = "2020-01-01 00:00:00"

[[app_auth_tokens]]
token = "{OTHER_APPS_TOKEN}"
app_id = "{RSA2_APP_ID}"
partner_id = "{TOKEN_PARTNER_ID}"
expires_at = "2030-01-01 00:00:00"

[[zmgo.templates]]
template_no = "ZMGO_T1"
mode = "DECOUPLED"
obligation_times = 5
obligation_amount = "100.00"
settle_check = true
settle_tolerance = "0.00"

[[zmgo.users]]
user_id = "{BARRED_USER_ID}"
admitted = false

[[zmgo.agreements]]
agreement_no = "{AGREEMENT_NO}"
template_no = "ZMGO_T1"
user_id = "{USER_ID}"
partner_id = "{PARTNER_ID}"
status = "Y"
start_time = "2024-01-01 00:00:00"
end_time = "2030-12-31 23:59:59"

[[zmgo.agreements]]
agreement_no = "{TOKEN_AGREEMENT_NO}"
template_no = "ZMGO_T1"
user_id = "{USER_ID}"
partner_id = "{TOKEN_PARTNER_ID}"
status = "Y"
start_time = "2024-01-01 00:00:00"
end_time = "2030-12-31 23:59:59"

[[state_sync.services]]
service_id = "{SERVICE_ID}"
app_ids = ["{APP_ID}", "{CERT_APP_ID}"]

[[state_sync.services.categories]]
code = "WATCH_MOVIE"
name = "观影约定"

[[state_sync.services.categories.states]]
code = "CONTRACT_STATE_WATCH_MOVIE_BUY"
name = "已购票"
initial = true
next = ["CONTRACT_STATE_WATCH_MOVIE_WATCHED"]
biz_data_schema = '{{"type":"object","required":["orderNo"]}}'

[[state_sync.services.categories.states]]
code = "CONTRACT_STATE_WATCH_MOVIE_WATCHED"
terminal = true
"#,
        aes = k.aes_b64
    )
}

/// A server running in this process.
pub struct TestServer {
    pub base: String,
    pub storage: Arc<Storage>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    /// Starts with default settings adjusted by `tweak`.
    pub async fn start_with(tweak: impl FnOnce(&mut Settings)) -> TestServer {
        TestServer::start_on(None, tweak).await
    }

    /// Starts on PostgreSQL (`Some(options)`) or, with `None`, on SQLite in a temporary
    /// directory.
    pub async fn start_on(
        postgres: Option<PgOptions>,
        tweak: impl FnOnce(&mut Settings),
    ) -> TestServer {
        let k = keys();
        let dir = tempfile::tempdir().unwrap();
        let files = [
            ("platform_private.pem", k.platform_private_pem.as_str()),
            ("platform_cert.pem", &k.platform_cert_pem),
            ("root_bundle.pem", &k.root_bundle_pem),
            ("app_public.pem", &k.app_public_pem),
            ("app_cert.pem", &k.app_cert_pem),
        ];
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let config_path = dir.path().join("zhima.toml");
        std::fs::write(&config_path, config_toml(k)).unwrap();
        let config = Config::load(&config_path).unwrap();
        let storage = match postgres {
            Some(options) => Storage::open_postgres(&options).await.unwrap(),
            None => {
                let mut options = SqliteOptions::in_dir(dir.path());
                options.fsync = false; // tests need speed, not crash safety
                Storage::open_sqlite(&options).await.unwrap()
            }
        };
        let storage = Arc::new(storage);
        storage.apply_records(&config.records).await.unwrap();
        let mut settings = Settings::from_config(&config);
        tweak(&mut settings);
        let server = Server::new(
            storage.clone(),
            zhima_server::http::Platform::from_config(&config),
            settings,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(server.serve(listener, async {
            let _ = rx.await;
        }));
        TestServer {
            base,
            storage,
            shutdown: Some(tx),
            handle: Some(handle),
            _dir: dir,
        }
    }

    /// Signals shutdown and waits for `serve` to return.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.begin_stop();
        self.handle.take().unwrap().await.unwrap()
    }

    /// Signals shutdown without waiting.
    pub fn begin_stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Waits for `serve` to return (after `begin_stop`).
    pub async fn join(mut self) -> std::io::Result<()> {
        self.handle.take().unwrap().await.unwrap()
    }

    /// The SQLite database file (servers started on SQLite).
    pub fn sqlite_path(&self) -> PathBuf {
        SqliteOptions::in_dir(self._dir.path()).path
    }

    pub fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_owned()
    }

    /// The admin token, generated into this server's data directory as `zhima serve` does.
    pub async fn admin_token(&self) -> String {
        let path = self._dir.path().join("admin.token");
        zhima_server::bootstrap::admin_token::ensure_admin_token(&self.storage, &path, false)
            .await
            .unwrap();
        std::fs::read_to_string(&path).unwrap().trim().to_owned()
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A raw HTTP/1.1 exchange (for request lines no client library writes). Returns the
/// status, the lowercased headers and the body bytes.
pub async fn raw_http(addr: &str, request: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.unwrap();
    parse_raw_response(&buf)
}

/// Splits a raw HTTP/1.1 response into status, lowercased headers and body bytes.
pub fn parse_raw_response(raw: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, raw[split + 4..].to_vec())
}

/// A raw `POST /gateway.do` of `call` (query and form body as the Python SDK lays them out).
pub fn raw_v1_request(call: &V1, keep_alive: bool) -> String {
    let (query, body) = call.wire();
    let connection = if keep_alive { "keep-alive" } else { "close" };
    format!(
        "POST /gateway.do?{query} HTTP/1.1\r\nHost: x\r\nConnection: {connection}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

// ---------------------------------------------------------------------------------------
// v1 client
// ---------------------------------------------------------------------------------------

pub fn now_v1() -> String {
    format_alipay_datetime(&now_alipay())
}

/// A v1 call under construction: common params filled in, everything overridable.
#[derive(Clone)]
pub struct V1 {
    pub params: Vec<(String, String)>,
    pub key: PrivateKey,
    /// Params added after signing (to tamper) or removed before sending.
    pub after_sign: Vec<(String, Option<String>)>,
}

impl V1 {
    pub fn new(method: &str, biz_content: &str) -> V1 {
        let params = [
            ("app_id", APP_ID),
            ("method", method),
            ("format", "json"),
            ("charset", "utf-8"),
            ("sign_type", "RSA2"),
            ("timestamp", &now_v1()),
            ("version", "1.0"),
            ("biz_content", biz_content),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        V1 {
            params,
            key: keys().app.clone(),
            after_sign: Vec::new(),
        }
    }

    pub fn set(mut self, key: &str, value: &str) -> V1 {
        self.params.retain(|(k, _)| k != key);
        self.params.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn remove(mut self, key: &str) -> V1 {
        self.params.retain(|(k, _)| k != key);
        self
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Replaces `key` after the signature was computed (tampering, or dropping `sign`).
    pub fn after_sign(mut self, key: &str, value: Option<&str>) -> V1 {
        self.after_sign
            .push((key.to_owned(), value.map(str::to_owned)));
        self
    }

    pub fn sign_type(&self) -> SignType {
        self.get("sign_type")
            .and_then(|s| s.parse().ok())
            .unwrap_or_default()
    }

    pub fn charset(&self) -> Charset {
        self.get("charset")
            .and_then(|c| Charset::from_label(c).ok())
            .unwrap_or_default()
    }

    /// The `(query, body)` to send: everything but `biz_content` in the query (Python SDK
    /// layout), signed with `key` as `sign_type` (RSA2 when the value is not one).
    pub fn wire(&self) -> (String, String) {
        let mut params = GatewayParams::from_pairs(self.params.clone());
        let charset = params.charset();
        let content = charset.encode(&params.sign_content()).unwrap();
        params.insert("sign", self.key.sign(self.sign_type(), &content).unwrap());
        for (k, v) in &self.after_sign {
            match v {
                Some(v) => params.insert(k.clone(), v.clone()),
                None => {
                    params.remove(k);
                }
            }
        }
        let style = v1::FormStyle::Python;
        let query = v1::form_encode_pairs(
            params.iter().filter(|(k, _)| *k != "biz_content"),
            charset,
            style,
        )
        .unwrap();
        let body = v1::form_encode_pairs(
            params.iter().filter(|(k, _)| *k == "biz_content"),
            charset,
            style,
        )
        .unwrap();
        (query, body)
    }

    /// A page method's GET URL (`page_execute(…, http_method="GET")` layout: every
    /// parameter in the query, `biz_content` last).
    pub fn page_url(&self, server: &TestServer) -> String {
        let (query, body) = self.wire();
        format!("{}/gateway.do?{query}&{body}", server.base)
    }

    pub async fn send(&self, server: &TestServer) -> V1Reply {
        let (query, body) = self.wire();
        let resp = client()
            .post(format!("{}/gateway.do?{query}", server.base))
            .header(
                "content-type",
                format!(
                    "application/x-www-form-urlencoded;charset={}",
                    self.charset().as_str()
                ),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        V1Reply::from_response(resp).await
    }
}

pub struct V1Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl V1Reply {
    /// A reply read off a socket (see [`raw_http`], [`parse_raw_response`]).
    pub fn from_raw((status, headers, bytes): (u16, Vec<(String, String)>, Vec<u8>)) -> V1Reply {
        V1Reply {
            status,
            headers: headers
                .into_iter()
                .map(|(k, v)| {
                    (
                        reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                        reqwest::header::HeaderValue::from_str(&v).unwrap(),
                    )
                })
                .collect(),
            bytes,
        }
    }

    pub async fn from_response(resp: reqwest::Response) -> V1Reply {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap().to_vec();
        V1Reply {
            status,
            headers,
            bytes,
        }
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The body decoded in `charset`.
    pub fn text(&self, charset: Charset) -> String {
        charset.decode(&self.bytes).unwrap()
    }

    /// Verifies the envelope (signature with the platform key, as `sign_type`, over the
    /// bytes in `charset`) and returns the node as JSON.
    pub fn verify(
        &self,
        method: &str,
        sign_type: SignType,
        charset: Charset,
        aes: Option<&AesKey>,
    ) -> Value {
        assert_eq!(self.status, 200, "v1 answers are always HTTP 200");
        let text = self.text(charset);
        let verified = v1::verify_response(
            &text,
            method,
            &keys().platform_public,
            sign_type,
            charset,
            aes,
        )
        .unwrap_or_else(|e| panic!("response does not verify ({e}): {text}"));
        serde_json::from_str(&verified.node_json).unwrap()
    }

    /// Verifies a UTF-8 RSA2 answer of the request `call`.
    pub fn node(&self, call: &V1) -> Value {
        self.verify(
            call.get("method").unwrap_or(""),
            call.sign_type(),
            call.charset(),
            None,
        )
    }
}

/// Verifies a raw UTF-8 RSA2 answer to `method` (as read off a socket) and returns its node
/// JSON text.
pub fn verified_node_json(text: &str, method: &str) -> String {
    v1::verify_response(
        text,
        method,
        &keys().platform_public,
        SignType::Rsa2,
        Charset::Utf8,
        None,
    )
    .unwrap_or_else(|e| panic!("response does not verify ({e}): {text}"))
    .node_json
}

/// Asserts a v1 node's code and sub_code.
pub fn assert_codes(node: &Value, code: &str, sub_code: &str) {
    assert_eq!(node["code"], code, "{node}");
    assert_eq!(node["sub_code"], sub_code, "{node}");
}

// ---------------------------------------------------------------------------------------
// v3 client
// ---------------------------------------------------------------------------------------

/// A v3 call under construction.
#[derive(Clone)]
pub struct V3 {
    pub method: &'static str,
    pub target: String,
    pub body: String,
    pub app_id: String,
    pub app_cert_sn: Option<String>,
    pub nonce: String,
    pub timestamp_ms: i64,
    pub token: Option<String>,
    pub key: PrivateKey,
    pub encrypt: bool,
    pub headers: Vec<(String, String)>,
    /// Replaces the body after signing.
    pub tampered_body: Option<String>,
    /// Sends to another path/query than the signed one.
    pub tampered_target: Option<String>,
    pub no_authorization: bool,
}

impl V3 {
    pub fn post(path: &str, body: &str) -> V3 {
        V3::new("POST", path.to_owned(), body.to_owned())
    }

    pub fn put(path: &str, body: &str) -> V3 {
        V3::new("PUT", path.to_owned(), body.to_owned())
    }

    pub fn get(path_and_query: &str) -> V3 {
        V3::new("GET", path_and_query.to_owned(), String::new())
    }

    fn new(method: &'static str, target: String, body: String) -> V3 {
        V3 {
            method,
            target,
            body,
            app_id: APP_ID.to_owned(),
            app_cert_sn: None,
            nonce: uuid::Uuid::new_v4().to_string(),
            timestamp_ms: to_epoch_millis(&now_alipay()),
            token: None,
            key: keys().app.clone(),
            encrypt: false,
            headers: Vec::new(),
            tampered_body: None,
            tampered_target: None,
            no_authorization: false,
        }
    }

    pub fn sent_body(&self) -> String {
        if self.encrypt {
            keys().aes.encrypt(self.body.as_bytes())
        } else {
            self.body.clone()
        }
    }

    pub async fn send(&self, server: &TestServer) -> V3Reply {
        let body = self.sent_body();
        let fields = AuthString {
            app_id: self.app_id.clone(),
            app_cert_sn: self.app_cert_sn.clone(),
            nonce: self.nonce.clone(),
            timestamp: self.timestamp_ms.to_string(),
            extra: Vec::new(),
        };
        let auth = Authorization::sign(
            &self.key,
            fields,
            self.method,
            &self.target,
            &body,
            self.token.as_deref(),
        )
        .unwrap();
        let url = format!(
            "{}{}",
            server.base,
            self.tampered_target.as_deref().unwrap_or(&self.target)
        );
        let mut req = match self.method {
            "GET" => client().get(&url),
            "PUT" => client().put(&url),
            _ => client().post(&url),
        };
        if !self.no_authorization {
            req = req.header("authorization", auth.header_value());
        }
        req = req.header(
            "content-type",
            if self.encrypt {
                "text/plain"
            } else {
                "application/json"
            },
        );
        if let Some(t) = &self.token {
            req = req.header(v3::HEADER_APP_AUTH_TOKEN, t);
        }
        if self.encrypt {
            req = req.header(v3::HEADER_ENCRYPT_TYPE, "AES");
        }
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let body = self.tampered_body.clone().unwrap_or(body);
        let resp = req.body(body).send().await.unwrap();
        V3Reply::from_response(resp).await
    }
}

pub struct V3Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl V3Reply {
    pub async fn from_response(resp: reqwest::Response) -> V3Reply {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.unwrap();
        V3Reply {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Checks the response signature headers (and `alipay-sn` when expected).
    pub fn verify_signature(&self, expected_sn: Option<&str>) {
        v3::verify_response(
            &keys().platform_public,
            self.header(v3::HEADER_TIMESTAMP),
            self.header(v3::HEADER_NONCE),
            self.header(v3::HEADER_SIGNATURE),
            self.header(v3::HEADER_SN),
            expected_sn,
            &self.body,
        )
        .unwrap_or_else(|e| {
            panic!(
                "v3 response does not verify ({e}): {} {}",
                self.status, self.body
            )
        });
        assert!(self
            .header(v3::HEADER_TRACE_ID)
            .is_some_and(|t| !t.is_empty()));
    }

    /// Verifies and parses a JSON body.
    pub fn json(&self) -> Value {
        self.verify_signature(None);
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// Asserts a signed v3 error with this status and code; returns the message.
    pub fn assert_error(&self, status: u16, code: &str) -> String {
        let v = self.json();
        assert_eq!(
            (self.status, v["code"].as_str().unwrap_or("")),
            (status, code),
            "{}",
            self.body
        );
        let links = v["links"].as_array().expect("links array");
        assert_eq!(links.len(), 1, "{}", self.body);
        let trace = self.header(v3::HEADER_TRACE_ID).unwrap();
        assert!(
            links[0]["link"].as_str().unwrap().ends_with(trace),
            "{}",
            self.body
        );
        assert_eq!(links[0]["desc"], "解决方案");
        v["message"].as_str().unwrap().to_owned()
    }
}

// ---------------------------------------------------------------------------------------
// Payloads
// ---------------------------------------------------------------------------------------

pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

/// A decoupled AMOUNT payment of 3.57 with an 8.75 discount.
pub fn cumulation_body(agreement_no: &str, partner_id: &str, out_biz_no: &str) -> String {
    serde_json::json!({
        "agreement_no": agreement_no,
        "user_id": USER_ID,
        "partner_id": partner_id,
        "out_biz_no": out_biz_no,
        "biz_action": "ORDER_PAID",
        "biz_time": "2024-05-20 10:00:00",
        "cumulate_data_type": "AMOUNT",
        "request_from": "ExternalMerchantSource",
        "amount_type_data": {
            "name": "累计消费",
            "trade_info": {"trade_no": "2020081722001435461000061785", "amount": "3.57"},
            "out_discount_infos": [{"discount_name": "滴滴打车优惠001", "discount_type": "exclusiveBenefit", "discount_amount": "8.75"}]
        }
    })
    .to_string()
}

/// A state sync that starts an instance in CONTRACT_STATE_WATCH_MOVIE_BUY.
pub fn state_sync_body(out_biz_no: &str, biz_data: &str) -> String {
    serde_json::json!({
        "user_id": USER_ID,
        "out_biz_no": out_biz_no,
        "out_principal_id": unique("movie"),
        "biz_state_code": "CONTRACT_STATE_WATCH_MOVIE_BUY",
        "category_code": "WATCH_MOVIE",
        "service_id": SERVICE_ID,
        "biz_data": biz_data,
    })
    .to_string()
}

/// A `template.create` body for `partner_id` (ABSOLATE_DATE, 3 days, 5.00 frozen).
pub fn template_create_body(partner_id: &str, out_biz_no: &str) -> String {
    serde_json::json!({
        "basic_config": {"partner_id": partner_id, "out_biz_no": out_biz_no, "template_name": "月卡"},
        "obligation_config": {"obligation_times": "4", "obligation_amount": "20.00"},
        "open_config": {"period_mode": "ABSOLATE_DATE", "period_time": "3", "freeze_amount": "5.00"}
    })
    .to_string()
}

/// A `preorder.create` body for `USER_ID` under `template_id`.
pub fn preorder_body(partner_id: &str, template_id: &str, out_request_no: &str) -> String {
    serde_json::json!({
        "partner_id": partner_id, "template_id": template_id, "out_request_no": out_request_no,
        "alipay_user_id": USER_ID, "timeout_express": "15m"
    })
    .to_string()
}

/// The official Python SDK's `page_execute(request, http_method="GET")` for `method` against
/// `server` (interop/py_sdk.py `page-execute`; runs interop/setup.sh first, a no-op once set up).
pub fn py_page_execute(
    server: &TestServer,
    method: &str,
    biz_content: &Value,
    return_url: Option<&str>,
) -> String {
    let interop = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop");
    let setup = std::process::Command::new("bash")
        .arg(interop.join("setup.sh"))
        .output()
        .unwrap();
    assert!(
        setup.status.success(),
        "interop/setup.sh failed: {}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let input = serde_json::json!({
        "private_key": keys().app_private_pem,
        "app_id": APP_ID,
        "server_url": format!("{}/gateway.do", server.base),
        "method": method,
        "biz_content": biz_content,
        "return_url": return_url,
    });
    let mut child = std::process::Command::new(interop.join(".venv/bin/python"))
        .arg(interop.join("py_sdk.py"))
        .arg("page-execute")
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
        "py_sdk.py page-execute: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["url"].as_str().expect("url").to_owned()
}
