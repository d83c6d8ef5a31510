//! `cumulate.query` latency at 100 and 1,000,000 events of one agreement, on both engines
//! (performance issue: "within 2× its latency at 100 events; with detail, page 1 likewise").
//!
//! ```sh
//! cargo bench -p zhima-cli --bench cumulate_query                  # SQLite and PostgreSQL
//! ZHIMA_BENCH_BACKENDS=sqlite cargo bench -p zhima-cli --bench cumulate_query
//! ```
//!
//! For each engine: a demo sandbox (as `zhima serve` makes it) plus two agreements, seeded with
//! 100 and 1,000,000 events by the engine's own `INSERT … SELECT` in one transaction each
//! (with their totals rows, as the writer keeps them), then 200,000 events of 2,000 other
//! agreements (so neither measured agreement holds the newest events of the table), then
//! - `storage/<engine>/<events>/{summary,detail}`: `Storage::cumulate_query` (the read path
//!   the HTTP handler calls), without detail and with detail page 1 (20 rows);
//! - `http/<engine>/<events>/{summary,detail}`: the same through a real server on
//!   127.0.0.1:0 and zhima-client (v1, signed and verified both ways, so ~two RSA signatures
//!   per call dominate; it shows that nothing else grows with the ledger).
//!
//! PostgreSQL is `ZHIMA_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`);
//! a fresh `zhima_b_<random>` database is created and dropped. It must be reachable.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use zhima_client::models::ZhimaMerchantZmgoCumulateQueryModel;
use zhima_client::{Endpoint, ZhimaClient};
use zhima_proto::time::now_alipay;
use zhima_proto::validate::ValidCumulateQuery;
use zhima_server::bootstrap::{self, demo};
use zhima_server::domain::entities::Caller;
use zhima_server::http::Server;
use zhima_server::storage::{PgOptions, SqliteOptions, Storage};

