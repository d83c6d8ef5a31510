//! The v3 REST endpoints over real HTTP: signed success and error responses (checked with
//! `zhima_proto::v3::verify_response`), raw request-target signing, nonce replay, AES, cert
//! mode, app_auth_token, error bodies and statuses, body limit, unknown routes.

mod http_support;

use http_support::*;
use zhima_proto::v3;

#[tokio::test]
async fn cumulation_sync_succeeds_with_signed_headers() {
    let server = TestServer::start().await;
    let out_biz_no = unique("V3");
    let call = V3::post(
        V3_SYNC,
        &cumulation_body(AGREEMENT_NO, PARTNER_ID, &out_biz_no),
    );
    let reply = call.send(&server).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.header("content-type"),
        Some("application/json;charset=utf-8")
    );
    assert_eq!(
        reply.header(v3::HEADER_SN),
        None,
        "no alipay-sn outside cert mode"
    );
    assert_eq!(
        reply.body,
        format!(
            r#"{{"agreement_no":"{AGREEMENT_NO}","out_biz_no":"{out_biz_no}","user_id":"{USER_ID}"}}"#
        )
    );
    reply.verify_signature(None);

    // Same business content, new nonce: the original success again (idempotent).
    let again = V3::post(
        V3_SYNC,
        &cumulation_body(AGREEMENT_NO, PARTNER_ID, &out_biz_no),
    )
    .send(&server)
    .await;
    assert_eq!(
        (again.status, again.body.as_str()),
        (200, reply.body.as_str())
    );
    // Different content under the same out_biz_no: the business code with its status.
    let changed = cumulation_body(AGREEMENT_NO, PARTNER_ID, &out_biz_no).replace("3.57", "4.00");
    V3::post(V3_SYNC, &changed)
        .send(&server)
        .await
        .assert_error(400, "IDEMPOTENT_ERROR");
}

#[tokio::test]
async fn a_replayed_nonce_is_refused() {
    let server = TestServer::start().await;
    let call = V3::post(
        V3_SYNC,
        &cumulation_body(AGREEMENT_NO, PARTNER_ID, &unique("N")),
    );
    assert_eq!(call.send(&server).await.status, 200);
    let replay = call.send(&server).await;
    assert_eq!(
        replay.assert_error(401, "invalid-signature"),
        "nonce reused"
    );
    // Another app may use the same nonce string.
    let other = V3 {
        app_id: CERT_APP_ID.into(),
        app_cert_sn: Some(keys().app_cert_sn.clone()),
        ..call.clone()
    };
    assert_eq!(other.send(&server).await.status, 200);
}

#[tokio::test]
async fn get_queries_sign_the_raw_request_target() {
    let server = TestServer::start().await;
    let sync = V3::post(
        V3_SYNC,
        &cumulation_body(AGREEMENT_NO, PARTNER_ID, &unique("G")),
    );
    assert_eq!(sync.send(&server).await.status, 200);
    // Percent-encoding and `+` as sent on the wire are what was signed.
    let target = format!("{V3_CUMULATE_QUERY}?agreement_id={AGREEMENT_NO}&user_id={USER_ID}&need_detail=true&page_size=10&memo=a+b%2Cc");
    let reply = V3::get(&target).send(&server).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let v = reply.json();
    assert_eq!(v["aggr_amount"], "3.57");
    assert_eq!(v["aggr_discount_amount"], "8.75");
    assert_eq!(v["aggr_times"], 1);
    assert_eq!(v["page_size"], 10);
    assert_eq!(v["detail_list"].as_array().unwrap().len(), 1);

    let reply = V3::get(&format!("{V3_AGREEMENT_QUERY}?agreement_id={AGREEMENT_NO}"))
        .send(&server)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["agreement_status"], "Y");

    // A query string changed after signing no longer verifies, and the message shows the
    // server's string-to-sign with the target as received.
    let signed = format!("{V3_AGREEMENT_QUERY}?agreement_id={AGREEMENT_NO}");
    let sent = format!("{signed}&x=1");
    let reply = V3 {
        tampered_target: Some(sent.clone()),
        ..V3::get(&signed)
    }
    .send(&server)
    .await;
    let message = reply.assert_error(401, "invalid-signature");
    assert!(
        message.starts_with(zhima_proto::catalog::INVALID_SIGNATURE_SUB_MSG_PREFIX),
        "{message}"
    );
    assert!(
        message.ends_with(&format!("\nGET\n{sent}\n\n")),
        "{message}"
    );
}

