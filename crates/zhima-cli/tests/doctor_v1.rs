//! `zhima doctor` on v1 gateway requests: one request broken in exactly one classic way per
//! test (built and signed with zhima-proto), and the diagnosis must name that mistake.

mod cli_support;

use cli_support::{
    assert_diagnosis, codes, doctor, errors, first_explanation, zhima, Keys, NOW, TIMESTAMP,
};
use zhima_proto::keys::PrivateKey;
use zhima_proto::v1::{self, form_encode, form_encode_pairs, Charset, FormStyle, GatewayParams};
use zhima_proto::SignType;

const BIZ: &str = r#"{"user_id":"2088602002015001","out_biz_no":"OB-1","biz_data":"{\"movie_name\":\"流浪地球\",\"url\":\"https://m/a b\"}","service_id":"2019080700000000000001800100"}"#;

fn params_with(extra: &[(&str, &str)]) -> GatewayParams {
    let mut p = GatewayParams::from_pairs([
        ("app_id", "2021000000000001"),
        ("method", "zhima.data.state.data.sync"),
        ("format", "json"),
        ("charset", "utf-8"),
        ("sign_type", "RSA2"),
        ("timestamp", TIMESTAMP),
        ("version", "1.0"),
        ("biz_content", BIZ),
    ]);
    for (k, v) in extra {
        p.insert(*k, *v);
    }
    p
}

fn params() -> GatewayParams {
    params_with(&[])
}

/// Signs `text` as the client would: bytes in `charset`, algorithm `st`.
fn sign_text(key: &PrivateKey, st: SignType, charset: Charset, text: &str) -> String {
    key.sign(st, &charset.encode(text).unwrap()).unwrap()
}

/// `--url`/`--body` of a request: biz_content in the body, the rest (with sign) in the query.
fn wire_args(params: &GatewayParams, sign: &str) -> Vec<String> {
    let mut query: Vec<(&str, &str)> = params.iter().filter(|(k, _)| *k != "biz_content").collect();
    query.push(("sign", sign));
    let body: Vec<(&str, &str)> = params.iter().filter(|(k, _)| *k == "biz_content").collect();
    let charset = params.charset();
    vec![
        "--url".into(),
        format!(
            "http://127.0.0.1:8080/gateway.do?{}",
            form_encode_pairs(query, charset, FormStyle::Python).unwrap()
        ),
        "--body".into(),
        form_encode_pairs(body, charset, FormStyle::Python).unwrap(),
    ]
}

fn run(slots: Vec<String>, params: &GatewayParams, sign: &str) -> (i32, serde_json::Value) {
    let mut args = wire_args(params, sign);
    args.extend(slots);
    doctor(&args)
}

#[test]
fn a_correct_request_gets_signature_ok() {
    let keys = Keys::new();
    let p = params();
    let (_, sign) = v1::sign_params(&p, &keys.app).unwrap();
    let (exit, report) = run(keys.args(), &p, &sign);
    assert_eq!(exit, 0, "{report:#}");
    assert_eq!(codes(&report), vec!["SIGNATURE_OK"]);
    assert_eq!(report["ok"], true);
    assert_eq!(report["api"], "v1");
    assert_eq!(report["string_to_sign"], p.sign_content());
    assert_eq!(
        report["verify_key"]["fingerprint"],
        keys.app.public_key().fingerprint()
    );
}

#[test]
fn signed_with_the_platform_key_is_a_wrong_key_slot() {
    let keys = Keys::new();
    let p = params();
    let (_, sign) = v1::sign_params(&p, &keys.platform).unwrap();
    let (exit, report) = run(keys.args(), &p, &sign);
    assert_diagnosis(exit, &report, "WRONG_KEY_SLOT");
    assert!(first_explanation(&report).contains("platform's private key"));
}

