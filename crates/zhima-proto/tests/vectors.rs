//! Golden vectors produced by the official Python and Node SDKs (../shared/spec/vectors):
//! we must reproduce every string-to-sign and signature byte for byte, verify every request
//! and response, and reject each of them with any single byte flipped.

use std::path::PathBuf;

use serde_json::Value;
use zhima_proto::aes::AesKey;
use zhima_proto::cert;
use zhima_proto::keys::{PrivateKey, PublicKey};
use zhima_proto::sign::SignType;
use zhima_proto::v1::{self, Charset, GatewayParams, ResponseNode, SdkLayout};
use zhima_proto::v3::{self, Authorization};

fn vectors_dir() -> PathBuf {
    std::env::var_os("ZHIMA_SPEC_DIR")
        .map(|d| PathBuf::from(d).join("vectors"))
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec/vectors")
        })
}

fn load(name: &str) -> Value {
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("golden vector {} is required: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

struct Keys {
    app: PrivateKey,
    app_pub: PublicKey,
    platform: PrivateKey,
    platform_pub: PublicKey,
}

fn keys() -> Keys {
    let k = load("keys.json");
    Keys {
        app: PrivateKey::from_text(s(&k["app"]["private_key_pkcs1_pem"])).unwrap(),
        app_pub: PublicKey::from_text(s(&k["app"]["public_key_spki_pem"])).unwrap(),
        platform: PrivateKey::from_text(s(&k["platform"]["private_key_pkcs8_pem"])).unwrap(),
        platform_pub: PublicKey::from_text(s(&k["platform"]["public_key_spki_base64"])).unwrap(),
    }
}

/// Every byte position of `content` flipped must break verification.
fn assert_every_flip_fails(content: &[u8], mut verify: impl FnMut(&[u8]) -> bool) {
    assert!(verify(content), "the untouched content must verify");
    let mut copy = content.to_vec();
    for i in 0..copy.len() {
        copy[i] ^= 0x01;
        assert!(!verify(&copy), "flipping byte {i} still verified");
        copy[i] ^= 0x01;
    }
}

fn assert_every_signature_flip_fails(sig: &str, verify: impl Fn(&str) -> bool) {
    let mut bytes = sig.as_bytes().to_vec();
    for i in 0..bytes.len() {
        let orig = bytes[i];
        // Swap to another base64 character so most flips stay syntactically valid.
        bytes[i] = if orig == b'A' { b'B' } else { b'A' };
        assert!(
            !verify(std::str::from_utf8(&bytes).unwrap()),
            "signature flip at {i} verified"
        );
        bytes[i] = orig;
    }
}

#[test]
fn every_vector_file_is_covered() {
    let mut names: Vec<String> = std::fs::read_dir(vectors_dir())
        .expect("vectors directory")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "cert_sn.json",
            "keys.json",
            "v1_gateway_request.json",
            "v1_gateway_response.json",
            "v3_request_response.json"
        ],
        "a new vector file needs a test here"
    );
}

#[test]
fn keys_load_in_every_form_and_pairs_match() {
    let k = load("keys.json");
    for role in ["app", "platform"] {
        let public = PublicKey::from_text(s(&k[role]["public_key_spki_pem"])).unwrap();
        assert_eq!(
            PublicKey::from_text(s(&k[role]["public_key_spki_base64"])).unwrap(),
            public
        );
        for form in [
            "private_key_pkcs1_pem",
            "private_key_pkcs8_pem",
            "private_key_pkcs1_base64",
            "private_key_pkcs8_base64",
        ] {
            let private = PrivateKey::from_text(s(&k[role][form])).unwrap();
            assert!(private.matches(&public), "{role}/{form}");
            assert_eq!(private.bits(), 2048);
        }
    }
    let keys = keys();
    assert!(!keys.app.matches(&keys.platform_pub));
    assert!(!keys.platform.matches(&keys.app_pub));
    // The certificate's key is the same key as the SPKI.
    assert_eq!(
        PublicKey::from_text(s(&k["certs"]["platform_cert_pem"])).unwrap(),
        keys.platform_pub
    );
    assert_eq!(
        PublicKey::from_text(s(&k["certs"]["app_cert_pem"])).unwrap(),
        keys.app_pub
    );
}