/// Event counts of the two agreements.
const SIZES: [(u64, &str); 2] = [
    (100, "20240101000000000100"),
    (1_000_000, "20240101000000001000"),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

fn main() {
    let wanted = std::env::var("ZHIMA_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(50)
        .configure_from_args();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if wanted.split(',').any(|w| w.trim() == backend.name()) {
            run(&mut criterion, backend);
        }
    }
    criterion.final_summary();
}

fn run(c: &mut Criterion, backend: Backend) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = bootstrap::bootstrap_default(dir.path()).unwrap();
    let template = config.records.agreements[0].clone();
    for (_, no) in SIZES {
        let mut a = template.clone();
        a.agreement_no = no.to_owned();
        config.records.agreements.push(a);
    }
    let pg = (backend == Backend::Postgres).then(PgBench::create);
    let storage = rt.block_on(async {
        let storage = match &pg {
            None => Storage::open_sqlite(&SqliteOptions::in_dir(dir.path())).await,
            Some(db) => Storage::open_postgres(&PgOptions::new(&db.url)).await,
        }
        .unwrap();
        storage.apply_records(&config.records).await.unwrap();
        Arc::new(storage)
    });
    for batch in batches() {
        let started = Instant::now();
        match &pg {
            None => seed_sqlite(dir.path(), batch),
            Some(db) => seed_postgres(&db.url, batch),
        }
        eprintln!(
            "{}: seeded {} events of {} in {:.1} s",
            backend.name(),
            batch.1,
            batch.0.unwrap_or("other agreements"),
            started.elapsed().as_secs_f64()
        );
    }

    let caller = Caller {
        app_id: demo::APP_ID.to_owned(),
        partner_id: demo::PARTNER_ID.to_owned(),
        now: now_alipay(),
        business_now: now_alipay(),
        notify_url: None,
    };
    let mut group = c.benchmark_group(format!("storage/{}", backend.name()));
    for (n, no) in SIZES {
        for detail in [false, true] {
            let q = ValidCumulateQuery {
                agreement_id: no.to_owned(),
                user_id: Some(demo::USER_ID.to_owned()),
                open_id: None,
                provider_pid: None,
                need_detail: detail,
                page_no: 1,
                page_size: 20,
            };
            let check = rt
                .block_on(storage.cumulate_query(q.clone(), caller.clone()))
                .unwrap();
            assert_eq!(check.totals.event_count, n as i64);
            assert_eq!(check.details.map(|d| d.len()), detail.then_some(20));
            let id = BenchmarkId::new(n.to_string(), if detail { "detail" } else { "summary" });
            group.bench_function(id, |b| {
                b.iter(|| {
                    rt.block_on(storage.cumulate_query(q.clone(), caller.clone()))
                        .unwrap()
                })
            });
        }
    }
    group.finish();

    // End to end: a real server and the SDK, as a merchant calls it.
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(
        Server::from_config(&config, storage.clone()).serve(listener, async {
            let _ = stopped.await;
        }),
    );
    let read = |rel: &str| std::fs::read_to_string(dir.path().join(rel)).unwrap();
    let client = ZhimaClient::builder()
        .app_id(demo::APP_ID)
        .app_private_key(read(demo::APP_PRIVATE_KEY))
        .platform_public_key(read(demo::PLATFORM_PUBLIC_KEY))
        .endpoint(Endpoint::local(&base))
        .build()
        .unwrap();
    let mut group = c.benchmark_group(format!("http/{}", backend.name()));
    for (n, no) in SIZES {
        for detail in [false, true] {
            let model = ZhimaMerchantZmgoCumulateQueryModel {
                agreement_id: Some(no.to_owned()),
                user_id: Some(demo::USER_ID.to_owned()),
                need_detail: Some(detail),
                page_no: Some(1),
                page_size: Some(20),
                ..Default::default()
            };
            let check = rt.block_on(client.v1().cumulate_query(&model)).unwrap();
            assert_eq!(check.data.aggr_times, Some(n as i64));
            let id = BenchmarkId::new(n.to_string(), if detail { "detail" } else { "summary" });
            group.bench_function(id, |b| {
                b.iter(|| rt.block_on(client.v1().cumulate_query(&model)).unwrap())
            });
        }
    }
    group.finish();
    let _ = stop.send(());
    rt.block_on(server).unwrap().unwrap();
    rt.block_on(storage.flush()).unwrap();
    drop(storage);
    drop(rt);
    drop(pg);
}

/// First event time: inside the demo agreements' period.
const T0_MS: i64 = 1_704_067_200_000; // 2024-01-01 08:00:00 UTC+8

/// Events of other agreements appended after the two measured ones (as a busy merchant's
/// ledger looks): 200,000 over 2,000 agreements.
const OTHERS: (u64, u64) = (200_000, 2_000);

/// What to append: `n` events of `agreement`, or `OTHERS` when `None`.
type Batch = (Option<&'static str>, u64);

fn batches() -> Vec<Batch> {
    let mut b: Vec<Batch> = SIZES.iter().map(|&(n, no)| (Some(no), n)).collect();
    b.push((None, OTHERS.0));
    b
}

/// The engine's own `INSERT … SELECT` of a batch: paid AMOUNT events of 1.00 yuan with one
/// 0.10 discount line each, `rows` being the source of `i` = 1..=n. Without `agreement_seq`
/// the same bench runs against a schema before migration 7 (for a before/after comparison).
fn events_sql((agreement, _): Batch, rows: &str, agreement_seq: bool) -> String {
    let (no, seq) = match agreement {
        Some(no) => (format!("'{no}'"), "i".to_owned()),
        None => (
            format!("'OTHER-' || (i % {})", OTHERS.1),
            format!("(i - 1) / {} + 1", OTHERS.1),
        ),
    };
    let prefix = agreement.unwrap_or("OTHER");
    let (seq_col, seq_val) = if agreement_seq {
        (", agreement_seq", format!(", {seq}"))
    } else {
        ("", String::new())
    };
    format!(
        "INSERT INTO cumulation_events (partner_id, out_biz_no, agreement_no, user_id, open_id,
           biz_action, pay_out_biz_no, biz_time_ms, data_type, amount_name, task_name, trade_no,
           trade_amount, discounts, task_count, fingerprint, received_at_ms{seq_col})
         SELECT '{partner}', '{prefix}-' || i, {no}, '{user}', NULL, 'ORDER_PAID', NULL,
           {T0_MS} + i * 1000, 'AMOUNT', '消费', NULL, NULL, 100,
           '[[\"exclusiveBenefit\",\"立减\",10]]', 0, 'bench', {T0_MS} + i * 1000{seq_val}
         FROM {rows}",
        partner = demo::PARTNER_ID,
        user = demo::USER_ID,
    )
}