#[test]
fn an_app_public_key_that_is_the_platforms_is_a_wrong_key_slot() {
    let keys = Keys::new();
    let p = params();
    let (_, sign) = v1::sign_params(&p, &keys.app).unwrap();
    // The merchant registered the platform's public key as its app public key.
    let slots = keys.slot_args(
        "app_private.pem",
        "platform_public.pem",
        "platform_public.pem",
    );
    let (exit, report) = run(slots, &p, &sign);
    assert_diagnosis(exit, &report, "WRONG_KEY_SLOT");
    assert!(first_explanation(&report).contains("app public key given is the platform's"));
}

#[test]
fn the_app_public_key_in_the_platform_slot_is_a_wrong_key_slot() {
    let keys = Keys::new();
    let p = params();
    let (_, sign) = v1::sign_params(&p, &keys.app).unwrap();
    let slots = keys.slot_args("app_private.pem", "app_public.pem", "app_public.pem");
    let (exit, report) = run(slots, &p, &sign);
    assert_eq!(errors(&report), vec!["WRONG_KEY_SLOT"], "{report:#}");
    assert_eq!(exit, 1);
    // The request itself is fine: only the platform slot is wrong.
    assert!(codes(&report).contains(&"SIGNATURE_OK".to_string()));
}

#[test]
fn a_pkcs1_body_under_a_pkcs8_header_is_reported() {
    let keys = Keys::new();
    let p = params();
    let (_, sign) = v1::sign_params(&p, &keys.app).unwrap();
    keys.write(
        "mislabelled.pem",
        &keys
            .app
            .to_pkcs1_pem()
            .replace("RSA PRIVATE KEY", "PRIVATE KEY"),
    );
    let slots = keys.slot_args("mislabelled.pem", "", "platform_public.pem");
    let (exit, report) = run(slots, &p, &sign);
    assert_diagnosis(exit, &report, "PKCS_HEADER_MISMATCH");
    let explanation = first_explanation(&report);
    assert!(
        explanation.contains("BEGIN PRIVATE KEY") && explanation.contains("PKCS#1"),
        "{explanation}"
    );
    // The body is still usable, so the signature itself is judged too.
    assert!(codes(&report).contains(&"SIGNATURE_OK".to_string()));
}

#[test]
fn a_pkcs8_body_under_a_pkcs1_header_is_reported() {
    let keys = Keys::new();
    keys.write(
        "mislabelled.pem",
        &keys
            .app
            .to_pkcs8_pem()
            .replace("PRIVATE KEY", "RSA PRIVATE KEY"),
    );
    let p = params();
    let (_, sign) = v1::sign_params(&p, &keys.app).unwrap();
    let (exit, report) = run(
        keys.slot_args("mislabelled.pem", "app_public.pem", ""),
        &p,
        &sign,
    );
    assert_diagnosis(exit, &report, "PKCS_HEADER_MISMATCH");
}

#[test]
fn sha1_under_sign_type_rsa2_is_a_sign_type_mismatch() {
    let keys = Keys::new();
    let p = params();
    let sign = sign_text(&keys.app, SignType::Rsa, Charset::Utf8, &p.sign_content());
    let (exit, report) = run(keys.args(), &p, &sign);
    assert_diagnosis(exit, &report, "SIGN_TYPE_MISMATCH");
    assert!(first_explanation(&report).contains("SHA1withRSA"));
}

#[test]
fn gbk_bytes_under_charset_utf8_is_a_charset_mismatch() {
    let keys = Keys::new();
    let p = params();
    let sign = sign_text(&keys.app, SignType::Rsa2, Charset::Gbk, &p.sign_content());
    let (exit, report) = run(keys.args(), &p, &sign);
    assert_diagnosis(exit, &report, "CHARSET_MISMATCH");
}

#[test]
fn utf8_bytes_under_charset_gbk_is_a_charset_mismatch() {
    let keys = Keys::new();
    let p = params_with(&[("charset", "GBK")]);
    let sign = sign_text(&keys.app, SignType::Rsa2, Charset::Utf8, &p.sign_content());
    let (exit, report) = run(keys.args(), &p, &sign);
    assert_diagnosis(exit, &report, "CHARSET_MISMATCH");
}

