//! The admin API (PRODUCT §14) and the sandbox clock over HTTP (PRODUCT §11): bearer auth,
//! one JSON error shape, `GET /admin/api/v1/clock`, `POST /admin/api/v1/clock/advance`, and
//! the gateway answering from business time after an advance.

mod http_support;
mod storage_support;

use http_support::*;
use serde_json::{json, Value};
use storage_support::pg::PgDatabase;
use zhima_server::storage::PgOptions;

async fn admin(
    server: &TestServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, Value) {
    let url = format!("{}/admin/api/v1/{path}", server.base);
    let mut req = match method {
        "GET" => client().get(url),
        "POST" => client().post(url),
        "DELETE" => client().delete(url),
        _ => unreachable!(),
    };
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_owned());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, value)
}

fn error_code(v: &Value) -> &str {
    v["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error shape: {v}"))
}

#[tokio::test]
async fn the_admin_api_needs_the_admin_token() {
    let server = TestServer::start().await;
    // Before any token exists, nothing is accepted.
    let (status, body) = admin(&server, "GET", "clock", Some("guess-guess-guess"), None).await;
    assert_eq!((status, error_code(&body)), (401, "UNAUTHORIZED"));

    let token = server.admin_token().await;
    assert!(token.starts_with("zmadm_"));
    let (status, body) = admin(&server, "GET", "clock", None, None).await;
    assert_eq!((status, error_code(&body)), (401, "UNAUTHORIZED"));
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Bearer"));
    let wrong = format!("{}x", token);
    let (status, body) = admin(&server, "GET", "clock", Some(&wrong), None).await;
    assert_eq!((status, error_code(&body)), (401, "UNAUTHORIZED"));
    let (status, body) = admin(
        &server,
        "POST",
        "clock/advance",
        Some("x"),
        Some(r#"{"by":"1d"}"#),
    )
    .await;
    assert_eq!((status, error_code(&body)), (401, "UNAUTHORIZED"));
    assert_eq!(
        server.storage.clock().await.unwrap().clock.offset_ms,
        0,
        "an unauthorized advance changes nothing"
    );

    let (status, body) = admin(&server, "GET", "clock", Some(&token), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["offset_ms"], 0);
    assert_eq!(body["business_time"], body["real_time"]);
    assert_eq!(body["timezone"], "UTC+8");

    // A restart of the token step keeps the same token (the file holds it).
    assert_eq!(server.admin_token().await, token);
    // Unknown admin routes answer in the same shape.
    let (status, body) = admin(&server, "GET", "nope", Some(&token), None).await;
    assert_eq!((status, error_code(&body)), (404, "NOT_FOUND"));
    let (status, body) = admin(&server, "DELETE", "clock", Some(&token), None).await;
    assert_eq!((status, error_code(&body)), (405, "METHOD_NOT_ALLOWED"));
}

#[tokio::test]
async fn bad_advances_are_400_and_change_nothing() {
    let server = TestServer::start().await;
    let token = server.admin_token().await;
    for (body, needle) in [
        (r#"{"by":"30x"}"#, "not a duration"),
        (r#"{"by":"-1d"}"#, "not a duration"),
        (r#"{"by":"0d"}"#, "positive"),
        (r#"{"by":"3651d"}"#, "at most"),
        (r#"{"by":30}"#, "expected JSON"),
        (r#"{}"#, "expected JSON"),
        (r#"{"by":"1d","x":1}"#, "expected JSON"),
        ("not json", "expected JSON"),
    ] {
        let (status, reply) =
            admin(&server, "POST", "clock/advance", Some(&token), Some(body)).await;
        assert_eq!((status, error_code(&reply)), (400, "BAD_REQUEST"), "{body}");
        let message = reply["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{body}: {message}");
    }
    assert_eq!(server.storage.clock().await.unwrap().clock.offset_ms, 0);
}

#[tokio::test]
async fn an_advance_expires_agreements_and_the_gateway_shows_p() {
    let server = TestServer::start().await;
    let token = server.admin_token().await;
    let query = format!("{V3_AGREEMENT_QUERY}?agreement_id={AGREEMENT_NO}");
    let reply = V3::get(&query).send(&server).await;
    assert_eq!(reply.json()["agreement_status"], "Y", "{}", reply.body);

    // The configured agreements end 2030-12-31: 3650 days from now is past that.
    let (status, body) = admin(
        &server,
        "POST",
        "clock/advance",
        Some(&token),
        Some(&json!({"by": "3650d"}).to_string()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["offset_ms"], 3650_i64 * 86_400_000);
    assert_eq!(body["expired"], 2, "{body}");
    let expired: Vec<&str> = body["expired_agreements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agreement_no"].as_str().unwrap())
        .collect();
    assert!(expired.contains(&AGREEMENT_NO), "{body}");
    assert!(body["business_time"].as_str().unwrap() > body["real_time"].as_str().unwrap());

    let reply = V3::get(&query).send(&server).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["agreement_status"], "P");
    // Syncs into it are refused now (status not Y).
    let sync = V3::post(
        V3_SYNC,
        &cumulation_body(AGREEMENT_NO, PARTNER_ID, &unique("AFTER")),
    )
    .send(&server)
    .await;
    sync.assert_error(400, "EASY_MEMBER_CONSULT_FAIL");

    let (status, body) = admin(&server, "GET", "clock", Some(&token), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["offset_ms"], 3650_i64 * 86_400_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn servers_sharing_a_database_share_the_token_and_the_clock() {
    let db = PgDatabase::create();
    let a = TestServer::start_on(Some(PgOptions::new(db.url.clone())), |_| {}).await;
    let b = TestServer::start_on(Some(PgOptions::new(db.url.clone())), |_| {}).await;
    let token = a.admin_token().await;
    // B never generated a token: it accepts A's (only the hash is stored, once).
    assert_eq!(db.query_i64("SELECT count(*) FROM platform_secrets"), [1]);
    let (status, _) = admin(&b, "GET", "clock", Some(&token), None).await;
    assert_eq!(status, 200);

    // The clock moves in the database (another process advanced and died before its own
    // sweep): B's background sweep (every second) picks it up and expires the agreements.
    db.query_i64("UPDATE sandbox_clock SET offset_ms = 315360000000 RETURNING offset_ms");
    // Whichever server's sweep runs first expires the agreements; B's own sweep (every
    // second) must also pick the new offset up, whether or not it found anything left to do.
    let mut expired = false;
    let mut b_saw_clock = false;
    for _ in 0..80 {
        let a = b.storage.agreement(AGREEMENT_NO).await.unwrap().unwrap();
        expired = a.status.as_str() == "P";
        b_saw_clock = b.storage.cached_clock().offset_ms == 315_360_000_000;
        if expired && b_saw_clock {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(expired, "a periodic sweep expired the agreement");
    assert!(b_saw_clock, "B's sweep read the advanced clock");
    let reply = V3::get(&format!("{V3_AGREEMENT_QUERY}?agreement_id={AGREEMENT_NO}"))
        .send(&a)
        .await;
    assert_eq!(reply.json()["agreement_status"], "P");
    assert_eq!(
        db.query_i64("SELECT count(*) FROM agreements WHERE status = 'P'"),
        [2],
        "each agreement expired once, whichever server swept"
    );
}
