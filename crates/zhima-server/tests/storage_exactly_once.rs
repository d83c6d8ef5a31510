//! Exactly-once ingestion and commit behaviour, on both backends (real SQLite and PostgreSQL).

mod storage_support;

use std::sync::Arc;

use serde_json::json;
use storage_support::*;
use tokio::task::JoinSet;
use zhima_server::domain::query::Page;
use zhima_server::storage::Storage;

async fn event_count(s: &Storage, agreement: &str) -> i64 {
    let (totals, _) = s.ledger(agreement, Page { no: 1, size: 1 }).await.unwrap();
    totals.event_count
}

async fn fifty_concurrent_identical_commands_write_one_event(backend: Backend) {
    let (_dir, storage) = open(backend).await;
    let mut tasks = JoinSet::new();
    for _ in 0..50 {
        let s = Arc::clone(&storage);
        tasks.spawn(async move { s.sync_cumulation(cmd(&sync_body("DUP-1")), caller()).await });
    }
    let receipts: Vec<_> = tasks
        .join_all()
        .await
        .into_iter()
        .map(|r| r.expect("every copy succeeds"))
        .collect();

    assert_eq!(
        receipts.iter().filter(|r| !r.replayed).count(),
        1,
        "exactly one copy is the original"
    );
    assert!(receipts
        .iter()
        .all(|r| r.seq == receipts[0].seq && r.out_biz_no == "DUP-1"));
    assert_eq!(event_count(&storage, AGREEMENT).await, 1);
    let (totals, events) = storage
        .ledger(AGREEMENT, Page { no: 1, size: 100 })
        .await
        .unwrap();
    assert_eq!(
        (totals.trade_amount.0, totals.discount_amount.0),
        (357, 875)
    );
    assert_eq!(events.len(), 1);
    assert!(storage.verify_invariants().await.unwrap().is_ok());
}

async fn same_key_different_content_conflicts_and_writes_nothing(backend: Backend) {
    let (_dir, storage) = open(backend).await;
    storage
        .sync_cumulation(cmd(&sync_body("K-1")), caller())
        .await
        .unwrap();
    let (before, _) = storage
        .ledger(AGREEMENT, Page { no: 1, size: 100 })
        .await
        .unwrap();

    let mut changed = sync_body("K-1");
    changed["amount_type_data"]["trade_info"]["amount"] = json!("3.58");
    let rej = rejection_of(storage.sync_cumulation(cmd(&changed), caller()).await);
    assert_eq!(rej.code.as_str(), "IDEMPOTENT_ERROR");
    assert!(rej.sub_msg.contains("K-1"), "{}", rej.sub_msg);

    // Even a conflicting request aimed at another agreement writes nothing there.
    let mut elsewhere = sync_body("K-1");
    elsewhere["agreement_no"] = json!(AGREEMENT_2);
    assert_eq!(
        code_of(storage.sync_cumulation(cmd(&elsewhere), caller()).await),
        "IDEMPOTENT_ERROR"
    );

    let (after, _) = storage
        .ledger(AGREEMENT, Page { no: 1, size: 100 })
        .await
        .unwrap();
    assert_eq!(before, after);
    assert_eq!(event_count(&storage, AGREEMENT_2).await, 0);
}

async fn semantically_equal_requests_replay(backend: Backend) {
    let (_dir, storage) = open(backend).await;
    let mut original = sync_body("SEM-1");
    original["amount_type_data"]["out_discount_infos"][0]["discount_amount"] = json!("8.50");
    let first = storage
        .sync_cumulation(cmd(&original), caller())
        .await
        .unwrap();
    // Same business content spelled differently: "8.5" for "8.50", an explicit
    // has_alipay_trade=false (the Python SDK omits false values), other whitespace.
    let mut same = sync_body("SEM-1");
    same["has_alipay_trade"] = json!(false);
    same["amount_type_data"]["out_discount_infos"][0]["discount_amount"] = json!("8.5");
    let text = serde_json::to_string_pretty(&same).unwrap();
    let model = zhima_proto::validate::parse_cumulation(&text).unwrap();
    let again =
        zhima_proto::validate::validate_cumulation(&model, now(), chrono::Duration::minutes(15))
            .unwrap();
    let replay = storage.sync_cumulation(again, caller()).await.unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.seq, first.seq);
    assert_eq!(event_count(&storage, AGREEMENT).await, 1);
}

async fn racing_different_contents_for_one_key_accept_exactly_one(backend: Backend) {
    let (_dir, storage) = open(backend).await;
    let mut tasks = JoinSet::new();
    for i in 0..40 {
        let s = Arc::clone(&storage);
        let mut body = sync_body("RACE-1");
        body["amount_type_data"]["trade_info"]["amount"] =
            json!(if i % 2 == 0 { "1.00" } else { "2.00" });
        tasks.spawn(async move { (i % 2, s.sync_cumulation(cmd(&body), caller()).await) });
    }
    let results = tasks.join_all().await;
    let winners: Vec<_> = results
        .iter()
        .filter(|(_, r)| matches!(r, Ok(r) if !r.replayed))
        .collect();
    assert_eq!(winners.len(), 1);
    let winning_parity = winners[0].0;
    for (parity, r) in &results {
        match r {
            Ok(_) => assert_eq!(
                *parity, winning_parity,
                "only the winner's content may succeed"
            ),
            Err(e) => assert_eq!(
                e.rejection().map(|r| r.code.as_str()),
                Some("IDEMPOTENT_ERROR")
            ),
        }
    }
    assert_eq!(event_count(&storage, AGREEMENT).await, 1);
    let (totals, _) = storage
        .ledger(AGREEMENT, Page { no: 1, size: 1 })
        .await
        .unwrap();
    assert_eq!(
        totals.trade_amount.0,
        if winning_parity == 0 { 100 } else { 200 }
    );
}

