//! `zhima call`: send one signed v1 method or v3 request through the SDK (zhima-client) and
//! verify the response.
//!
//! ```text
//! zhima call zhima.data.state.data.sync --json '{…}'          # v1 method
//! zhima call POST /v3/zhima/credit/pe/zmgo/cumulation/sync --json @sync.json
//! zhima call GET '/v3/zhima/merchant/zmgo/cumulate/query?agreement_no=…'
//! zhima call /v3/zhima/credit/pe/zmgo/preorder/create --json @p.json   # PUT, from the routes
//! zhima call zhima.credit.pe.zmgo.sign.apply --json '{…}' --return-url https://…  # prints URL
//! zhima call --from-data-dir ./zhima-data zhima.data.state.data.sync - < body.json
//! ```
//!
//! stdout gets the response content (pretty JSON, for `jq`), stderr one line saying what was
//! verified. Exit codes: 0 verified success; 1 business refusal, response that fails
//! verification, or transport failure; 2 bad usage or configuration.
//!
//! The connection options ([`ConnArgs`]) are shared with `zhima replay`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use zhima_client::proto::keys::PublicKey;
use zhima_client::proto::models::Api;
use zhima_client::{ApiError, Endpoint, Error, Method, RequestStrategy, SignType, ZhimaClient};
use zhima_server::bootstrap::{demo, DEFAULT_CONFIG_FILE};
use zhima_server::config::Config;

use crate::commands::keys::{load_key_file, read_arg, read_input, AnyKey};
use crate::Failure;

/// Arguments of `zhima call`.
#[derive(clap::Args)]
pub struct Args {
    /// What to call: a v1 METHOD [BODY], or a v3 [HTTP_METHOD] PATH [BODY]. BODY (or --json)
    /// is JSON text, `@FILE`, or `-` for stdin.
    #[arg(required = true, num_args = 1..=3, value_name = "TARGET")]
    target: Vec<String>,
    /// The request content: JSON text, `@FILE`, or `-` for stdin (v1 biz_content, v3 body).
    #[arg(long, value_name = "JSON")]
    json: Option<String>,
    /// Attempts in all; retries resend the same content (same out_biz_no).
    #[arg(long, default_value_t = 1)]
    attempts: u32,
    /// For a page method (zhima.credit.pe.zmgo.sign.apply): where the browser goes afterwards.
    /// Page methods are not called: the signed URL is printed for the user's browser.
    #[arg(long, value_name = "URL")]
    return_url: Option<String>,
    #[command(flatten)]
    conn: ConnArgs,
}

/// Where and as whom to call: flags, `ZHIMA_*` environment variables, or a `zhima serve`
/// data directory.
#[derive(clap::Args)]
pub struct ConnArgs {
    /// A `zhima serve` data directory: take the app (the demo app unless --app-id), its
    /// private key, the platform key and the listen address from DIR/zhima.toml.
    #[arg(long, value_name = "DIR", env = "ZHIMA_DATA_DIR")]
    from_data_dir: Option<PathBuf>,
    /// Base URL: v1 goes to BASE/gateway.do, v3 to BASE/v3/….
    #[arg(long, alias = "url", env = "ZHIMA_BASE_URL")]
    base_url: Option<String>,
    /// The app_id.
    #[arg(long, env = "ZHIMA_APP_ID")]
    app_id: Option<String>,
    /// The app private key file (PKCS#1 or PKCS#8, PEM or bare base64).
    #[arg(long, alias = "key", env = "ZHIMA_APP_PRIVATE_KEY")]
    app_private_key: Option<PathBuf>,
    /// The platform (alipay) public key file, which verifies responses.
    #[arg(long, alias = "platform-key", env = "ZHIMA_PLATFORM_PUBLIC_KEY")]
    platform_public_key: Option<PathBuf>,
    /// Cert mode: the app public-key certificate (with --root-cert and --platform-cert).
    #[arg(long, env = "ZHIMA_APP_CERT", requires_all = ["root_cert", "platform_cert"])]
    app_cert: Option<PathBuf>,
    /// Cert mode: the platform root certificate bundle.
    #[arg(long, env = "ZHIMA_ROOT_CERT", requires = "app_cert")]
    root_cert: Option<PathBuf>,
    /// Cert mode: the platform public-key certificate.
    #[arg(long, env = "ZHIMA_PLATFORM_CERT", requires = "app_cert")]
    platform_cert: Option<PathBuf>,
    /// AES content-encryption key (base64); requests are then encrypted.
    #[arg(long, env = "ZHIMA_AES_KEY", hide_env_values = true)]
    aes_key: Option<String>,
    /// Act for a merchant with this app auth token.
    #[arg(long, env = "ZHIMA_APP_AUTH_TOKEN", hide_env_values = true)]
    app_auth_token: Option<String>,
    /// v1 sign_type: RSA2 (SHA256withRSA) or RSA (SHA1withRSA).
    #[arg(long, default_value = "RSA2", value_parser = parse_sign_type)]
    sign_type: SignType,
    /// Timeout of one attempt, in seconds.
    #[arg(long, default_value_t = 15)]
    timeout_secs: u64,
}