#[test]
fn signing_url_encoded_values_is_diagnosed() {
    let keys = Keys::new();
    let p = params();
    let encoded: Vec<(String, String)> = p
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                form_encode(v, Charset::Utf8, FormStyle::Python).unwrap(),
            )
        })
        .collect();
    let text = v1::sign_content(encoded.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    assert!(text.contains("timestamp=2024-05-20+10%3A00%3A00"));
    let sign = sign_text(&keys.app, SignType::Rsa2, Charset::Utf8, &text);
    let (exit, report) = run(keys.args(), &p, &sign);
    assert_diagnosis(exit, &report, "VALUES_URL_ENCODED");
    assert_eq!(report["findings"][0]["signed_string"], text);
}

#[test]
fn signing_empty_params_is_diagnosed() {
    let keys = Keys::new();
    let p = params_with(&[("notify_url", ""), ("app_auth_token", "")]);
    let mut all: Vec<(&str, &str)> = p.iter().collect();
    all.sort();
    let text = all
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    assert!(text.contains("notify_url=&"));
    let sign = sign_text(&keys.app, SignType::Rsa2, Charset::Utf8, &text);
    let (exit, report) = run(keys.args(), &p, &sign);
    assert_diagnosis(exit, &report, "EMPTY_PARAMS_SIGNED");
    assert!(first_explanation(&report).contains("app_auth_token, notify_url"));
}

#[test]
fn leaving_sign_type_out_of_the_string_is_diagnosed() {
    let keys = Keys::new();
    let p = params();
    let text = v1::sign_content(p.iter().filter(|(k, _)| *k != "sign_type"));
    let sign = sign_text(&keys.app, SignType::Rsa2, Charset::Utf8, &text);
    let (exit, report) = run(keys.args(), &p, &sign);
    assert_diagnosis(exit, &report, "SIGN_TYPE_NOT_SIGNED");
}

#[test]
fn re_serialised_biz_content_is_diagnosed() {
    let keys = Keys::new();
    // The client signed the SDK's key-sorted serialisation, then sent its original text.
    let value: serde_json::Value = serde_json::from_str(BIZ).unwrap();
    let signed_biz = zhima_proto::models::canonical_json(&value);
    assert_ne!(signed_biz, BIZ);
    let signed = params_with(&[("biz_content", signed_biz.as_str())]);
    let sign = sign_text(
        &keys.app,
        SignType::Rsa2,
        Charset::Utf8,
        &signed.sign_content(),
    );
    let (exit, report) = run(keys.args(), &params(), &sign);
    assert_diagnosis(exit, &report, "BIZ_CONTENT_RESERIALISED");
    assert!(first_explanation(&report).contains("keys sorted"));
}

#[test]
fn a_key_pair_that_does_not_match_is_diagnosed() {
    let keys = Keys::new();
    let stray = PrivateKey::generate().unwrap();
    keys.write("stray_private.pem", &stray.to_pkcs8_pem());
    let p = params();
    let (_, sign) = v1::sign_params(&p, &stray).unwrap();
    let slots = keys.slot_args("stray_private.pem", "app_public.pem", "platform_public.pem");
    let (exit, report) = run(slots, &p, &sign);
    assert_diagnosis(exit, &report, "KEY_PAIR_MISMATCH");
}

#[test]
fn an_unknown_signing_key_is_unexplained() {
    let keys = Keys::new();
    let p = params();
    let (_, sign) = v1::sign_params(&p, &PrivateKey::generate().unwrap()).unwrap();
    let (exit, report) = run(keys.args(), &p, &sign);
    assert_diagnosis(exit, &report, "SIGNATURE_UNEXPLAINED");
}

