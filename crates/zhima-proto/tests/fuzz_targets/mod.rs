//! The parsers under fuzzing, one function per target. The cargo-fuzz targets in `fuzz/`
//! include this very file, and `tests/fuzz_corpus_replay.rs` runs every committed corpus
//! input through the same functions, so CI replays the corpora without a fuzzing toolchain.
//! Each function must never panic, whatever the bytes; errors are fine.
#![allow(dead_code)]

use zhima_proto::aes::AesKey;
use zhima_proto::keys::{PrivateKey, PublicKey};
use zhima_proto::models::{self, Api, ModelError};
use zhima_proto::time::parse_alipay_datetime;
use zhima_proto::v1::{extract_signed_node, Charset, GatewayParams};
use zhima_proto::v3::Authorization;
use zhima_proto::validate;

/// One fuzz target: never panics, whatever the bytes.
pub type Target = fn(&[u8]);

/// The targets by name (the corpus directory names).
pub const TARGETS: &[(&str, Target)] = &[
    ("v1_params", v1_params),
    ("v1_response", v1_response),
    ("v3_authorization", v3_authorization),
    ("aes", aes),
    ("keys", keys),
    ("models", models),
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

/// Every request model, the way the server reads it: the first byte picks the API (low four
/// bits) and whether the rest is a JSON body (v1 `biz_content`, v3 POST/PUT) or a v3 GET query
/// string (bit 4); then serde into the model and zhima-proto's `validate`, as in the server's
/// dispatch, and the validated command's fingerprint (what idempotency compares).
pub fn models(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let api = Api::ALL[usize::from(pick) % Api::ALL.len()];
    let query = pick & 0x10 != 0;
    let json = String::from_utf8_lossy(rest);
    // The server reads an absent or blank body as `{}`, so validation names the first field.
    let json = if json.trim().is_empty() { "{}" } else { &json };
    // A v3 GET query, form-decoded the way the v1 gateway decodes its parameters.
    let params = GatewayParams::parse(rest, b"", None).unwrap_or_default();
    fn parse<T: serde::de::DeserializeOwned>(
        query: bool,
        json: &str,
        params: &GatewayParams,
    ) -> Result<T, ModelError> {
        if query {
            models::from_query_pairs(params.iter())
        } else {
            models::from_json(json)
        }
    }
    macro_rules! run {
        ($validate:path) => {
            if let Ok(m) = parse(query, json, &params) {
                if let Ok(v) = $validate(&m) {
                    let _ = v.business_fingerprint();
                }
            }
        };
    }
    match api {
        Api::StateSync => {
            if let Ok(m) = validate::parse_state_sync(json) {
                if let Ok(v) = validate::validate_state_sync_shape(&m) {
                    let _ = v.business_fingerprint();
                    let _ = validate::validate_biz_data(&v);
                }
            }
        }
        Api::CumulationSync => {
            let now = parse_alipay_datetime("2024-05-20 10:00:00").expect("fixed time");
            if let Ok(m) = validate::parse_cumulation(json) {
                if let Ok(v) = validate::validate_cumulation(&m, now, chrono::Duration::minutes(15))
                {
                    let _ = (v.counts_task(), v.trade_amount(), v.discount_amount());
                    let _ = v.business_fingerprint();
                }
            }
        }
        Api::CumulateQuery => {
            if let Ok(m) = parse(query, json, &params) {
                if let Ok(v) = validate::validate_cumulate_query(&m) {
                    let _ = v.offset();
                }
            }
        }
        Api::AgreementQuery => {
            if let Ok(m) = parse(query, json, &params) {
                let _ = validate::validate_agreement_query(&m);
            }
        }
        Api::SettleApply => run!(validate::validate_settle_apply),
        Api::TemplateCreate => run!(validate::validate_template_create),
        Api::TemplateQuery => run!(validate::validate_template_query),
        Api::PreConsult => run!(validate::validate_pre_consult),
        Api::PreorderCreate => run!(validate::validate_preorder_create),
        Api::SignApply => run!(validate::validate_sign_apply),
        Api::AgreementSign => run!(validate::validate_agreement_sign),
        Api::BizoptClose => run!(validate::validate_bizopt_close),
        Api::AgreementUnsign => run!(validate::validate_agreement_unsign),
        Api::SettleRefund => run!(validate::validate_settle_refund),
        Api::SettleUnfreeze => run!(validate::validate_settle_unfreeze),
        Api::MerchantCumulateSync => run!(validate::validate_merchant_cumulate_sync),
    }
}
