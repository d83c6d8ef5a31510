//! Harness shared by the end-to-end suites (`sdk_interop`, `exactly_once`, `crash_safety`,
//! `new_user`). Everything here talks to a real `zhima serve` child process:
//!
//! * [`Sandbox`]: a tempdir with a `zhima.toml` (PRODUCT §9) and freshly generated keys;
//! * [`Server`]: `zhima serve --config … --listen 127.0.0.1:0`, killed on drop;
//! * [`Sdk`] / [`Channel`]: the official SDK drivers of `interop/` (Python v1, Node v1 and v3);
//! * [`V1`]: a fast v1 client built on zhima-proto (signs, sends, verifies);
//! * [`Ledger`]: `cumulate.query` read back in full, with "totals == sum of events".
#![allow(dead_code)] // each test binary uses a different part of the harness

#[path = "../../../zhima-server/tests/storage_support/pg.rs"]
pub mod pg;

pub mod browser;
pub mod lifecycle;

pub use pg::Backend;

use std::ffi::OsStr;
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use zhima_proto::aes::AesKey;
use zhima_proto::catalog::CumulationCode;
use zhima_proto::keys::{PrivateKey, PublicKey};
use zhima_proto::money::Fen;
use zhima_proto::time::{format_alipay_datetime, now_alipay};
use zhima_proto::v1::{build_request, verify_response, Charset, GatewayParams, SdkLayout};
use zhima_proto::SignType;

// ---------------------------------------------------------------------------------------
// Identities declared in every sandbox
// ---------------------------------------------------------------------------------------

/// The app every test signs as (RSA2 and RSA, AES key configured).
pub const APP_ID: &str = "2021000000000001";
/// Its merchant.
pub const PARTNER_ID: &str = "2088621805983504";
/// A second app (another merchant, RSA2 only) that owns [`OTHER_SERVICE_ID`].
pub const OTHER_APP_ID: &str = "2021000000000002";
/// The second app's merchant.
pub const OTHER_PARTNER_ID: &str = "2088621805983888";
/// An app auth token: [`APP_ID`] acting for [`TOKEN_PARTNER_ID`].
pub const TOKEN: &str = "202405BBtestAppAuthToken0000000000000001";
/// The same, expired in 2020.
pub const EXPIRED_TOKEN: &str = "202405BBtestAppAuthToken0000000000000002";
/// A token nobody issued.
pub const UNKNOWN_TOKEN: &str = "202405BBtestAppAuthToken0000000000000099";
/// The merchant the tokens act for.
pub const TOKEN_PARTNER_ID: &str = "2088621805983999";
/// The user of every agreement.
pub const USER_ID: &str = "2088602002015001";
/// Another (valid) user id.
pub const OTHER_USER_ID: &str = "2088602002015002";
/// The state-sync service open to [`APP_ID`].
pub const SERVICE_ID: &str = "2019080700000000000001800100";
/// A service open only to [`OTHER_APP_ID`].
pub const OTHER_SERVICE_ID: &str = "2019080700000000000001800200";
/// The category of both services.
pub const CATEGORY: &str = "WATCH_MOVIE";
/// Initial state; its biz_data schema requires `orderNo` (string) and allows `buyCnt` ≥ 1.
pub const BUY: &str = "CONTRACT_STATE_WATCH_MOVIE_BUY";
/// Terminal state after [`BUY`].
pub const WATCHED: &str = "CONTRACT_STATE_WATCH_MOVIE_WATCHED";
/// The other terminal state after [`BUY`].
pub const REFUNDED: &str = "CONTRACT_STATE_WATCH_MOVIE_REFUND";
/// A known Alipay trade: buyer [`USER_ID`], seller [`PARTNER_ID`].
pub const TRADE_NO: &str = "2020081722001435461000061785";
/// A known trade whose buyer is [`OTHER_USER_ID`].
pub const TRADE_OTHER_BUYER: &str = "2020081722001435461000061786";
/// A known trade whose seller is [`OTHER_PARTNER_ID`].
pub const TRADE_OTHER_SELLER: &str = "2020081722001435461000061787";
/// A trade number the sandbox does not know.
pub const TRADE_UNKNOWN: &str = "2020081722001435461000069999";

/// v1 method names.
pub const STATE_SYNC: &str = "zhima.data.state.data.sync";
/// v1 cumulation sync.
pub const CUMULATION_SYNC: &str = "zhima.credit.pe.zmgo.cumulation.sync";
/// v1 cumulate query.
pub const CUMULATE_QUERY: &str = "zhima.merchant.zmgo.cumulate.query";
/// v3 cumulation sync path.
pub const V3_SYNC_PATH: &str = "/v3/zhima/credit/pe/zmgo/cumulation/sync";
/// v3 cumulate query path.
pub const V3_QUERY_PATH: &str = "/v3/zhima/merchant/zmgo/cumulate/query";

/// The agreements declared per lane (a lane is a test's private set of agreements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// DECOUPLED template, [`PARTNER_ID`], status Y.
    Decoupled,
    /// BOUND template, [`PARTNER_ID`], status Y.
    Bound,
    /// DECOUPLED template, owned by [`TOKEN_PARTNER_ID`], status Y.
    Token,
    /// DECOUPLED template, [`PARTNER_ID`], status N (invalid).
    Invalid,
}

