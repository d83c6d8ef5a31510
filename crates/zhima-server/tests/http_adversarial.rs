//! Red-team tests of `zhima serve`: malformed, ambiguous and hostile input on the v1 gateway
//! and the v3 endpoints, business edge cases and races. Every answer must be a signed,
//! well-formed protocol answer, the server must not panic or hang, and a rejection must
//! write nothing (checked through the ledger, the state instances and the invariants).

mod http_support;

use http_support::*;
use serde_json::{json, Value};
use zhima_proto::money::Fen;
use zhima_proto::time::{format_alipay_datetime, now_alipay, to_epoch_millis};
use zhima_proto::v1::{self, Charset, GatewayParams};
use zhima_proto::v3::{self, AuthString, Authorization};
use zhima_proto::SignType;
use zhima_server::domain::entities::AgreementStatus;
use zhima_server::domain::entities::Records;
use zhima_server::domain::query::Page;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Sends a hand-built v1 request (query, body, optional Content-Type).
async fn send_v1_raw(
    server: &TestServer,
    query: &str,
    body: impl Into<reqwest::Body>,
    content_type: Option<&str>,
) -> V1Reply {
    let mut req = client().post(format!("{}/gateway.do?{query}", server.base));
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    V1Reply::from_response(req.body(body).send().await.unwrap()).await
}

/// Signs `params` (a complete parameter set without `sign`) and returns it with `sign`.
fn signed(params: &[(&str, &str)]) -> GatewayParams {
    let mut p = GatewayParams::from_pairs(params.iter().map(|(k, v)| (*k, *v)));
    let (_, sign) = v1::sign_params(&p, &keys().app).unwrap();
    p.insert("sign", sign);
    p
}

fn form(pairs: &[(&str, &str)]) -> String {
    v1::form_encode_pairs(pairs.iter().copied(), Charset::Utf8, v1::FormStyle::Python).unwrap()
}

/// The verified node of a UTF-8 RSA2 answer for `method`.
fn node_of(reply: &V1Reply, method: &str) -> Value {
    reply.verify(method, SignType::Rsa2, Charset::Utf8, None)
}

/// The ledger row count and totals of `agreement_no` (event count, trade fen, discount fen).
async fn ledger_counts(server: &TestServer, agreement_no: &str) -> (i64, i64, i64) {
    let (totals, _) = server
        .storage
        .ledger(agreement_no, Page::new(Some(1), Some(100)).unwrap())
        .await
        .unwrap();
    (
        totals.event_count,
        totals.trade_amount.as_i64(),
        totals.discount_amount.as_i64(),
    )
}

async fn assert_invariants(server: &TestServer) {
    let report = server.storage.verify_invariants().await.unwrap();
    assert!(report.is_ok(), "{:?}", report.violations);
}

