//! What only a shared (PostgreSQL) database has: several servers on one database (migrations
//! and configuration applied together, v3 nonces refused across servers), and a database that
//! goes away and comes back (answers, `/readyz`, nothing half-written). Real PostgreSQL; the
//! outage is a cut-able TCP proxy in front of it, never the shared server itself.

mod http_support;
mod storage_support;

use std::time::Duration;

use http_support::*;
use storage_support::pg::PgDatabase;
use storage_support::proxy::CutProxy;
use zhima_server::storage::{PgOptions, Storage};
use zhima_server::Error;

fn fast_failing(url: String) -> PgOptions {
    PgOptions {
        connect_timeout: Duration::from_millis(800),
        ..PgOptions::new(url)
    }
}

async fn readyz(server: &TestServer) -> u16 {
    client()
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_servers_starting_together_migrate_once_and_share_configuration() {
    let db = PgDatabase::create();
    let (a, b, c) = tokio::join!(
        TestServer::start_on(Some(PgOptions::new(db.url.clone())), |_| {}),
        TestServer::start_on(Some(PgOptions::new(db.url.clone())), |_| {}),
        TestServer::start_on(Some(PgOptions::new(db.url.clone())), |_| {}),
    );
    // One version per migration file, each applied once.
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count() as i64;
    assert_eq!(
        db.query_i64("SELECT version FROM zhima_schema_version ORDER BY version"),
        (1..=migrations).collect::<Vec<_>>()
    );
    for s in [&a, &b, &c] {
        assert_eq!(readyz(s).await, 200);
        assert!(s.storage.app(APP_ID).await.unwrap().is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_v3_nonce_accepted_by_one_server_is_refused_by_another() {
    let db = PgDatabase::create();
    let a = TestServer::start_on(Some(PgOptions::new(db.url.clone())), |_| {}).await;
    let b = TestServer::start_on(Some(PgOptions::new(db.url.clone())), |_| {}).await;
    let call = V3::post(
        V3_SYNC,
        &cumulation_body(AGREEMENT_NO, PARTNER_ID, &unique("N")),
    );
    assert_eq!(call.send(&a).await.status, 200);
    assert_eq!(
        call.send(&b).await.assert_error(401, "invalid-signature"),
        "nonce reused"
    );
    // The nonce is a row: expired ones are swept, live ones stay.
    assert_eq!(db.query_i64("SELECT count(*) FROM v3_nonces"), [1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unreachable_database_is_unavailable_and_the_password_is_hidden() {
    // Port 1 on localhost: nothing listens there.
    let err = Storage::open_postgres(&fast_failing(
        "postgres://zhima:s3cret-pw@127.0.0.1:1/zhima".into(),
    ))
    .await
    .err()
    .expect("no database there");
    match err {
        Error::Unavailable(msg) => {
            assert!(
                msg.contains("postgres://zhima:***@127.0.0.1:1/zhima"),
                "{msg}"
            );
            assert!(!msg.contains("s3cret-pw"), "{msg}");
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn losing_the_database_answers_unavailable_and_nothing_is_half_written() {
    let db = PgDatabase::create();
    let proxy = CutProxy::start(db.host_port()).await;
    let server = TestServer::start_on(Some(fast_failing(db.url_via(&proxy.addr))), |_| {}).await;
    assert_eq!(readyz(&server).await, 200);
    let first = V3::post(
        V3_SYNC,
        &cumulation_body(AGREEMENT_NO, PARTNER_ID, &unique("UP")),
    );
    assert_eq!(first.send(&server).await.status, 200);

    proxy.cut();
    assert_eq!(
        readyz(&server).await,
        503,
        "not ready while the database is gone"
    );
    let out_biz_no = unique("DOWN");
    let body = cumulation_body(AGREEMENT_NO, PARTNER_ID, &out_biz_no);
    let v3 = V3::post(V3_SYNC, &body).send(&server).await;
    v3.verify_signature(None);
    let message = v3.assert_error(503, "SYSTEM_ERROR");
    assert!(
        !message.contains("postgres"),
        "details stay in the log: {message}"
    );
    let v1_call = V1::new(CUMULATION_SYNC, &body);
    let v1 = v1_call.send(&server).await;
    assert_codes(&v1.node(&v1_call), "20000", "isp.unknow-error");

    proxy.restore();
    let mut ready = false;
    for _ in 0..50 {
        if readyz(&server).await == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "ready again once the database is back");
    // The request refused during the outage left nothing behind: sent again, it is new.
    assert_eq!(V3::post(V3_SYNC, &body).send(&server).await.status, 200);
    assert_eq!(db.query_i64("SELECT count(*) FROM cumulation_events"), [2]);
    assert_eq!(
        db.query_i64("SELECT event_count FROM agreement_totals WHERE event_count > 0"),
        [2]
    );
    assert!(server.storage.verify_invariants().await.unwrap().is_ok());
}