#[test]
fn an_unencoded_sign_in_the_url_is_diagnosed() {
    let keys = Keys::new();
    // PKCS#1 v1.5 is deterministic: vary the request until its signature has a '+'.
    let (p, sign) = (0..200)
        .map(|i| {
            let p = params_with(&[("biz_content", &BIZ.replace("OB-1", &format!("OB-{i}")))]);
            let sign = v1::sign_params(&p, &keys.app).unwrap().1;
            (p, sign)
        })
        .find(|(_, s)| s.contains('+'))
        .expect("one of 200 signatures has a '+'");
    let mut args = wire_args(&p, "SIGN");
    // Put the raw base64 into the URL, as a hand-built client does.
    args[1] = args[1].replace("sign=SIGN", &format!("sign={sign}"));
    args.extend(keys.args());
    let (exit, report) = doctor(&args);
    assert_diagnosis(exit, &report, "SIGN_NOT_URL_ENCODED");
    assert!(
        codes(&report).contains(&"SIGNATURE_OK".to_string()),
        "with + restored it verifies"
    );
}

#[test]
fn a_timestamp_out_of_the_window_is_clock_skew() {
    let keys = Keys::new();
    let p = params_with(&[("timestamp", "2024-05-20 09:30:00")]);
    let (_, sign) = v1::sign_params(&p, &keys.app).unwrap();
    let (exit, report) = run(keys.args(), &p, &sign);
    assert_diagnosis(exit, &report, "CLOCK_SKEW");
    assert!(first_explanation(&report).contains("31m 0s behind"));
    // A UTC wall time is recognised as such.
    let p = params_with(&[("timestamp", "2024-05-20 02:01:00")]);
    let (_, sign) = v1::sign_params(&p, &keys.app).unwrap();
    let (_, report) = run(keys.args(), &p, &sign);
    assert!(
        first_explanation(&report).contains("written in UTC"),
        "{report:#}"
    );
}

#[test]
fn an_app_cert_sn_that_is_not_the_certificates_is_diagnosed() {
    let keys = Keys::new();
    let vectors: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(cli_support::vectors_dir().join("cert_sn.json")).unwrap(),
    )
    .unwrap();
    let cert = keys.write("app_cert.pem", vectors["app_cert_pem"].as_str().unwrap());
    let expected = vectors["expected"]["app_cert_sn"].as_str().unwrap();
    let mut slots = keys.args();
    slots.extend(["--app-cert".into(), cert.display().to_string()]);
    // The right SN raises nothing about certificates.
    let p = params_with(&[("app_cert_sn", expected)]);
    let (_, sign) = v1::sign_params(&p, &keys.app).unwrap();
    let (_, report) = run(slots.clone(), &p, &sign);
    assert!(
        !codes(&report).contains(&"CERT_SN_MISMATCH".to_string()),
        "{report:#}"
    );
    // The SN of another certificate (here the platform's) is diagnosed.
    let p = params_with(&[(
        "app_cert_sn",
        vectors["expected"]["alipay_cert_sn"].as_str().unwrap(),
    )]);
    let (_, sign) = v1::sign_params(&p, &keys.app).unwrap();
    let (exit, report) = run(slots, &p, &sign);
    assert_diagnosis(exit, &report, "CERT_SN_MISMATCH");
    assert!(first_explanation(&report).contains(expected));
}

#[test]
fn a_curl_line_is_read_like_the_gateway_reads_it() {
    let keys = Keys::new();
    let p = params();
    let layout = v1::build_request(&p, &keys.app, v1::SdkLayout::Node).unwrap();
    let line = format!(
        "curl -sS -X POST 'http://127.0.0.1:8080/gateway.do?{}' \\\n  -H 'Content-Type: application/x-www-form-urlencoded;charset=UTF-8' \\\n  --data-raw '{}'",
        layout.query, layout.body
    );
    let mut args = vec!["--curl".to_string(), line.clone()];
    args.extend(keys.args());
    let (exit, report) = doctor(&args);
    assert_eq!(
        (exit, codes(&report)),
        (0, vec!["SIGNATURE_OK".to_string()]),
        "{report:#}"
    );
    // The same line from a file, with a broken sign_type: the diagnosis survives the transport.
    let broken = line.replace("sign_type=RSA2", "sign_type=RSA");
    let file = keys.write("request.sh", &broken);
    let mut args = vec!["--curl".to_string(), format!("@{}", file.display())];
    args.extend(keys.args());
    let (exit, report) = doctor(&args);
    assert_diagnosis(exit, &report, "SIGN_TYPE_MISMATCH");
}

