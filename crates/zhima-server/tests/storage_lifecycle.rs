//! The sandbox clock and agreement expiry on both engines (PRODUCT §11): advances are durable
//! and add up across processes; an agreement past its end moves `Y` → `P` exactly once with a
//! unique `withhold_plan_no`, even with sweeps running together; configuration reloads keep it.

mod storage_support;

use std::collections::BTreeSet;
use std::sync::Arc;

use storage_support::*;
use zhima_proto::models::agreement_query::AgreementStatus;
use zhima_server::domain::clock::{Advance, ClockError, MAX_OFFSET_MS};
use zhima_server::domain::entities::Agreement;
use zhima_server::domain::expiry::EXPIRE_QUIT;
use zhima_server::storage::Storage;

/// The seeded agreements that are `Y` (all end 2030-12-31 23:59:59).
const VALID: [&str; 4] = [AGREEMENT, AGREEMENT_2, BOUND_AGREEMENT, FOREIGN_AGREEMENT];

fn plan_of(expired: &[zhima_server::domain::expiry::Expiry], no: &str) -> String {
    let e = expired
        .iter()
        .find(|e| e.agreement_no == no)
        .expect("expired");
    e.quit.withhold_plan_no.clone()
}

async fn agreement(storage: &Storage, no: &str) -> Agreement {
    storage
        .agreement(no)
        .await
        .unwrap()
        .expect("agreement exists")
}

on_both_backends!(
    clock_advances_are_durable_and_add_up,
    clock_refuses_to_run_past_its_limit,
    expiry_moves_valid_agreements_to_p_once,
    an_advance_sweeps_what_it_made_due,
    a_config_reload_keeps_expired_agreements_expired,
    concurrent_sweeps_expire_each_agreement_once,
    processes_starting_together_agree_on_one_admin_token,
);

async fn clock_advances_are_durable_and_add_up(backend: Backend) {
    let (db, storage) = open(backend).await;
    let before = storage.clock().await.unwrap();
    assert_eq!(before.clock.offset_ms, 0);
    assert_eq!(before.business_time, before.real_time);

    let done = storage
        .advance_clock(Advance::parse("30d").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.reading.clock.offset_ms, 30 * 86_400_000);
    assert_eq!(storage.cached_clock().offset_ms, 30 * 86_400_000);
    let ahead = storage.business_now() - zhima_proto::time::now_alipay();
    assert!((ahead.num_days() - 30).abs() <= 1, "{ahead}");

    // Another handle on the same data (a second process) sees it and adds to it.
    let other = db.open().await;
    assert_eq!(other.cached_clock().offset_ms, 30 * 86_400_000);
    other
        .advance_clock(Advance::parse("12h").unwrap())
        .await
        .unwrap()
        .unwrap();
    let now = storage.clock().await.unwrap();
    assert_eq!(now.clock.offset_ms, 30 * 86_400_000 + 12 * 3_600_000);
    assert_eq!(
        (now.business_time - now.real_time).num_milliseconds(),
        now.clock.offset_ms
    );
    drop(other);

    // Reopened (a restart): the clock is where it was.
    drop(storage);
    let reopened = db.open().await;
    assert_eq!(
        reopened.clock().await.unwrap().clock.offset_ms,
        30 * 86_400_000 + 12 * 3_600_000
    );
}

async fn clock_refuses_to_run_past_its_limit(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let max = Advance::parse("3650d").unwrap();
    let mut total = 0;
    while total + max.ms <= MAX_OFFSET_MS {
        storage.advance_clock(max).await.unwrap().unwrap();
        total += max.ms;
    }
    assert_eq!(
        storage.advance_clock(max).await.unwrap(),
        Err(ClockError::OffsetLimit)
    );
    assert_eq!(storage.clock().await.unwrap().clock.offset_ms, total);
}

