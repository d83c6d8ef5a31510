//! PostgreSQL's group commit (`storage/postgres/group_commit.rs`): several jobs in one
//! transaction, each in its own savepoint. Batches are made deterministic with a row lock
//! held from a separate connection: a job whose agreement's totals row is locked keeps the
//! writer waiting inside its batch, so every job sent meanwhile queues up for the next batch
//! (or, sent after it in the same batch, waits with the batch uncommitted).

mod storage_support;

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::json;
use storage_support::pg::PgDatabase;
use storage_support::proxy::CutProxy;
use storage_support::*;
use zhima_server::storage::{PgOptions, Storage};
use zhima_server::Error;

/// `agreement_totals` row `agreement_no` locked `FOR UPDATE` by another connection until
/// [`RowLock::release`].
struct RowLock {
    release: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl RowLock {
    fn hold(url: &str, agreement_no: &str) -> RowLock {
        let (url, key) = (url.to_owned(), agreement_no.to_owned());
        let (locked_tx, locked) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
            c.execute(
                "INSERT INTO agreement_totals (agreement_no, trade_amount, discount_amount, task_count,
                   event_count, paid_count, fully_refunded_count) VALUES ($1, 0, 0, 0, 0, 0, 0)",
                &[&key],
            )
            .expect("create the totals row");
            let mut tx = c.transaction().unwrap();
            tx.execute(
                "SELECT 1 FROM agreement_totals WHERE agreement_no = $1 FOR UPDATE",
                &[&key],
            )
            .unwrap();
            locked_tx.send(()).unwrap();
            let _ = released.recv();
            tx.commit().unwrap();
        });
        locked.recv().expect("the lock is taken");
        RowLock { release, thread }
    }

    fn release(self) {
        let _ = self.release.send(());
        self.thread.join().unwrap();
    }
}

/// A cumulation sync that blocks on `lock`'s row (its agreement does not exist, so once the
/// lock is released it is rejected and writes nothing).
fn blocked_on(key: &str, out_biz_no: &str) -> zhima_server::domain::cumulation::CumulationCmd {
    let mut body = sync_body(out_biz_no);
    body["agreement_no"] = json!(key);
    cmd(&body)
}

/// Long enough for the writer to pick up what was sent before.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

