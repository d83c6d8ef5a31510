//! The server's own parsers, one function per fuzz target (zhima-proto's and the SDK's have
//! theirs next to those crates' tests). The cargo-fuzz targets in `fuzz/` include this very
//! file, and `tests/fuzz_corpus_replay.rs` runs every committed corpus input through the same
//! functions, so CI replays the corpora without a fuzzing toolchain. Each function must never
//! panic, whatever the bytes; errors are fine.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use serde_json::Value;
use zhima_server::config::Config;

/// One fuzz target: never panics, whatever the bytes.
pub type Target = fn(&[u8]);

/// The targets by name (the corpus directory names).
pub const TARGETS: &[(&str, Target)] = &[("config", config), ("sign_apply_page", sign_apply_page)];

/// `keys.json` of the golden vectors: `$ZHIMA_SPEC_DIR/vectors`, else the `shared/spec`
/// next to the checkout (found from this crate's or the fuzz crate's directory).
fn vector_keys() -> Value {
    let dir = std::env::var_os("ZHIMA_SPEC_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .map(|a| a.join("shared/spec"))
                .find(|d| d.join("vectors").is_dir())
        })
        .expect("the golden vectors (shared/spec/vectors, or ZHIMA_SPEC_DIR) are required");
    let path = dir.join("vectors/keys.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("golden vector {} is required: {e}", path.display()));
    serde_json::from_str(&text).expect("keys.json is JSON")
}

/// The key and certificate files a configuration may name, by file name (the demo's names),
/// holding the vectors' throwaway keys; any other name does not exist.
static FILES: LazyLock<Vec<(&'static str, String)>> = LazyLock::new(|| {
    let k = vector_keys();
    let s = |v: &Value| v.as_str().expect("a string").to_owned();
    vec![
        (
            "platform_private.pem",
            s(&k["platform"]["private_key_pkcs8_pem"]),
        ),
        ("app_public.pem", s(&k["app"]["public_key_spki_pem"])),
        ("app_public.b64", s(&k["app"]["public_key_spki_base64"])),
        ("platform_cert.pem", s(&k["certs"]["platform_cert_pem"])),
        ("root_bundle.pem", s(&k["certs"]["root_bundle_pem"])),
        ("app_cert.pem", s(&k["certs"]["app_cert_pem"])),
    ]
});

fn read_file(path: &Path) -> std::io::Result<String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| text.clone())
        .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
}

/// The configuration file: TOML parsing (unknown keys, types, spans → line numbers), then
/// every resolution step — the key and certificate files it names read from memory, amounts
/// and times converted, cross references checked, the state machines compiled.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = Config::from_toml_reading(Path::new("/fuzz/zhima.toml"), &text, &read_file);
}

/// sign.apply's page execute: the first byte picks the Content-Type charset, the rest is
/// `query\nbody` — the SDK's page URL's query, or its auto-submitting form's body — read as
/// the gateway and the signing page read it, then the body as the consent form (`token=…`).
pub fn sign_apply_page(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let content_type_charset = match pick % 4 {
        0 => None,
        1 => Some("utf-8"),
        2 => Some("GBK"),
        _ => Some("x-unknown"),
    };
    let (query, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    zhima_server::http::fuzz_sign_apply_page(query, body, content_type_charset);
}
