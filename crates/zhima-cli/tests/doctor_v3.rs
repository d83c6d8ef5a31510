//! `zhima doctor` on v3 REST requests: each request broken in exactly one way (signed with
//! zhima-proto), and the diagnosis must name that mistake.

mod cli_support;

use cli_support::{assert_diagnosis, codes, doctor, first_explanation, Keys, TIMESTAMP_MS};
use zhima_proto::keys::PrivateKey;
use zhima_proto::v3::{request_sign_content, AuthString, Authorization, AUTH_SCHEME};
use zhima_proto::SignType;

const PATH: &str = "/v3/zhima/credit/pe/zmgo/cumulation/sync";
const BODY: &str = r#"{"agreement_no":"20195108518085620000","user_id":"2088602002015001","out_biz_no":"R/1","biz_action":"ORDER_PAID","amount_type_data":{"name":"累计消费"}}"#;
const TOKEN: &str = "202405BBtestAppAuthToken0000000000000001";

fn fields(app_cert_sn: Option<&str>, timestamp: &str) -> AuthString {
    AuthString {
        app_id: "2021000000000001".into(),
        app_cert_sn: app_cert_sn.map(str::to_string),
        nonce: "5d1bd0b2-9f59-4d38-a2f4-0b5b7c8e1f00".into(),
        timestamp: timestamp.into(),
        extra: Vec::new(),
    }
}

/// An Authorization header whose signature is over `signed` (with `key`, `st`).
fn header_over(fields: &AuthString, key: &PrivateKey, st: SignType, signed: &[u8]) -> String {
    format!(
        "{AUTH_SCHEME} {fields},sign={}",
        key.sign(st, signed).unwrap()
    )
}

/// Runs doctor on a request given by flags.
fn run(
    keys: &Keys,
    method: &str,
    target: &str,
    body: &str,
    authorization: &str,
    headers: &[&str],
) -> (i32, serde_json::Value) {
    let mut args: Vec<String> = vec![
        "--method".into(),
        method.into(),
        "--path".into(),
        target.into(),
        "--authorization".into(),
        authorization.into(),
    ];
    if !body.is_empty() {
        args.extend(["--body".into(), body.into()]);
    }
    for h in headers {
        args.extend(["-H".into(), h.to_string()]);
    }
    args.extend(keys.args());
    doctor(&args)
}

fn correct_header(
    keys: &Keys,
    method: &str,
    target: &str,
    body: &str,
    token: Option<&str>,
) -> String {
    Authorization::sign(
        &keys.app,
        fields(None, TIMESTAMP_MS),
        method,
        target,
        body,
        token,
    )
    .unwrap()
    .header_value()
}

#[test]
fn a_correct_request_gets_signature_ok() {
    let keys = Keys::new();
    let auth = correct_header(&keys, "POST", PATH, BODY, None);
    let (exit, report) = run(&keys, "POST", PATH, BODY, &auth, &[]);
    assert_eq!(
        (exit, codes(&report)),
        (0, vec!["SIGNATURE_OK".to_string()]),
        "{report:#}"
    );
    assert_eq!(report["api"], "v3");
    let expected = request_sign_content(
        &fields(None, TIMESTAMP_MS).to_string(),
        "POST",
        PATH,
        BODY,
        None,
    );
    assert_eq!(report["string_to_sign"], expected);
}

#[test]
fn a_correct_curl_line_with_a_token_gets_signature_ok() {
    let keys = Keys::new();
    let target = "/v3/zhima/merchant/zmgo/cumulate/query?agreement_no=2019&need_detail=true";
    let auth = correct_header(&keys, "GET", target, "", Some(TOKEN));
    let line = format!(
        "curl -s 'http://127.0.0.1:8080{target}' -H 'Authorization: {auth}' -H 'alipay-app-auth-token: {TOKEN}' -H 'Accept: application/json'"
    );
    let mut args = vec!["--curl".to_string(), line];
    args.extend(keys.args());
    let (exit, report) = doctor(&args);
    assert_eq!(
        (exit, codes(&report)),
        (0, vec!["SIGNATURE_OK".to_string()]),
        "{report:#}"
    );
}

