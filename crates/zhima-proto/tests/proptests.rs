//! Property tests: round trips over arbitrary inputs and no panics on garbage.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{json, Value};
use zhima_proto::aes::AesKey;
use zhima_proto::keys::{PrivateKey, PublicKey};
use zhima_proto::sign::SignType;
use zhima_proto::v1::{self, Charset, GatewayParams, ResponseNode, SdkLayout};
use zhima_proto::v3::{self, AuthString, Authorization};

fn key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate().unwrap())
}

fn param_key() -> impl Strategy<Value = String> {
    "[a-z_]{1,12}".prop_filter("sign is not a signed param", |k| {
        k != "sign" && k != "charset" && k != "sign_type"
    })
}

/// Values full of the characters that break naive encoders: `&`, `=`, `+`, `%`, spaces,
/// quotes, non-ASCII, and empty strings.
fn utf8_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[ -~]{0,24}",
        "[a&=+% 中文流浪地球😀\"{}\\\\/]{0,24}",
        any::<String>()
    ]
}

/// Text that GBK can encode (ASCII + common CJK).
fn gbk_value() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9&=+% 中文流浪地球电影票累计消费优惠]{0,24}"
}

fn round_trip(
    pairs: BTreeMap<String, String>,
    charset: Charset,
    sign_type: SignType,
    layout: SdkLayout,
) -> Result<(), TestCaseError> {
    let mut params = GatewayParams::from_pairs(pairs.clone());
    params.insert("charset", charset.as_str());
    params.insert("sign_type", sign_type.as_str());
    let wire = v1::build_request(&params, key(), layout).unwrap();
    let parsed = GatewayParams::parse(wire.query.as_bytes(), wire.body.as_bytes(), None).unwrap();
    prop_assert_eq!(parsed.sign_content(), params.sign_content());
    prop_assert!(v1::verify_request(&parsed, &key().public_key()).is_ok());
    for (k, v) in &pairs {
        prop_assert_eq!(parsed.get(k), Some(v.as_str()));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn v1_sign_verify_round_trips_utf8(
        pairs in proptest::collection::btree_map(param_key(), utf8_value(), 0..8),
        rsa2 in any::<bool>(),
        python in any::<bool>(),
    ) {
        let st = if rsa2 { SignType::Rsa2 } else { SignType::Rsa };
        let layout = if python { SdkLayout::Python } else { SdkLayout::Node };
        round_trip(pairs, Charset::Utf8, st, layout)?;
    }

    #[test]
    fn v1_sign_verify_round_trips_gbk(
        pairs in proptest::collection::btree_map(param_key(), gbk_value(), 0..8),
        rsa2 in any::<bool>(),
    ) {
        let st = if rsa2 { SignType::Rsa2 } else { SignType::Rsa };
        round_trip(pairs, Charset::Gbk, st, SdkLayout::Python)?;
    }

    #[test]
    fn v3_sign_verify_round_trips(
        body in utf8_value(),
        query in "[a-z0-9=&+%]{0,20}",
        token in proptest::option::of("[A-Za-z0-9]{1,40}"),
    ) {
        let fields = AuthString {
            app_id: "2021000000000001".into(),
            app_cert_sn: None,
            nonce: "n".into(),
            timestamp: "1716170400123".into(),
            extra: vec![],
        };
        let uri = format!("/v3/x?{query}");
        let auth = Authorization::sign(key(), fields, "POST", &uri, &body, token.as_deref()).unwrap();
        let parsed = Authorization::parse(&auth.header_value()).unwrap();
        prop_assert!(parsed.verify(&key().public_key(), "POST", &uri, &body, token.as_deref()).is_ok());
        prop_assert!(parsed.verify(&key().public_key(), "GET", &uri, &body, token.as_deref()).is_err());
        let headers = v3::sign_response(key(), 1, "nonce", &body, None).unwrap();
        prop_assert!(v3::verify_response(&key().public_key(), Some(&headers.timestamp), Some("nonce"),
            Some(&headers.signature), None, None, &body).is_ok());
    }

    #[test]
    fn node_extraction_finds_the_exact_signed_text(node in json_object(), encrypt in any::<bool>()) {
        let aes = AesKey::from_bytes(&[9u8; 16]).unwrap();
        let mut rn = ResponseNode::json(&node).unwrap();
        if encrypt { rn = rn.encrypt(&aes); }
        let body = v1::build_response("a_b_response", &rn, key(), SignType::Rsa2, Charset::Utf8, None).unwrap();
        let extracted = v1::extract_signed_node(&body, "a.b").unwrap();
        prop_assert_eq!(extracted.content, rn.wire_text());
        let verified = v1::verify_response(&body, "a.b", &key().public_key(), SignType::Rsa2, Charset::Utf8, Some(&aes)).unwrap();
        let back: Value = serde_json::from_str(&verified.node_json).unwrap();
        prop_assert_eq!(back, node);
    }

    #[test]
    fn aes_round_trips(data in proptest::collection::vec(any::<u8>(), 0..300), size in prop_oneof![Just(16usize), Just(24), Just(32)], seed in any::<u8>()) {
        let key = AesKey::from_bytes(&vec![seed; size]).unwrap();
        prop_assert_eq!(key.decrypt(&key.encrypt(&data)).unwrap(), data);
    }

    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), text in any::<String>()) {
        let _ = GatewayParams::parse(&bytes, &bytes, None);
        let _ = GatewayParams::parse(text.as_bytes(), b"charset=gbk&a=%FF%FE", Some("gbk"));
        let _ = v1::extract_signed_node(&text, "a.b");
        let _ = v1::verify_response(&text, "a.b", &key().public_key(), SignType::Rsa2, Charset::Utf8, None);
        let _ = Authorization::parse(&text);
        let _ = Authorization::parse(&format!("ALIPAY-SHA256withRSA {text}"));
        let _ = PrivateKey::from_text(&text);
        let _ = PublicKey::from_text(&text);
        let _ = zhima_proto::keys::inspect(&String::from_utf8_lossy(&bytes));
        let _ = zhima_proto::keys::classify_der(&bytes);
        let _ = zhima_proto::cert::cert_sn(&text);
        let _ = zhima_proto::cert::root_cert_sn(&text);
        let _ = AesKey::from_bytes(&[1u8; 16]).unwrap().decrypt(&text);
        let _ = key().public_key().verify(SignType::Rsa, &bytes, &text);
    }
}

/// JSON objects whose strings are full of braces, quotes, backslashes and slashes.
fn json_object() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[{}\\[\\]\"\\\\/:,a-z中 ]{0,16}".prop_map(Value::String),
    ];
    let value = leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z{}\"]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    proptest::collection::btree_map("[a-z_{}\"]{1,8}", value, 0..5)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}
