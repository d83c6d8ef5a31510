//! Measures notifications to merchants (PRODUCT §12) in one process, on a fresh demo sandbox
//! (SQLite, fsync on) and a local receiver that answers `success`. Requests are signed before
//! the clock starts (as `zhima bench` does) and sent over plain keep-alive HTTP, so the load
//! generator spends no RSA time while the server is measured; the receiver runs in the same
//! process (a merchant's endpoint would be elsewhere).
//!
//! 1. **Delivery rate**: `N` `settle.unfreeze` calls with the worker off, then the worker alone
//!    drains that backlog: notifications delivered per second.
//! 2. **Request throughput without / with deliveries**, for two workloads: `unfreeze` (every
//!    request causes a notification) and `mixed` (19 of 20 requests are `cumulation.sync`,
//!    which notify nobody; 1 in 20 is an unfreeze). `ROUNDS` rounds of `N` requests with
//!    `CONCURRENCY` in flight, worker off and on alternated (off-on, on-off, …); the medians
//!    and their ratio. Each worker-on round also reports the delivery lag (from the request's
//!    answer, i.e. after its commit, to the receiver getting the notification) and how long
//!    the backlog took to drain after the load stopped; each round the share of the 2 cores
//!    the process used.
//!
//! ```sh
//! nice -n 19 cargo run --release -p zhima-client --example notify_bench \
//!     [N] [CONCURRENCY] [ROUNDS] [unfreeze|mixed]
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use zhima_proto::keys::PrivateKey;
use zhima_proto::money::Fen;
use zhima_proto::time::{format_alipay_datetime, now_alipay};
use zhima_proto::v1::{build_request, GatewayParams, SdkLayout};
use zhima_server::bootstrap::{bootstrap_default, demo};
use zhima_server::domain::entities::Records;
use zhima_server::http::{Platform, Server, Settings};
use zhima_server::notify::{NotifySettings, Worker};
use zhima_server::storage::{SqliteOptions, Storage};

/// Agreements the load spreads over (notifications are in order per agreement, so one
/// agreement's are delivered one after another).
const AGREEMENTS: usize = 64;

fn agreement_no(i: usize) -> String {
    format!("2019510851808{:07}", i % AGREEMENTS)
}

/// Every POST the receiver got: when, and the form body.
type Received = Arc<Mutex<Vec<(Instant, String)>>>;

/// Serves the receiver on a thread of its own ("receiver"), so its CPU shows apart from the
/// server's; its URL.
fn receiver(got: Received) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("receiver".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(format!("http://{}/notify", l.local_addr().unwrap()))
                    .unwrap();
                axum::serve(l, receiver_app(got)).await.unwrap();
            });
        })
        .unwrap();
    rx.recv().unwrap()
}

fn receiver_app(got: Received) -> axum::Router {
    axum::Router::new().route(
        "/notify",
        axum::routing::post(move |body: String| {
            let got = got.clone();
            async move {
                got.lock().unwrap().push((Instant::now(), body));
                "success"
            }
        }),
    )
}

#[derive(Clone, Copy, PartialEq)]
enum Workload {
    /// Every request is a `settle.unfreeze` (one notification each).
    Unfreeze,
    /// 1 in 20 is an unfreeze, the rest `cumulation.sync` (no notification).
    Mixed,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Workload::Unfreeze => "unfreeze (every request notifies)",
            Workload::Mixed => "mixed (1 in 20 notifies)",
        }
    }

    fn code(self) -> &'static str {
        match self {
            Workload::Unfreeze => "u",
            Workload::Mixed => "m",
        }
    }

    fn notifies(self, i: usize) -> bool {
        self == Workload::Unfreeze || i.is_multiple_of(20)
    }
}

/// A request signed before the clock starts.
struct Presigned {
    path_and_query: String,
    body: String,
}