fn pg(db: &Db) -> &PgDatabase {
    match db {
        Db::Postgres(pg) => pg,
        Db::Sqlite { .. } => unreachable!("PostgreSQL only"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_batch_commits_its_successes_and_rolls_back_only_its_rejections() {
    let (db, storage) = open(Backend::Postgres).await;
    let db = pg(&db);
    let lock = RowLock::hold(&db.url, "LOCK-1");
    let s = storage.clone();
    let first = tokio::spawn(async move {
        s.sync_cumulation(blocked_on("LOCK-1", "B-0"), caller())
            .await
    });
    settle().await;

    // The writer waits inside batch 1; these four queue up and run as batch 2.
    let run = |body: serde_json::Value| {
        let s = storage.clone();
        tokio::spawn(async move { s.sync_cumulation(cmd(&body), caller()).await })
    };
    // Sent one after the other, so they queue in this order.
    let gap = || tokio::time::sleep(Duration::from_millis(50));
    let ok = run(sync_body("B-OK"));
    gap().await;
    let mut invalid = sync_body("B-REJ");
    invalid["agreement_no"] = json!(INVALID_AGREEMENT);
    let rejected = run(invalid);
    gap().await;
    let again = run(sync_body("B-OK"));
    gap().await;
    let mut changed = sync_body("B-OK");
    changed["amount_type_data"]["trade_info"]["amount"] = json!("3.58");
    let conflicting = run(changed);
    settle().await;
    assert!(!ok.is_finished(), "no answer before the batch committed");
    lock.release();

    assert!(matches!(first.await.unwrap(), Err(Error::Rejected(_))));
    let ok = ok.await.unwrap().expect("the valid sync succeeds");
    assert!(!ok.replayed);
    let again = again
        .await
        .unwrap()
        .expect("the same sync in the same batch");
    assert!(
        again.replayed && again.seq == ok.seq,
        "it sees the first one's uncommitted row"
    );
    assert_eq!(code_of(rejected.await.unwrap()), "EASY_MEMBER_CONSULT_FAIL");
    assert_eq!(code_of(conflicting.await.unwrap()), "IDEMPOTENT_ERROR");

    assert_eq!(db.query_i64("SELECT count(*) FROM cumulation_events"), [1]);
    // The rejected job had created its agreement's zero totals row before it was rejected:
    // its savepoint rolled that back, and only that.
    let totals_of = |a: &str| {
        db.query_i64(&format!(
            "SELECT count(*) FROM agreement_totals WHERE agreement_no = '{a}'"
        ))
    };
    assert_eq!(totals_of(INVALID_AGREEMENT), [0]);
    assert_eq!(totals_of(AGREEMENT), [1]);
    let stats = storage.stats();
    assert!(stats.max_batch >= 4, "{stats:?}");
    assert_eq!(stats.failed_commits, 0);
    assert!(storage.verify_invariants().await.unwrap().is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_that_loses_a_race_to_another_process_reruns_alone_and_replays() {
    let (db, a) = open(Backend::Postgres).await;
    let db = pg(&db);
    let b = std::sync::Arc::new(
        Storage::open_postgres(&PgOptions::new(&db.url))
            .await
            .unwrap(),
    );
    let (l1, l2, l3) = (
        RowLock::hold(&db.url, "LOCK-A1"),
        RowLock::hold(&db.url, "LOCK-A2"),
        RowLock::hold(&db.url, "LOCK-B1"),
    );
    let state = |s: &std::sync::Arc<Storage>, key: &str, principal: &str| {
        let (s, c) = (
            s.clone(),
            state_cmd(key, principal, "BUY", r#"{"orderNo":"1"}"#),
        );
        tokio::spawn(async move { s.sync_state(c, caller()).await })
    };
    let block = |s: &std::sync::Arc<Storage>, key: &'static str| {
        let s = s.clone();
        tokio::spawn(async move { s.sync_cumulation(blocked_on(key, key), caller()).await })
    };

    // A's batch 2 = [S, wait on LOCK-A2]: S's rows stay uncommitted while A waits.
    let a_first = block(&a, "LOCK-A1");
    settle().await;
    let s_on_a = state(&a, "RACE-S", "P-RACE");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let a_last = block(&a, "LOCK-A2");
    // B's batch 2 = [T, S]: T succeeds, then S waits on A's uncommitted unique key.
    let b_first = block(&b, "LOCK-B1");
    settle().await;
    let t_on_b = state(&b, "RACE-T", "P-OTHER");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let s_on_b = state(&b, "RACE-S", "P-RACE");
    settle().await;

    l1.release();
    settle().await;
    l3.release();
    settle().await;
    assert!(!s_on_b.is_finished(), "B waits for A's uncommitted key");
    l2.release();

    for blocker in [a_first, a_last, b_first] {
        assert!(matches!(blocker.await.unwrap(), Err(Error::Rejected(_))));
    }
    let won = s_on_a.await.unwrap().expect("A's sync");
    let lost = s_on_b
        .await
        .unwrap()
        .expect("B's sync, run again after the violation");
    assert!(!won.replayed);
    assert!(
        lost.replayed && lost.event_seq == won.event_seq,
        "{lost:?} vs {won:?}"
    );
    assert!(!t_on_b.await.unwrap().expect("T").replayed);
    // S once, T once: the violation rolled back S's savepoint only, not T before it.
    assert_eq!(db.query_i64("SELECT count(*) FROM state_events"), [2]);
    assert!(b.stats().max_batch >= 2, "{:?}", b.stats());
    assert_eq!(b.stats().failed_commits, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_whose_connection_is_lost_fails_every_job_and_writes_nothing() {
    let db = PgDatabase::create();
    let proxy = CutProxy::start(db.host_port()).await;
    let options = PgOptions {
        connect_timeout: Duration::from_millis(800),
        ..PgOptions::new(db.url_via(&proxy.addr))
    };
    let storage = std::sync::Arc::new(Storage::open_postgres(&options).await.unwrap());
    storage.apply_records(&records()).await.unwrap();
    let (l0, l1) = (
        RowLock::hold(&db.url, "LOCK-0"),
        RowLock::hold(&db.url, "LOCK-1"),
    );
    let run = |c: zhima_server::domain::cumulation::CumulationCmd| {
        let s = storage.clone();
        tokio::spawn(async move { s.sync_cumulation(c, caller()).await })
    };

    let first = run(blocked_on("LOCK-0", "C-0"));
    settle().await;
    // Batch 2 = [two valid syncs, one that waits on LOCK-1]; the connection is cut while it
    // waits, after the two valid syncs ran but before any COMMIT.
    let one = run(cmd(&sync_body("C-1")));
    let two = run(cmd(&task_body("C-2", "打车1次")));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let last = run(blocked_on("LOCK-1", "C-3"));
    settle().await;
    l0.release();
    assert!(matches!(first.await.unwrap(), Err(Error::Rejected(_))));
    settle().await;
    assert!(!one.is_finished(), "the batch is still open");
    proxy.cut();

    for job in [one, two, last] {
        let answer = job.await.unwrap();
        assert!(matches!(answer, Err(Error::Unavailable(_))), "{answer:?}");
    }
    l1.release();
    assert_eq!(db.query_i64("SELECT count(*) FROM cumulation_events"), [0]);
    assert_eq!(
        db.query_i64("SELECT count(*) FROM agreement_totals WHERE event_count > 0"),
        [0]
    );
    assert!(storage.stats().failed_commits >= 1);

    // The writer reconnects once the database is back; the same sync is new.
    proxy.restore();
    let again = storage
        .sync_cumulation(cmd(&sync_body("C-1")), caller())
        .await;
    assert!(!again.expect("written after the outage").replayed);
    assert_eq!(db.query_i64("SELECT count(*) FROM cumulation_events"), [1]);
}