async fn group_commit_batches_concurrent_commands(backend: Backend) {
    let (_dir, storage) = open(backend).await;
    let before = storage.stats();
    let mut tasks = JoinSet::new();
    for i in 0..300 {
        let s = Arc::clone(&storage);
        tasks.spawn(async move {
            s.sync_cumulation(cmd(&task_body(&format!("GC-{i}"), "打车1次")), caller())
                .await
        });
    }
    for r in tasks.join_all().await {
        r.expect("distinct commands all succeed");
    }
    let after = storage.stats();
    let jobs = after.write_jobs - before.write_jobs;
    let commits = after.commits - before.commits;
    assert_eq!(jobs, 300);
    // One writer per process on both engines (SQLite's and PostgreSQL's group commit):
    // concurrent commands share commits.
    assert!(
        commits * 3 <= jobs,
        "300 concurrent commands took {commits} commits: not batched"
    );
    assert!(after.max_batch > 1);
    assert_eq!(after.failed_commits, 0);
    assert_eq!(event_count(&storage, AGREEMENT).await, 300);
    assert!(storage.verify_invariants().await.unwrap().is_ok());
}

async fn a_failing_command_rolls_back_only_itself_within_a_batch(backend: Backend) {
    let (_dir, storage) = open(backend).await;
    let mut tasks = JoinSet::new();
    for i in 0..60 {
        let s = Arc::clone(&storage);
        let mut body = task_body(&format!("MIX-{i}"), "签到");
        if i % 3 == 0 {
            body["agreement_no"] = json!("NO_SUCH_AGREEMENT");
        }
        tasks.spawn(async move { (i, s.sync_cumulation(cmd(&body), caller()).await) });
    }
    for (i, r) in tasks.join_all().await {
        if i % 3 == 0 {
            assert_eq!(code_of(r), "EASY_MEMBER_CONSULT_FAIL");
        } else {
            r.unwrap();
        }
    }
    assert_eq!(event_count(&storage, AGREEMENT).await, 40);
    let (totals, _) = storage
        .ledger(AGREEMENT, Page { no: 1, size: 1 })
        .await
        .unwrap();
    assert_eq!(totals.tasks.get("签到"), Some(&40));
}

async fn data_survives_reopening_and_migrations_are_idempotent(backend: Backend) {
    let (db, storage) = open(backend).await;
    storage
        .sync_cumulation(cmd(&sync_body("DUR-1")), caller())
        .await
        .unwrap();
    storage.flush().await.unwrap();
    drop(storage);

    // Migrations run again on open and change nothing.
    let reopened = db.open().await;
    let replay = reopened
        .sync_cumulation(cmd(&sync_body("DUR-1")), caller())
        .await
        .unwrap();
    assert!(
        replay.replayed,
        "the event committed before the restart is found again"
    );
    assert_eq!(event_count(&reopened, AGREEMENT).await, 1);
    // State machines are recompiled from the stored services on open.
    assert!(reopened
        .state_machines()
        .precheck(state_cmd("S-1", "P1", "BUY", r#"{"orderNo":"1"}"#), APP)
        .is_ok());
}

async fn unsafe_no_fsync_mode_works_the_same(backend: Backend) {
    let (_dir, storage) = open_with(backend, false).await;
    let r = storage
        .sync_cumulation(cmd(&sync_body("NOF-1")), caller())
        .await
        .unwrap();
    assert!(!r.replayed);
    assert!(
        storage
            .sync_cumulation(cmd(&sync_body("NOF-1")), caller())
            .await
            .unwrap()
            .replayed
    );
}

async fn audit_entries_ride_the_next_commit(backend: Backend) {
    use zhima_server::domain::audit::AuditEntry;
    let (_dir, storage) = open(backend).await;
    for (i, outcome) in ["10000", "IDEMPOTENT_ERROR", "isv.invalid-signature"]
        .iter()
        .enumerate()
    {
        storage.append_audit(AuditEntry {
            at: now(),
            app_id: (i != 2).then(|| APP.to_owned()),
            method: "zhima.credit.pe.zmgo.cumulation.sync".into(),
            outcome: (*outcome).into(),
            latency_us: 1_000 + i as i64,
        });
    }
    storage.flush().await.unwrap();
    let recent = storage.recent_audit(2).await.unwrap();
    let outcomes: Vec<_> = recent.iter().map(|e| e.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        ["isv.invalid-signature", "IDEMPOTENT_ERROR"],
        "newest first"
    );
    assert_eq!(
        (recent[0].app_id.as_deref(), recent[0].latency_us),
        (None, 1_002)
    );
    assert_eq!(recent[1].at, now());
}

on_both_backends!(
    fifty_concurrent_identical_commands_write_one_event,
    same_key_different_content_conflicts_and_writes_nothing,
    semantically_equal_requests_replay,
    racing_different_contents_for_one_key_accept_exactly_one,
    group_commit_batches_concurrent_commands,
    a_failing_command_rolls_back_only_itself_within_a_batch,
    data_survives_reopening_and_migrations_are_idempotent,
    unsafe_no_fsync_mode_works_the_same,
    audit_entries_ride_the_next_commit,
);
