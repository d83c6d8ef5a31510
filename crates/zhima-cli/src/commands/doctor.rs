//! `zhima doctor`: given a failing request and the keys, rebuild the string-to-sign the
//! platform verifies and say which classic mistake breaks it.
//!
//! The request comes as a curl command line, as URL + body (v1), or as Authorization header +
//! method + path + body (v3). Structural problems (keys in the wrong slot, a PEM header over
//! the wrong body, clock skew, cert SN) are found directly; a failing signature is explained by
//! re-verifying it under each mistake in turn ("it verifies if the client signed GBK bytes")
//! until one holds, so every diagnosis is a proof, not a guess. Exit code: 0 when nothing is
//! wrong, 1 when any error finding is printed, 2 for bad usage.

mod checks;
mod curl;
mod findings;
mod json_variants;
mod keyring;
mod v1;
mod v3;

use std::path::PathBuf;

use serde::Serialize;
use zhima_proto::time::{parse_alipay_datetime, parse_epoch_millis};
use zhima_server::bootstrap::demo;

use self::checks::Clock;
use self::findings::{Finding, Findings, Severity};
use self::keyring::{KeyPaths, KeyRing};
use crate::commands::keys::read_arg;
use crate::Failure;

/// Arguments of `zhima doctor`.
#[derive(clap::Args)]
pub struct Args {
    /// The failing request as a curl command line; `@FILE` reads it from a file, `-` from stdin.
    #[arg(long, value_name = "LINE", conflicts_with_all = ["url", "path", "authorization"])]
    curl: Option<String>,
    /// v1: the gateway URL with its query string (quote it).
    #[arg(long)]
    url: Option<String>,
    /// The request body: text, `@FILE`, or `-` for stdin (v1: the form body; v3: the exact body).
    #[arg(long)]
    body: Option<String>,
    /// v3: the Authorization header value (`ALIPAY-SHA256withRSA app_id=…,sign=…`).
    #[arg(long)]
    authorization: Option<String>,
    /// v3: the HTTP method (default: POST with a body, GET without).
    #[arg(long, short = 'X')]
    method: Option<String>,
    /// v3: the request target, path plus `?query` exactly as sent.
    #[arg(long)]
    path: Option<String>,
    /// A request header `Name: value` (repeatable): alipay-app-auth-token, alipay-root-cert-sn,
    /// Content-Type.
    #[arg(long = "header", short = 'H', value_name = "HEADER")]
    headers: Vec<String>,
    /// A `zhima serve` data directory: take the demo app's and the platform's keys from its
    /// keys/ (explicit key options override).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// The app private key the client signs with.
    #[arg(long)]
    app_private_key: Option<PathBuf>,
    /// The app public key registered with the platform.
    #[arg(long)]
    app_public_key: Option<PathBuf>,
    /// The platform (alipay) public key.
    #[arg(long)]
    platform_public_key: Option<PathBuf>,
    /// Cert mode: the app public-key certificate (checks app_cert_sn).
    #[arg(long)]
    app_cert: Option<PathBuf>,
    /// Cert mode: the platform root certificate bundle (checks alipay_root_cert_sn).
    #[arg(long)]
    root_cert: Option<PathBuf>,
    /// Allowed timestamp difference, in seconds.
    #[arg(long, default_value_t = 900)]
    clock_skew_secs: u32,
    /// Judge timestamps against this instant: `yyyy-MM-dd HH:mm:ss` (UTC+8) or epoch ms.
    #[arg(long)]
    now: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// A request in one of the two protocols.
enum Input {
    V1(v1::V1Input),
    V3(v3::V3Input),
}

/// Everything doctor prints.
#[derive(Serialize)]
struct Report {
    api: &'static str,
    details: serde_json::Map<String, serde_json::Value>,
    verify_key: KeyRef,
    string_to_sign: Option<String>,
    findings: Vec<Finding>,
    ok: bool,
}

#[derive(Serialize)]
struct KeyRef {
    source: &'static str,
    fingerprint: String,
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let input = build_input(&args)?;
    let clock = Clock {
        now: parse_now(args.now.as_deref())?,
        skew: chrono::Duration::seconds(args.clock_skew_secs.into()),
    };
    let mut findings = Findings::default();
    let ring = KeyRing::load(&key_paths(&args), &mut findings)?;
    let vk = ring.verifying_key().ok_or_else(|| {
        Failure::Usage(
            "give the keys: --app-public-key and/or --app-private-key (or --data-dir)".into(),
        )
    })?;
    let (api, string_to_sign, details) = match &input {
        Input::V1(req) => {
            let s = v1::diagnose(req, &ring, &vk, &clock, &mut findings);
            ("v1", s.string_to_sign, s.details)
        }
        Input::V3(req) => {
            let s = v3::diagnose(req, &ring, &vk, &clock, &mut findings);
            ("v3", s.string_to_sign, s.details)
        }
    };
    let ok = !findings.any_error();
    let report = Report {
        api,
        details: details
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into()))
            .collect(),
        verify_key: KeyRef {
            source: vk.source,
            fingerprint: vk.key.fingerprint(),
        },
        string_to_sign,
        findings: findings.sorted(),
        ok,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    if ok {
        return Ok(());
    }
    let codes: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.code.name())
        .collect();
    Err(Failure::Other(format!("diagnosis: {}", codes.join(", "))))
}