#[tokio::test]
async fn settlement_checks_the_ledger() {
    let server = TestServer::start().await;
    let sync = V3::post(
        V3_SYNC,
        &cumulation_body(AGREEMENT_NO, PARTNER_ID, &unique("S")),
    );
    assert_eq!(sync.send(&server).await.status, 200);
    let body = |total: &str, no: &str| {
        format!(
            r#"{{"agreement_id":"{AGREEMENT_NO}","partner_id":"{PARTNER_ID}","out_request_no":"{no}","withhold_plan_no":"W1","pay_amount":"0.00","total_real_pay_amount":"{total}","total_discount_amount":"8.75"}}"#
        )
    };
    let msg = V3::post(V3_SETTLE, &body("1.00", "R1"))
        .send(&server)
        .await
        .assert_error(400, "SETTLE_AMOUNT_CHECK_FAIL");
    assert!(msg.contains("total_real_pay_amount"), "{msg}");
    let ok = V3::post(V3_SETTLE, &body("3.57", "R2")).send(&server).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["agreement_id"], AGREEMENT_NO);
    // The agreement is now N: further syncs fail.
    let late = V3::post(
        V3_SYNC,
        &cumulation_body(AGREEMENT_NO, PARTNER_ID, &unique("S")),
    )
    .send(&server)
    .await;
    late.assert_error(400, "EASY_MEMBER_CONSULT_FAIL");
}

#[tokio::test]
async fn authentication_errors_have_their_codes_and_statuses() {
    let server = TestServer::start().await;
    let k = keys();
    let body = || cumulation_body(AGREEMENT_NO, PARTNER_ID, &unique("E"));
    let base = || V3::post(V3_SYNC, &body());
    let stale =
        zhima_proto::time::to_epoch_millis(&zhima_proto::time::now_alipay()) - 16 * 60 * 1000;
    let cases: Vec<(&str, V3, u16, &str)> = vec![
        (
            "no Authorization",
            V3 {
                no_authorization: true,
                ..base()
            },
            401,
            "missing-signature",
        ),
        (
            "unknown app",
            V3 {
                app_id: "2021999999999999".into(),
                ..base()
            },
            401,
            "invalid-app-id",
        ),
        (
            "disabled app",
            V3 {
                app_id: DISABLED_APP_ID.into(),
                ..base()
            },
            401,
            "invalid-app-id",
        ),
        (
            "stale timestamp",
            V3 {
                timestamp_ms: stale,
                ..base()
            },
            401,
            "invalid-timestamp",
        ),
        (
            "unknown token",
            V3 {
                token: Some("nope".into()),
                ..base()
            },
            401,
            "invalid-app-auth-token",
        ),
        (
            "expired token",
            V3 {
                token: Some(EXPIRED_TOKEN.into()),
                ..base()
            },
            401,
            "app-auth-token-time-out",
        ),
        (
            "cert app without app_cert_sn",
            V3 {
                app_id: CERT_APP_ID.into(),
                ..base()
            },
            401,
            "missing-app-cert-sn",
        ),
        (
            "wrong app_cert_sn",
            V3 {
                app_id: CERT_APP_ID.into(),
                app_cert_sn: Some("00".into()),
                ..base()
            },
            401,
            "app-cert-not-exist",
        ),
        (
            "wrong key",
            V3 {
                key: k.platform.clone(),
                ..base()
            },
            401,
            "invalid-signature",
        ),
        (
            "body changed",
            V3 {
                tampered_body: Some(body()),
                ..base()
            },
            401,
            "invalid-signature",
        ),
        (
            "AES without a key",
            V3 {
                app_id: RSA2_APP_ID.into(),
                encrypt: true,
                ..base()
            },
            400,
            "decryption-error-not-valid-encrypt-key",
        ),
        (
            "encrypt type DES",
            V3 {
                headers: vec![(v3::HEADER_ENCRYPT_TYPE.into(), "DES".into())],
                ..base()
            },
            400,
            "decryption-error-not-valid-encrypt-type",
        ),
        (
            "business: bad type",
            V3::post(V3_SYNC, &body().replace("\"AMOUNT\"", "\"POINTS\"")),
            400,
            "INVALID_CUMULATE_TYPE",
        ),
        (
            "business: foreign partner",
            V3::post(
                V3_SYNC,
                &cumulation_body(AGREEMENT_NO, TOKEN_PARTNER_ID, &unique("E")),
            ),
            403,
            "REQUEST_ACCESS_ILLEGAL",
        ),
        (
            "business: not JSON",
            V3::post(V3_SYNC, "[1,2"),
            400,
            "REQUEST_PARAM_ILLEGAL",
        ),
    ];
    for (name, call, status, code) in cases {
        let reply = call.send(&server).await;
        let v = reply.json();
        assert_eq!(
            (reply.status, v["code"].as_str().unwrap_or("")),
            (status, code),
            "{name}: {}",
            reply.body
        );
        reply.assert_error(status, code);
    }
    let bad = V3::post(V3_SYNC, "{}");
    let bad = V3 {
        headers: vec![("authorization".into(), "Bearer x".into())],
        no_authorization: true,
        ..bad
    };
    bad.send(&server)
        .await
        .assert_error(401, "invalid-signature");
}

