//! The app cache behind every request's authentication (`storage/app_cache.rs`): an edit made
//! through a handle is seen by that handle at once; an edit made by another process sharing
//! the database (PostgreSQL) is seen within `APP_CACHE_TTL`. The same for the compiled state
//! machines (`MACHINE_CACHE_TTL`).

mod storage_support;

use std::time::{Duration, Instant};

use storage_support::*;
use zhima_server::storage::app_cache::{APP_CACHE_TTL, MACHINE_CACHE_TTL};
use zhima_server::storage::Storage;

async fn enabled(storage: &Storage) -> bool {
    storage.app(APP).await.unwrap().expect("seeded app").enabled
}

on_both_backends!(an_edit_is_seen_at_once_by_the_handle_that_made_it,);

async fn an_edit_is_seen_at_once_by_the_handle_that_made_it(backend: Backend) {
    let (_db, storage) = open(backend).await;
    assert!(enabled(&storage).await); // now cached
    storage
        .admin_update_app(APP, |a| a.enabled = false)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !enabled(&storage).await,
        "a disabled app must be refused at once"
    );
    storage
        .admin_update_app(APP, |a| a.enabled = true)
        .await
        .unwrap()
        .unwrap();
    assert!(enabled(&storage).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_sees_an_edit_within_the_ttl_on_postgres() {
    let (db, a) = open(Backend::Postgres).await;
    let b = db.open().await;
    assert!(enabled(&b).await); // b caches the enabled app
    a.admin_update_app(APP, |app| app.enabled = false)
        .await
        .unwrap()
        .unwrap();
    let edited = Instant::now();
    while enabled(&b).await {
        assert!(
            edited.elapsed() < APP_CACHE_TTL + Duration::from_millis(500),
            "still enabled {:?} after the edit",
            edited.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!enabled(&a).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_sees_a_state_machine_edit_within_the_ttl_on_postgres() {
    let (db, a) = open(Backend::Postgres).await;
    let b = db.open().await;
    let buy = |i: u32| {
        state_cmd(
            &format!("ME-{i}"),
            &format!("MOVIE-ME-{i}"),
            "BUY",
            r#"{"orderNo":"o-1"}"#,
        )
    };
    b.sync_state(buy(0), caller()).await.unwrap();
    // `a` renames the category: WATCH_MOVIE is no longer a machine.
    let mut edited = promise_service();
    edited.categories[0].code = "WATCH_SERIES".into();
    a.admin_put_service(edited).await.unwrap().unwrap();
    let at = Instant::now();
    assert!(
        a.sync_state(buy(1), caller()).await.is_err(),
        "the editing process uses the edit at once"
    );
    let mut i = 2;
    while b.sync_state(buy(i), caller()).await.is_ok() {
        assert!(
            at.elapsed() < MACHINE_CACHE_TTL + Duration::from_millis(500),
            "the other process still uses the old machine {:?} after the edit",
            at.elapsed()
        );
        i += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