const KINDS: [Kind; 4] = [Kind::Decoupled, Kind::Bound, Kind::Token, Kind::Invalid];

/// The agreement number of `kind` in `lane`.
pub fn agreement(lane: &str, kind: Kind) -> String {
    let suffix = match kind {
        Kind::Decoupled => "D",
        Kind::Bound => "B",
        Kind::Token => "T",
        Kind::Invalid => "N",
    };
    format!("AG-{lane}-{suffix}")
}

// ---------------------------------------------------------------------------------------
// Sandbox: config file and keys
// ---------------------------------------------------------------------------------------

/// A tempdir holding `zhima.toml`, its key files and the data dir, and on PostgreSQL a fresh
/// database (dropped with the sandbox) that every server of the sandbox shares.
pub struct Sandbox {
    /// `Some` on PostgreSQL: servers get `--database-url` of it.
    pub database: Option<pg::PgDatabase>,
    /// The directory (deleted on drop).
    pub dir: tempfile::TempDir,
    /// `zhima.toml`.
    pub config: PathBuf,
    /// [`APP_ID`]'s private key.
    pub app_key: PrivateKey,
    /// The platform's private key (signs responses).
    pub platform_key: PrivateKey,
    /// [`APP_ID`]'s AES content key.
    pub aes: AesKey,
}

impl Sandbox {
    /// Writes a fresh SQLite sandbox declaring every [`Kind`] of agreement for each lane.
    pub fn new(lanes: &[&str]) -> Sandbox {
        Sandbox::on(Backend::Sqlite, lanes)
    }

    /// [`Sandbox::new`] on `backend`.
    pub fn on(backend: Backend, lanes: &[&str]) -> Sandbox {
        let dir = tempfile::tempdir().expect("tempdir");
        let gen = || PrivateKey::generate().expect("generate RSA key");
        let (app_key, platform_key, other_key) = (gen(), gen(), gen());
        let aes = AesKey::generate();
        let keys = dir.path().join("keys");
        std::fs::create_dir_all(&keys).expect("mkdir keys");
        // Several encodings on purpose: the loader must take PKCS#8, SPKI PEM and bare base64.
        let write =
            |name: &str, text: String| std::fs::write(keys.join(name), text).expect("write key");
        write("platform_private.pem", platform_key.to_pkcs8_pem());
        write("app_public.pem", app_key.public_key().to_spki_pem());
        write(
            "other_app_public.txt",
            other_key.public_key().to_spki_base64(),
        );
        let config = dir.path().join("zhima.toml");
        std::fs::write(&config, config_text(lanes, &aes)).expect("write zhima.toml");
        Sandbox {
            database: (backend == Backend::Postgres).then(pg::PgDatabase::create),
            dir,
            config,
            app_key,
            platform_key,
            aes,
        }
    }

    /// The platform public key as SPKI PEM (what SDKs call the "alipay public key").
    pub fn platform_public_pem(&self) -> String {
        self.platform_key.public_key().to_spki_pem()
    }
}