fn presign(key: &PrivateKey, workload: Workload, tag: &str, n: usize) -> Vec<Presigned> {
    let biz_time = format_alipay_datetime(&now_alipay());
    (0..n)
        .map(|i| {
            let id = format!("{tag}-{i}");
            let (method, biz) = if workload.notifies(i) {
                (
                    "zhima.credit.pe.zmgo.settle.unfreeze",
                    json!({
                        "agreement_id": agreement_no(i), "partner_id": demo::PARTNER_ID,
                        "out_request_no": id, "unfreeze_amount": "0.01",
                        "biz_time": "2024-06-01 12:00:00",
                    }),
                )
            } else {
                (
                    "zhima.credit.pe.zmgo.cumulation.sync",
                    json!({
                        "agreement_no": agreement_no(i), "user_id": demo::USER_ID,
                        "partner_id": demo::PARTNER_ID, "out_biz_no": id,
                        "biz_action": "ORDER_PAID", "biz_time": biz_time,
                        "cumulate_data_type": "AMOUNT", "request_from": "ExternalMerchantSource",
                        "amount_type_data": {
                            "name": "累计消费",
                            "trade_info": {"trade_no": format!("T{id}"), "amount": "3.57"},
                        }
                    }),
                )
            };
            let params = GatewayParams::from_pairs([
                ("app_id", demo::APP_ID.to_owned()),
                ("method", method.to_owned()),
                ("charset", "utf-8".to_owned()),
                ("format", "json".to_owned()),
                ("sign_type", "RSA2".to_owned()),
                ("timestamp", biz_time.clone()),
                ("version", zhima_proto::v1::VERSION.to_owned()),
                ("biz_content", biz.to_string()),
            ]);
            let signed = build_request(&params, key, SdkLayout::Python).unwrap();
            Presigned {
                path_and_query: format!("/gateway.do?{}", signed.query),
                body: signed.body,
            }
        })
        .collect()
}

/// The process's CPU time so far (user + system), from `/proc/self/stat`.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 (1-based); `rest` starts at field 3. USER_HZ = 100.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// CPU time so far per kind of thread (the thread name without its number), from
/// `/proc/self/task`.
fn cpu_by_thread() -> HashMap<String, Duration> {
    let mut out = HashMap::new();
    for task in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].trim_end_matches(|c: char| c.is_ascii_digit() || c == '-');
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        *out.entry(name.to_owned()).or_default() +=
            Duration::from_millis((ticks(11) + ticks(12)) * 10);
    }
    out
}

/// The CPU each kind of thread used since `before`.
fn cpu_since(before: &HashMap<String, Duration>) -> HashMap<String, Duration> {
    cpu_by_thread()
        .into_iter()
        .map(|(name, t)| {
            let used = t.saturating_sub(before.get(&name).copied().unwrap_or_default());
            (name, used)
        })
        .collect()
}