fn parse_sign_type(s: &str) -> Result<SignType, String> {
    s.parse()
        .map_err(|e: zhima_client::proto::Error| e.to_string())
}

/// What to call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A v1 gateway method.
    V1 { method: String },
    /// A v3 route.
    V3 { method: Method, path: String },
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let (target, body_arg) = parse_target(&args.target)?;
    let body = match (body_arg, args.json.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(Failure::Usage(
                "give the content once: as BODY or as --json".into(),
            ))
        }
        (Some(b), None) | (None, Some(b)) => Some(read_content(b)?),
        (None, None) => None,
    };
    let strategy = strategy(args.attempts);
    let client = args.conn.client(strategy)?;
    if let Target::V1 { method } = &target {
        if Api::from_v1_method(method).is_some_and(Api::is_page_method) {
            let url = client
                .page_url(
                    method,
                    body.as_deref().unwrap_or(""),
                    args.return_url.as_deref(),
                )
                .map_err(|e| Failure::Usage(format!("cannot sign the page URL: {e}")))?;
            println!("{url}");
            eprintln!("zhima call: {method} is a page method: signed URL printed, nothing sent");
            return Ok(());
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(format!("cannot start the async runtime: {e}")))?;
    let outcome = runtime.block_on(send(&client, &target, body.as_deref()));
    report(&target, outcome)
}

/// The SDK's retry strategy for `attempts` attempts in all.
pub(crate) fn strategy(attempts: u32) -> RequestStrategy {
    if attempts > 1 {
        RequestStrategy::retry(attempts)
    } else {
        RequestStrategy::Once
    }
}

/// Splits `METHOD [BODY]`, `PATH [BODY]` or `HTTP_METHOD PATH [BODY]`.
fn parse_target(words: &[String]) -> Result<(Target, Option<&str>), Failure> {
    let first = words[0].as_str();
    let http = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    let (target, rest) = if http.contains(&first) {
        let path = words
            .get(1)
            .ok_or_else(|| Failure::Usage(format!("{first} needs a PATH, e.g. /v3/…")))?;
        (v3_target(first, path)?, &words[2..])
    } else if first.starts_with('/') {
        // A known route's method comes from the routing table (PUT included); otherwise a body
        // means POST.
        let path = first.split('?').next().unwrap_or_default();
        let known = Api::ALL
            .iter()
            .filter_map(|a| a.v3_route())
            .find(|r| r.path == path)
            .map(|r| r.method.as_str());
        let method = known.unwrap_or(if words.len() > 1 { "POST" } else { "GET" });
        (v3_target(method, first)?, &words[1..])
    } else if first.contains('.') && !first.contains(['/', ' ', '{']) {
        (
            Target::V1 {
                method: first.to_string(),
            },
            &words[1..],
        )
    } else {
        return Err(Failure::Usage(format!(
            "{first:?} is neither a v1 method (e.g. zhima.data.state.data.sync) nor a v3 path (e.g. POST /v3/…)"
        )));
    };
    match rest {
        [] => Ok((target, None)),
        [body] => Ok((target, Some(body.as_str()))),
        _ => Err(Failure::Usage(
            "too many arguments: TARGET is METHOD [BODY] or [HTTP_METHOD] PATH [BODY]".into(),
        )),
    }
}