#[tokio::test]
async fn app_auth_token_is_signed_and_acts_for_its_merchant() {
    let server = TestServer::start().await;
    let call = V3 {
        token: Some(TOKEN.into()),
        ..V3::post(
            V3_SYNC,
            &cumulation_body(TOKEN_AGREEMENT_NO, TOKEN_PARTNER_ID, &unique("T")),
        )
    };
    let reply = call.send(&server).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // The token is part of the string-to-sign: a request signed without it fails.
    let mut unsigned_token = V3::post(
        V3_SYNC,
        &cumulation_body(TOKEN_AGREEMENT_NO, TOKEN_PARTNER_ID, &unique("T")),
    );
    unsigned_token
        .headers
        .push((v3::HEADER_APP_AUTH_TOKEN.into(), TOKEN.into()));
    unsigned_token
        .send(&server)
        .await
        .assert_error(401, "invalid-signature");
}

#[tokio::test]
async fn aes_bodies_are_decrypted_and_answers_encrypted() {
    let server = TestServer::start().await;
    let k = keys();
    let out_biz_no = unique("AES");
    let call = V3 {
        encrypt: true,
        ..V3::post(
            V3_SYNC,
            &cumulation_body(AGREEMENT_NO, PARTNER_ID, &out_biz_no),
        )
    };
    let reply = call.send(&server).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.verify_signature(None);
    let plain = k
        .aes
        .decrypt_to_string(&reply.body)
        .expect("body is AES ciphertext");
    assert!(plain.contains(&out_biz_no), "{plain}");
    // Errors stay plain JSON (the SDKs parse error bodies without decrypting).
    let reply = V3 {
        encrypt: true,
        ..V3::post(V3_SYNC, "{}")
    }
    .send(&server)
    .await;
    let message = reply.assert_error(400, "REQUEST_PARAM_ILLEGAL");
    assert!(message.contains("agreement_no"), "{message}");
}

#[tokio::test]
async fn cert_mode_answers_carry_alipay_sn() {
    let server = TestServer::start().await;
    let k = keys();
    let mut call = V3 {
        app_id: CERT_APP_ID.into(),
        app_cert_sn: Some(k.app_cert_sn.clone()),
        ..V3::post(
            V3_SYNC,
            &cumulation_body(AGREEMENT_NO, PARTNER_ID, &unique("CM")),
        )
    };
    call.headers
        .push((v3::HEADER_ROOT_CERT_SN.into(), k.root_cert_sn.clone()));
    let reply = call.send(&server).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.verify_signature(Some(&k.platform_cert_sn));
    // Errors in cert mode are signed with the SN too.
    let again = call.send(&server).await;
    assert_eq!(again.status, 401);
    again.verify_signature(Some(&k.platform_cert_sn));
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_signed_json() {
    let server = TestServer::start().await;
    let reply = V3::post("/v3/zhima/nothing/here", "{}").send(&server).await;
    let msg = reply.assert_error(404, "invalid-method");
    assert!(msg.contains("/v3/zhima/nothing/here"), "{msg}");
    let reply = V3::get(V3_SYNC).send(&server).await;
    reply.assert_error(405, "invalid-method");
    let resp = client()
        .get(format!("{}/elsewhere", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
}

#[tokio::test]
async fn oversized_bodies_get_a_signed_413() {
    let server = TestServer::start_with(|s| s.body_limit = 2048).await;
    let big = format!(r#"{{"ext_info":"{}"}}"#, "x".repeat(4096));
    let msg = V3::post(V3_SYNC, &big)
        .send(&server)
        .await
        .assert_error(413, "invalid-parameter");
    assert!(msg.contains("2048"), "{msg}");
}