async fn expiry_moves_valid_agreements_to_p_once(backend: Backend) {
    let (_db, storage) = open(backend).await;
    // Not yet: one second before the end.
    assert!(storage
        .expire_due(t("2030-12-31 23:59:58"))
        .await
        .unwrap()
        .is_empty());
    let expired = storage.expire_due(t("2030-12-31 23:59:59")).await.unwrap();
    let names: BTreeSet<_> = expired.iter().map(|e| e.agreement_no.as_str()).collect();
    assert_eq!(names, VALID.into_iter().collect());
    let plans: BTreeSet<_> = expired
        .iter()
        .map(|e| e.quit.withhold_plan_no.clone())
        .collect();
    assert_eq!(plans.len(), VALID.len(), "each agreement its own plan");

    for e in &expired {
        let a = agreement(&storage, &e.agreement_no).await;
        assert_eq!(a.status, AgreementStatus::Invalidating);
        let quit = a.quit.expect("quit recorded");
        assert_eq!(quit, e.quit);
        assert_eq!(quit.quit_type, EXPIRE_QUIT);
        assert_eq!(quit.quit_time, a.end_time);
    }
    // N stays N and gets no plan.
    let n = agreement(&storage, INVALID_AGREEMENT).await;
    assert_eq!((n.status, n.quit), (AgreementStatus::Invalid, None));

    // Exactly once: a later sweep finds nothing.
    assert!(storage
        .expire_due(t("2040-01-01 00:00:00"))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        agreement(&storage, AGREEMENT)
            .await
            .quit
            .unwrap()
            .withhold_plan_no,
        expired
            .iter()
            .find(|e| e.agreement_no == AGREEMENT)
            .unwrap()
            .quit
            .withhold_plan_no
    );
}

async fn an_advance_sweeps_what_it_made_due(backend: Backend) {
    let (_db, storage) = open(backend).await;
    // Real time is before 2030; 3650 days ahead is after every seeded end.
    assert!(storage.sweep_expired().await.unwrap().is_empty());
    let done = storage
        .advance_clock(Advance::parse("3650d").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.expired.len(), VALID.len());
    assert!(storage.sweep_expired().await.unwrap().is_empty());
    assert_eq!(
        agreement(&storage, AGREEMENT).await.status,
        AgreementStatus::Invalidating
    );
}

async fn a_config_reload_keeps_expired_agreements_expired(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let expired = storage.expire_due(t("2031-01-01 00:00:00")).await.unwrap();
    assert_eq!(expired.len(), VALID.len());
    let before = agreement(&storage, AGREEMENT).await;

    // The file still says Y (and even a new end): run-time state wins.
    let mut reload = records();
    reload.agreements[0].end_time = t("2035-12-31 23:59:59");
    storage.apply_records(&reload).await.unwrap();
    let after = agreement(&storage, AGREEMENT).await;
    assert_eq!(after.status, AgreementStatus::Invalidating);
    assert_eq!(after.quit, before.quit);
    assert_eq!(after.end_time, t("2035-12-31 23:59:59"));

    // A settled (N) agreement with a plan stays N too.
    storage
        .apply_settlement(
            settle_cmd(serde_json::json!({
                "agreement_id": AGREEMENT_2, "partner_id": PARTNER, "out_request_no": "SETTLE-AFTER-EXPIRY",
                "withhold_plan_no": plan_of(&expired, AGREEMENT_2), "pay_amount": "0.00",
                "total_real_pay_amount": "0.00", "total_discount_amount": "0.00", "total_task_count": "0"
            })),
            caller(),
        )
        .await
        .expect("a P agreement settles");
    storage.apply_records(&records()).await.unwrap();
    let settled = agreement(&storage, AGREEMENT_2).await;
    assert_eq!(settled.status, AgreementStatus::Invalid);
    assert!(settled.quit.is_some());
}

