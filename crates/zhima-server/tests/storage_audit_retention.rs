//! The audit log on both engines: entries are buffered and ride with the next business write
//! (no commit of their own), the periodic flusher writes the rest, reads see every queued
//! entry; retention: the sweep deletes exactly the entries received before the cutoff, in
//! bounded batches, and the periodic pruner does it by itself; plus the group-commit counters
//! `/metrics` reads (batch sizes, commit latency, queue depth).

mod storage_support;

use std::time::Duration;

use storage_support::*;
use zhima_server::domain::audit::{retention_cutoff, AuditEntry, PRUNE_BATCH};
use zhima_server::domain::entities::Time;
use zhima_server::storage::Storage;

fn entry(at: Time, method: &str) -> AuditEntry {
    AuditEntry {
        at,
        app_id: Some("2021000000000001".into()),
        method: method.into(),
        outcome: "10000".into(),
        latency_us: 1,
    }
}

/// Every stored entry's method, oldest first.
async fn methods(storage: &Storage) -> Vec<String> {
    let mut all = storage.recent_audit(1_000_000).await.unwrap();
    all.reverse();
    all.into_iter().map(|e| e.method).collect()
}

on_both_backends!(
    the_sweep_deletes_only_entries_older_than_the_cutoff,
    the_sweep_works_in_bounded_batches,
    the_pruner_applies_the_retention_by_itself,
    group_commit_counters_feed_the_metrics,
    queued_entries_ride_with_the_next_write_in_one_commit,
    reads_of_the_audit_log_see_every_queued_entry,
    the_flusher_writes_entries_when_nothing_else_writes,
);

async fn queued_entries_ride_with_the_next_write_in_one_commit(backend: Backend) {
    let (_db, storage) = open(backend).await;
    for i in 0..20 {
        storage.append_audit(entry(now(), &format!("q{i}")));
    }
    let before = storage.stats();
    storage.set_secret("audit_test", "v").await.unwrap();
    let after = storage.stats();
    // One commit for the business write and the 20 entries together (one job for all 20).
    assert_eq!(after.commits - before.commits, 1, "{after:?}");
    assert_eq!(after.write_jobs - before.write_jobs, 2, "{after:?}");
    assert_eq!(methods(&storage).await.len(), 20);
    // Nothing was left to flush: reading took no commit.
    assert_eq!(storage.stats().commits, after.commits);
}

async fn reads_of_the_audit_log_see_every_queued_entry(backend: Backend) {
    let (_db, storage) = open(backend).await;
    storage.append_audit(entry(now(), "just-queued"));
    assert_eq!(methods(&storage).await, ["just-queued"]);
    storage.append_audit(entry(now(), "queued-again"));
    let since = now() - chrono::Duration::hours(1);
    let outcomes = storage.audit_outcomes(since).await.unwrap();
    assert_eq!(
        outcomes.iter().map(|o| o.count).sum::<i64>(),
        2,
        "{outcomes:?}"
    );
}

async fn the_flusher_writes_entries_when_nothing_else_writes(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let flusher = storage.spawn_audit_flusher(Duration::from_millis(10));
    let before = storage.stats().write_jobs;
    storage.append_audit(entry(now(), "flushed"));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    // Watch the writer's counters only: any read of the audit log would flush by itself.
    while storage.stats().write_jobs == before {
        assert!(tokio::time::Instant::now() < deadline, "never flushed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    flusher.abort();
    assert_eq!(storage.stats().write_jobs - before, 1);
    assert_eq!(methods(&storage).await, ["flushed"]);
}

async fn the_sweep_deletes_only_entries_older_than_the_cutoff(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let cutoff = t("2024-05-01 00:00:00");
    let ms = chrono::Duration::milliseconds;
    for (at, method) in [
        (cutoff - chrono::Duration::days(400), "ancient"),
        (cutoff - ms(1), "just-before"),
        (cutoff, "at-cutoff"),
        (cutoff + ms(1), "just-after"),
        (cutoff + chrono::Duration::days(3), "recent"),
    ] {
        storage.append_audit(entry(at, method));
    }
    storage.flush().await.unwrap();
    assert_eq!(storage.prune_audit(cutoff).await.unwrap(), 2);
    assert_eq!(
        methods(&storage).await,
        ["at-cutoff", "just-after", "recent"]
    );
    // Nothing left to delete: a second sweep deletes nothing.
    assert_eq!(storage.prune_audit(cutoff).await.unwrap(), 0);
    assert_eq!(methods(&storage).await.len(), 3);
}

async fn the_sweep_works_in_bounded_batches(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let old = t("2020-01-01 00:00:00");
    let n = PRUNE_BATCH as usize * 2 + 7;
    for i in 0..n {
        let at = old + chrono::Duration::seconds(i as i64);
        storage.append_audit(entry(at, "old"));
    }
    storage.append_audit(entry(now(), "kept"));
    storage.flush().await.unwrap();
    let commits_before = storage.stats().commits;
    assert_eq!(
        storage.prune_audit(t("2021-01-01 00:00:00")).await.unwrap(),
        n as u64
    );
    // Three batches (1000 + 1000 + 7), each its own transaction.
    assert!(storage.stats().commits - commits_before >= 3);
    assert_eq!(methods(&storage).await, ["kept"]);
}

async fn the_pruner_applies_the_retention_by_itself(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let real_now = zhima_proto::time::now_alipay();
    storage.append_audit(entry(real_now - chrono::Duration::days(3), "expired"));
    storage.append_audit(entry(real_now - chrono::Duration::hours(47), "kept"));
    storage.flush().await.unwrap();
    // 0 days: keep forever, no task at all.
    assert!(storage
        .spawn_audit_pruner(0, Duration::from_millis(5))
        .is_none());
    let pruner = storage
        .spawn_audit_pruner(2, Duration::from_millis(5))
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while methods(&storage).await != ["kept"] {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            methods(&storage).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    pruner.abort();
    assert!(retention_cutoff(&real_now, 2).unwrap() < real_now);
}

async fn group_commit_counters_feed_the_metrics(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let before = storage.stats();
    for i in 0..20 {
        storage.append_audit(entry(now(), &format!("m{i}")));
    }
    storage.flush().await.unwrap();
    let after = storage.stats();
    assert!(after.commits > before.commits);
    // The 20 entries as one job, then the flush's own empty job.
    assert_eq!(after.write_jobs - before.write_jobs, 2, "{after:?}");
    assert_eq!(
        after.batch_sizes.count,
        after.commits + after.failed_commits
    );
    assert_eq!(after.batch_sizes.sum, after.write_jobs);
    assert_eq!(after.commit_latency_us.count, after.commits);
    assert!(after.commit_latency_us.sum > 0, "{after:?}");
    assert!(after.max_batch >= 1);
    // Everything committed: nothing waits for the writer.
    assert_eq!(after.queue_depth, 0);
    assert_eq!(
        *after.batch_sizes.cumulative.last().unwrap(),
        after.batch_sizes.count,
        "no batch exceeds the largest bound"
    );
}