fn split_url(http: &Value) -> (String, String) {
    let target = http
        .get("url")
        .or(http.get("path_and_query"))
        .map(s)
        .unwrap();
    let query = target
        .split_once('?')
        .map(|(_, q)| q.to_string())
        .unwrap_or_default();
    (query, s(&http["body"]).to_string())
}

#[test]
fn v1_requests_reproduce_and_verify() {
    let doc = load("v1_gateway_request.json");
    let keys = keys();
    let cases = doc["cases"].as_object().unwrap();
    assert_eq!(cases.len(), 5);
    for (name, case) in cases {
        let (query, body) = split_url(&case["http"]);
        let params =
            GatewayParams::parse(query.as_bytes(), body.as_bytes(), Some("utf-8")).unwrap();
        assert_eq!(
            params.sign_content(),
            s(&case["string_to_sign"]),
            "{name}: string to sign"
        );
        assert_eq!(
            params.get("sign"),
            Some(s(&case["sign"])),
            "{name}: decoded sign"
        );
        v1::verify_request(&params, &keys.app_pub).unwrap_or_else(|e| panic!("{name}: {e}"));

        // Deterministic PKCS#1 v1.5: re-signing gives the SDK's exact signature...
        let (content, sign) = v1::sign_params(&params, &keys.app).unwrap();
        assert_eq!(content, s(&case["string_to_sign"]));
        assert_eq!(sign, s(&case["sign"]), "{name}: signature");
        // ...and the SDK's exact wire layout.
        let layout = if name.starts_with("python") {
            SdkLayout::Python
        } else {
            SdkLayout::Node
        };
        let mut unsigned = params.clone();
        unsigned.remove("sign");
        let wire = v1::build_request(&unsigned, &keys.app, layout).unwrap();
        assert_eq!(wire.query, query, "{name}: query layout");
        assert_eq!(wire.body, body, "{name}: body layout");

        let sign_type: SignType = params.get("sign_type").unwrap().parse().unwrap();
        assert_every_flip_fails(content.as_bytes(), |bytes| {
            keys.app_pub.verify(sign_type, bytes, &sign).is_ok()
        });
        assert_every_signature_flip_fails(&sign, |sig| {
            keys.app_pub
                .verify(sign_type, content.as_bytes(), sig)
                .is_ok()
        });
    }
    let aes = &cases["node_state_sync_aes"]["aes"];
    let key = AesKey::from_base64(s(&aes["key_base64"])).unwrap();
    assert_eq!(
        key.encrypt(s(&aes["plaintext"]).as_bytes()),
        s(&aes["ciphertext_base64"])
    );
    assert_eq!(
        key.decrypt_to_string(s(&aes["ciphertext_base64"])).unwrap(),
        s(&aes["plaintext"])
    );
    let certs = load("cert_sn.json");
    let cert_case = &cases["node_state_sync_cert_mode"]["decoded_params_query"];
    assert_eq!(
        s(&cert_case["app_cert_sn"]),
        cert::cert_sn(s(&certs["app_cert_pem"])).unwrap()
    );
    assert_eq!(
        s(&cert_case["alipay_root_cert_sn"]),
        cert::root_cert_sn(s(&certs["root_bundle_pem"])).unwrap()
    );
}