#[test]
fn signed_with_the_platform_key_is_a_wrong_key_slot() {
    let keys = Keys::new();
    let auth = Authorization::sign(
        &keys.platform,
        fields(None, TIMESTAMP_MS),
        "POST",
        PATH,
        BODY,
        None,
    )
    .unwrap();
    let (exit, report) = run(&keys, "POST", PATH, BODY, &auth.header_value(), &[]);
    assert_diagnosis(exit, &report, "WRONG_KEY_SLOT");
}

#[test]
fn sha1_is_a_sign_type_mismatch() {
    let keys = Keys::new();
    let f = fields(None, TIMESTAMP_MS);
    let content = request_sign_content(&f.to_string(), "POST", PATH, BODY, None);
    let auth = header_over(&f, &keys.app, SignType::Rsa, content.as_bytes());
    let (exit, report) = run(&keys, "POST", PATH, BODY, &auth, &[]);
    assert_diagnosis(exit, &report, "SIGN_TYPE_MISMATCH");
}

#[test]
fn gbk_bytes_are_a_charset_mismatch() {
    let keys = Keys::new();
    let f = fields(None, TIMESTAMP_MS);
    let content = request_sign_content(&f.to_string(), "POST", PATH, BODY, None);
    let gbk = zhima_proto::v1::Charset::Gbk.encode(&content).unwrap();
    let auth = header_over(&f, &keys.app, SignType::Rsa2, &gbk);
    let (exit, report) = run(&keys, "POST", PATH, BODY, &auth, &[]);
    assert_diagnosis(exit, &report, "CHARSET_MISMATCH");
}

#[test]
fn a_re_serialised_body_is_diagnosed() {
    let keys = Keys::new();
    // Signed with '/' escaped as the Java SDK writes it, sent without.
    let signed_body = BODY.replace('/', "\\/");
    let auth = correct_header(&keys, "POST", PATH, &signed_body, None);
    let (exit, report) = run(&keys, "POST", PATH, BODY, &auth, &[]);
    assert_diagnosis(exit, &report, "BODY_RESERIALISED");
    assert!(first_explanation(&report).contains("Java SDK"));
}

#[test]
fn a_token_header_without_its_signed_line_is_diagnosed() {
    let keys = Keys::new();
    let auth = correct_header(&keys, "POST", PATH, BODY, None);
    let token = format!("alipay-app-auth-token: {TOKEN}");
    let (exit, report) = run(&keys, "POST", PATH, BODY, &auth, &[&token]);
    assert_diagnosis(exit, &report, "APP_AUTH_TOKEN_LINE");
}

#[test]
fn signing_the_decoded_target_is_diagnosed() {
    let keys = Keys::new();
    let sent = "/v3/zhima/merchant/zmgo/cumulate/query?agreement_no=2019&name=%E7%B4%AF%20x";
    let auth = correct_header(
        &keys,
        "GET",
        "/v3/zhima/merchant/zmgo/cumulate/query?agreement_no=2019&name=累 x",
        "",
        None,
    );
    let (exit, report) = run(&keys, "GET", sent, "", &auth, &[]);
    assert_diagnosis(exit, &report, "VALUES_URL_ENCODED");
}

#[test]
fn signing_the_full_url_is_a_request_target_mismatch() {
    let keys = Keys::new();
    let url = format!("http://127.0.0.1:8080{PATH}");
    let auth = correct_header(&keys, "POST", &url, BODY, None);
    let line = format!("curl -X POST '{url}' -H 'Authorization: {auth}' --json '{BODY}'");
    let mut args = vec!["--curl".to_string(), line];
    args.extend(keys.args());
    let (exit, report) = doctor(&args);
    assert_diagnosis(exit, &report, "REQUEST_TARGET_MISMATCH");
}