#[test]
fn human_output_shows_the_string_and_the_diagnosis() {
    let keys = Keys::new();
    let p = params();
    let sign = sign_text(&keys.app, SignType::Rsa, Charset::Utf8, &p.sign_content());
    let mut args: Vec<String> = vec!["doctor".into(), "--now".into(), NOW.into()];
    args.extend(wire_args(&p, &sign));
    args.extend(keys.args());
    let (exit, stdout, stderr) = zhima(&args);
    assert_eq!(exit, 1);
    assert!(
        stdout.contains("string-to-sign the platform rebuilds:"),
        "{stdout}"
    );
    assert!(stdout.contains(&p.sign_content()), "{stdout}");
    assert!(stdout.contains("[error] SIGN_TYPE_MISMATCH"), "{stdout}");
    assert!(stdout.contains("fix: "), "{stdout}");
    assert!(stderr.contains("diagnosis: SIGN_TYPE_MISMATCH"), "{stderr}");
}

#[test]
fn missing_keys_or_request_are_usage_errors() {
    let keys = Keys::new();
    let p = params();
    let (code, _, stderr) = zhima(&[vec!["doctor".to_string()], wire_args(&p, "x")].concat());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--app-public-key"), "{stderr}");
    let (code, _, stderr) = zhima(&[vec!["doctor".to_string()], keys.args()].concat());
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = zhima(&[
        "doctor",
        "--curl",
        "curl 'unterminated",
        "--app-public-key",
        "x",
    ]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn keys_can_come_from_a_serve_data_dir() {
    let keys = Keys::new();
    // Lay the keys out as `zhima serve` does: DIR/keys/{app_private,app_public,platform_public}.pem.
    std::fs::create_dir(keys.path("keys")).unwrap();
    for name in ["app_private.pem", "app_public.pem", "platform_public.pem"] {
        std::fs::copy(keys.path(name), keys.path(&format!("keys/{name}"))).unwrap();
    }
    let p = params();
    let (_, sign) = v1::sign_params(&p, &keys.platform).unwrap();
    let mut args = wire_args(&p, &sign);
    args.extend(["--data-dir".into(), keys.dir.path().display().to_string()]);
    let (exit, report) = doctor(&args);
    assert_diagnosis(exit, &report, "WRONG_KEY_SLOT");
    assert_eq!(report["verify_key"]["source"], "the app public key");
}

#[test]
fn bash_ansi_c_quoting_is_refused_not_misread() {
    // `$'biz_content=…'` splits (POSIX) into the word `$biz_content=…`: the body diagnosed
    // would not be the body sent. With `\'` inside it does not split at all.
    let keys = Keys::new();
    let p = params();
    let layout = v1::build_request(&p, &keys.app, v1::SdkLayout::Node).unwrap();
    for body in [
        format!("$'{}'", layout.body),
        r"$'biz_content={\'a\':1}'".to_string(),
    ] {
        let line = format!(
            "curl 'http://127.0.0.1:8080/gateway.do?{}' --data-raw {body}",
            layout.query
        );
        let mut args = vec!["doctor".to_string(), "--curl".to_string(), line];
        args.extend(keys.args());
        let (code, stdout, stderr) = zhima(&args);
        assert_eq!(code, 2, "{stdout}{stderr}");
        assert!(stderr.contains("$'…' quoting"), "{stderr}");
    }
}

#[test]
fn a_request_without_sign_is_missing_param() {
    let keys = Keys::new();
    let p = params();
    let mut args = wire_args(&p, "");
    // Drop `&sign=` from the URL entirely.
    args[1] = args[1].replace("&sign=", "");
    args.extend(keys.args());
    let (exit, report) = doctor(&args);
    assert_diagnosis(exit, &report, "MISSING_PARAM");
    assert!(report.to_string().contains("no sign"), "{report:#}");
}
