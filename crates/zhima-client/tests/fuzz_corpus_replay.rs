//! Replays every committed fuzz corpus input of the SDK's targets (`fuzz/corpus/<target>/`) through
//! the functions the fuzz targets call (`fuzz/replay/mod.rs`): a plain test, so CI needs no
//! fuzzing toolchain. A crash the fuzzer once found stays fixed.

mod fuzz_targets;
#[path = "../../../fuzz/replay/mod.rs"]
mod replay;

#[test]
fn committed_fuzz_corpora_replay_without_panics() {
    replay::replay_corpora(fuzz_targets::TARGETS);
}

/// The harness starts past the signature check: the vectors' signed v3 answers (key mode,
/// AES, cert mode) are accepted through the fuzz entry by the target's clients, and a
/// notification signed with the vectors' platform key by its `verify_notify`.
#[test]
fn signed_vector_inputs_pass_the_targets_checks() {
    use fuzz_targets::{vector, APP_ID, CLIENTS};
    use zhima_client::fuzz_v3_response;
    use zhima_client::proto::keys::PrivateKey;
    use zhima_client::proto::v1::{form_encode, sign_notify, Charset, FormStyle, GatewayParams};

    let responses = &vector("v3_request_response.json")["responses"];
    for (name, client) in [
        ("success_200", 0),
        ("success_200_cert_mode", 1),
        ("success_200_aes", 2),
    ] {
        let r = &responses[name];
        let headers: Vec<(&[u8], &[u8])> = r["headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_bytes(), v.as_str().unwrap().as_bytes()))
            .collect();
        let body = r["body"].as_str().unwrap().to_owned();
        let answer = fuzz_v3_response(&CLIENTS[client], Some("{}"), 200, &headers, body);
        assert!(answer.is_ok(), "{name}: {answer:?}");
    }

    let keys = vector("keys.json");
    let platform =
        PrivateKey::from_text(keys["platform"]["private_key_pkcs8_pem"].as_str().unwrap()).unwrap();
    let mut params = GatewayParams::from_pairs([
        ("notify_id", "N1"),
        ("notify_time", "2024-05-20 10:00:00"),
        ("notify_type", "zmgo_agreement_sign"),
        ("app_id", APP_ID),
        ("charset", "utf-8"),
        ("version", "1.0"),
        ("sign_type", "RSA2"),
        ("biz_content", r#"{"agreement_no":"A1"}"#),
    ]);
    let sign = sign_notify(&params, &platform).unwrap();
    params.insert("sign", &sign);
    let body: String = params
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                form_encode(v, Charset::Utf8, FormStyle::Python).unwrap()
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    let n = CLIENTS[0].verify_notify(&body);
    assert!(n.is_ok(), "{n:?}");
}