fn v3_target(method: &str, path: &str) -> Result<Target, Failure> {
    if !path.starts_with('/') {
        return Err(Failure::Usage(format!(
            "v3 path {path:?} must start with /"
        )));
    }
    let method =
        Method::from_bytes(method.as_bytes()).map_err(|e| Failure::Usage(e.to_string()))?;
    Ok(Target::V3 {
        method,
        path: path.to_string(),
    })
}

/// Content from JSON text, `@FILE` or `-` (stdin). It must be JSON: a typo is caught here,
/// with its position, instead of being signed, sent and refused by the platform.
pub(crate) fn read_content(arg: &str) -> Result<String, Failure> {
    let text = String::from_utf8(read_arg(arg)?)
        .map_err(|_| Failure::Usage(format!("{arg}: the content is not UTF-8 text")))?;
    let what = if arg.starts_with('@') || arg == "-" {
        arg
    } else {
        "the content"
    };
    serde_json::from_str::<serde::de::IgnoredAny>(&text)
        .map_err(|e| Failure::Usage(format!("{what} is not valid JSON: {e}; nothing was sent")))?;
    Ok(text)
}

/// A verified success: the content to print and what was verified.
pub(crate) struct Success {
    /// Response content (v1 node / v3 body) as JSON text.
    pub content: String,
    /// Attempts the call took.
    pub attempts: u32,
    /// Platform trace id, if any.
    pub trace_id: Option<String>,
    /// v1 `code msg` or v3 HTTP status.
    pub status: String,
}

/// Sends one request through the SDK.
pub(crate) async fn send(
    client: &ZhimaClient,
    target: &Target,
    body: Option<&str>,
) -> Result<Success, Error> {
    match target {
        Target::V1 { method } => {
            let r = client.execute(method, body.unwrap_or("{}")).await?;
            Ok(Success {
                content: r.node_json,
                attempts: r.attempts,
                trace_id: r.trace_id,
                status: format!("{} {}", r.code, r.msg),
            })
        }
        Target::V3 { method, path } => {
            let r = client.request(method.clone(), path, body).await?;
            Ok(Success {
                content: r.body,
                attempts: r.attempts,
                trace_id: r.trace_id,
                status: format!("HTTP {}", r.status),
            })
        }
    }
}

fn report(target: &Target, outcome: Result<Success, Error>) -> Result<(), Failure> {
    let what = match target {
        Target::V1 { method } => format!("v1 {method}"),
        Target::V3 { method, path } => {
            format!("v3 {method} {}", path.split('?').next().unwrap_or_default())
        }
    };
    match outcome {
        Ok(s) => {
            println!("{}", pretty(&s.content));
            let trace = s
                .trace_id
                .map(|t| format!(", trace id {t}"))
                .unwrap_or_default();
            eprintln!(
                "{what}: {}; response signature verified with the platform key; {} attempt(s){trace}",
                s.status, s.attempts
            );
            Ok(())
        }
        Err(Error::Api(refusal)) => {
            println!("{}", pretty(refusal_content(&refusal)));
            let signed = if refusal.is_verified() {
                "signature verified"
            } else {
                "unsigned"
            };
            Err(Failure::Other(format!(
                "{what}: refused ({signed}): {refusal}"
            )))
        }
        Err(Error::Signature(e)) => Err(Failure::Other(format!(
            "{what}: response signature {e}: the response is not trusted and not shown \
             (check --platform-public-key; `zhima doctor` explains request-side failures)"
        ))),
        Err(e @ (Error::Config(_) | Error::InvalidRequest(_))) => {
            Err(Failure::Usage(format!("{what}: {e}")))
        }
        Err(e) => Err(Failure::Other(format!("{what}: {e}"))),
    }
}

/// The content of a refusal: the v1 node or the v3 body.
pub(crate) fn refusal_content(refusal: &ApiError) -> &str {
    match refusal {
        ApiError::V1(e) => &e.node_json,
        ApiError::V3(e) => &e.body,
        _ => "",
    }
}

