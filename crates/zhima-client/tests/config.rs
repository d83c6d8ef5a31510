//! The builder refuses unusable configurations up front, naming the problem.

mod common;

use common::*;
use zhima_client::proto::keys::PrivateKey;
use zhima_client::{ClientBuilder, Endpoint, Error, ZhimaClient};

fn config_error(b: ClientBuilder) -> String {
    match b.build() {
        Err(Error::Config(msg)) => msg,
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn required_parts_are_named_when_missing() {
    let k = keys();
    let msg = config_error(
        ZhimaClient::builder()
            .app_private_key(&k.app_pkcs1_pem)
            .platform_public_key(&k.platform_pub_b64),
    );
    assert!(msg.contains("app_id"), "{msg}");
    let msg = config_error(
        ZhimaClient::builder()
            .app_id(APP_ID)
            .platform_public_key(&k.platform_pub_b64),
    );
    assert!(msg.contains("app private key"), "{msg}");
    let msg = config_error(
        ZhimaClient::builder()
            .app_id(APP_ID)
            .app_private_key(&k.app_pkcs1_pem),
    );
    assert!(msg.contains("platform public key"), "{msg}");
}

#[test]
fn key_mix_ups_are_caught() {
    let k = keys();
    // A public key where the private key belongs.
    let msg = config_error(builder("http://127.0.0.1:1").app_private_key(k.app_pub.to_spki_pem()));
    assert!(msg.contains("this is a public key"), "{msg}");
    // The app's own public key configured as the platform key.
    let msg =
        config_error(builder("http://127.0.0.1:1").platform_public_key(k.app_pub.to_spki_base64()));
    assert!(msg.contains("app's own public key"), "{msg}");
    // Cert mode with the platform certificate where the app certificate belongs.
    let msg = config_error(builder("http://127.0.0.1:1").certificates(
        &k.platform_cert,
        &k.root_bundle,
        &k.platform_cert,
    ));
    assert!(msg.contains("app certificate"), "{msg}");
    let msg = config_error(builder("http://127.0.0.1:1").certificates(
        &k.app_cert,
        "not a bundle",
        &k.platform_cert,
    ));
    assert!(msg.contains("root"), "{msg}");
}

#[test]
fn every_private_key_form_loads() {
    let key = PrivateKey::generate().unwrap();
    for text in [
        key.to_pkcs1_pem(),
        key.to_pkcs8_pem(),
        key.to_pkcs1_base64(),
        key.to_pkcs8_base64(),
    ] {
        builder("http://127.0.0.1:1")
            .app_private_key(text)
            .build()
            .unwrap();
    }
}

#[test]
fn aes_and_endpoints_are_checked() {
    let msg = config_error(builder("http://127.0.0.1:1").aes_key("c2hvcnQ="));
    assert!(msg.contains("AES"), "{msg}");
    let msg = config_error(builder("http://127.0.0.1:1").encrypt_requests(true));
    assert!(msg.contains("AES key"), "{msg}");
    for (gw, v3) in [
        ("ftp://x/gateway.do", "https://x"),
        ("https://x/gateway.do?a=1", "https://x"),
        ("https://x", "not a url"),
    ] {
        let msg = config_error(builder("http://127.0.0.1:1").endpoint(Endpoint::custom(gw, v3)));
        assert!(msg.contains("URL"), "{msg}");
    }
    assert_eq!(
        Endpoint::sandbox().gateway_url(),
        "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
    );
    builder("http://127.0.0.1:1")
        .endpoint(Endpoint::sandbox())
        .build()
        .unwrap();
    builder("http://127.0.0.1:1")
        .endpoint(Endpoint::production())
        .build()
        .unwrap();
}

#[test]
fn debug_output_shows_no_secrets() {
    let k = keys();
    let b = builder("http://127.0.0.1:1")
        .app_auth_token("secret-token")
        .aes_key(&k.aes_b64);
    assert!(!format!("{b:?}").contains("secret-token"));
    let client = b.build().unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains("secret-token"), "{debug}");
    assert!(!debug.contains(&k.aes_b64), "{debug}");
    assert!(
        !debug.contains(k.app_pkcs1_pem.lines().nth(1).unwrap()),
        "{debug}"
    );
}
