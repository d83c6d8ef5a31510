//! Disk faults (issue 15): when SQLite cannot write (the disk is full), every write gets a
//! signed error answer, nothing is acknowledged that was not committed, and the server
//! recovers by itself once space returns.
//!
//! "Disk full" is made with `RLIMIT_FSIZE`: the kernel then refuses any write past the limit
//! with `EFBIG` (`SIGXFSZ` ignored), which SQLite reports as a write error exactly like
//! `ENOSPC` — a real I/O failure under the real engine, no test hook in the server, and no
//! `mount` (which CI containers rarely allow). The limit is per process, so this binary runs
//! in the nextest `serial` group and each test in its own process.

mod http_support;

use http_support::*;
use zhima_proto::v1::Charset;

/// Sets the largest file this process may write (bytes), or lifts the limit.
fn file_size_limit(bytes: Option<u64>) {
    let value = bytes.unwrap_or(libc::RLIM_INFINITY);
    let limit = libc::rlimit {
        rlim_cur: value,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: plain syscalls with a valid struct; SIGXFSZ ignored so the write fails with
    // EFBIG instead of killing the process.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
    }
}

fn stored(server: &TestServer, prefix: &str) -> [i64; 2] {
    let conn = rusqlite::Connection::open_with_flags(
        server.sqlite_path(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let count = |t: &str| {
        conn.query_row(
            &format!("SELECT count(*) FROM {t} WHERE out_biz_no LIKE '{prefix}%'"),
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    [count("state_events"), count("cumulation_events")]
}

const BIZ: &str = r#"{"orderNo":"o-1"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_gets_signed_errors_commits_nothing_and_recovers() {
    let server = TestServer::start().await;
    let prefix = unique("DF");
    let warm = V1::new(STATE_SYNC, &state_sync_body(&format!("{prefix}w"), BIZ));
    assert_eq!(warm.send(&server).await.node(&warm)["code"], "10000");

    // The disk is full: no file of this process may grow past 1 KiB (the database and its
    // WAL are already larger, so every write fails; reads still work).
    file_size_limit(Some(1024));
    let states: Vec<String> = (0..3).map(|i| format!("{prefix}s{i}")).collect();
    let cumulations: Vec<String> = (0..3).map(|i| format!("{prefix}c{i}")).collect();
    for no in &states {
        let call = V1::new(STATE_SYNC, &state_sync_body(no, BIZ));
        let node = call.send(&server).await.node(&call);
        assert_codes(&node, "40004", "SYSTEM_ERROR");
        assert_eq!(node["biz_result"], "failed", "{node}");
    }
    for no in &cumulations {
        let call = V1::new(
            CUMULATION_SYNC,
            &cumulation_body(AGREEMENT_NO, PARTNER_ID, no),
        );
        assert_codes(
            &call.send(&server).await.node(&call),
            "40004",
            "SYSTEM_ERROR",
        );
        let reply = V3::post(
            V3_SYNC,
            &cumulation_body(AGREEMENT_NO, PARTNER_ID, &format!("{no}v3")),
        )
        .send(&server)
        .await;
        let message = reply.assert_error(500, "SYSTEM_ERROR");
        assert!(
            !message.contains("disk") && !message.contains("sqlite"),
            "{message}"
        );
    }
    // Reads are still answered.
    let query = V1::new(
        "zhima.merchant.zmgo.cumulate.query",
        &serde_json::json!({"agreement_id": AGREEMENT_NO, "user_id": USER_ID, "provider_pid": PARTNER_ID}).to_string(),
    );
    let node = query.send(&server).await.verify(
        "zhima.merchant.zmgo.cumulate.query",
        query.sign_type(),
        Charset::Utf8,
        None,
    );
    assert_eq!(node["code"], "10000", "{node}");
    // Nothing refused was committed.
    assert_eq!(stored(&server, &prefix), [1, 0]);

    // Space returns: the same requests now succeed (they were never stored, so they are
    // new, not replays), without a restart.
    file_size_limit(None);
    for no in &states {
        let call = V1::new(STATE_SYNC, &state_sync_body(no, BIZ));
        assert_eq!(call.send(&server).await.node(&call)["code"], "10000");
    }
    for no in &cumulations {
        let call = V1::new(
            CUMULATION_SYNC,
            &cumulation_body(AGREEMENT_NO, PARTNER_ID, no),
        );
        assert_eq!(call.send(&server).await.node(&call)["code"], "10000");
        let reply = V3::post(
            V3_SYNC,
            &cumulation_body(AGREEMENT_NO, PARTNER_ID, &format!("{no}v3")),
        )
        .send(&server)
        .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    assert_eq!(stored(&server, &prefix), [4, 6]);
    let mut ready = client()
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let _ = ready.chunk().await;
    server.stop().await.unwrap();
}
