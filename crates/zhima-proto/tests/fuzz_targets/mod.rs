//! The parsers under fuzzing, one function per target. The cargo-fuzz targets in `fuzz/`
//! include this very file, and `tests/fuzz_corpus_replay.rs` runs every committed corpus
//! input through the same functions, so CI replays the corpora without a fuzzing toolchain.
//! Each function must never panic, whatever the bytes; errors are fine.
#![allow(dead_code)]

use zhima_proto::aes::AesKey;
use zhima_proto::keys::{PrivateKey, PublicKey};
use zhima_proto::v1::{extract_signed_node, Charset, GatewayParams};
use zhima_proto::v3::Authorization;

/// One fuzz target: never panics, whatever the bytes.
pub type Target = fn(&[u8]);

/// The targets by name (the corpus directory names).
pub const TARGETS: &[(&str, Target)] = &[
    ("v1_params", v1_params),
    ("v1_response", v1_response),
    ("v3_authorization", v3_authorization),
    ("aes", aes),
    ("keys", keys),
];

/// v1 parameters: first byte picks the Content-Type charset, the rest is `query\nbody`.
pub fn v1_params(data: &[u8]) {
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
    if let Ok(p) = GatewayParams::parse(query, body, content_type_charset) {
        let content = p.sign_content();
        let _ = p.charset().encode(&content);
        let _ = Charset::Gbk.decode(body);
    }
}

/// v1 response extraction: `method\nbody`.
pub fn v1_response(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (method, body) = text.split_once('\n').unwrap_or(("", &text));
    let _ = extract_signed_node(body, method);
}

/// The v3 `Authorization` header and its string-to-sign.
pub fn v3_authorization(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(a) = Authorization::parse(&text) {
        let _ = a.sign_content("POST", "/v3/x?y=1", "{}", Some("t"));
    }
}

/// AES: the key text, and ciphertext under a fixed key.
pub fn aes(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = AesKey::from_base64(&text);
    let key = AesKey::from_base64("aa4BtZ4tspm2wnXLb1ThQA==").expect("fixed key");
    let _ = key.decrypt_to_string(&text);
}

/// Keys (PEM, bare base64, PKCS#1/PKCS#8) and certificates (DER and PEM).
pub fn keys(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = PrivateKey::from_text(&text);
    let _ = PublicKey::from_text(&text);
    let _ = zhima_proto::cert::parse_certificate_der(data);
    let _ = zhima_proto::cert::cert_sn(&text);
    let _ = zhima_proto::cert::root_cert_sn(&text);
}