fn config_text(lanes: &[&str], aes: &AesKey) -> String {
    let mut out = format!(
        r#"[server]
data_dir = "data"
clock_skew_secs = 900

[platform]
private_key_file = "keys/platform_private.pem"

[[apps]]
app_id = "{APP_ID}"
partner_id = "{PARTNER_ID}"
public_key_file = "keys/app_public.pem"
encrypt_key = "{aes}"
sign_types = ["RSA2", "RSA"]

[[apps]]
app_id = "{OTHER_APP_ID}"
partner_id = "{OTHER_PARTNER_ID}"
public_key_file = "keys/other_app_public.txt"
sign_types = ["RSA2"]

[[app_auth_tokens]]
token = "{TOKEN}"
app_id = "{APP_ID}"
partner_id = "{TOKEN_PARTNER_ID}"
expires_at = "2099-01-01 00:00:00"

[[app_auth_tokens]]
token = "{EXPIRED_TOKEN}"
app_id = "{APP_ID}"
partner_id = "{TOKEN_PARTNER_ID}"
expires_at = "2020-01-01 00:00:00"

[[zmgo.templates]]
template_no = "ZMGO_D"
mode = "DECOUPLED"
obligation_times = 5
obligation_amount = "100.00"
settle_check = true
settle_tolerance = "0.00"

[[zmgo.templates]]
template_no = "ZMGO_B"
mode = "BOUND"
obligation_times = 3
"#,
        aes = aes.to_base64()
    );
    for lane in lanes {
        for kind in KINDS {
            let (template, partner, status) = match kind {
                Kind::Decoupled => ("ZMGO_D", PARTNER_ID, "Y"),
                Kind::Bound => ("ZMGO_B", PARTNER_ID, "Y"),
                Kind::Token => ("ZMGO_D", TOKEN_PARTNER_ID, "Y"),
                Kind::Invalid => ("ZMGO_D", PARTNER_ID, "N"),
            };
            out.push_str(&format!(
                r#"
[[zmgo.agreements]]
agreement_no = "{no}"
template_no = "{template}"
user_id = "{USER_ID}"
partner_id = "{partner}"
status = "{status}"
start_time = "2024-01-01 00:00:00"
end_time = "2030-12-31 23:59:59"
"#,
                no = agreement(lane, kind)
            ));
        }
    }
    for (trade, buyer, seller) in [
        (TRADE_NO, USER_ID, PARTNER_ID),
        (TRADE_OTHER_BUYER, OTHER_USER_ID, PARTNER_ID),
        (TRADE_OTHER_SELLER, USER_ID, OTHER_PARTNER_ID),
    ] {
        out.push_str(&format!(
            r#"
[[zmgo.trades]]
trade_no = "{trade}"
buyer_user_id = "{buyer}"
seller_partner_id = "{seller}"
amount = "3.57"
"#
        ));
    }
    for (service, app) in [(SERVICE_ID, APP_ID), (OTHER_SERVICE_ID, OTHER_APP_ID)] {
        out.push_str(&format!(
            r#"
[[state_sync.services]]
service_id = "{service}"
app_ids = ["{app}"]

[[state_sync.services.categories]]
code = "{CATEGORY}"
name = "观影约定"

[[state_sync.services.categories.states]]
code = "{BUY}"
name = "已购票"
initial = true
next = ["{WATCHED}", "{REFUNDED}"]
biz_data_schema = '{{"type":"object","required":["orderNo"],"properties":{{"orderNo":{{"type":"string"}},"buyCnt":{{"type":"integer","minimum":1}}}}}}'

[[state_sync.services.categories.states]]
code = "{WATCHED}"
name = "已观影"
terminal = true

[[state_sync.services.categories.states]]
code = "{REFUNDED}"
terminal = true
"#
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------
// The server process
// ---------------------------------------------------------------------------------------

/// The `zhima` binary under test.
pub fn zhima_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_zhima"))
}

/// A running `zhima serve`; SIGKILLed on drop.
pub struct Server {
    child: Child,
    /// `http://HOST:PORT`, from the "listening on" line.
    pub base_url: String,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: tempfile::NamedTempFile,
}

/// How long a cold start may take on a busy 2-core machine.
const START_TIMEOUT: Duration = Duration::from_secs(60);

impl Server {
    /// `zhima serve --config <sandbox>/zhima.toml --listen 127.0.0.1:0`.
    pub fn start(sandbox: &Sandbox) -> Server {
        Server::start_logging(sandbox, "warn")
    }

    /// [`Server::start`] with `RUST_LOG=<filter>`.
    pub fn start_logging(sandbox: &Sandbox, filter: &str) -> Server {
        let config = sandbox.config.as_os_str();
        let mut args = vec![
            OsStr::new("serve"),
            OsStr::new("--config"),
            config,
            OsStr::new("--listen"),
            OsStr::new("127.0.0.1:0"),
        ];
        if let Some(db) = &sandbox.database {
            args.extend([OsStr::new("--database-url"), OsStr::new(&db.url)]);
        }
        Server::spawn_logging(&args, sandbox.dir.path(), filter)
    }

    /// Runs `zhima ARGS` in `cwd` and waits for `listening on http://HOST:PORT` on stdout.
    pub fn spawn(args: &[&OsStr], cwd: &Path) -> Server {
        Server::spawn_logging(args, cwd, "warn")
    }

    /// [`Server::spawn`] with `RUST_LOG=<filter>`.
    pub fn spawn_logging(args: &[&OsStr], cwd: &Path, filter: &str) -> Server {
        let stderr = tempfile::NamedTempFile::new().expect("stderr log file");
        let mut child = Command::new(zhima_bin())
            .args(args)
            .current_dir(cwd)
            .env("RUST_LOG", filter)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr.reopen().expect("reopen stderr log"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", zhima_bin().display()));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let pipe = child.stdout.take().expect("piped stdout");
        let sink = Arc::clone(&stdout);
        // Drain stdout for the process's whole life so it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let mut server = Server {
            child,
            base_url: String::new(),
            stdout,
            stderr,
        };
        server.base_url = server.wait_listening(args);
        server
    }

    fn wait_listening(&mut self, args: &[&OsStr]) -> String {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(url) = self.stdout_lines().iter().find_map(|l| listening_url(l)) {
                return url;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // Give the drain thread a moment to collect the last lines.
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "`zhima {}` exited with {status} before printing `listening on http://HOST:PORT` \
                     (PRODUCT §10)\n--- stdout ---\n{}\n--- stderr ---\n{}",
                    show_args(args),
                    self.stdout_text(),
                    self.stderr_text()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "`zhima {}` printed no `listening on http://HOST:PORT` within {START_TIMEOUT:?} \
                     (PRODUCT §10)\n--- stdout ---\n{}\n--- stderr ---\n{}",
                    show_args(args),
                    self.stdout_text(),
                    self.stderr_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The v1 gateway URL.
    pub fn gateway_url(&self) -> String {
        format!("{}/gateway.do", self.base_url)
    }

    /// Lines printed on stdout so far.
    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    /// Everything printed on stdout so far.
    pub fn stdout_text(&self) -> String {
        self.stdout_lines().join("\n")
    }

    /// Everything logged on stderr so far.
    pub fn stderr_text(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = self.stderr.reopen() {
            let _ = f.read_to_string(&mut text);
        }
        text
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL (no graceful shutdown) and reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn listening_url(line: &str) -> Option<String> {
    let rest = &line[line.find("listening on http://")? + "listening on ".len()..];
    let url = rest.split_whitespace().next()?;
    Some(url.trim_end_matches('/').to_string())
}

fn show_args(args: &[&OsStr]) -> String {
    args.iter()
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------
// Official SDK drivers
// ---------------------------------------------------------------------------------------

/// `interop/` at the workspace root.
pub fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop")
}

/// Checks python3 and node, then runs `interop/setup.sh` once per test binary. FAILS (never
/// skips) with a message naming what is missing.
pub fn ensure_sdks() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        for (tool, what) in [("python3", "alipay-sdk-python"), ("node", "alipay-sdk (Node)")] {
            let found = Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
            if !found {
                return Err(format!(
                    "`{tool}` is not installed or not on PATH: the official-SDK interop tests drive {what} \
                     with it and cannot run without it (install {tool}, then rerun)"
                ));
            }
        }
        let script = interop_dir().join("setup.sh");
        let out = Command::new("bash")
            .arg(&script)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} failed ({}): the official SDKs are required by this test.\n{}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    if let Err(msg) = ready {
        panic!("{msg}");
    }
}

/// One of the official SDKs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sdk {
    /// alipay-sdk-python 3.7.1411.
    Py,
    /// alipay-sdk (Node) 4.14.0.
    Node,
}

/// How long one driver run may take.
const DRIVER_TIMEOUT: Duration = Duration::from_secs(60);

impl Sdk {
    /// Runs one driver op with a JSON input; asserts the op ran (exit 0) and returns its output.
    pub async fn run(self, op: &str, input: &Value) -> Value {
        self.run_text(op, input.to_string()).await
    }

    /// Like [`Sdk::run`] with the input as text (to control key order inside it).
    pub async fn run_text(self, op: &str, input: String) -> Value {
        use tokio::io::AsyncWriteExt as _;
        ensure_sdks();
        let dir = interop_dir();
        let mut cmd = match self {
            Sdk::Py => {
                let mut c = tokio::process::Command::new(dir.join(".venv/bin/python"));
                c.arg(dir.join("py_sdk.py"));
                c
            }
            Sdk::Node => {
                let mut c = tokio::process::Command::new("node");
                c.arg(dir.join("node_sdk.mjs"));
                c
            }
        };
        let mut child = cmd
            .arg(op)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the {self:?} driver: {e}"));
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin
            .write_all(input.as_bytes())
            .await
            .expect("write driver input");
        drop(stdin);
        let out = tokio::time::timeout(DRIVER_TIMEOUT, child.wait_with_output())
            .await
            .unwrap_or_else(|_| {
                panic!("{self:?} {op} did not finish within {DRIVER_TIMEOUT:?}; input: {input}")
            })
            .expect("driver output");
        let code = out.status.code().unwrap_or(-1);
        let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{self:?} {op}: output is not JSON ({e}); exit {code}\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(
            code, 0,
            "{self:?} {op} exited {code}: {json}\ninput: {input}"
        );
        json
    }

    /// The private key text a user of this SDK configures (PKCS#1 for Python, PKCS#8 for Node).
    pub fn private_key(self, key: &PrivateKey) -> String {
        match self {
            Sdk::Py => key.to_pkcs1_pem(),
            Sdk::Node => key.to_pkcs8_pem(),
        }
    }
}

/// How a test reaches the server through an official SDK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Python `execute()` on `/gateway.do`.
    PyV1,
    /// Node `exec(…, {validateSign: true})` on `/gateway.do`.
    NodeV1,
    /// Node `curl()` on the v3 REST paths.
    NodeV3,
}

impl Channel {
    /// The SDK behind this channel.
    pub fn sdk(self) -> Sdk {
        match self {
            Channel::PyV1 => Sdk::Py,
            Channel::NodeV1 | Channel::NodeV3 => Sdk::Node,
        }
    }

    /// A short name, used as lane and `out_biz_no` prefix.
    pub fn lane(self) -> &'static str {
        match self {
            Channel::PyV1 => "py",
            Channel::NodeV1 => "node",
            Channel::NodeV3 => "v3",
        }
    }

    /// The driver input of a request: v1 `method` + `biz_content`, or (v3) a POST of `biz` to
    /// the v3 path of `method`. Tests tweak the result (sign_type, charset, tokens, keys).
    pub fn input(self, sandbox: &Sandbox, server: &Server, method: &str, biz: &Value) -> Value {
        let mut input = json!({
            "app_id": APP_ID,
            "private_key": self.sdk().private_key(&sandbox.app_key),
            "platform_public_key": sandbox.platform_public_pem(),
        });
        match self {
            Channel::PyV1 | Channel::NodeV1 => {
                input["base_url"] = json!(server.gateway_url());
                input["method"] = json!(method);
                input["sign_type"] = json!("RSA2");
                input["biz_content"] = biz.clone();
            }
            Channel::NodeV3 => {
                input["base_url"] = json!(server.base_url);
                let route = v3_route(method);
                input["http_method"] = json!(route.method.as_str());
                input["path"] = json!(route.path);
                if route.method.has_body() {
                    input["body"] = biz.clone();
                } else {
                    input["query"] = query_strings(biz);
                }
            }
        }
        input
    }

    /// Sends a prepared input and normalises the SDK's answer.
    pub async fn send(self, input: &Value) -> Outcome {
        match self {
            Channel::PyV1 | Channel::NodeV1 => {
                Outcome::from_v1(&self.sdk().run("call-v1", input).await)
            }
            Channel::NodeV3 => Outcome::from_v3(&Sdk::Node.run("call-v3", input).await),
        }
    }

    /// `input` + `send` with the defaults.
    pub async fn call(
        self,
        sandbox: &Sandbox,
        server: &Server,
        method: &str,
        biz: &Value,
    ) -> Outcome {
        self.send(&self.input(sandbox, server, method, biz)).await
    }
}

/// The v3 route (HTTP method and path) of a v1 `method`, from zhima-proto's API table.
#[track_caller]
pub fn v3_route(method: &str) -> zhima_proto::models::V3Route {
    zhima_proto::models::Api::from_v1_method(method)
        .and_then(|api| api.v3_route())
        .unwrap_or_else(|| panic!("{method} has no v3 route (PRODUCT §11)"))
}

/// v3 query parameters are strings.
fn query_strings(biz: &Value) -> Value {
    let map = biz.as_object().expect("query model is an object");
    Value::Object(
        map.iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    json!(v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
                )
            })
            .collect(),
    )
}