/// Pretty-prints JSON text in its own member order; other text is returned as is.
fn pretty(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len() * 2);
    let mut de = serde_json::Deserializer::from_str(text);
    let mut ser = serde_json::Serializer::pretty(&mut out);
    match serde_transcode::transcode(&mut de, &mut ser).and_then(|()| de.end()) {
        Ok(()) => String::from_utf8(out).unwrap_or_else(|_| text.to_string()),
        Err(_) => text.to_string(),
    }
}

// ------------------------------------------------------------------------------------------
// Connection
// ------------------------------------------------------------------------------------------

/// Facts taken from a `zhima serve` data directory.
struct FromDataDir {
    base_url: String,
    app_id: String,
    app_private_key: PathBuf,
    platform_key: PublicKey,
    aes_key: Option<String>,
}

impl ConnArgs {
    /// Builds the SDK client, naming the first missing or unusable setting (exit 2).
    pub(crate) fn client(&self, strategy: RequestStrategy) -> Result<ZhimaClient, Failure> {
        let dir = self
            .from_data_dir
            .as_deref()
            .map(|d| self.read_data_dir(d))
            .transpose()?;
        let missing = |what: &str| Failure::Usage(format!("{what} (or --from-data-dir DIR)"));
        let base_url = self
            .base_url
            .clone()
            .or_else(|| dir.as_ref().map(|d| d.base_url.clone()));
        let base_url = base_url.ok_or_else(|| missing("give --base-url URL or ZHIMA_BASE_URL"))?;
        let app_id = self
            .app_id
            .clone()
            .or_else(|| dir.as_ref().map(|d| d.app_id.clone()));
        let app_id = app_id.ok_or_else(|| missing("give --app-id or ZHIMA_APP_ID"))?;
        let key_path = self
            .app_private_key
            .clone()
            .or_else(|| dir.as_ref().map(|d| d.app_private_key.clone()));
        let key_path = key_path
            .ok_or_else(|| missing("give --app-private-key FILE or ZHIMA_APP_PRIVATE_KEY"))?;
        let mut builder = ZhimaClient::builder()
            .app_id(app_id)
            .app_key(load_private(&key_path)?)
            .endpoint(Endpoint::local(&base_url))
            .sign_type(self.sign_type)
            .timeout(Duration::from_secs(self.timeout_secs))
            .strategy(strategy);
        builder = match (&self.app_cert, &self.platform_public_key, dir.as_ref()) {
            (Some(app_cert), _, _) => {
                let need = |p: &Option<PathBuf>, flag: &str| {
                    p.as_deref()
                        .ok_or_else(|| Failure::Usage(format!("cert mode needs {flag} too")))
                        .and_then(read_input)
                };
                builder.certificates(
                    read_input(app_cert)?,
                    need(&self.root_cert, "--root-cert")?,
                    need(&self.platform_cert, "--platform-cert")?,
                )
            }
            (None, Some(path), _) => builder.platform_key(load_key_file(path)?.key.public_key()),
            (None, None, Some(d)) => builder.platform_key(d.platform_key.clone()),
            (None, None, None) => {
                return Err(missing(
                    "give --platform-public-key FILE or ZHIMA_PLATFORM_PUBLIC_KEY",
                ))
            }
        };
        if let Some(aes) = self.aes_key.clone().or_else(|| dir.and_then(|d| d.aes_key)) {
            builder = builder.aes_key(aes);
        }
        if let Some(token) = &self.app_auth_token {
            builder = builder.app_auth_token(token);
        }
        builder.build().map_err(|e| Failure::Usage(e.to_string()))
    }