fn state_call(out_biz_no: &str) -> V1 {
    V1::new(
        STATE_SYNC,
        &state_sync_body(out_biz_no, r#"{"orderNo":"o-1"}"#),
    )
}

fn cumulation_value(out_biz_no: &str) -> Value {
    serde_json::from_str(&cumulation_body(AGREEMENT_NO, PARTNER_ID, out_biz_no)).unwrap()
}

// ---------------------------------------------------------------------------------------
// v1 wire format
// ---------------------------------------------------------------------------------------

/// Query and body carry the same parameter with different values: the body wins, for the
/// signature and for the business call alike, so an unsigned value can never be used.
#[tokio::test]
async fn v1_duplicate_params_resolve_the_same_way_for_signature_and_business() {
    let server = TestServer::start().await;
    let ts = now_v1();
    let signed_no = unique("DUP");
    let signed_body = cumulation_body(AGREEMENT_NO, PARTNER_ID, &signed_no);
    let base = [
        ("app_id", APP_ID),
        ("method", CUMULATION_SYNC),
        ("charset", "utf-8"),
        ("sign_type", "RSA2"),
        ("timestamp", ts.as_str()),
        ("version", "1.0"),
    ];
    let mut all = base.to_vec();
    all.push(("biz_content", signed_body.as_str()));
    let p = signed(&all);
    let sign = p.get("sign").unwrap().to_owned();
    let mut query_pairs = base.to_vec();
    query_pairs.push(("sign", sign.as_str()));
    // An unsigned biz_content in the query, the signed one in the body: accepted, signed one used.
    let evil_no = unique("EVIL");
    let evil_body = cumulation_body(AGREEMENT_NO, PARTNER_ID, &evil_no);
    let mut q = query_pairs.clone();
    q.push(("biz_content", evil_body.as_str()));
    let reply = send_v1_raw(
        &server,
        &form(&q),
        form(&[("biz_content", &signed_body)]),
        Some("application/x-www-form-urlencoded;charset=utf-8"),
    )
    .await;
    let node = node_of(&reply, CUMULATION_SYNC);
    assert_eq!(node["code"], "10000", "{node}");
    assert_eq!(node["out_biz_no"], signed_no.as_str());
    // The signed biz_content in the query, an unsigned one in the body: refused.
    let mut q = query_pairs.clone();
    q.push(("biz_content", signed_body.as_str()));
    let reply = send_v1_raw(
        &server,
        &form(&q),
        form(&[("biz_content", &evil_body)]),
        Some("application/x-www-form-urlencoded"),
    )
    .await;
    assert_codes(
        &node_of(&reply, CUMULATION_SYNC),
        "40002",
        "isv.invalid-signature",
    );
    // Twice in the body: the first is the one signed and used; the second is ignored.
    let reply = send_v1_raw(
        &server,
        &form(&query_pairs),
        form(&[("biz_content", &signed_body), ("biz_content", &evil_body)]),
        None,
    )
    .await;
    let node = node_of(&reply, CUMULATION_SYNC);
    assert_eq!(node["code"], "10000", "{node}");
    assert_eq!(node["out_biz_no"], signed_no.as_str());
    // `sign` in the body instead of the query is fine too.
    let reply = send_v1_raw(
        &server,
        &form(&base),
        form(&[("biz_content", &signed_body), ("sign", &sign)]),
        None,
    )
    .await;
    assert_eq!(node_of(&reply, CUMULATION_SYNC)["code"], "10000");
    // Exactly one event was written, never the unsigned one.
    assert_eq!(ledger_counts(&server, AGREEMENT_NO).await.0, 1);
    assert_invariants(&server).await;
}

/// Empty values are dropped from the string-to-sign; an empty required param counts as
/// missing; an empty `sign` is a missing signature.
#[tokio::test]
async fn v1_empty_values() {
    let server = TestServer::start().await;
    let call = state_call(&unique("E")).set("notify_url", "");
    assert_eq!(call.send(&server).await.node(&call)["code"], "10000");
    let call = state_call(&unique("E")).set("app_id", "");
    assert_codes(
        &call.send(&server).await.node(&call),
        "40001",
        "isv.missing-app-id",
    );
    let call = state_call(&unique("E")).after_sign("sign", Some(""));
    assert_codes(
        &call.send(&server).await.node(&call),
        "40001",
        "isv.missing-signature",
    );
    // A body of only separators and keys without values.
    let reply = send_v1_raw(&server, "&&=&method", "=&&x", None).await;
    let text = reply.text(Charset::Utf8);
    assert_eq!(reply.status, 200);
    assert!(text.starts_with(r#"{"error_response":"#), "{text}");
}

/// Broken percent-encoding and invalid UTF-8 get signed gateway errors, never a panic.
#[tokio::test]
async fn v1_broken_encodings_are_signed_errors() {
    let server = TestServer::start().await;
    let call = state_call(&unique("ENC"));
    let (query, body) = call.wire();
    for (name, q, b) in [
        ("%zz in body", query.clone(), format!("{body}&x=%zz")),
        ("truncated % in body", query.clone(), format!("{body}&x=%")),
        (
            "truncated %4 in query",
            format!("{query}&x=%4"),
            body.clone(),
        ),
    ] {
        let reply = send_v1_raw(&server, &q, b, None).await;
        // The unsigned extra param breaks the signature, whatever it decoded to.
        assert_codes(
            &node_of(&reply, STATE_SYNC),
            "40002",
            "isv.invalid-signature",
        );
        let _ = name;
    }
    // Invalid UTF-8 (a lone continuation byte, an overlong form) declared as utf-8.
    for bad in ["%80", "%C0%AF", "%FF%FE"] {
        let reply = send_v1_raw(&server, &query, format!("{body}&x={bad}"), None).await;
        assert_codes(&node_of(&reply, STATE_SYNC), "40002", "isv.invalid-charset");
    }
    // Raw (unencoded) invalid bytes in the body.
    let mut raw = body.clone().into_bytes();
    raw.extend_from_slice(b"&x=\xff\xfe");
    let reply = send_v1_raw(&server, &query, raw, None).await;
    assert_codes(&node_of(&reply, STATE_SYNC), "40002", "isv.invalid-charset");
    assert_invariants(&server).await;
}

/// A GBK body declared as UTF-8 (and the reverse) is refused with `isv.invalid-charset` or
/// `isv.invalid-signature`, never accepted with garbled text.
#[tokio::test]
async fn v1_charset_mismatches() {
    let server = TestServer::start().await;
    let biz = state_sync_body(&unique("CS"), r#"{"orderNo":"流浪地球"}"#);
    // GBK bytes, declared utf-8.
    let call = V1::new(STATE_SYNC, &biz).set("charset", "GBK");
    let (query, body) = call.wire();
    let lying = query.replace("charset=GBK", "charset=utf-8");
    let reply = send_v1_raw(&server, &lying, body, None).await;
    assert_codes(&node_of(&reply, STATE_SYNC), "40002", "isv.invalid-charset");
    // UTF-8 bytes, declared GBK: decodes to other characters, so the signature fails.
    let call = V1::new(STATE_SYNC, &biz);
    let (query, body) = call.wire();
    let lying = query.replace("charset=utf-8", "charset=GBK");
    let reply = send_v1_raw(&server, &lying, body, None).await;
    let text = reply.text(Charset::Gbk);
    let node = reply.verify(STATE_SYNC, SignType::Rsa2, Charset::Gbk, None);
    assert_eq!(node["code"], "40002", "{text}");
    // Odd case and spaces in charset are accepted when signed that way.
    for label in ["UTF-8", "Utf8", " utf-8 "] {
        let call = state_call(&unique("CS")).set("charset", label);
        let node = call
            .send(&server)
            .await
            .verify(STATE_SYNC, SignType::Rsa2, Charset::Utf8, None);
        assert_eq!(node["code"], "10000", "{label}: {node}");
    }
    assert_invariants(&server).await;
}

/// biz_content that is not a JSON object, deeply nested, or has wrong types: a 40004 in the
/// API's own vocabulary, nothing written.
#[tokio::test]
async fn v1_hostile_biz_content() {
    let server = TestServer::start().await;
    let deep_array = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_in_field = format!(
        r#"{{"agreement_no":"x","ext":{}1{}}}"#,
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let deep_object = format!("{}{}", r#"{"a":"#.repeat(20_000), "}".repeat(20_000));
    let cases: Vec<(&str, String)> = vec![
        ("not json", "hello".into()),
        ("array", "[1,2]".into()),
        ("string", r#""{}""#.into()),
        ("truncated", r#"{"agreement_no":"#.into()),
        ("trailing garbage", r#"{"agreement_no":"a"} x"#.into()),
        (
            "duplicate key",
            r#"{"out_biz_no":"a","out_biz_no":"b"}"#.into(),
        ),
        ("deep array", deep_array),
        ("deep unknown field", deep_in_field),
        ("deep object", deep_object),
        (
            "huge number",
            format!(r#"{{"has_alipay_trade":{}}}"#, "9".repeat(5000)),
        ),
        ("null bytes", "{\"agreement_no\":\"a\u{0}b\"}".into()),
        ("lone surrogate", r#"{"agreement_no":"\ud800"}"#.into()),
    ];
    for (name, biz) in cases {
        for method in [CUMULATION_SYNC, STATE_SYNC] {
            let call = V1::new(method, &biz);
            let node = call.send(&server).await.node(&call);
            assert_eq!(node["code"], "40004", "{name} {method}: {node}");
            assert!(
                node["sub_code"].as_str().is_some_and(|s| !s.is_empty()),
                "{name}"
            );
        }
    }
    assert_eq!(ledger_counts(&server, AGREEMENT_NO).await.0, 0);
    assert_invariants(&server).await;
}

/// Amount spellings outside `^\d{1,10}(\.\d{1,2})?$` are refused; nothing is written.
#[tokio::test]
async fn v1_and_v3_amount_spellings() {
    let server = TestServer::start().await;
    let bad_amounts: Vec<Value> = vec![
        json!("-1.00"),
        json!("1e3"),
        json!(" 1.00"),
        json!("1.00 "),
        json!("１.00"),
        json!("1.001"),
        json!("1."),
        json!(".5"),
        json!("+1"),
        json!("1,000.00"),
        json!("NaN"),
        json!("99999999999.00"),
        json!(""),
        json!(3.57),
        json!(357),
        json!(null),
        json!(true),
        json!(["1.00"]),
        json!({"v": "1.00"}),
    ];
    for amount in &bad_amounts {
        let mut body = cumulation_value(&unique("AMT"));
        body["amount_type_data"]["trade_info"]["amount"] = amount.clone();
        let text = body.to_string();
        let call = V1::new(CUMULATION_SYNC, &text);
        let node = call.send(&server).await.node(&call);
        assert_eq!(node["code"], "40004", "{amount}: {node}");
        let reply = V3::post(V3_SYNC, &text).send(&server).await;
        let v = reply.json();
        assert!(reply.status >= 400, "{amount}: {}", reply.body);
        assert!(v["code"].as_str().is_some_and(|c| !c.is_empty()));
        let mut body = cumulation_value(&unique("AMT"));
        body["amount_type_data"]["out_discount_infos"][0]["discount_amount"] = amount.clone();
        let call = V1::new(CUMULATION_SYNC, &body.to_string());
        let node = call.send(&server).await.node(&call);
        assert_eq!(node["code"], "40004", "discount {amount}: {node}");
    }
    assert_eq!(ledger_counts(&server, AGREEMENT_NO).await.0, 0);
    assert_invariants(&server).await;
}

/// The largest amounts, repeated: totals are exact, never wrap, and refunds of them work.
#[tokio::test]
async fn maximal_amounts_sum_exactly() {
    let server = TestServer::start().await;
    let max = "9999999999.99";
    let n = 30;
    for _ in 0..n {
        let mut body = cumulation_value(&unique("MAX"));
        body["amount_type_data"]["trade_info"]["amount"] = json!(max);
        body["amount_type_data"]["out_discount_infos"] = json!([
            {"discount_name": "a", "discount_type": "exclusiveBenefit", "discount_amount": max},
            {"discount_name": "a", "discount_type": "exclusiveBenefit", "discount_amount": max},
            {"discount_name": "b", "discount_type": "memberPoint", "discount_amount": max}
        ]);
        let call = V1::new(CUMULATION_SYNC, &body.to_string());
        assert_eq!(call.send(&server).await.node(&call)["code"], "10000");
    }
    let one = 999_999_999_999_i64;
    let (events, trade, discount) = ledger_counts(&server, AGREEMENT_NO).await;
    assert_eq!((events, trade, discount), (n, n * one, 3 * n * one));
    let q = format!("{V3_CUMULATE_QUERY}?agreement_id={AGREEMENT_NO}");
    let v = V3::get(&q).send(&server).await.json();
    assert_eq!(v["aggr_amount"], Fen(n * one).to_string());
    assert_invariants(&server).await;
}

/// `biz_time` at the edge of the clock skew, and in other formats.
#[tokio::test]
async fn biz_time_edges() {
    let server = TestServer::start().await;
    let skew = chrono::Duration::seconds(900);
    let at = |d: chrono::Duration| format_alipay_datetime(&(now_alipay() + d));
    let cases: Vec<(String, &str)> = vec![
        (at(skew - chrono::Duration::seconds(5)), "10000"),
        (at(skew + chrono::Duration::seconds(5)), "40004"),
        ("2024-05-20T10:00:00".into(), "40004"),
        ("2024-05-20 10:00:00+08:00".into(), "40004"),
        ("2024-5-20 10:00:00".into(), "40004"),
        ("2024-02-30 10:00:00".into(), "40004"),
        ("2024-05-20 24:00:00".into(), "40004"),
        ("2024-05-20 23:59:60".into(), "40004"),
        ("1716170400".into(), "40004"),
        ("".into(), "40004"),
    ];
    let mut accepted = 0;
    for (biz_time, code) in cases {
        let mut body = cumulation_value(&unique("BT"));
        body["biz_time"] = json!(biz_time);
        let call = V1::new(CUMULATION_SYNC, &body.to_string());
        let node = call.send(&server).await.node(&call);
        assert_eq!(node["code"], code, "{biz_time:?}: {node}");
        accepted += i64::from(code == "10000");
    }
    assert_eq!(ledger_counts(&server, AGREEMENT_NO).await.0, accepted);
}

/// The v1 `timestamp` at the window edge (±skew ± a few seconds), and method spelling.
#[tokio::test]
async fn v1_timestamp_window_and_method_case() {
    let server = TestServer::start().await;
    let skew = chrono::Duration::seconds(900);
    let at = |d: chrono::Duration| format_alipay_datetime(&(now_alipay() + d));
    let s = chrono::Duration::seconds(5);
    for (ts, ok) in [
        (at(skew - s), true),
        (at(-skew + s), true),
        (at(skew + s), false),
        (at(-skew - s), false),
        ("9999-12-31 23:59:59".to_owned(), false),
        ("2024-05-20 10:00:00.000".to_owned(), false),
    ] {
        let call = state_call(&unique("TS")).set("timestamp", &ts);
        let node = call.send(&server).await.node(&call);
        if ok {
            assert_eq!(node["code"], "10000", "{ts}: {node}");
        } else {
            assert_codes(&node, "40002", "isv.invalid-timestamp");
        }
    }
    for method in [
        "ZHIMA.DATA.STATE.DATA.SYNC",
        "zhima.data.state.data.sync ",
        "zhima_data_state_data_sync",
    ] {
        let call = state_call(&unique("M")).set("method", method);
        let node = call.send(&server).await.node(&call);
        assert_codes(&node, "40002", "isv.invalid-method");
    }
}

/// GET with everything in the query works; multipart and odd Content-Types never pass.
#[tokio::test]
async fn v1_http_methods_and_content_types() {
    let server = TestServer::start().await;
    let call = state_call(&unique("GET"));
    let (query, body) = call.wire();
    let url = format!("{}/gateway.do?{query}&{body}", server.base);
    let reply = V1Reply::from_response(client().get(&url).send().await.unwrap()).await;
    assert_eq!(reply.node(&call)["code"], "10000");
    // multipart/form-data: the fields are not form-urlencoded.
    let call = state_call(&unique("MP"));
    let (query, _) = call.wire();
    let biz = call.get("biz_content").unwrap().to_owned();
    let multipart = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"biz_content\"\r\n\r\n{biz}\r\n--XyZ--\r\n"
    );
    let reply = send_v1_raw(
        &server,
        &query,
        multipart,
        Some("multipart/form-data; boundary=XyZ"),
    )
    .await;
    // Refused by name (not left to fail as a bad signature), in the method's own node.
    let node = node_of(&reply, STATE_SYNC);
    assert_codes(&node, "40002", "isv.invalid-parameter");
    assert!(
        node["sub_msg"]
            .as_str()
            .unwrap()
            .contains("multipart/form-data"),
        "{node}"
    );
    // No Content-Type at all: still form-decoded.
    let call = state_call(&unique("NOCT"));
    let (query, body) = call.wire();
    let reply = send_v1_raw(&server, &query, body, None).await;
    assert_eq!(reply.node(&call)["code"], "10000");
    // A JSON Content-Type with a form body.
    let call = state_call(&unique("JSONCT"));
    let (query, body) = call.wire();
    let reply = send_v1_raw(&server, &query, body, Some("application/json")).await;
    eprintln!("json ct: {}", reply.text(Charset::Utf8));
}

/// Chunked bodies are read like any other; a body exactly at the limit is read, one byte
/// over is refused with a signed answer.
#[tokio::test]
async fn v1_chunked_and_body_limit_edges() {
    let limit = 4096;
    let server = TestServer::start_with(|s| s.body_limit = limit).await;
    let call = state_call(&unique("CH"));
    let (query, body) = call.wire();
    let mut chunked = String::new();
    for c in body.as_bytes().chunks(7) {
        chunked.push_str(&format!(
            "{:x}\r\n{}\r\n",
            c.len(),
            std::str::from_utf8(c).unwrap()
        ));
    }
    chunked.push_str("0\r\n\r\n");
    let request = format!(
        "POST /gateway.do?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n{chunked}"
    );
    let reply = V1Reply::from_raw(raw_http(&server.addr(), request.as_bytes()).await);
    assert_eq!(reply.node(&call)["code"], "10000");
    // Pad the body with an unsigned-but-empty param (dropped from the string-to-sign).
    let call = state_call(&unique("LIM"));
    let (query, body) = call.wire();
    let pad = |total: usize| {
        let filler = total - body.len() - "&pad=".len();
        format!("{body}&pad{}=", "x".repeat(filler))
    };
    let exact = pad(limit);
    assert_eq!(exact.len(), limit);
    let reply = send_v1_raw(&server, &query, exact, None).await;
    assert_eq!(
        reply.node(&call)["code"],
        "10000",
        "{}",
        reply.text(Charset::Utf8)
    );
    let call = state_call(&unique("LIM"));
    let (query, body) = call.wire();
    let over = format!("{body}&pad{}=", "x".repeat(limit - body.len() - 4));
    assert_eq!(over.len(), limit + 1);
    let reply = send_v1_raw(&server, &query, over, None).await;
    assert_codes(&reply.node(&call), "40002", "isv.invalid-parameter");
}

// ---------------------------------------------------------------------------------------
// v3 wire format
// ---------------------------------------------------------------------------------------

/// Sends `body` to `path` with a hand-made Authorization header.
async fn send_v3_raw(
    server: &TestServer,
    method: reqwest::Method,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> V3Reply {
    let mut req = client().request(method, format!("{}{target}", server.base));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    V3Reply::from_response(req.body(body.to_owned()).send().await.unwrap()).await
}

fn auth_fields(nonce: &str, timestamp: &str) -> AuthString {
    AuthString {
        app_id: APP_ID.to_owned(),
        app_cert_sn: None,
        nonce: nonce.to_owned(),
        timestamp: timestamp.to_owned(),
        extra: Vec::new(),
    }
}

fn now_ms() -> String {
    to_epoch_millis(&now_alipay()).to_string()
}

/// Authorization header variants: all refused with a signed 401/400, none writes.
#[tokio::test]
async fn v3_authorization_header_variants() {
    let server = TestServer::start().await;
    let body = cumulation_body(AGREEMENT_NO, PARTNER_ID, &unique("AUTH"));
    let good = |nonce: &str| {
        Authorization::sign(
            &keys().app,
            auth_fields(nonce, &now_ms()),
            "POST",
            V3_SYNC,
            &body,
            None,
        )
        .unwrap()
    };
    let a = good(&unique("n"));
    let auth_string = a.auth_string.clone();
    let sign = a.sign.clone();
    let variants: Vec<(&str, String, &str)> = vec![
        (
            "lowercase scheme",
            format!("alipay-sha256withrsa {auth_string},sign={sign}"),
            "invalid-signature",
        ),
        (
            "two spaces",
            format!("ALIPAY-SHA256withRSA  {auth_string},sign={sign}"),
            "invalid-signature",
        ),
        (
            "tab",
            format!("ALIPAY-SHA256withRSA\t{auth_string},sign={sign}"),
            "invalid-signature",
        ),
        (
            "no scheme",
            format!("{auth_string},sign={sign}"),
            "invalid-signature",
        ),
        (
            "empty sign",
            format!("ALIPAY-SHA256withRSA {auth_string},sign="),
            "missing-signature",
        ),
        (
            "no sign",
            format!("ALIPAY-SHA256withRSA {auth_string}"),
            "invalid-signature",
        ),
        (
            "duplicated app_id",
            format!("ALIPAY-SHA256withRSA {auth_string},app_id={APP_ID},sign={sign}"),
            "invalid-signature",
        ),
        (
            "sign not base64",
            format!("ALIPAY-SHA256withRSA {auth_string},sign=!!!"),
            "invalid-signature",
        ),
        ("empty header", String::new(), "missing-signature"),
        (
            "only scheme",
            "ALIPAY-SHA256withRSA ".to_owned(),
            "invalid-signature",
        ),
        (
            "field without =",
            format!("ALIPAY-SHA256withRSA {auth_string},junk,sign={sign}"),
            "invalid-signature",
        ),
    ];
    for (name, header, code) in variants {
        let reply = send_v3_raw(
            &server,
            reqwest::Method::POST,
            V3_SYNC,
            &[
                ("authorization", &header),
                ("content-type", "application/json"),
            ],
            &body,
        )
        .await;
        let status = if code == "invalid-signature" || code == "missing-signature" {
            401
        } else {
            400
        };
        let v = reply.json();
        assert_eq!(v["code"], code, "{name}: {} {}", reply.status, reply.body);
        assert!(
            reply.status == status || reply.status == 400,
            "{name}: {}",
            reply.status
        );
    }
    // Missing nonce / timestamp, bad timestamps, each signed correctly over its own authString.
    let ts_cases: Vec<(&str, AuthString, &str)> = vec![
        ("no nonce", auth_fields("", &now_ms()), "invalid-signature"),
        (
            "timestamp in seconds",
            auth_fields(
                &unique("n"),
                &(to_epoch_millis(&now_alipay()) / 1000).to_string(),
            ),
            "invalid-timestamp",
        ),
        (
            "timestamp far future",
            auth_fields(&unique("n"), "99999999999999"),
            "invalid-timestamp",
        ),
        (
            "timestamp beyond i64",
            auth_fields(&unique("n"), "99999999999999999999999"),
            "invalid-timestamp",
        ),
        (
            "timestamp beyond chrono",
            auth_fields(&unique("n"), &i64::MAX.to_string()),
            "invalid-timestamp",
        ),
        (
            "timestamp negative",
            auth_fields(&unique("n"), "-1"),
            "invalid-timestamp",
        ),
        (
            "timestamp not a number",
            auth_fields(&unique("n"), "now"),
            "invalid-timestamp",
        ),
        (
            "timestamp float",
            auth_fields(&unique("n"), &format!("{}.5", now_ms())),
            "invalid-timestamp",
        ),
    ];
    for (name, fields, code) in ts_cases {
        let header =
            match Authorization::sign(&keys().app, fields.clone(), "POST", V3_SYNC, &body, None) {
                Ok(a) => a.header_value(),
                Err(e) => panic!("{name}: {e}"),
            };
        let reply = send_v3_raw(
            &server,
            reqwest::Method::POST,
            V3_SYNC,
            &[
                ("authorization", &header),
                ("content-type", "application/json"),
            ],
            &body,
        )
        .await;
        let v = reply.json();
        assert_eq!(v["code"], code, "{name}: {} {}", reply.status, reply.body);
    }
    // `,sign=` inside an extra field: the LAST `,sign=` separates; the extra is signed.
    let mut fields = auth_fields(&unique("n"), &now_ms());
    fields.extra.push(("note".into(), "a,sign=b".into()));
    let a = Authorization::sign(&keys().app, fields, "POST", V3_SYNC, &body, None).unwrap();
    let reply = send_v3_raw(
        &server,
        reqwest::Method::POST,
        V3_SYNC,
        &[
            ("authorization", &a.header_value()),
            ("content-type", "application/json"),
        ],
        &body,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.verify_signature(None);
    assert_eq!(ledger_counts(&server, AGREEMENT_NO).await.0, 1);
    assert_invariants(&server).await;
}

/// The signature covers the raw request-target: encoded characters are not re-encoded.
#[tokio::test]
async fn v3_query_encoding_is_signed_raw() {
    let server = TestServer::start().await;
    // %32 = '2': the server decodes it for the model but verifies over the raw text.
    let encoded = AGREEMENT_NO.replacen('2', "%32", 1);
    let target = format!("{V3_CUMULATE_QUERY}?agreement_id={encoded}&need_detail=true");
    let reply = V3::get(&target).send(&server).await;
    let v = reply.json();
    assert_eq!(
        (reply.status, &v["agreement_id"]),
        (200, &json!(AGREEMENT_NO)),
        "{}",
        reply.body
    );
    // Signed over the decoded form but sent encoded: refused.
    let call = V3 {
        tampered_target: Some(target.clone()),
        ..V3::get(&format!(
            "{V3_CUMULATE_QUERY}?agreement_id={AGREEMENT_NO}&need_detail=true"
        ))
    };
    call.send(&server)
        .await
        .assert_error(401, "invalid-signature");
    // Odd query forms: empty values, repeated keys, bare keys, invalid escapes, non-UTF-8.
    for q in [
        "agreement_id=",
        "agreement_id",
        "agreement_id=%zz",
        "agreement_id=%FF%FE",
        "agreement_id=a&agreement_id=b",
        "page_no=0&agreement_id=x",
        "page_no=-1&agreement_id=x",
        "page_no=99999999999999999999&agreement_id=x",
        "page_size=1e2&agreement_id=x",
        "need_detail=yes&agreement_id=x",
        "&&&",
    ] {
        let target = format!("{V3_CUMULATE_QUERY}?{q}");
        let reply = V3::get(&target).send(&server).await;
        let v = reply.json();
        assert!(reply.status >= 400, "{q}: {} {}", reply.status, reply.body);
        assert!(v["code"].is_string(), "{q}");
    }
}

/// Bodies that are not JSON, AES mismatches, wrong Content-Type, GET with a body, long
/// headers, an empty app_auth_token header.
#[tokio::test]
async fn v3_body_and_header_mismatches() {
    let server = TestServer::start().await;
    for body in [
        "",
        "not json",
        "[1]",
        "null",
        "{",
        &format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
    ] {
        let reply = V3::post(V3_SYNC, body).send(&server).await;
        reply.assert_error(400, "REQUEST_PARAM_ILLEGAL");
    }
    // AES header, plain body.
    let body = cumulation_body(AGREEMENT_NO, PARTNER_ID, &unique("AES"));
    let call = V3 {
        headers: vec![(v3::HEADER_ENCRYPT_TYPE.to_owned(), "AES".to_owned())],
        ..V3::post(V3_SYNC, &body)
    };
    let reply = call.send(&server).await;
    let v = reply.json();
    assert!(reply.status >= 400, "{}", reply.body);
    assert!(
        v["code"].as_str().unwrap().contains("decrypt"),
        "{}",
        reply.body
    );
    // Encrypted body without the header: not JSON.
    let call = V3 {
        body: keys().aes.encrypt(body.as_bytes()),
        ..V3::post(V3_SYNC, "")
    };
    call.send(&server)
        .await
        .assert_error(400, "REQUEST_PARAM_ILLEGAL");
    // Lowercase "aes" is not the encryption type Alipay defines.
    let call = V3 {
        body: keys().aes.encrypt(body.as_bytes()),
        headers: vec![(v3::HEADER_ENCRYPT_TYPE.to_owned(), "aes".to_owned())],
        ..V3::post(V3_SYNC, "")
    };
    let reply = call.send(&server).await;
    let v = reply.json();
    assert!(
        reply.status >= 400 && v["code"].as_str().unwrap().contains("encrypt"),
        "{}",
        reply.body
    );
    // Wrong Content-Type is not a reason to refuse a signed JSON body.
    let call = V3 {
        headers: vec![("content-type".to_owned(), "text/html".to_owned())],
        ..V3::post(V3_SYNC, &body)
    };
    let reply = call.send(&server).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // GET with a body: the body is signed and ignored by the query.
    let target = format!("{V3_CUMULATE_QUERY}?agreement_id={AGREEMENT_NO}");
    let call = V3 {
        body: "ignored".to_owned(),
        ..V3::get(&target)
    };
    let reply = call.send(&server).await;
    eprintln!("get with body: {} {}", reply.status, reply.body);
    // Very long headers.
    let call = V3 {
        headers: vec![("x-junk".to_owned(), "a".repeat(60_000))],
        ..V3::get(&target)
    };
    let reply = call.send(&server).await;
    eprintln!("long header: {} {}", reply.status, reply.body.len());
    // Empty app_auth_token header: as if absent.
    let call = V3 {
        headers: vec![(v3::HEADER_APP_AUTH_TOKEN.to_owned(), String::new())],
        ..V3::get(&target)
    };
    let reply = call.send(&server).await;
    eprintln!("empty token: {} {}", reply.status, reply.body);
    assert_eq!(ledger_counts(&server, AGREEMENT_NO).await.0, 1);
    assert_invariants(&server).await;
}

// ---------------------------------------------------------------------------------------
// Business edge cases
// ---------------------------------------------------------------------------------------

fn refund_value(out_biz_no: &str, pay_out_biz_no: &str, amount: &str, discount: &str) -> Value {
    let mut v = cumulation_value(out_biz_no);
    v["biz_action"] = json!("ORDER_REFUND");
    v["pay_out_biz_no"] = json!(pay_out_biz_no);
    v["amount_type_data"]["trade_info"]["amount"] = json!(amount);
    v["amount_type_data"]["out_discount_infos"][0]["discount_amount"] = json!(discount);
    v
}

async fn v3_sync(server: &TestServer, body: &Value) -> V3Reply {
    V3::post(V3_SYNC, &body.to_string()).send(server).await
}

/// Refund of a refund, refund before the payment, refund of another partner's payment.
#[tokio::test]
async fn refund_edge_cases() {
    let server = TestServer::start().await;
    let pay = unique("PAY");
    v3_sync(&server, &cumulation_value(&pay)).await.json();
    let refund = unique("REF");
    let reply = v3_sync(&server, &refund_value(&refund, &pay, "1.00", "1.00")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // A refund of the refund.
    v3_sync(
        &server,
        &refund_value(&unique("RR"), &refund, "0.50", "0.50"),
    )
    .await
    .assert_error(400, "PAY_ORDER_NOT_EXIST");
    // Before the payment.
    let mut early = refund_value(&unique("EARLY"), &pay, "0.10", "0.10");
    early["biz_time"] = json!("2024-05-20 09:59:59");
    v3_sync(&server, &early)
        .await
        .assert_error(400, "REFUND_TIME_ILLEGAL");
    // Over the rest of the budget.
    v3_sync(
        &server,
        &refund_value(&unique("OVER"), &pay, "2.58", "0.00"),
    )
    .await
    .assert_error(400, "REFUND_ILLEGAL");
    // Another partner's payment (acting for the token's merchant).
    let mut foreign = refund_value(&unique("FOR"), &pay, "0.10", "0.10");
    foreign["agreement_no"] = json!(TOKEN_AGREEMENT_NO);
    foreign["partner_id"] = json!(TOKEN_PARTNER_ID);
    let call = V3 {
        token: Some(TOKEN.to_owned()),
        ..V3::post(V3_SYNC, &foreign.to_string())
    };
    call.send(&server)
        .await
        .assert_error(400, "PAY_ORDER_NOT_EXIST");
    // A refund that names the payment in another agreement of the same partner is refused.
    assert_eq!(ledger_counts(&server, AGREEMENT_NO).await.0, 2);
    assert_eq!(ledger_counts(&server, TOKEN_AGREEMENT_NO).await.0, 0);
    assert_invariants(&server).await;
}

/// A caller acting for one merchant must not learn anything about another merchant's
/// `out_biz_no`s: a foreign partner_id is `REQUEST_ACCESS_ILLEGAL` whether or not that
/// out_biz_no exists, and never a replayed success or an `IDEMPOTENT_ERROR`.
#[tokio::test]
async fn idempotency_does_not_leak_across_partners() {
    let server = TestServer::start().await;
    let no = unique("LEAK");
    let body = cumulation_body(AGREEMENT_NO, PARTNER_ID, &no);
    let reply = V3::post(V3_SYNC, &body).send(&server).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // The same request, by an app acting for another merchant (the token's).
    let call = V3 {
        token: Some(TOKEN.to_owned()),
        ..V3::post(V3_SYNC, &body)
    };
    call.send(&server)
        .await
        .assert_error(403, "REQUEST_ACCESS_ILLEGAL");
    // Different content under the taken out_biz_no.
    let mut other = cumulation_value(&no);
    other["amount_type_data"]["trade_info"]["amount"] = json!("9.99");
    let call = V3 {
        token: Some(TOKEN.to_owned()),
        ..V3::post(V3_SYNC, &other.to_string())
    };
    call.send(&server)
        .await
        .assert_error(403, "REQUEST_ACCESS_ILLEGAL");
    // Same through v1.
    let call = V1::new(CUMULATION_SYNC, &body).set("app_auth_token", TOKEN);
    assert_codes(
        &call.send(&server).await.node(&call),
        "40004",
        "REQUEST_ACCESS_ILLEGAL",
    );
    // The owner still gets its replay.
    let reply = V3::post(V3_SYNC, &body).send(&server).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(ledger_counts(&server, AGREEMENT_NO).await.0, 1);
}

/// Same for settlement: a foreign caller cannot replay or probe another merchant's
/// `out_request_no`.
#[tokio::test]
async fn settlement_idempotency_does_not_leak_across_partners() {
    let server = TestServer::start().await;
    let settle = json!({
        "agreement_id": AGREEMENT_NO,
        "partner_id": PARTNER_ID,
        "out_request_no": unique("SET"),
        "withhold_plan_no": "W1",
        "pay_amount": "0.00",
        "total_real_pay_amount": "0.00",
        "total_discount_amount": "0.00",
        "total_task_count": "0",
    })
    .to_string();
    let reply = V3::post(V3_SETTLE, &settle).send(&server).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let call = V3 {
        token: Some(TOKEN.to_owned()),
        ..V3::post(V3_SETTLE, &settle)
    };
    call.send(&server)
        .await
        .assert_error(403, "REQUEST_ACCESS_ILLEGAL");
    // Owner replay still works; different content is an idempotency conflict.
    let reply = V3::post(V3_SETTLE, &settle).send(&server).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mut other: Value = serde_json::from_str(&settle).unwrap();
    other["withhold_plan_no"] = json!("W2");
    V3::post(V3_SETTLE, &other.to_string())
        .send(&server)
        .await
        .assert_error(400, "IDEMPOTENT_ERROR");
}

/// Syncs for agreements in status P or N are refused without a write.
#[tokio::test]
async fn syncs_for_invalidating_or_invalid_agreements_are_refused() {
    let server = TestServer::start().await;
    let mut agreement = server
        .storage
        .agreement(AGREEMENT_NO)
        .await
        .unwrap()
        .unwrap();
    for status in [AgreementStatus::Invalidating, AgreementStatus::Invalid] {
        agreement.status = status;
        let records = Records {
            agreements: vec![agreement.clone()],
            ..Records::default()
        };
        server.storage.apply_records(&records).await.unwrap();
        let reply = v3_sync(&server, &cumulation_value(&unique("ST"))).await;
        reply.assert_error(400, "EASY_MEMBER_CONSULT_FAIL");
    }
    assert_eq!(ledger_counts(&server, AGREEMENT_NO).await.0, 0);
}

/// State machine with a self-loop; another app's service; racing different content.
#[tokio::test]
async fn state_machine_self_loop_and_foreign_service() {
    let server = TestServer::start().await;
    let service: zhima_server::domain::state_sync::ServiceConfig = serde_json::from_value(json!({
        "service_id": "SELF_LOOP_SERVICE",
        "app_ids": [APP_ID],
        "categories": [{"code": "C", "states": [
            {"code": "A", "initial": true, "next": ["A", "B"]},
            {"code": "B", "terminal": true}
        ]}]
    }))
    .unwrap();
    let records = Records {
        state_services: vec![service],
        ..Records::default()
    };
    server.storage.apply_records(&records).await.unwrap();
    let principal = unique("P");
    let body = |no: &str, state: &str| {
        json!({
            "user_id": USER_ID, "out_biz_no": no, "out_principal_id": principal,
            "biz_state_code": state, "category_code": "C", "service_id": "SELF_LOOP_SERVICE",
            "biz_data": "{}"
        })
        .to_string()
    };
    for (no, state, code) in [
        ("L1", "A", "10000"),
        ("L2", "A", "10000"),
        ("L3", "A", "10000"),
        ("L1", "A", "10000"), // replay
        ("L4", "B", "10000"),
        ("L5", "A", "40004"), // B is terminal
        ("L5", "B", "40004"),
    ] {
        let call = V1::new(STATE_SYNC, &body(no, state));
        let node = call.send(&server).await.node(&call);
        assert_eq!(node["code"], code, "{no} {state}: {node}");
    }
    let key = zhima_server::storage::InstanceKey {
        service_id: "SELF_LOOP_SERVICE".into(),
        category_code: "C".into(),
        user_id: USER_ID.into(),
        out_principal_id: principal.clone(),
    };
    let history = server.storage.state_instance(&key).await.unwrap().unwrap();
    assert_eq!(history.events.len(), 4);
    // An app not listed for the service.
    let call = V1::new(STATE_SYNC, &body("X1", "A")).set("app_id", RSA2_APP_ID);
    assert_codes(
        &call.send(&server).await.node(&call),
        "40004",
        "ZMDAT.SERVICE_ID_ERROR",
    );
}

// ---------------------------------------------------------------------------------------
// Races
// ---------------------------------------------------------------------------------------

/// The same out_biz_no through v1 and v3 at once, many times: exactly one event, every
/// answer a success (same content) and the totals count it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn same_out_biz_no_via_v1_and_v3_at_once() {
    let server = std::sync::Arc::new(TestServer::start().await);
    let no = unique("RACE");
    let body = cumulation_body(AGREEMENT_NO, PARTNER_ID, &no);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let server = server.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                let call = V1::new(CUMULATION_SYNC, &body);
                call.send(&server).await.node(&call)["code"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            } else {
                let reply = V3::post(V3_SYNC, &body).send(&server).await;
                reply.verify_signature(None);
                reply.status.to_string()
            }
        }));
    }
    for t in tasks {
        let outcome = t.await.unwrap();
        assert!(outcome == "10000" || outcome == "200", "{outcome}");
    }
    assert_eq!(ledger_counts(&server, AGREEMENT_NO).await, (1, 357, 875));
    assert_invariants(&server).await;
}

/// Racing state syncs with one out_biz_no and different content: one wins, the rest are
/// OUT_BIZ_NO_REPEAT (or the winner's replay), and the instance moved once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn state_sync_race_with_different_content() {
    let server = std::sync::Arc::new(TestServer::start().await);
    let no = unique("SRACE");
    let principal = unique("movie");
    let mut tasks = Vec::new();
    for i in 0..12 {
        let server = server.clone();
        let body = json!({
            "user_id": USER_ID, "out_biz_no": no, "out_principal_id": principal,
            "biz_state_code": "CONTRACT_STATE_WATCH_MOVIE_BUY", "category_code": "WATCH_MOVIE",
            "service_id": SERVICE_ID, "biz_data": format!(r#"{{"orderNo":"o-{i}"}}"#)
        })
        .to_string();
        tasks.push(tokio::spawn(async move {
            let call = V1::new(STATE_SYNC, &body);
            let node = call.send(&server).await.node(&call);
            (
                node["code"].as_str().unwrap().to_owned(),
                node["sub_code"].as_str().unwrap_or("").to_owned(),
            )
        }));
    }
    let mut wins = 0;
    for t in tasks {
        let (code, sub) = t.await.unwrap();
        match code.as_str() {
            "10000" => wins += 1,
            "40004" => assert_eq!(sub, "ZMDATA.OUT_BIZ_NO_REPEAT"),
            other => panic!("{other} {sub}"),
        }
    }
    assert_eq!(wins, 1);
    let key = zhima_server::storage::InstanceKey {
        service_id: SERVICE_ID.into(),
        category_code: "WATCH_MOVIE".into(),
        user_id: USER_ID.into(),
        out_principal_id: principal,
    };
    let history = server.storage.state_instance(&key).await.unwrap().unwrap();
    assert_eq!(history.events.len(), 1);
}

/// `ext_info` is compared as JSON only when it is a JSON object or array: the plain text `x`
/// and the JSON string text `"x"` are different content, so the second is a conflict, not a
/// replay that silently drops it.
#[tokio::test]
async fn ext_info_text_and_json_string_are_different_content() {
    let server = TestServer::start().await;
    let no = unique("EXT");
    let mut first = cumulation_value(&no);
    first["ext_info"] = json!("x");
    let reply = v3_sync(&server, &first).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mut second = first.clone();
    second["ext_info"] = json!("\"x\"");
    v3_sync(&server, &second)
        .await
        .assert_error(400, "IDEMPOTENT_ERROR");
    // Reformatted JSON objects are still the same content.
    let no = unique("EXT");
    let mut a = cumulation_value(&no);
    a["ext_info"] = json!(r#"{"n":"1","m":[1,2]}"#);
    assert_eq!(v3_sync(&server, &a).await.status, 200);
    a["ext_info"] = json!(r#"{ "m" : [1, 2], "n" : "1" }"#);
    let reply = v3_sync(&server, &a).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(ledger_counts(&server, AGREEMENT_NO).await.0, 2);
}

/// Other HTTP methods on the gateway get a signed v1 answer (HTTP 200, as every v1 answer),
/// and run nothing.
#[tokio::test]
async fn v1_other_http_methods_get_a_signed_answer() {
    let server = TestServer::start().await;
    for method in [
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
        reqwest::Method::PATCH,
    ] {
        let call = state_call(&unique("PUT"));
        let (query, body) = call.wire();
        let resp = client()
            .request(
                method.clone(),
                format!("{}/gateway.do?{query}", server.base),
            )
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let reply = V1Reply::from_response(resp).await;
        let node = reply.node(&call);
        assert_codes(&node, "40002", "isv.invalid-parameter");
        assert!(
            node["sub_msg"].as_str().unwrap().contains(method.as_str()),
            "{node}"
        );
    }
    // Without a method parameter: the signed error_response.
    let resp = client()
        .put(format!("{}/gateway.do", server.base))
        .send()
        .await
        .unwrap();
    let reply = V1Reply::from_response(resp).await;
    let text = reply.text(Charset::Utf8);
    assert!(
        text.starts_with(r#"{"error_response":{"code":"40002""#),
        "{text}"
    );
}

/// Concurrent refunds of one payment, each fitting alone but not all together: the refund
/// budget is never exceeded and the totals never go negative.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_refunds_never_exceed_the_payment() {
    let server = std::sync::Arc::new(TestServer::start().await);
    let pay = unique("PAY");
    assert_eq!(v3_sync(&server, &cumulation_value(&pay)).await.status, 200);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let server = server.clone();
        let refund = refund_value(&format!("{pay}-R{i}"), &pay, "1.00", "2.00");
        tasks.push(tokio::spawn(async move {
            let reply = v3_sync(&server, &refund).await;
            let v = reply.json();
            (reply.status, v["code"].as_str().unwrap_or("").to_owned())
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        match t.await.unwrap() {
            (200, _) => accepted += 1,
            (400, code) => assert_eq!(code, "REFUND_ILLEGAL"),
            other => panic!("{other:?}"),
        }
    }
    // 3.57 paid and 8.75 discounted: three refunds of 1.00 / 2.00 fit, a fourth does not.
    assert_eq!(accepted, 3);
    assert_eq!(ledger_counts(&server, AGREEMENT_NO).await, (4, 57, 275));
    assert_invariants(&server).await;
}