/// An SDK's (or [`V1`]'s) verified answer, normalised across v1 and v3.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// v1 `code 10000` / v3 2xx: the response node or body.
    Success(Value),
    /// A failure the SDK parsed: v1 `code` + `sub_code`, or v3 HTTP status + `code`.
    Failure {
        /// v1 `code` (e.g. `40004`) or v3 HTTP status (e.g. `400`).
        status: String,
        /// v1 `sub_code` or v3 `code`.
        code: String,
        /// The whole answer, for messages.
        raw: Value,
    },
    /// The SDK itself refused or failed (transport, signature check, parse).
    SdkError(String),
}

impl Outcome {
    /// From a `call-v1` driver output (`{ok, parsed}` / `{ok:false, error}`).
    pub fn from_v1(out: &Value) -> Outcome {
        if out["ok"] != true {
            return Outcome::SdkError(out.to_string());
        }
        Outcome::from_v1_node(out["parsed"].clone())
    }

    /// From a verified v1 response node.
    pub fn from_v1_node(node: Value) -> Outcome {
        let code = node["code"].as_str().unwrap_or_default().to_string();
        if code == "10000" {
            return Outcome::Success(node);
        }
        Outcome::Failure {
            status: code,
            code: node["sub_code"].as_str().unwrap_or_default().to_string(),
            raw: node,
        }
    }