/// `used` as cores busy over `wall`, by kind of thread.
fn thread_shares(used: &HashMap<String, Duration>, wall: Duration) -> String {
    let mut shares: Vec<(&String, f64)> = used
        .iter()
        .map(|(name, t)| (name, t.as_secs_f64() / wall.as_secs_f64()))
        .filter(|(_, share)| *share >= 0.01)
        .collect();
    shares.sort_by(|a, b| b.1.total_cmp(&a.1));
    shares
        .iter()
        .map(|(name, share)| format!("{name} {share:.2}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// CPU of the request path at normal priority: the server's runtime and the SQLite writer
/// (not the low-priority signer, the load generator or the receiver).
fn server_cpu(used: &HashMap<String, Duration>) -> Duration {
    ["server", "zhima-sqlite-wr"]
        .iter()
        .filter_map(|name| used.get(*name))
        .sum()
}

/// What one load run measured.
struct Run {
    per_sec: f64,
    /// Cores busy on average (CPU time / wall time).
    cores: f64,
    /// The same by kind of thread.
    threads: String,
    /// Microseconds of [`server_cpu`] per request.
    server_us: f64,
    /// When each request was answered (`None`: not recorded).
    answered: Vec<Option<Instant>>,
    ended: Instant,
}

/// Sends `requests` with `concurrency` in flight.
async fn load(
    http: &reqwest::Client,
    base: &str,
    requests: Vec<Presigned>,
    concurrency: usize,
) -> Run {
    let n = requests.len();
    let requests = Arc::new(requests);
    let answered = Arc::new(Mutex::new(vec![None; n]));
    let next = Arc::new(AtomicUsize::new(0));
    let cpu0 = cpu_time();
    let threads0 = cpu_by_thread();
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (http, base, requests, answered, next) = (
                http.clone(),
                base.to_owned(),
                requests.clone(),
                answered.clone(),
                next.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(r) = requests.get(i) else { return };
                    let answer = http
                        .post(format!("{base}{}", r.path_and_query))
                        .header(
                            reqwest::header::CONTENT_TYPE,
                            "application/x-www-form-urlencoded;charset=utf-8",
                        )
                        .body(r.body.clone())
                        .send()
                        .await
                        .expect("request")
                        .text()
                        .await
                        .expect("answer");
                    assert!(answer.contains(r#""code":"10000""#), "refused: {answer}");
                    answered.lock().unwrap()[i] = Some(Instant::now());
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let wall = started.elapsed();
    let cores = (cpu_time() - cpu0).as_secs_f64() / wall.as_secs_f64();
    let used = cpu_since(&threads0);
    let threads = thread_shares(&used, wall);
    let server_us = server_cpu(&used).as_secs_f64() * 1e6 / n as f64;
    let answered = std::mem::take(&mut *answered.lock().unwrap());
    Run {
        per_sec: n as f64 / wall.as_secs_f64(),
        cores,
        threads,
        server_us,
        answered,
        ended: Instant::now(),
    }
}

async fn wait_backlog_empty(storage: &Storage) {
    while storage.notification_backlog().await.unwrap() > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The running delivery worker, if any.
struct WorkerSwitch {
    make: Box<dyn Fn() -> tokio::task::JoinHandle<()>>,
    running: Option<tokio::task::JoinHandle<()>>,
}

impl WorkerSwitch {
    fn on(&mut self) {
        if self.running.is_none() {
            self.running = Some((self.make)());
        }
    }

    async fn off(&mut self) {
        if let Some(w) = self.running.take() {
            w.abort();
            let _ = w.await;
        }
    }
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if !v.len().is_multiple_of(2) {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Lags from each request's answer to its notification's arrival (`tag`'s requests only).
fn lags(received: &[(Instant, String)], tag: &str, answered: &[Option<Instant>]) -> Vec<Duration> {
    let prefix = format!("{tag}-");
    let mut out = Vec::new();
    for (at, body) in received {
        let form: HashMap<String, String> = serde_urlencoded::from_str(body).unwrap();
        let biz: serde_json::Value = serde_json::from_str(&form["biz_content"]).unwrap();
        let Some(i) = biz["out_request_no"]
            .as_str()
            .and_then(|id| id.strip_prefix(&prefix))
            .and_then(|i| i.parse::<usize>().ok())
        else {
            continue;
        };
        if let Some(Some(done)) = answered.get(i) {
            out.push(at.saturating_duration_since(*done));
        }
    }
    out.sort();
    out
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    // Three thread groups, so the CPU of each shows apart: the server ("server" threads,
    // the SQLite writer, the low-priority signers), the load generator ("loadgen") and the
    // merchant's receiver ("receiver").
    let server = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("server")
        .build()
        .unwrap();
    let loadgen = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("loadgen")
        .build()
        .unwrap();
    loadgen.block_on(bench(server.handle().clone()));
}

async fn bench(server_rt: tokio::runtime::Handle) {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<usize> = raw.iter().take(3).map(|a| a.parse().unwrap()).collect();
    let workloads = match raw.get(3).map(String::as_str) {
        Some("unfreeze") => vec![Workload::Unfreeze],
        Some("mixed") => vec![Workload::Mixed],
        _ => vec![Workload::Unfreeze, Workload::Mixed],
    };
    let n = args.first().copied().unwrap_or(2000);
    let concurrency = args.get(1).copied().unwrap_or(16);
    let rounds = args.get(2).copied().unwrap_or(4);
    let dir = tempfile::tempdir().unwrap();
    let config = bootstrap_default(dir.path()).unwrap();
    let storage = Arc::new(
        Storage::open_sqlite(&SqliteOptions::in_dir(dir.path()))
            .await
            .unwrap(),
    );
    storage.apply_records(&config.records).await.unwrap();
    let received: Received = Arc::default();
    let url = receiver(received.clone());
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
    let listener = listener.into_std().unwrap();
    server_rt.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        server.serve(listener, std::future::pending()).await
    });
    let app_key = PrivateKey::from_text(
        &std::fs::read_to_string(dir.path().join(demo::APP_PRIVATE_KEY)).unwrap(),
    )
    .unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let (worker_storage, platform_key) = (storage.clone(), config.platform.private_key.clone());
    let mut worker = WorkerSwitch {
        make: Box::new(move || {
            let _in_server = server_rt.enter();
            Worker::new(
                worker_storage.clone(),
                platform_key.clone(),
                NotifySettings::default(),
                zhima_server::metrics::Metrics::new().notify.clone(),
            )
            .unwrap()
            .spawn()
        }),
        running: None,
    };
    println!(
        "notify_bench: N={n} concurrency={concurrency} rounds={rounds}, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // Warm-up, delivered and drained.
    let warm = presign(&app_key, Workload::Mixed, "warm", 400);
    load(&http, &base, warm, concurrency).await;
    worker.on();
    wait_backlog_empty(&storage).await;
    worker.off().await;

    // 1. The worker alone drains a backlog of n.
    for round in 0..2 {
        let tag = format!("backlog{round}");
        load(
            &http,
            &base,
            presign(&app_key, Workload::Unfreeze, &tag, n),
            concurrency,
        )
        .await;
        received.lock().unwrap().clear();
        let cpu0 = cpu_time();
        let threads0 = cpu_by_thread();
        let started = Instant::now();
        worker.on();
        wait_backlog_empty(&storage).await;
        let secs = started.elapsed().as_secs_f64();
        let cores = (cpu_time() - cpu0).as_secs_f64() / secs;
        let threads = thread_shares(&cpu_since(&threads0), started.elapsed());
        worker.off().await;
        let got = received.lock().unwrap().len();
        println!(
            "drain {round}: {got} notifications in {secs:.2} s = {:.0}/s ({cores:.2} cores busy: \
             {threads})",
            got as f64 / secs
        );
    }

    // 2. Request throughput with the worker off and on, alternated; lag and drain when on.
    for workload in workloads {
        println!("\n== {}", workload.name());
        let (mut off, mut on) = (Vec::new(), Vec::new());
        let (mut off_us, mut on_us) = (Vec::new(), Vec::new());
        let (mut all_lags, mut drains) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            let order = if round.is_multiple_of(2) {
                [false, true]
            } else {
                [true, false]
            };
            for with_worker in order {
                let tag = format!("{}{round}{}", workload.code(), with_worker as u8);
                let requests = presign(&app_key, workload, &tag, n);
                if !with_worker {
                    worker.off().await;
                    let run = load(&http, &base, requests, concurrency).await;
                    println!(
                        "round {round} off: {:.0} req/s, {:.0} µs server CPU per request \
                         ({:.2} cores busy: {})",
                        run.per_sec, run.server_us, run.cores, run.threads
                    );
                    off.push(run.per_sec);
                    off_us.push(run.server_us);
                    continue;
                }
                worker.on();
                wait_backlog_empty(&storage).await;
                received.lock().unwrap().clear();
                let run = load(&http, &base, requests, concurrency).await;
                let delivered_during = received.lock().unwrap().len();
                wait_backlog_empty(&storage).await;
                let drain = run.ended.elapsed();
                let got = std::mem::take(&mut *received.lock().unwrap());
                let lag = lags(&got, &tag, &run.answered);
                println!(
                    "round {round} on:  {:.0} req/s, {:.0} µs server CPU per request \
                     ({:.2} cores busy: {}); {} of {} notifications delivered during the load; \
                     lag p50 {} p99 {} max {}; drained {} after",
                    run.per_sec,
                    run.server_us,
                    run.cores,
                    run.threads,
                    delivered_during,
                    lag.len(),
                    ms(percentile(&lag, 0.5)),
                    ms(percentile(&lag, 0.99)),
                    ms(percentile(&lag, 1.0)),
                    ms(drain),
                );
                on.push(run.per_sec);
                on_us.push(run.server_us);
                all_lags.extend(lag);
                drains.push(drain.as_secs_f64());
            }
        }
        all_lags.sort();
        println!(
            "{}: median req/s off {:.0}, on {:.0}, ratio {:.3}; median server CPU per request \
             off {:.0} µs, on {:.0} µs (CPU-bound ratio {:.3}); lag over all rounds p50 {} \
             p99 {}; median drain after the load {:.2} s",
            workload.name(),
            median(&off),
            median(&on),
            median(&on) / median(&off),
            median(&off_us),
            median(&on_us),
            median(&off_us) / median(&on_us),
            ms(percentile(&all_lags, 0.5)),
            ms(percentile(&all_lags, 0.99)),
            median(&drains),
        );
    }
    worker.off().await;
}