#[test]
fn a_missing_final_newline_is_a_layout_mistake() {
    let keys = Keys::new();
    let f = fields(None, TIMESTAMP_MS);
    let content = request_sign_content(&f.to_string(), "POST", PATH, BODY, None);
    let auth = header_over(
        &f,
        &keys.app,
        SignType::Rsa2,
        content.trim_end_matches('\n').as_bytes(),
    );
    let (exit, report) = run(&keys, "POST", PATH, BODY, &auth, &[]);
    assert_diagnosis(exit, &report, "STRING_TO_SIGN_LAYOUT");
}

#[test]
fn seconds_instead_of_milliseconds_is_clock_skew() {
    let keys = Keys::new();
    let seconds = &TIMESTAMP_MS[..10];
    let auth =
        Authorization::sign(&keys.app, fields(None, seconds), "POST", PATH, BODY, None).unwrap();
    let (exit, report) = run(&keys, "POST", PATH, BODY, &auth.header_value(), &[]);
    assert_diagnosis(exit, &report, "CLOCK_SKEW");
    assert!(first_explanation(&report).contains("seconds, not milliseconds"));
}

#[test]
fn an_app_cert_sn_that_is_not_the_certificates_is_diagnosed() {
    let keys = Keys::new();
    let vectors: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(cli_support::vectors_dir().join("cert_sn.json")).unwrap(),
    )
    .unwrap();
    let cert = keys.write("app_cert.pem", vectors["app_cert_pem"].as_str().unwrap());
    let wrong_sn = "0".repeat(32);
    let auth = Authorization::sign(
        &keys.app,
        fields(Some(&wrong_sn), TIMESTAMP_MS),
        "POST",
        PATH,
        BODY,
        None,
    )
    .unwrap();
    let mut args: Vec<String> = vec![
        "--path".into(),
        PATH.into(),
        "--authorization".into(),
        auth.header_value(),
        "--body".into(),
        BODY.into(),
    ];
    args.extend(keys.args());
    args.extend(["--app-cert".into(), cert.display().to_string()]);
    let (exit, report) = doctor(&args);
    assert_diagnosis(exit, &report, "CERT_SN_MISMATCH");
    assert!(codes(&report).contains(&"SIGNATURE_OK".to_string()));
}

#[test]
fn human_output_shows_each_line_of_the_string() {
    let keys = Keys::new();
    let auth = correct_header(&keys, "POST", PATH, BODY, None);
    let mut args: Vec<String> = vec!["doctor".into(), "--now".into(), cli_support::NOW.into()];
    args.extend([
        "--path".into(),
        PATH.into(),
        "--authorization".into(),
        auth,
        "--body".into(),
        BODY.into(),
    ]);
    args.extend(keys.args());
    let (exit, stdout, _) = cli_support::zhima(&args);
    assert_eq!(exit, 0, "{stdout}");
    assert!(
        stdout.contains(&format!("  | POST\\n\n  | {PATH}\\n\n")),
        "{stdout}"
    );
    assert!(stdout.contains("[ok] SIGNATURE_OK"), "{stdout}");
    assert!(stdout.contains("verdict: no problem found"), "{stdout}");
}

#[test]
fn a_v3_curl_line_without_an_alipay_authorization_is_diagnosed_as_v3() {
    // Without the Authorization header (or with another scheme) the request was once taken
    // for a v1 gateway call and blamed for a missing sign_type.
    let keys = Keys::new();
    for auth_header in ["", " -H 'Authorization: Bearer abc'"] {
        let line = format!(
            "curl -X POST 'http://127.0.0.1:8080{PATH}' -H 'Content-Type: application/json'{auth_header} -d '{BODY}'"
        );
        let mut args = vec!["--curl".to_string(), line];
        args.extend(keys.args());
        let (exit, report) = doctor(&args);
        assert_diagnosis(exit, &report, "MISSING_PARAM");
        let text = first_explanation(&report);
        assert!(text.contains("Authorization"), "{report:#}");
        assert!(!report.to_string().contains("sign_type"), "{report:#}");
    }
}