    /// From a `call-v3` driver output.
    pub fn from_v3(out: &Value) -> Outcome {
        if out["ok"] == true {
            return Outcome::Success(out["data"].clone());
        }
        match (
            out["error_code"].as_str(),
            out["response_http_status"].as_u64(),
        ) {
            (Some(code), Some(status)) if status >= 400 => Outcome::Failure {
                status: status.to_string(),
                code: code.to_string(),
                raw: out.clone(),
            },
            _ => Outcome::SdkError(out.to_string()),
        }
    }

    /// The success body, or a panic naming `what`.
    #[track_caller]
    pub fn success(&self, what: &str) -> &Value {
        match self {
            Outcome::Success(v) => v,
            other => panic!("{what}: expected success, got {other:?}"),
        }
    }

    /// Asserts a Zhima GO business failure: v1 `40004 Business Failed` + `sub_code`, or v3
    /// `code` with the catalogue's HTTP status.
    #[track_caller]
    pub fn assert_cumulation_code(&self, code: &str, what: &str) {
        let known: CumulationCode = code
            .parse()
            .unwrap_or_else(|_| panic!("{code} is not a cumulation code"));
        match self {
            Outcome::Failure {
                status,
                code: got,
                raw,
            } if got == code => {
                let v1_ok = status == "40004" && raw["msg"] == "Business Failed";
                let v3_ok = *status == known.http_status().to_string();
                assert!(v1_ok || v3_ok, "{what}: {code} came with status {status} (v1 wants 40004 Business Failed, v3 HTTP {}): {raw}", known.http_status());
            }
            other => panic!("{what}: expected {code}, got {other:?}"),
        }
    }

