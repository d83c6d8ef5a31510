//! Overload and idle connections (issue 15): past `max_in_flight` every request gets its
//! answer or the signed overload answer, nothing accepted is lost, the server serves
//! normally right after; per-app rate limits; 1,000 idle or slow connections do not starve
//! real requests. These tests assert behaviour, not speed (the latency figure comes from
//! `zhima bench --overload`); they run in the nextest `serial` group.

mod http_support;
mod storage_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use http_support::*;
use storage_support::pg::{Backend, PgDatabase};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zhima_proto::time::{now_alipay, to_epoch_millis};
use zhima_proto::v3::{self, AuthString, Authorization};
use zhima_server::storage::PgOptions;

/// A request signed before the clock starts, so the load generator spends no RSA time.
#[derive(Clone)]
enum Call {
    /// v1 state sync: `(query, body)`.
    V1(String, String),
    /// v3 cumulation sync: `(body, Authorization)`.
    V3(String, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Accepted,
    Refused,
}

/// `n` calls, alternately v1 state syncs and v3 cumulation syncs, their `out_biz_no`s
/// starting with `prefix`.
fn presign(prefix: &str, n: usize) -> Vec<Call> {
    (0..n)
        .map(|i| {
            let out_biz_no = format!("{prefix}{i:06}");
            if i % 2 == 0 {
                let (q, b) = V1::new(STATE_SYNC, &state_sync_body(&out_biz_no, BIZ)).wire();
                Call::V1(q, b)
            } else {
                let body = cumulation_body(AGREEMENT_NO, PARTNER_ID, &out_biz_no);
                let fields = AuthString {
                    app_id: APP_ID.to_owned(),
                    app_cert_sn: None,
                    nonce: uuid::Uuid::new_v4().to_string(),
                    timestamp: to_epoch_millis(&now_alipay()).to_string(),
                    extra: Vec::new(),
                };
                let auth =
                    Authorization::sign(&keys().app, fields, "POST", V3_SYNC, &body, None).unwrap();
                Call::V3(body, auth.header_value())
            }
        })
        .collect()
}

/// Sends `call`; panics unless the answer is a verified success or a verified overload
/// refusal.
async fn send(http: &reqwest::Client, base: &str, call: &Call) -> Outcome {
    match call {
        Call::V1(query, body) => {
            let resp = http
                .post(format!("{base}/gateway.do?{query}"))
                .header(
                    "content-type",
                    "application/x-www-form-urlencoded;charset=utf-8",
                )
                .body(body.clone())
                .send()
                .await
                .expect("every request gets an answer");
            assert_eq!(resp.status(), 200);
            let text = resp.text().await.unwrap();
            let node: serde_json::Value =
                serde_json::from_str(&verified_node_json(&text, STATE_SYNC)).unwrap();
            match node["code"].as_str() {
                Some("10000") => Outcome::Accepted,
                Some("20000") => {
                    assert_eq!(node["sub_code"], "isp.unknow-error", "{node}");
                    Outcome::Refused
                }
                _ => panic!("neither an answer nor the overload answer: {node}"),
            }
        }
        Call::V3(body, auth) => {
            let resp = http
                .post(format!("{base}{V3_SYNC}"))
                .header("authorization", auth)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .expect("every request gets an answer");
            let reply = V3Reply::from_response(resp).await;
            match reply.status {
                200 => {
                    assert_eq!(reply.json()["fail_reason"], serde_json::Value::Null);
                    Outcome::Accepted
                }
                503 => {
                    reply.assert_error(503, "SYSTEM_ERROR");
                    assert_eq!(reply.header("retry-after"), Some("1"));
                    Outcome::Refused
                }
                s => panic!(
                    "neither an answer nor the overload answer: {s} {}",
                    reply.body
                ),
            }
        }
    }
}

/// Counts per channel: `[v1 accepted, v3 accepted, refused]`.
fn tally(calls: &[Call], outcomes: &[Outcome]) -> [usize; 3] {
    let mut t = [0; 3];
    for (c, o) in calls.iter().zip(outcomes) {
        match (c, o) {
            (Call::V1(..), Outcome::Accepted) => t[0] += 1,
            (Call::V3(..), Outcome::Accepted) => t[1] += 1,
            (_, Outcome::Refused) => t[2] += 1,
        }
    }
    t
}

/// Closed loop: `workers` at a time until `calls` are done; returns outcomes in order.
async fn closed_loop(base: &str, calls: Arc<Vec<Call>>, workers: usize) -> Vec<Outcome> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (calls, next, base) = (calls.clone(), next.clone(), base.to_owned());
        tasks.push(tokio::spawn(async move {
            let http = client();
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= calls.len() {
                    return done;
                }
                done.push((i, send(&http, &base, &calls[i]).await));
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, o)| o).collect()
}

/// Open loop: call `i` starts at `i / rate` seconds, whatever happened to the others.
async fn open_loop(base: &str, calls: Arc<Vec<Call>>, rate: f64) -> Vec<Outcome> {
    let http = client();
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for i in 0..calls.len() {
        tokio::time::sleep_until(start + Duration::from_secs_f64(i as f64 / rate)).await;
        let (calls, http, base) = (calls.clone(), http.clone(), base.to_owned());
        tasks.push(tokio::spawn(
            async move { send(&http, &base, &calls[i]).await },
        ));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.push(t.await.unwrap());
    }
    all
}

/// Events stored under `prefix`: `[state events, cumulation events]`.
fn stored(server: &TestServer, db: Option<&PgDatabase>, prefix: &str) -> [i64; 2] {
    let sql =
        |table: &str| format!("SELECT count(*) FROM {table} WHERE out_biz_no LIKE '{prefix}%'");
    match db {
        Some(db) => [
            db.query_i64(&sql("state_events"))[0],
            db.query_i64(&sql("cumulation_events"))[0],
        ],
        None => {
            let conn = rusqlite::Connection::open(server.sqlite_path()).unwrap();
            let count = |t: &str| conn.query_row(&sql(t), [], |r| r.get(0)).unwrap();
            [count("state_events"), count("cumulation_events")]
        }
    }
}

const MAX_IN_FLIGHT: usize = 4;
/// `biz_data` the demo state machine accepts.
const BIZ: &str = r#"{"orderNo":"o-1"}"#;

/// At 4× the rate the server sustains, every request gets its answer or the signed
/// overload answer (both verified), every accepted one is stored and no refused one is,
/// and the server serves normally right after.
async fn overload_is_answered_and_nothing_accepted_is_lost(backend: Backend) {
    let db = (backend == Backend::Postgres).then(PgDatabase::create);
    let options = db.as_ref().map(|db| PgOptions::new(db.url.clone()));
    let server = TestServer::start_on(options, |s| s.max_in_flight = MAX_IN_FLIGHT).await;
    let prefix = unique("OVL");
    // The sustainable rate: a closed loop exactly as wide as the server's limit is never
    // refused (a slot is free whenever one of its requests arrives).
    let warm = Arc::new(presign(&format!("{prefix}A"), 300));
    let started = Instant::now();
    let outcomes = closed_loop(&server.base, warm.clone(), MAX_IN_FLIGHT).await;
    let rate = warm.len() as f64 / started.elapsed().as_secs_f64();
    let mut totals = tally(&warm, &outcomes);
    assert_eq!(totals[2], 0, "refused below the limit");
    // 4× that rate, open loop, for about 1.5 s (bounded for slow machines).
    let n = ((rate * 4.0 * 1.5) as usize).clamp(200, 4000);
    let burst = Arc::new(presign(&format!("{prefix}B"), n));
    let outcomes = open_loop(&server.base, burst.clone(), rate * 4.0).await;
    let t = tally(&burst, &outcomes);
    eprintln!(
        "sustainable ≈ {rate:.0} req/s; at 4×: {} v1 + {} v3 accepted, {} refused of {n}",
        t[0], t[1], t[2]
    );
    assert!(t[2] > 0, "nothing refused at 4× the sustainable rate");
    assert!(t[0] + t[1] > 0, "nothing accepted under overload");
    for i in 0..3 {
        totals[i] += t[i];
    }
    // Nothing accepted is lost, nothing refused was written.
    assert_eq!(
        stored(&server, db.as_ref(), &prefix),
        [totals[0] as i64, totals[1] as i64]
    );
    // Right after, normal service.
    let after = Arc::new(presign(&format!("{prefix}C"), 20));
    let outcomes = closed_loop(&server.base, after.clone(), 1).await;
    assert!(
        outcomes.iter().all(|o| *o == Outcome::Accepted),
        "{outcomes:?}"
    );
    server.stop().await.unwrap();
}

on_both_backends!(overload_is_answered_and_nothing_accepted_is_lost);

/// The refusal is also signed for a cert-mode caller (with `alipay-sn`), in GBK for a GBK
/// request, and names the method sent in the body.
#[tokio::test]
async fn overload_refusals_are_signed_the_way_the_caller_asked() {
    let server = TestServer::start_with(|s| s.max_in_flight = 1).await;
    // Hold the only slot with a request whose body never finishes arriving.
    let mut hold = TcpStream::connect(server.addr()).await.unwrap();
    let call = V1::new(STATE_SYNC, &state_sync_body(&unique("H"), BIZ));
    let (query, _) = call.wire();
    hold.write_all(
        format!("POST /gateway.do?{query} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nbiz_content=")
            .as_bytes(),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // v1 GBK, method and everything else in the body.
    let gbk = V1::new(STATE_SYNC, &state_sync_body(&unique("G"), BIZ)).set("charset", "GBK");
    let (q, b) = gbk.wire();
    let resp = client()
        .post(format!("{}/gateway.do", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("{q}&{b}"))
        .send()
        .await
        .unwrap();
    let reply = V1Reply::from_response(resp).await;
    assert!(
        reply.content_type().contains("GBK"),
        "{}",
        reply.content_type()
    );
    let node = reply.verify(STATE_SYNC, gbk.sign_type(), gbk.charset(), None);
    assert_codes(&node, "20000", "isp.unknow-error");
    assert_eq!(node["sub_msg"], "服务繁忙，请稍后重试");
    // RSA (SHA1) and a second refusal from the signature cache.
    for _ in 0..2 {
        let rsa = V1::new(STATE_SYNC, BIZ).set("sign_type", "RSA");
        let node = rsa.send(&server).await.node(&rsa);
        assert_codes(&node, "20000", "isp.unknow-error");
    }
    // v3 cert mode: alipay-sn on the refusal.
    let mut v3call = V3::post(
        V3_SYNC,
        &cumulation_body(AGREEMENT_NO, PARTNER_ID, &unique("C")),
    );
    v3call.app_id = CERT_APP_ID.to_owned();
    v3call.app_cert_sn = Some(keys().app_cert_sn.clone());
    let reply = v3call.send(&server).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    reply.verify_signature(Some(&keys().platform_cert_sn));
    assert_eq!(reply.header("retry-after"), Some("1"));
    let reply = V3::post(V3_SYNC, BIZ).send(&server).await;
    reply.assert_error(503, "SYSTEM_ERROR");
    assert!(reply.header(v3::HEADER_SN).is_none());
    // Nothing was written for any of them; the held request still completes.
    let rest = format!("{:<88}", "x");
    hold.write_all(rest.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 8192];
    let n = hold.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    drop(hold);
    let call = V1::new(STATE_SYNC, &state_sync_body(&unique("OK"), BIZ));
    assert_eq!(call.send(&server).await.node(&call)["code"], "10000");
    server.stop().await.unwrap();
}

/// A per-app rate limit: the burst passes, the next is refused (v1 40006
/// `isv.app-call-limited`, v3 429 `app-call-limited` with `Retry-After`), refusals store
/// nothing, a request with a bad signature spends no quota, and the bucket refills.
#[tokio::test]
async fn per_app_rate_limits_count_only_verified_requests() {
    let server = TestServer::start_with(|s| {
        s.app_rate_limit = Some(zhima_server::config::RateLimit {
            per_sec: 2,
            burst: 3,
        })
    })
    .await;
    // Forged requests in the app's name (bad signature) spend nothing.
    for _ in 0..10 {
        let forged = V1::new(STATE_SYNC, BIZ).after_sign("sign", Some("AAAA"));
        assert_codes(
            &forged.send(&server).await.node(&forged),
            "40002",
            "isv.invalid-signature",
        );
    }
    let prefix = unique("RL");
    for i in 0..3 {
        let call = V1::new(STATE_SYNC, &state_sync_body(&format!("{prefix}{i}"), BIZ));
        assert_eq!(call.send(&server).await.node(&call)["code"], "10000", "{i}");
    }
    let limited = V1::new(STATE_SYNC, &state_sync_body(&format!("{prefix}x"), BIZ));
    let node = limited.send(&server).await.node(&limited);
    assert_codes(&node, "40006", "isv.app-call-limited");
    let reply = V3::post(
        V3_SYNC,
        &cumulation_body(AGREEMENT_NO, PARTNER_ID, &format!("{prefix}y")),
    )
    .send(&server)
    .await;
    reply.assert_error(429, "app-call-limited");
    assert_eq!(reply.header("retry-after"), Some("1"));
    // Another app has its own bucket.
    let other = V1::new(STATE_SYNC, &state_sync_body(&format!("{prefix}o"), BIZ))
        .set("app_id", CERT_APP_ID)
        .set("app_cert_sn", &keys().app_cert_sn)
        .set("alipay_root_cert_sn", &keys().root_cert_sn);
    let reply = other.send(&server).await;
    let node = reply.verify(STATE_SYNC, other.sign_type(), other.charset(), None);
    assert_eq!(node["code"], "10000", "{node}");
    // Refilled after a second (2 per second).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let call = V1::new(STATE_SYNC, &state_sync_body(&format!("{prefix}z"), BIZ));
    assert_eq!(call.send(&server).await.node(&call)["code"], "10000");
    assert_eq!(stored(&server, None, &prefix), [5, 0]);
    server.stop().await.unwrap();
}

/// 1,000 idle or slow connections (silent, half a request line, a header trickling in)
/// under the default connection cap do not starve real requests: they are answered at once
/// while all of those are still open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_connections_do_not_starve_real_ones() {
    let server = TestServer::start_with(|s| s.header_read_timeout = Duration::from_secs(20)).await;
    let addr = server.addr();
    let mut idle = Vec::new();
    for i in 0..1000 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        match i % 3 {
            0 => {}
            1 => s.write_all(b"POST /gatew").await.unwrap(),
            _ => s
                .write_all(b"POST /gateway.do HTTP/1.1\r\nHost: x\r\nX-Slow: a")
                .await
                .unwrap(),
        }
        idle.push(s);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    for _ in 0..20 {
        let call = V1::new(STATE_SYNC, &state_sync_body(&unique("I"), BIZ));
        assert_eq!(call.send(&server).await.node(&call)["code"], "10000");
        let reply = V3::post(
            V3_SYNC,
            &cumulation_body(AGREEMENT_NO, PARTNER_ID, &unique("J")),
        )
        .send(&server)
        .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    // Answered while every idle connection was still held open (long before the
    // header-read timeout would have freed a slot).
    assert!(started.elapsed() < Duration::from_secs(20));
    let mut open = 0;
    for s in &mut idle {
        let mut b = [0u8; 1];
        if tokio::time::timeout(Duration::from_millis(1), s.read(&mut b))
            .await
            .is_err()
        {
            open += 1;
        }
    }
    assert_eq!(open, 1000, "the idle connections were closed early");
    drop(idle);
    server.stop().await.unwrap();
}
