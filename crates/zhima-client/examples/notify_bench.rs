//! Measures notifications to merchants (PRODUCT §12) in one process, on a fresh demo sandbox
//! (SQLite, fsync on) and a local receiver that answers `success`:
//!
//! 1. **Delivery rate**: `N` `settle.unfreeze` calls (0.01 each, one notification each, spread
//!    over 64 agreements) with
//!    the worker off, then the worker on: notifications delivered per second until the backlog
//!    is empty.
//! 2. **Request throughput without / with deliveries**: the same `settle.unfreeze` load (`N`
//!    calls, `CONCURRENCY` in flight) with the worker off, then on (every call's notification
//!    is delivered while the load runs); the ratio of the two throughputs.
//!
//! ```sh
//! cargo run --release -p zhima-client --example notify_bench [N] [CONCURRENCY]
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use zhima_client::models::ZhimaCreditPeZmgoSettleUnfreezeModel;
use zhima_client::{Endpoint, ZhimaClient};
use zhima_proto::money::Fen;
use zhima_server::bootstrap::{bootstrap_default, demo};
use zhima_server::domain::entities::Records;
use zhima_server::http::{Platform, Server, Settings};
use zhima_server::notify::{NotifySettings, Worker};
use zhima_server::storage::{SqliteOptions, Storage};

async fn receiver(count: Arc<AtomicU64>) -> String {
    let app = axum::Router::new().route(
        "/notify",
        axum::routing::post(move |_body: String| {
            let count = count.clone();
            async move {
                count.fetch_add(1, Ordering::Relaxed);
                "success"
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await });
    url
}

/// `n` unfreezes with `concurrency` in flight; requests per second.
async fn load(client: &ZhimaClient, tag: &str, n: usize, concurrency: usize) -> f64 {
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, next, tag) = (client.clone(), next.clone(), tag.to_owned());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    if i >= n {
                        return;
                    }
                    let m = ZhimaCreditPeZmgoSettleUnfreezeModel {
                        agreement_id: Some(agreement_no(i)),
                        partner_id: Some(demo::PARTNER_ID.into()),
                        out_request_no: Some(format!("{tag}-{i}")),
                        unfreeze_amount: Some("0.01".into()),
                        biz_time: Some("2024-06-01 12:00:00".into()),
                        ..Default::default()
                    };
                    client.v1().settle_unfreeze(&m).await.expect("unfreeze");
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// Agreements the load spreads over (notifications are in order per agreement, so one
/// agreement's are delivered one after another).
const AGREEMENTS: usize = 64;

fn agreement_no(i: usize) -> String {
    format!("2019510851808{:07}", i % AGREEMENTS)
}

async fn wait_backlog_empty(storage: &Storage) {
    while storage.notification_backlog().await.unwrap() > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let n = args.first().copied().unwrap_or(2000);
    let concurrency = args.get(1).copied().unwrap_or(16);
    let dir = tempfile::tempdir().unwrap();
    let config = bootstrap_default(dir.path()).unwrap();
    let storage = Arc::new(
        Storage::open_sqlite(&SqliteOptions::in_dir(dir.path()))
            .await
            .unwrap(),
    );
    storage.apply_records(&config.records).await.unwrap();
    let delivered = Arc::new(AtomicU64::new(0));
    let url = receiver(delivered.clone()).await;
    let mut app = storage.app(demo::APP_ID).await.unwrap().unwrap();
    app.notify_url = Some(url);
    storage
        .apply_records(&Records {
            apps: vec![app],
            ..Default::default()
        })
        .await
        .unwrap();
    let template = storage
        .agreement(demo::AGREEMENT_NO)
        .await
        .unwrap()
        .unwrap();
    let agreements = (0..AGREEMENTS)
        .map(|i| zhima_server::domain::entities::Agreement {
            agreement_no: agreement_no(i),
            ..template.clone()
        })
        .collect();
    storage
        .apply_records(&Records {
            agreements,
            ..Default::default()
        })
        .await
        .unwrap();
    for i in 0..AGREEMENTS {
        storage
            .set_freeze_amount(&agreement_no(i), Fen(1_000_000_000))
            .await
            .unwrap();
    }
    // The HTTP server never delivers; this example starts and stops the worker itself.
    let mut settings = Settings::from_config(&config);
    settings.notify.enabled = false;
    let server = Server::new(storage.clone(), Platform::from_config(&config), settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(server.serve(listener, std::future::pending()));
    let read = |p: &str| std::fs::read_to_string(dir.path().join(p)).unwrap();
    let client = ZhimaClient::builder()
        .app_id(demo::APP_ID)
        .app_private_key(read(demo::APP_PRIVATE_KEY))
        .platform_public_key(read(demo::PLATFORM_PUBLIC_KEY))
        .endpoint(Endpoint::local(&base))
        .build()
        .unwrap();
    let worker = || {
        Worker::new(
            storage.clone(),
            config.platform.private_key.clone(),
            NotifySettings::default(),
            zhima_server::metrics::Metrics::new().notify.clone(),
        )
        .unwrap()
        .spawn()
    };

    // Warm-up, delivered and drained.
    load(&client, "warm", 200, concurrency).await;
    let w = worker();
    wait_backlog_empty(&storage).await;
    w.abort();

    // 1. Delivery rate over a backlog of n.
    load(&client, "backlog", n, concurrency).await;
    let before = delivered.load(Ordering::Relaxed);
    let started = Instant::now();
    let w = worker();
    wait_backlog_empty(&storage).await;
    let secs = started.elapsed().as_secs_f64();
    w.abort();
    let rate = (delivered.load(Ordering::Relaxed) - before) as f64 / secs;
    println!("delivery: {n} notifications in {secs:.2} s = {rate:.0} notifications/s");

    // 2. Request throughput without, then with deliveries running (twice, alternating).
    let mut without = Vec::new();
    let mut with = Vec::new();
    for round in 0..2 {
        without.push(load(&client, &format!("off{round}"), n, concurrency).await);
        let w = worker();
        wait_backlog_empty(&storage).await;
        with.push(load(&client, &format!("on{round}"), n, concurrency).await);
        wait_backlog_empty(&storage).await;
        w.abort();
    }
    let avg = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "requests/s without deliveries: {:?} (mean {:.0}); with deliveries: {:?} (mean {:.0}); ratio {:.3}",
        without.iter().map(|x| x.round()).collect::<Vec<_>>(),
        avg(&without),
        with.iter().map(|x| x.round()).collect::<Vec<_>>(),
        avg(&with),
        avg(&with) / avg(&without)
    );
}