async fn concurrent_sweeps_expire_each_agreement_once(backend: Backend) {
    let (db, storage) = open(backend).await;
    // 120 more agreements, all due.
    let mut extra = records();
    let template = extra.agreements[0].clone();
    extra.agreements = (0..120)
        .map(|i| Agreement {
            agreement_no: format!("A_MANY_{i:03}"),
            ..template.clone()
        })
        .collect();
    storage.apply_records(&extra).await.unwrap();
    let due = VALID.len() + 120;

    // Several handles (on PostgreSQL: several engines, as separate processes would have)
    // and several tasks each, all sweeping at once.
    let mut handles: Vec<Arc<Storage>> = vec![storage.clone()];
    if backend == Backend::Postgres {
        for _ in 0..2 {
            handles.push(Arc::new(db.open().await));
        }
    }
    let now = t("2031-01-01 00:00:00");
    let mut tasks = Vec::new();
    for h in &handles {
        for _ in 0..4 {
            let h = h.clone();
            tasks.push(tokio::spawn(
                async move { h.expire_due(now).await.unwrap() },
            ));
        }
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    assert_eq!(
        all.len(),
        due,
        "every due agreement expired by exactly one sweep"
    );
    let names: BTreeSet<_> = all.iter().map(|e| e.agreement_no.clone()).collect();
    assert_eq!(names.len(), due);
    let plans: BTreeSet<_> = all
        .iter()
        .map(|e| e.quit.withhold_plan_no.clone())
        .collect();
    assert_eq!(plans.len(), due);
    // What is stored is what the sweeps reported.
    for e in all.iter().take(10) {
        assert_eq!(
            agreement(&storage, &e.agreement_no).await.quit,
            Some(e.quit.clone())
        );
    }
    if let Db::Postgres(pg) = &db {
        assert_eq!(
            pg.query_i64("SELECT count(*) FROM agreements WHERE status = 'P' AND withhold_plan_no IS NOT NULL"),
            [due as i64]
        );
    }
}

async fn processes_starting_together_agree_on_one_admin_token(backend: Backend) {
    use zhima_server::bootstrap::admin_token::{
        ensure_admin_token, token_hash, AdminTokenStatus, ADMIN_TOKEN_SECRET,
    };
    let (db, storage) = open(backend).await;
    let mut handles: Vec<Arc<Storage>> = vec![storage.clone()];
    if backend == Backend::Postgres {
        for _ in 0..2 {
            handles.push(Arc::new(db.open().await));
        }
    }
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut tasks = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let h = handles[i % handles.len()].clone();
        let path = dir.path().join("admin.token");
        tasks.push(tokio::spawn(async move {
            ensure_admin_token(&h, &path, false).await.unwrap()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let generated: Vec<_> = statuses
        .iter()
        .filter(|s| matches!(s, AdminTokenStatus::Generated(_)))
        .collect();
    assert_eq!(generated.len(), 1, "{statuses:?}");
    let winner = generated[0].path();
    let token = std::fs::read_to_string(winner).unwrap();
    let stored = storage.secret(ADMIN_TOKEN_SECRET).await.unwrap().unwrap();
    assert_eq!(
        stored,
        token_hash(token.trim()),
        "the file holds the stored token"
    );
    assert!(!stored.contains(token.trim()), "only the hash is stored");
    for s in &statuses {
        if s.path() != winner {
            assert!(matches!(s, AdminTokenStatus::Elsewhere(_)), "{s:?}");
            assert!(!s.path().exists(), "losers write no file");
        }
    }
    // A later start with the winner's file finds its token in force.
    assert_eq!(
        ensure_admin_token(&storage, winner, false).await.unwrap(),
        AdminTokenStatus::InFile(winner.to_owned())
    );
    // An operator-named file replaces the token.
    let mine = dirs[1].path().join("mine.token");
    std::fs::write(&mine, "operator-chosen-token-0001\n").unwrap();
    ensure_admin_token(&storage, &mine, true).await.unwrap();
    assert_eq!(
        storage.secret(ADMIN_TOKEN_SECRET).await.unwrap().unwrap(),
        token_hash("operator-chosen-token-0001")
    );
}