fn key_paths(args: &Args) -> KeyPaths {
    let from_dir = |rel: &str| args.data_dir.as_ref().map(|d| d.join(rel));
    KeyPaths {
        app_private: args
            .app_private_key
            .clone()
            .or_else(|| from_dir(demo::APP_PRIVATE_KEY)),
        app_public: args
            .app_public_key
            .clone()
            .or_else(|| from_dir(demo::APP_PUBLIC_KEY)),
        platform_public: args
            .platform_public_key
            .clone()
            .or_else(|| from_dir(demo::PLATFORM_PUBLIC_KEY)),
        app_cert: args.app_cert.clone(),
        root_cert: args.root_cert.clone(),
    }
}

fn parse_now(now: Option<&str>) -> Result<chrono::DateTime<chrono::FixedOffset>, Failure> {
    match now {
        None => Ok(zhima_proto::time::now_alipay()),
        Some(s) if s.bytes().all(|b| b.is_ascii_digit()) => {
            parse_epoch_millis(s).map_err(|e| Failure::Usage(format!("--now: {e}")))
        }
        Some(s) => parse_alipay_datetime(s).map_err(|e| Failure::Usage(format!("--now: {e}"))),
    }
}

// ------------------------------------------------------------------------------------------
// Input
// ------------------------------------------------------------------------------------------