/// The totals rows the writer keeps for a named batch.
fn totals_sql((agreement, n): Batch) -> Option<String> {
    let no = agreement?;
    Some(format!(
        "INSERT INTO agreement_totals (agreement_no, trade_amount, discount_amount, task_count,
           event_count, paid_count, fully_refunded_count)
         VALUES ('{no}', {trade}, {discount}, 0, {n}, {n}, 0);
         INSERT INTO agreement_discount_totals (agreement_no, discount_type, discount_name, amount)
         VALUES ('{no}', 'exclusiveBenefit', '立减', {discount});",
        trade = 100 * n,
        discount = 10 * n,
    ))
}

fn seed_sqlite(dir: &std::path::Path, batch: Batch) {
    let conn = rusqlite::Connection::open(dir.join("zhima.db")).unwrap();
    conn.busy_timeout(Duration::from_secs(30)).unwrap();
    let with_seq = conn
        .prepare("SELECT agreement_seq FROM cumulation_events LIMIT 0")
        .is_ok();
    let rows = format!(
        "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) SELECT i FROM n)",
        batch.1
    );
    conn.execute_batch(&format!(
        "BEGIN; {}; {} COMMIT;",
        events_sql(batch, &rows, with_seq),
        totals_sql(batch).unwrap_or_default()
    ))
    .unwrap();
    // What a long-running server's WAL would have been checkpointed into by now.
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")
        .unwrap();
}

fn seed_postgres(url: &str, batch: Batch) {
    let url = url.to_owned();
    // The sync client runs its own runtime: keep it off the async threads.
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let with_seq = client
            .simple_query("SELECT agreement_seq FROM cumulation_events LIMIT 0")
            .is_ok();
        let rows = format!("generate_series(1, {}) AS i", batch.1);
        client
            .batch_execute(&format!(
                "BEGIN; {}; {} COMMIT;",
                events_sql(batch, &rows, with_seq),
                totals_sql(batch).unwrap_or_default()
            ))
            .unwrap();
        // Autovacuum analyzes a table this size within a minute; do it now.
        client.batch_execute("ANALYZE cumulation_events").unwrap();
    })
    .join()
    .unwrap();
}

/// A fresh `zhima_b_<random>` database, dropped afterwards.
struct PgBench {
    admin: String,
    name: String,
    url: String,
}

impl PgBench {
    fn create() -> PgBench {
        let admin = std::env::var("ZHIMA_TEST_DATABASE_URL")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!("zhima_b_{}", uuid::Uuid::new_v4().simple());
        let (a, nm) = (admin.clone(), name.clone());
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&a, postgres::NoTls).unwrap_or_else(|e| {
                panic!("PostgreSQL at {a} is needed for this benchmark ({e}); set ZHIMA_TEST_DATABASE_URL or ZHIMA_BENCH_BACKENDS=sqlite")
            });
            c.batch_execute(&format!("CREATE DATABASE {nm}")).unwrap();
        })
        .join()
        .unwrap();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        PgBench { admin, name, url }
    }
}

impl Drop for PgBench {
    fn drop(&mut self) {
        let (a, nm) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(mut c) = postgres::Client::connect(&a, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {nm} WITH (FORCE)"));
            }
        })
        .join();
    }
}
