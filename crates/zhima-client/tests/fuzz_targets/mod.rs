//! The SDK's parsers of what the platform sends, one function per fuzz target. The cargo-fuzz
//! targets in `fuzz/` include this very file, and `tests/fuzz_corpus_replay.rs` runs every
//! committed corpus input through the same functions, so CI replays the corpora without a
//! fuzzing toolchain. Each function must never panic, whatever the bytes; errors are fine.
//!
//! The keys are the throwaway ones of the golden vectors (`shared/spec/vectors/keys.json`), so
//! the vectors' signed responses (in the seed corpora) verify and the fuzzer starts past the
//! signature check.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::LazyLock;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use zhima_client::{fuzz_v3_response, Endpoint, ZhimaClient};

/// One fuzz target: never panics, whatever the bytes.
pub type Target = fn(&[u8]);

/// The targets by name (the corpus directory names).
pub const TARGETS: &[(&str, Target)] = &[("v3_response", v3_response), ("notify", notify)];

/// A golden vector file: `$ZHIMA_SPEC_DIR/vectors/<name>`, else the `shared/spec` next to
/// the checkout (found from this crate's or the fuzz crate's directory).
pub fn vector(name: &str) -> Value {
    let dir = std::env::var_os("ZHIMA_SPEC_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .map(|a| a.join("shared/spec"))
                .find(|d| d.join("vectors").is_dir())
        })
        .expect("the golden vectors (shared/spec/vectors, or ZHIMA_SPEC_DIR) are required");
    let path = dir.join("vectors").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("golden vector {} is required: {e}", path.display()));
    serde_json::from_str(&text).expect("a vector is JSON")
}

/// When the vectors' v3 responses were signed (their `alipay-timestamp`): the clients' clock,
/// so that the freshness check passes for them and is judged for the rest.
pub const VECTOR_NOW_MS: i64 = 1_716_170_400_123;

/// The app id of the vectors.
pub const APP_ID: &str = "2021000000000001";

/// Clients in key mode, key mode + AES, cert mode and cert mode + AES (index = flag bits).
pub static CLIENTS: LazyLock<Vec<ZhimaClient>> = LazyLock::new(|| {
    let k = vector("keys.json");
    let s = |v: &Value| v.as_str().expect("a string").to_owned();
    let now: DateTime<Utc> = Utc.timestamp_millis_opt(VECTOR_NOW_MS).unwrap();
    (0..4)
        .map(|flags| {
            let mut b = ZhimaClient::builder()
                .app_id(APP_ID)
                .app_private_key(s(&k["app"]["private_key_pkcs1_pem"]))
                .endpoint(Endpoint::local("http://127.0.0.1:9"))
                .clock(move || now);
            b = if flags & 1 == 0 {
                b.platform_public_key(s(&k["platform"]["public_key_spki_base64"]))
            } else {
                b.certificates(
                    s(&k["certs"]["app_cert_pem"]),
                    s(&k["certs"]["root_bundle_pem"]),
                    s(&k["certs"]["platform_cert_pem"]),
                )
            };
            if flags & 2 != 0 {
                b = b.aes_key(s(&k["aes_key_base64"]));
            }
            b.build().expect("the vector keys build a client")
        })
        .collect()
});

/// Statuses a v3 answer may have: success, the edges of 2xx, 1xx/3xx (unexpected), refusals.
const STATUSES: [u16; 8] = [200, 204, 299, 100, 302, 400, 429, 500];

/// The client's judgement of a v3 answer: signature headers (`alipay-signature`,
/// `alipay-timestamp`, `alipay-nonce`, `alipay-sn`, repeated or not), the body verified, then
/// decrypted or read as an error object. The first byte picks the client (bit 0 cert mode,
/// bit 1 AES) and the status (bits 2–4); the rest is `name: value` header lines, an empty
/// line, and the body.
pub fn v3_response(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let client = &CLIENTS[usize::from(pick & 3)];
    let status = STATUSES[usize::from(pick >> 2) % STATUSES.len()];
    let mut headers: Vec<(&[u8], &[u8])> = Vec::new();
    let mut body: &[u8] = &[];
    let mut lines = rest;
    while !lines.is_empty() {
        let (line, after) = match lines.iter().position(|&b| b == b'\n') {
            Some(i) => (&lines[..i], &lines[i + 1..]),
            None => (lines, &[][..]),
        };
        if line.is_empty() {
            body = after;
            break;
        }
        if let Some(colon) = line.iter().position(|&b| b == b':') {
            let value = &line[colon + 1..];
            let value = value.strip_prefix(b" ").unwrap_or(value);
            headers.push((&line[..colon], value));
        }
        lines = after;
    }
    // The transport hands over text only (a non-UTF-8 body is refused before judging).
    let Ok(body) = std::str::from_utf8(body) else {
        return;
    };
    let _ = fuzz_v3_response(client, Some("{}"), status, &headers, body.to_owned());
}

/// A notification's form body (`verify_notify`: form-decoding, repeated fields, charset,
/// the signature over the sorted parameters, the required fields, `biz_content` as JSON),
/// with the key-mode client (which also checks `app_id`).
pub fn notify(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = CLIENTS[0].verify_notify(&text);
}