fn parse_header(h: &str) -> Result<(String, String), Failure> {
    h.split_once(':')
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .ok_or_else(|| Failure::Usage(format!("header {h:?} is not `Name: value`")))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn content_type_charset(headers: &[(String, String)]) -> Option<String> {
    header(headers, "content-type")?.split(';').find_map(|p| {
        p.trim()
            .strip_prefix("charset=")
            .map(|c| c.trim_matches('"').to_string())
    })
}

fn build_input(args: &Args) -> Result<Input, Failure> {
    let mut headers = args
        .headers
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(line) = &args.curl {
        let text = String::from_utf8(read_arg(line)?)
            .map_err(|_| Failure::Usage("the curl line is not UTF-8".into()))?;
        let read_file = |f: &str| std::fs::read(f).map_err(|e| format!("cannot read {f}: {e}"));
        let req = curl::parse(&text, &read_file).map_err(Failure::Usage)?;
        headers.extend(req.headers.iter().cloned());
        let body = req.body.clone().unwrap_or_default();
        return from_parts(
            &req.url,
            &req.method,
            body,
            headers,
            args.authorization.clone(),
        );
    }
    let body = args
        .body
        .as_deref()
        .map(read_arg)
        .transpose()?
        .unwrap_or_default();
    let method = args
        .method
        .clone()
        .unwrap_or_else(|| if body.is_empty() { "GET" } else { "POST" }.into());
    match (&args.url, &args.path) {
        (Some(url), _) => from_parts(url, &method, body, headers, args.authorization.clone()),
        (None, Some(path)) => {
            let authorization = args.authorization.clone().or_else(|| header(&headers, "authorization").map(str::to_string));
            let authorization = authorization.ok_or_else(|| Failure::Usage("--path is for v3 requests: give --authorization too".into()))?;
            v3_input(path.clone(), None, &method, body, &headers, authorization)
        }
        (None, None) if !body.is_empty() && args.authorization.is_none() => Ok(Input::V1(v1::V1Input {
            query: Vec::new(),
            body,
            content_type_charset: content_type_charset(&headers),
        })),
        _ => Err(Failure::Usage(
            "give the request: --curl LINE, or --url URL [--body BODY] (v1), or --authorization HEADER \
             --path TARGET [--method M] [--body BODY] (v3)"
                .into(),
        )),
    }
}

/// A request from its URL: v3 when it carries an `ALIPAY-…` Authorization or its path is
/// under `/v3/` (then a missing or foreign Authorization is the finding), else v1.
fn from_parts(
    url: &str,
    method: &str,
    body: Vec<u8>,
    headers: Vec<(String, String)>,
    authorization: Option<String>,
) -> Result<Input, Failure> {
    let authorization =
        authorization.or_else(|| header(&headers, "authorization").map(str::to_string));
    let v3_path = curl::request_target(url).is_ok_and(|t| t.starts_with("/v3/"));
    match authorization {
        Some(auth) if auth.starts_with("ALIPAY-") || v3_path => {
            let target = curl::request_target(url).map_err(Failure::Usage)?;
            v3_input(target, Some(url.to_string()), method, body, &headers, auth)
        }
        None if v3_path => {
            let target = curl::request_target(url).map_err(Failure::Usage)?;
            v3_input(
                target,
                Some(url.to_string()),
                method,
                body,
                &headers,
                String::new(),
            )
        }
        _ => Ok(Input::V1(v1::V1Input {
            query: curl::raw_query(url).map_err(Failure::Usage)?.into_bytes(),
            body,
            content_type_charset: content_type_charset(&headers),
        })),
    }
}

fn v3_input(
    target: String,
    url: Option<String>,
    method: &str,
    body: Vec<u8>,
    headers: &[(String, String)],
    authorization: String,
) -> Result<Input, Failure> {
    let body = String::from_utf8(body)
        .map_err(|_| Failure::Usage("a v3 body must be UTF-8 text".into()))?;
    Ok(Input::V3(v3::V3Input {
        method: method.to_string(),
        target,
        url,
        body,
        authorization,
        app_auth_token: header(headers, zhima_proto::v3::HEADER_APP_AUTH_TOKEN).map(str::to_string),
        root_cert_sn: header(headers, zhima_proto::v3::HEADER_ROOT_CERT_SN).map(str::to_string),
    }))
}

// ------------------------------------------------------------------------------------------
// Output
// ------------------------------------------------------------------------------------------

fn print_report(r: &Report) {
    let details: Vec<String> = r
        .details
        .iter()
        .map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or_default()))
        .collect();
    println!(
        "{} request ({})",
        if r.api == "v1" {
            "v1 gateway"
        } else {
            "v3 REST"
        },
        details.join(", ")
    );
    println!(
        "verified with {} (SHA-256 fingerprint {})",
        r.verify_key.source, r.verify_key.fingerprint
    );
    if let Some(s) = &r.string_to_sign {
        println!("string-to-sign the platform rebuilds:");
        print_signed(s);
    }
    println!();
    for f in &r.findings {
        let tag = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Ok => "ok",
        };
        println!("[{tag}] {}: {}", f.code.name(), f.explanation);
        if f.severity != Severity::Ok {
            println!("  fix: {}", f.fix);
        }
        if let Some(s) = f
            .signed_string
            .as_ref()
            .filter(|s| Some(*s) != r.string_to_sign.as_ref())
        {
            println!("  the signature verifies over:");
            print_signed(s);
        }
    }
    println!();
    println!(
        "{}",
        if r.ok {
            "verdict: no problem found"
        } else {
            "verdict: the request has the problems above"
        }
    );
}

/// Prints a string-to-sign indented; v3 strings are multi-line, so line ends are made visible.
fn print_signed(s: &str) {
    if !s.contains('\n') && !s.contains('\r') {
        println!("  {s}");
        return;
    }
    for line in s.split_inclusive('\n') {
        let shown = line.replace('\r', "\\r").replace('\n', "\\n");
        println!("  | {shown}");
    }
}