#[test]
fn v1_responses_rebuild_and_verify() {
    let doc = load("v1_gateway_response.json");
    let keys = keys();
    let cases = doc["cases"].as_object().unwrap();
    assert_eq!(cases.len(), 8);
    for (name, case) in cases {
        let body = s(&case["http_body"]);
        if name == "gateway_error_unsigned_example" {
            let node = v1::extract_signed_node(body, "zhima.data.state.data.sync").unwrap();
            assert!(node.is_error_response());
            let err = v1::verify_response(
                body,
                "zhima.data.state.data.sync",
                &keys.platform_pub,
                SignType::Rsa2,
                Charset::Utf8,
                None,
            );
            assert_eq!(
                err,
                Err(zhima_proto::Error::MissingSignature),
                "unsigned bodies fail closed"
            );
            continue;
        }
        let method = case
            .get("method")
            .map(s)
            .unwrap_or("zhima.data.state.data.sync");
        let node = v1::extract_signed_node(body, method).unwrap();
        assert_eq!(
            node.content,
            s(&case["signed_content"]),
            "{name}: extracted content"
        );
        let aes = case
            .get("aes_key_base64")
            .map(|k| AesKey::from_base64(s(k)).unwrap());
        let verified = v1::verify_response(
            body,
            method,
            &keys.platform_pub,
            SignType::Rsa2,
            Charset::Utf8,
            aes.as_ref(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Some(plain) = case.get("decrypted_node") {
            assert_eq!(verified.node_json, s(plain));
        }
        // With the wrong platform key (the app's), every response is rejected.
        assert!(v1::verify_response(
            body,
            method,
            &keys.app_pub,
            SignType::Rsa2,
            Charset::Utf8,
            aes.as_ref()
        )
        .is_err());

        // We write byte-identical bodies (except the escaped-slash case, which we never emit).
        if name != "escaped_slash_case" {
            let node = if node.is_encrypted() {
                ResponseNode::Encrypted(serde_json::from_str(node.content).unwrap())
            } else {
                ResponseNode::Json(node.content.to_string())
            };
            let rebuilt = v1::build_response(
                &v1::response_node_key(method),
                &node,
                &keys.platform,
                SignType::Rsa2,
                Charset::Utf8,
                verified.cert_sn.as_deref(),
            )
            .unwrap();
            assert_eq!(rebuilt, body, "{name}: rebuilt body");
        }
        let content = node.content.as_bytes();
        let sign = node.sign.clone().unwrap();
        assert_every_flip_fails(content, |b| {
            keys.platform_pub.verify(SignType::Rsa2, b, &sign).is_ok()
        });
        assert_every_signature_flip_fails(&sign, |sig| {
            keys.platform_pub
                .verify(SignType::Rsa2, content, sig)
                .is_ok()
        });
    }
    let cert_case = &cases["cert_mode_success"];
    let certs = load("cert_sn.json");
    let node =
        v1::extract_signed_node(s(&cert_case["http_body"]), "zhima.data.state.data.sync").unwrap();
    assert_eq!(
        node.cert_sn.as_deref(),
        Some(s(&certs["expected"]["alipay_cert_sn"]))
    );
}

#[test]
fn v3_requests_reproduce_and_verify() {
    let doc = load("v3_request_response.json");
    let keys = keys();
    let requests = doc["requests"].as_object().unwrap();
    assert_eq!(requests.len(), 5);
    for (name, case) in requests {
        let http = &case["http"];
        let headers = &http["headers"];
        let auth = Authorization::parse(s(&headers["authorization"])).unwrap();
        assert_eq!(auth.auth_string, s(&case["auth_string"]), "{name}");
        let token = headers.get(v3::HEADER_APP_AUTH_TOKEN).map(s);
        let (method, uri, body) = (
            s(&http["method"]),
            s(&http["path_and_query"]),
            s(&http["body"]),
        );
        let content = auth.sign_content(method, uri, body, token);
        assert_eq!(
            content,
            s(&case["string_to_sign"]),
            "{name}: string to sign"
        );
        auth.verify(&keys.app_pub, method, uri, body, token)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // Re-signing the same fields reproduces the SDK's header exactly.
        let resigned =
            Authorization::sign(&keys.app, auth.fields.clone(), method, uri, body, token).unwrap();
        assert_eq!(
            resigned.header_value(),
            s(&headers["authorization"]),
            "{name}: header"
        );
        assert_every_flip_fails(content.as_bytes(), |b| {
            keys.app_pub.verify(SignType::Rsa2, b, &auth.sign).is_ok()
        });
        assert_every_signature_flip_fails(&auth.sign, |sig| {
            keys.app_pub
                .verify(SignType::Rsa2, content.as_bytes(), sig)
                .is_ok()
        });
        if let Some(plain) = case.get("aes_plaintext") {
            let key = AesKey::from_base64(s(&case["aes_key_base64"])).unwrap();
            assert_eq!(key.decrypt_to_string(body).unwrap(), s(plain));
            assert_eq!(key.encrypt(s(plain).as_bytes()), body);
        }
    }
    let certs = load("cert_sn.json");
    let cert_auth = Authorization::parse(s(
        &requests["post_cert_mode"]["http"]["headers"]["authorization"]
    ))
    .unwrap();
    assert_eq!(
        cert_auth.fields.app_cert_sn.as_deref(),
        Some(s(&certs["expected"]["app_cert_sn"]))
    );
}

#[test]
fn v3_responses_reproduce_and_verify() {
    let doc = load("v3_request_response.json");
    let keys = keys();
    let certs = load("cert_sn.json");
    let responses = doc["responses"].as_object().unwrap();
    assert_eq!(responses.len(), 4);
    for (name, case) in responses {
        let h = &case["headers"];
        let body = s(&case["body"]);
        let (ts, nonce, sig) = (
            s(&h["alipay-timestamp"]),
            s(&h["alipay-nonce"]),
            s(&h["alipay-signature"]),
        );
        assert_eq!(
            v3::response_sign_content(ts, nonce, body),
            s(&case["string_to_sign"]),
            "{name}"
        );
        let sn = h.get("alipay-sn").map(s);
        let signed =
            v3::sign_response(&keys.platform, ts.parse().unwrap(), nonce, body, sn).unwrap();
        assert_eq!(signed.signature, sig, "{name}: signature");
        v3::verify_response(
            &keys.platform_pub,
            Some(ts),
            Some(nonce),
            Some(sig),
            sn,
            sn,
            body,
        )
        .unwrap();
        assert!(v3::verify_response(
            &keys.app_pub,
            Some(ts),
            Some(nonce),
            Some(sig),
            sn,
            None,
            body
        )
        .is_err());
        assert!(v3::verify_response(
            &keys.platform_pub,
            Some(ts),
            Some(nonce),
            None,
            sn,
            None,
            body
        )
        .is_err());
        assert!(v3::verify_response(
            &keys.platform_pub,
            Some(ts),
            Some(nonce),
            Some(sig),
            None,
            Some("ffff"),
            body
        )
        .is_err());
        let content = v3::response_sign_content(ts, nonce, body);
        assert_every_flip_fails(content.as_bytes(), |b| {
            keys.platform_pub.verify(SignType::Rsa2, b, sig).is_ok()
        });
        assert_every_signature_flip_fails(sig, |x| {
            keys.platform_pub
                .verify(SignType::Rsa2, content.as_bytes(), x)
                .is_ok()
        });
        if let Some(plain) = case.get("plaintext") {
            let key = AesKey::from_base64(s(&load("keys.json")["aes_key_base64"])).unwrap();
            assert_eq!(key.decrypt_to_string(body).unwrap(), s(plain));
        }
        if let Some(sn) = sn {
            assert_eq!(sn, s(&certs["expected"]["alipay_cert_sn"]));
        }
    }
}

#[test]
fn cert_sns_match() {
    let c = load("cert_sn.json");
    let app = cert::load_certificate(s(&c["app_cert_pem"])).unwrap();
    assert_eq!(
        format!("{}{}", app.issuer_dn, app.serial_decimal),
        s(&c["app_cert_sn_input_string"])
    );
    assert_eq!(app.sn, s(&c["expected"]["app_cert_sn"]));
    assert_eq!(
        cert::cert_sn(s(&c["platform_cert_pem"])).unwrap(),
        s(&c["expected"]["alipay_cert_sn"])
    );
    assert_eq!(
        cert::root_cert_sn(s(&c["root_bundle_pem"])).unwrap(),
        s(&c["expected"]["alipay_root_cert_sn"])
    );
}