    /// Asserts a v1 state-sync business failure (40004 Business Failed + `sub_code`).
    #[track_caller]
    pub fn assert_v1_code(&self, status: &str, sub_code: &str, what: &str) {
        match self {
            Outcome::Failure {
                status: s, code, ..
            } if s == status && code == sub_code => {}
            other => panic!("{what}: expected {status} / {sub_code}, got {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Fast v1 client on zhima-proto
// ---------------------------------------------------------------------------------------

/// Why a [`V1`] call produced no verified answer.
#[derive(Debug, Clone)]
pub enum CallError {
    /// Nothing (complete) came back: connection refused/reset, timeout.
    Transport(String),
    /// Something came back but is not a valid signed response.
    Protocol(String),
}

/// A v1 gateway client: signs with zhima-proto (Python SDK layout), verifies every response.
#[derive(Clone)]
pub struct V1 {
    http: reqwest::Client,
    gateway: String,
    app_key: PrivateKey,
    platform: PublicKey,
    /// `RSA2` by default.
    pub sign_type: SignType,
    /// Encrypt `biz_content` (and expect an encrypted answer) with this key.
    pub aes: Option<AesKey>,
    /// Sent as `app_auth_token`.
    pub app_auth_token: Option<String>,
}

impl V1 {
    /// A client for `server` with the sandbox's app and platform keys.
    pub fn new(sandbox: &Sandbox, server: &Server) -> V1 {
        V1 {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("HTTP client"),
            gateway: server.gateway_url(),
            app_key: sandbox.app_key.clone(),
            platform: sandbox.platform_key.public_key(),
            sign_type: SignType::Rsa2,
            aes: None,
            app_auth_token: None,
        }
    }

    /// Calls `method` with `biz_content` text; returns the verified response node.
    pub async fn call(&self, method: &str, biz_content: &str) -> Result<Value, CallError> {
        let text = self.send(method, biz_content).await?;
        let verified = verify_response(
            &text,
            method,
            &self.platform,
            self.sign_type,
            Charset::Utf8,
            self.aes.as_ref(),
        )
        .map_err(|e| {
            CallError::Protocol(format!("response rejected by zhima-proto ({e}): {text}"))
        })?;
        serde_json::from_str(&verified.node_json)
            .map_err(|e| CallError::Protocol(format!("{e}: {text}")))
    }

    /// Signs and sends; returns the raw body of the (HTTP 200) answer, unverified.
    pub async fn send(&self, method: &str, biz_content: &str) -> Result<String, CallError> {
        let biz = match &self.aes {
            Some(key) => key.encrypt(biz_content.as_bytes()),
            None => biz_content.to_string(),
        };
        let mut pairs = vec![
            ("app_id", APP_ID.to_string()),
            ("method", method.to_string()),
            ("charset", "utf-8".to_string()),
            ("format", "json".to_string()),
            ("sign_type", self.sign_type.as_str().to_string()),
            ("timestamp", format_alipay_datetime(&now_alipay())),
            ("version", "1.0".to_string()),
            ("biz_content", biz),
        ];
        if self.aes.is_some() {
            pairs.push(("encrypt_type", "AES".to_string()));
        }
        if let Some(token) = &self.app_auth_token {
            pairs.push(("app_auth_token", token.clone()));
        }
        let signed = build_request(
            &GatewayParams::from_pairs(pairs),
            &self.app_key,
            SdkLayout::Python,
        )
        .map_err(|e| CallError::Protocol(format!("cannot sign: {e}")))?;
        let response = self
            .http
            .post(format!("{}?{}", self.gateway, signed.query))
            .header(
                "content-type",
                "application/x-www-form-urlencoded;charset=utf-8",
            )
            .body(signed.body)
            .send()
            .await
            .map_err(|e| CallError::Transport(format!("{e:?}")))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| CallError::Transport(format!("{e:?}")))?;
        if status != reqwest::StatusCode::OK {
            return Err(CallError::Protocol(format!(
                "v1 answered HTTP {status} (must be 200): {text}"
            )));
        }
        Ok(text)
    }

    /// [`V1::call`] with a JSON body, normalised; a missing answer panics.
    pub async fn outcome(&self, method: &str, biz: &Value) -> Outcome {
        match self.call(method, &biz.to_string()).await {
            Ok(node) => Outcome::from_v1_node(node),
            Err(e) => panic!("{method} {biz}: no verified answer: {e:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------------------

/// Fen as a wire yuan string.
pub fn yuan(fen: i64) -> String {
    Fen(fen).to_yuan_string()
}

/// The fields every cumulation sync has.
fn cumulation_base(
    agreement: &str,
    out_biz_no: &str,
    action: &str,
    data_type: &str,
    biz_time: &str,
) -> Value {
    json!({
        "agreement_no": agreement,
        "user_id": USER_ID,
        "partner_id": PARTNER_ID,
        "out_biz_no": out_biz_no,
        "biz_action": action,
        "biz_time": biz_time,
        "cumulate_data_type": data_type,
        "request_from": "ExternalMerchantSource",
    })
}

/// `amount_type_data` with a trade and discounts `(type, name, fen)`.
pub fn amount_data(trade_no: &str, trade: i64, discounts: &[(&str, &str, i64)]) -> Value {
    let mut data =
        json!({"name": "累计消费", "trade_info": {"trade_no": trade_no, "amount": yuan(trade)}});
    if !discounts.is_empty() {
        data["out_discount_infos"] = discounts
            .iter()
            .map(|(t, n, fen)| json!({"discount_type": t, "discount_name": n, "discount_amount": yuan(*fen)}))
            .collect();
    }
    data
}

/// A DECOUPLED AMOUNT payment.
pub fn paid_amount(
    agreement: &str,
    out_biz_no: &str,
    trade: i64,
    discounts: &[(&str, &str, i64)],
    biz_time: &str,
) -> Value {
    let mut v = cumulation_base(agreement, out_biz_no, "ORDER_PAID", "AMOUNT", biz_time);
    v["amount_type_data"] = amount_data(&format!("T{out_biz_no}"), trade, discounts);
    v
}

/// A DECOUPLED TASK payment.
pub fn paid_task(agreement: &str, out_biz_no: &str, biz_time: &str) -> Value {
    let mut v = cumulation_base(agreement, out_biz_no, "ORDER_PAID", "TASK", biz_time);
    v["task_type_data"] = json!({"name": "打车1次"});
    v
}

/// A BOUND AMOUNT_TASK payment on `trade_no`.
pub fn paid_bound(
    agreement: &str,
    out_biz_no: &str,
    trade_no: &str,
    has_alipay_trade: bool,
    trade: i64,
    discounts: &[(&str, &str, i64)],
    biz_time: &str,
) -> Value {
    let mut v = cumulation_base(agreement, out_biz_no, "ORDER_PAID", "AMOUNT_TASK", biz_time);
    v["amount_type_data"] = amount_data(trade_no, trade, discounts);
    v["task_type_data"] = json!({"name": "用车任务"});
    if has_alipay_trade {
        v["has_alipay_trade"] = json!(true);
    }
    v
}

/// A refund of `payment` (same agreement, type and data blocks) with the given trade amount
/// and one amount per discount line of the payment.
pub fn refund_of(
    payment: &Value,
    out_biz_no: &str,
    trade: i64,
    discounts: &[i64],
    biz_time: &str,
) -> Value {
    let mut v = payment.clone();
    v["biz_action"] = json!("ORDER_REFUND");
    v["out_biz_no"] = json!(out_biz_no);
    v["pay_out_biz_no"] = payment["out_biz_no"].clone();
    v["biz_time"] = json!(biz_time);
    if v["amount_type_data"].is_object() {
        v["amount_type_data"]["trade_info"]["amount"] = json!(yuan(trade));
        if let Some(lines) = v["amount_type_data"]["out_discount_infos"].as_array_mut() {
            assert_eq!(
                lines.len(),
                discounts.len(),
                "one refund amount per discount line"
            );
            for (line, fen) in lines.iter_mut().zip(discounts) {
                line["discount_amount"] = json!(yuan(*fen));
            }
        }
    }
    v
}

/// A state sync in [`SERVICE_ID`] / [`CATEGORY`] for [`USER_ID`].
pub fn state_sync(out_biz_no: &str, principal: &str, state: &str, biz_data: &Value) -> Value {
    json!({
        "user_id": USER_ID,
        "out_biz_no": out_biz_no,
        "out_principal_id": principal,
        "biz_state_code": state,
        "category_code": CATEGORY,
        "service_id": SERVICE_ID,
        "biz_data": biz_data.to_string(),
    })
}

// ---------------------------------------------------------------------------------------
// Ledger read-back
// ---------------------------------------------------------------------------------------

/// The three totals `cumulate.query` reports, in fen / count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// `aggr_amount`.
    pub amount: i64,
    /// `aggr_discount_amount`.
    pub discount: i64,
    /// `aggr_times`.
    pub times: i64,
}

/// One `detail_list` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `out_biz_no`.
    pub out_biz_no: String,
    /// `refer_out_biz_no` (refunds).
    pub refer: Option<String>,
    /// `action_type == ORDER_REFUND`.
    pub refund: bool,
    /// `data_type`.
    pub data_type: String,
    /// `task_amount` in fen (0 when absent).
    pub trade: i64,
    /// `discount_amount` in fen (0 when absent).
    pub discount: i64,
    /// `task_times`.
    pub tasks: i64,
    /// `task_desc`.
    pub task_desc: Option<String>,
    /// `discount_desc`.
    pub discount_desc: Option<String>,
    /// `biz_time`.
    pub biz_time: String,
}

/// An agreement's totals and every one of its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledger {
    /// What the query reported.
    pub totals: Totals,
    /// All events, newest first.
    pub events: Vec<Event>,
}

impl Ledger {
    /// The totals recomputed from the events (PRODUCT §4: net amounts; `aggr_times` = payments
    /// minus those whose refunds sum to every quantity they paid).
    pub fn sums(&self) -> Totals {
        let sign = |e: &Event| if e.refund { -1 } else { 1 };
        let mut t = Totals {
            amount: self.events.iter().map(|e| sign(e) * e.trade).sum(),
            discount: self.events.iter().map(|e| sign(e) * e.discount).sum(),
            times: 0,
        };
        for p in self.events.iter().filter(|e| !e.refund) {
            let refunds: Vec<&Event> = self
                .events
                .iter()
                .filter(|r| r.refund && r.refer.as_deref() == Some(&p.out_biz_no))
                .collect();
            let full = !refunds.is_empty()
                && refunds.iter().map(|r| r.trade).sum::<i64>() == p.trade
                && refunds.iter().map(|r| r.discount).sum::<i64>() == p.discount
                && refunds.iter().map(|r| r.tasks).sum::<i64>() == p.tasks;
            t.times += i64::from(!full);
        }
        t
    }

    /// Asserts totals == sum over events and that no `out_biz_no` appears twice.
    #[track_caller]
    pub fn assert_consistent(&self, what: &str) {
        assert_eq!(
            self.totals,
            self.sums(),
            "{what}: reported totals differ from the sum of the {} events: {:#?}",
            self.events.len(),
            self.events
        );
        let mut seen = std::collections::HashSet::new();
        for e in &self.events {
            assert!(
                seen.insert(&e.out_biz_no),
                "{what}: out_biz_no {} appears twice in detail_list",
                e.out_biz_no
            );
        }
    }

    /// The event with this `out_biz_no`.
    pub fn event(&self, out_biz_no: &str) -> Option<&Event> {
        self.events.iter().find(|e| e.out_biz_no == out_biz_no)
    }
}

/// The `cumulate.query` body for one page.
pub fn query_body(agreement: &str, need_detail: bool, page_no: i64, page_size: i64) -> Value {
    json!({"agreement_id": agreement, "user_id": USER_ID, "need_detail": need_detail, "page_no": page_no, "page_size": page_size})
}

/// Parses the totals of a `cumulate.query` success node / v3 body.
#[track_caller]
pub fn totals_of(node: &Value) -> Totals {
    let fen = |k: &str| {
        let s = node[k]
            .as_str()
            .unwrap_or_else(|| panic!("cumulate.query: {k} is not a string: {node}"));
        Fen::parse_yuan(s)
            .unwrap_or_else(|e| panic!("cumulate.query: {k} {s:?}: {e}"))
            .0
    };
    let times = match &node["aggr_times"] {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    Totals {
        amount: fen("aggr_amount"),
        discount: fen("aggr_discount_amount"),
        times: times
            .unwrap_or_else(|| panic!("cumulate.query: aggr_times is not an integer: {node}")),
    }
}

#[track_caller]
fn event_of(d: &Value) -> Event {
    let text = |k: &str| d[k].as_str().map(str::to_owned);
    let fen = |k: &str| {
        text(k).map_or(0, |s| {
            Fen::parse_yuan(&s)
                .unwrap_or_else(|e| panic!("detail {k} {s:?}: {e}"))
                .0
        })
    };
    Event {
        out_biz_no: text("out_biz_no").unwrap_or_else(|| panic!("detail without out_biz_no: {d}")),
        refer: text("refer_out_biz_no"),
        refund: match text("action_type").as_deref() {
            Some("ORDER_PAID") => false,
            Some("ORDER_REFUND") => true,
            other => panic!("detail action_type {other:?}: {d}"),
        },
        data_type: text("data_type").unwrap_or_default(),
        trade: fen("task_amount"),
        discount: fen("discount_amount"),
        tasks: d["task_times"]
            .as_i64()
            .or_else(|| d["task_times"].as_str().and_then(|s| s.parse().ok()))
            .unwrap_or(0),
        task_desc: text("task_desc"),
        discount_desc: text("discount_desc"),
        biz_time: text("biz_time").unwrap_or_default(),
    }
}

/// Totals plus the newest event (page of one): changes whenever anything is appended.
pub async fn query_head(v1: &V1, agreement: &str) -> (Totals, Option<String>) {
    let node = v1
        .outcome(CUMULATE_QUERY, &query_body(agreement, true, 1, 1))
        .await;
    let node = node.success(&format!("cumulate.query {agreement}"));
    let newest = node["detail_list"]
        .as_array()
        .and_then(|l| l.first())
        .map(|d| event_of(d).out_biz_no);
    (totals_of(node), newest)
}

/// The whole ledger of `agreement`, every page of 100.
pub async fn query_ledger(v1: &V1, agreement: &str) -> Ledger {
    let mut events = Vec::new();
    let mut totals = None;
    for page in 1..=1000 {
        let out = v1
            .outcome(CUMULATE_QUERY, &query_body(agreement, true, page, 100))
            .await;
        let node = out.success(&format!("cumulate.query {agreement} page {page}"));
        let first = totals_of(node);
        // Every page must report the same totals (nothing else is writing meanwhile).
        assert_eq!(
            *totals.get_or_insert(first),
            first,
            "cumulate.query {agreement}: totals changed between pages"
        );
        let list = node["detail_list"].as_array().cloned().unwrap_or_default();
        events.extend(list.iter().map(event_of));
        if list.len() < 100 {
            return Ledger {
                totals: totals.unwrap_or_default(),
                events,
            };
        }
    }
    panic!("cumulate.query {agreement}: more than 1000 pages");
}

/// `yyyy-MM-dd HH:mm:ss` of 2024-06-01 10:00:00 + `minutes` (UTC+8 wall time).
pub fn biz_time(minutes: i64) -> String {
    let base = zhima_proto::time::parse_alipay_datetime("2024-06-01 10:00:00").expect("base time");
    format_alipay_datetime(&(base + chrono::Duration::minutes(minutes)))
}