    /// Reads `DIR/zhima.toml` as `zhima serve` wrote it and picks the app.
    fn read_data_dir(&self, dir: &Path) -> Result<FromDataDir, Failure> {
        let config = Config::load(&dir.join(DEFAULT_CONFIG_FILE))
            .map_err(|e| Failure::Usage(format!("--from-data-dir: {e}")))?;
        let wanted = self.app_id.as_deref().unwrap_or(demo::APP_ID);
        let apps = &config.records.apps;
        let app = apps
            .iter()
            .find(|a| a.app_id == wanted)
            .or_else(|| {
                if self.app_id.is_none() {
                    apps.first()
                } else {
                    None
                }
            })
            .ok_or_else(|| {
                Failure::Usage(format!(
                    "--from-data-dir: no app {wanted} in {}",
                    config.source.display()
                ))
            })?;
        let app_private_key = dir.join(demo::APP_PRIVATE_KEY);
        // The demo key files belong to the demo app only; say so rather than fail to verify later.
        if self.app_private_key.is_none() {
            let key = load_private(&app_private_key)?;
            let registered = PublicKey::from_text(&app.public_key_pem)
                .map_err(|e| Failure::Other(e.to_string()))?;
            if !key.matches(&registered) {
                return Err(Failure::Usage(format!(
                    "{} is not the private key of app {} (give --app-private-key)",
                    app_private_key.display(),
                    app.app_id
                )));
            }
        }
        Ok(FromDataDir {
            base_url: format!("http://{}", config.server.listen),
            app_id: app.app_id.clone(),
            app_private_key,
            platform_key: config.platform.private_key.public_key(),
            aes_key: app.encrypt_key.clone(),
        })
    }
}

/// Loads a private key leniently (a mislabelled PEM header is a warning, not a failure).
fn load_private(path: &Path) -> Result<zhima_client::proto::keys::PrivateKey, Failure> {
    let loaded = load_key_file(path)?;
    if let Some(problem) = &loaded.label_problem {
        eprintln!("zhima: warning: {}: {problem}", path.display());
    }
    match loaded.key {
        AnyKey::Private(k) => Ok(k),
        AnyKey::Public(_) => Err(Failure::Usage(format!(
            "{} is a public key; the app private key is needed to sign",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| w.to_string()).collect()
    }

    /// `parse_target` that must succeed (`Failure` has no `Debug`, so no `unwrap`).
    fn target(s: &[&str]) -> (Target, Option<String>) {
        match parse_target(&words(s)) {
            Ok((t, b)) => (t, b.map(str::to_string)),
            Err(_) => panic!("{s:?} should parse"),
        }
    }

    #[test]
    fn targets_are_recognised() {
        let (t, b) = target(&["zhima.data.state.data.sync", "{}"]);
        assert_eq!(
            (t, b.as_deref()),
            (
                Target::V1 {
                    method: "zhima.data.state.data.sync".into()
                },
                Some("{}")
            )
        );
        let (t, b) = target(&["POST", "/v3/a", "@f.json"]);
        assert_eq!(
            (t, b.as_deref()),
            (
                Target::V3 {
                    method: Method::POST,
                    path: "/v3/a".into()
                },
                Some("@f.json")
            )
        );
        let (t, _) = target(&["/v3/q?x=1"]);
        assert_eq!(
            t,
            Target::V3 {
                method: Method::GET,
                path: "/v3/q?x=1".into()
            }
        );
        let (t, _) = target(&["/v3/zhima/credit/pe/zmgo/settle/unfreeze", "{}"]);
        assert_eq!(
            t,
            Target::V3 {
                method: Method::PUT,
                path: "/v3/zhima/credit/pe/zmgo/settle/unfreeze".into()
            }
        );
        let (t, _) = target(&["/v3/zhima/merchant/zmgo/template/query?template_no=1"]);
        assert!(matches!(t, Target::V3 { method, .. } if method == Method::GET));
        assert!(parse_target(&words(&["POST"])).is_err());
        assert!(parse_target(&words(&["POST", "v3/a"])).is_err());
        assert!(parse_target(&words(&["{\"a\":1}"])).is_err());
        assert!(parse_target(&words(&["a.b", "{}", "x"])).is_err());
    }

    #[test]
    fn pretty_keeps_member_order() {
        assert_eq!(
            pretty(r#"{"b":1,"a":[2]}"#),
            "{\n  \"b\": 1,\n  \"a\": [\n    2\n  ]\n}"
        );
        assert_eq!(pretty("not json"), "not json");
    }
}
