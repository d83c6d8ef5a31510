//! Pages of an agreement's ledger (`cumulate.query` detail, the card, the console): exact and
//! newest first, costing one page whatever the page number and however many events other
//! agreements have; and migration 7, which numbers an existing ledger per agreement
//! (`agreement_seq`), on both engines.

mod storage_support;

use serde_json::{json, Value};
use storage_support::*;
use zhima_server::domain::query::{CumulateQuery, Page};
use zhima_server::storage::Storage;

const SIZE: i64 = 20;

/// `out_biz_no`s of a page of `agreement`'s ledger.
async fn page(storage: &Storage, agreement: &str, no: i64) -> Vec<String> {
    let (_, events) = storage
        .ledger(agreement, Page { no, size: SIZE })
        .await
        .unwrap();
    events.into_iter().map(|e| e.out_biz_no).collect()
}

fn sync_to(agreement: &str, out_biz_no: &str) -> Value {
    let mut body = sync_body(out_biz_no);
    body["agreement_no"] = json!(agreement);
    body
}

/// Newest first, `SIZE` per page, of `all` (oldest first).
fn expected_page(all: &[String], no: i64) -> Vec<String> {
    all.iter()
        .rev()
        .skip(((no - 1) * SIZE) as usize)
        .take(SIZE as usize)
        .cloned()
        .collect()
}

async fn pages_are_exact_and_newest_first(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let (mut mine, mut other) = (Vec::new(), Vec::new());
    for i in 0..45 {
        let no = format!("P-{i:02}");
        storage
            .sync_cumulation(cmd(&sync_to(AGREEMENT, &no)), caller())
            .await
            .unwrap();
        mine.push(no);
        if i % 4 == 0 {
            let no = format!("Q-{i:02}");
            storage
                .sync_cumulation(cmd(&sync_to(AGREEMENT_2, &no)), caller())
                .await
                .unwrap();
            other.push(no);
        }
    }
    // A refund is an event of the ledger too.
    storage
        .sync_cumulation(cmd(&refund_body("R-1", "P-03", "1.00", "0.00")), caller())
        .await
        .unwrap();
    mine.push("R-1".to_owned());

    for no in 1..=4 {
        assert_eq!(
            page(&storage, AGREEMENT, no).await,
            expected_page(&mine, no),
            "page {no}"
        );
    }
    assert_eq!(page(&storage, AGREEMENT, 3).await.len(), 6);
    assert!(page(&storage, AGREEMENT, 4).await.is_empty());
    assert_eq!(
        page(&storage, AGREEMENT_2, 1).await,
        expected_page(&other, 1)
    );
    assert!(page(&storage, BOUND_AGREEMENT, 1).await.is_empty());

    // cumulate.query's detail is the same page.
    let q = CumulateQuery {
        agreement_id: AGREEMENT.into(),
        user_id: Some(USER.into()),
        open_id: None,
        provider_pid: None,
        need_detail: true,
        page_no: 2,
        page_size: SIZE as u32,
    };
    let summary = storage.cumulate_query(q, caller()).await.unwrap();
    let details: Vec<String> = summary
        .details
        .unwrap()
        .into_iter()
        .map(|e| e.out_biz_no)
        .collect();
    assert_eq!(details, expected_page(&mine, 2));
}

/// The schema as migrations 1–6 left it, with a ledger written by a build of that version.
fn old_schema_with_events(db: &Db, mine: &[String], other: &[String]) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
    let engine = match db {
        Db::Sqlite { .. } => "sqlite",
        Db::Postgres(_) => "postgres",
    };
    let mut files: Vec<_> = std::fs::read_dir(format!("{dir}/{engine}"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.as_ref() < "0007"
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 6);
    let mut sql: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap() + "\n")
        .collect();
    // Interleaved as they arrived: one event of AGREEMENT_2 after every third of AGREEMENT.
    let event = |agreement: &str, no: &str, at: usize| {
        format!(
            "INSERT INTO cumulation_events (partner_id, out_biz_no, agreement_no, user_id, open_id,
               biz_action, pay_out_biz_no, biz_time_ms, data_type, amount_name, task_name, trade_no,
               trade_amount, discounts, task_count, fingerprint, received_at_ms)
             VALUES ('{PARTNER}', '{no}', '{agreement}', '{USER}', NULL, 'ORDER_PAID', NULL,
               {ms}, 'AMOUNT', '累计消费', NULL, NULL, 100, '[]', 0, 'fp-{no}', {ms});\n",
            ms = 1_716_170_400_000_i64 + at as i64,
        )
    };
    let mut other_left = other.iter();
    for (i, no) in mine.iter().enumerate() {
        sql += &event(AGREEMENT, no, 2 * i);
        if i % 3 == 2 {
            if let Some(no) = other_left.next() {
                sql += &event(AGREEMENT_2, no, 2 * i + 1);
            }
        }
    }
    for (agreement, n) in [(AGREEMENT, mine.len()), (AGREEMENT_2, other.len())] {
        sql += &format!(
            "INSERT INTO agreement_totals (agreement_no, trade_amount, discount_amount, task_count,
               event_count, paid_count, fully_refunded_count)
             VALUES ('{agreement}', {}, 0, 0, {n}, {n}, 0);\n",
            100 * n
        );
    }
    match db {
        Db::Sqlite { dir, .. } => {
            let conn = rusqlite::Connection::open(dir.path().join("zhima.db")).unwrap();
            conn.execute_batch(&format!("BEGIN; {sql} PRAGMA user_version = 6; COMMIT;"))
                .unwrap();
        }
        Db::Postgres(pg) => {
            pg.simple_query(&format!(
                "BEGIN;
                 CREATE TABLE zhima_schema_version (
                     version BIGINT PRIMARY KEY,
                     applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
                 INSERT INTO zhima_schema_version (version) VALUES (1), (2), (3), (4), (5), (6);
                 {sql}
                 COMMIT;"
            ));
        }
    }
}

async fn migration_7_numbers_an_existing_ledger(backend: Backend) {
    let db = Db::fresh(backend, true);
    let mine: Vec<String> = (0..33).map(|i| format!("OLD-{i:02}")).collect();
    let other: Vec<String> = (0..9).map(|i| format!("OTHER-{i}")).collect();
    old_schema_with_events(&db, &mine, &other);

    let storage = db.open().await;
    storage.apply_records(&records()).await.unwrap();
    for no in 1..=3 {
        assert_eq!(
            page(&storage, AGREEMENT, no).await,
            expected_page(&mine, no),
            "page {no} after the migration"
        );
    }
    assert_eq!(
        page(&storage, AGREEMENT_2, 1).await,
        expected_page(&other, 1)
    );

    // New events continue the numbering: newest first, the old ones shifted by one.
    let mut mine = mine;
    for no in ["NEW-1", "NEW-2"] {
        storage
            .sync_cumulation(cmd(&sync_to(AGREEMENT, no)), caller())
            .await
            .unwrap();
        mine.push(no.to_owned());
    }
    for no in 1..=2 {
        assert_eq!(
            page(&storage, AGREEMENT, no).await,
            expected_page(&mine, no)
        );
    }
    assert_eq!(page(&storage, AGREEMENT, 2).await.len(), 15);
    let report = storage.verify_invariants().await.unwrap();
    assert!(report.is_ok(), "{:?}", report.violations);

    // Numbers are 1..=n per agreement, in append order.
    let numbers = |agreement: &str| -> Vec<i64> {
        let sql = format!(
            "SELECT agreement_seq FROM cumulation_events WHERE agreement_no = '{agreement}' ORDER BY seq"
        );
        match &db {
            Db::Sqlite { dir, .. } => {
                let conn = rusqlite::Connection::open(dir.path().join("zhima.db")).unwrap();
                let mut stmt = conn.prepare(&sql).unwrap();
                let rows = stmt.query_map([], |r| r.get(0)).unwrap();
                rows.map(Result::unwrap).collect()
            }
            Db::Postgres(pg) => pg.query_i64(&sql),
        }
    };
    assert_eq!(numbers(AGREEMENT), (1..=35).collect::<Vec<_>>());
    assert_eq!(numbers(AGREEMENT_2), (1..=9).collect::<Vec<_>>());
}

on_both_backends!(
    pages_are_exact_and_newest_first,
    migration_7_numbers_an_existing_ledger,
);

/// 5,000 events of `AGREEMENT`, then 5,000 of 500 other agreements: the shape in which
/// PostgreSQL's planner, for `WHERE agreement_no = $1 ORDER BY seq DESC LIMIT 20`, walked the
/// primary key backwards through every later event of the others.
const BIG: i64 = 5_000;

fn bulk_events_sql() -> String {
    format!(
        "INSERT INTO cumulation_events (partner_id, out_biz_no, agreement_no, user_id, open_id,
           biz_action, pay_out_biz_no, biz_time_ms, data_type, amount_name, task_name, trade_no,
           trade_amount, discounts, task_count, fingerprint, received_at_ms, agreement_seq)
         SELECT '{PARTNER}', 'BULK-' || i,
           CASE WHEN i <= {BIG} THEN '{AGREEMENT}' ELSE 'OTHER-' || (i % 500) END,
           '{USER}', NULL, 'ORDER_PAID', NULL, 1716170400000 + i, 'AMOUNT', '累计消费', NULL, NULL,
           100, '[]', 0, 'fp', 1716170400000 + i,
           CASE WHEN i <= {BIG} THEN i ELSE (i - {BIG} - 1) / 500 + 1 END
         FROM "
    )
}

/// Every plan node of an `EXPLAIN (ANALYZE, FORMAT JSON)` answer.
fn nodes(plan: &Value, out: &mut Vec<Value>) {
    out.push(plan.clone());
    for child in plan["Plans"].as_array().into_iter().flatten() {
        nodes(child, out);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_reads_only_the_page_whatever_its_number() {
    let (db, _storage) = open(Backend::Postgres).await;
    let Db::Postgres(pg) = &db else {
        unreachable!()
    };
    pg.simple_query(&format!(
        "{} generate_series(1, {}) AS i; ANALYZE cumulation_events;",
        bulk_events_sql(),
        2 * BIG
    ));
    let sql = zhima_server::storage::postgres::events_page_sql();
    for (label, offset) in [("page 1", 0), ("page 200", 199 * SIZE)] {
        // Custom plans first (as the first executions get), then the generic one.
        for mode in ["force_custom_plan", "force_generic_plan"] {
            let explained = pg.simple_query(&format!(
                "PREPARE events_page(text, bigint, bigint) AS {sql};
                 SET plan_cache_mode = {mode};
                 EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE events_page('{AGREEMENT}', {SIZE}, {offset})"
            ));
            let json: Value = serde_json::from_str(&explained.concat()).unwrap();
            let mut all = Vec::new();
            nodes(&json[0]["Plan"], &mut all);
            assert_eq!(all[0]["Actual Rows"], json!(SIZE), "{label} {mode}");
            for node in &all {
                let read = node["Actual Rows"].as_i64().unwrap_or(0)
                    + node["Rows Removed by Filter"].as_i64().unwrap_or(0);
                assert!(
                    read <= SIZE,
                    "{label} ({mode}) reads {read} rows in {}: {json:#}",
                    node["Node Type"]
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_reads_only_the_page_whatever_its_number() {
    let (db, storage) = open(Backend::Sqlite).await;
    storage.flush().await.unwrap();
    let Db::Sqlite { dir, .. } = &db else {
        unreachable!()
    };
    let conn = rusqlite::Connection::open(dir.path().join("zhima.db")).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    conn.execute_batch(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {})
         {} n; ANALYZE;",
        2 * BIG,
        bulk_events_sql()
    ))
    .unwrap();
    // Virtual-machine steps of one page: proportional to the rows the statement visits.
    let steps = |offset: i64| -> i32 {
        let mut stmt = conn
            .prepare(&zhima_server::storage::sqlite::events_page_sql())
            .unwrap();
        let n = stmt
            .query_map(rusqlite::params![AGREEMENT, SIZE, offset], |_| Ok(()))
            .unwrap()
            .count();
        assert_eq!(n, SIZE as usize);
        stmt.get_status(rusqlite::StatementStatus::VmStep)
    };
    let (first, deep) = (steps(0), steps(199 * SIZE));
    assert!(
        deep <= first + first / 2,
        "page 200 took {deep} steps, page 1 {first}"
    );
    // The same pages through the storage.
    let (_, events) = storage
        .ledger(
            AGREEMENT,
            Page {
                no: 200,
                size: SIZE,
            },
        )
        .await
        .unwrap();
    let seqs: Vec<String> = events.into_iter().map(|e| e.out_biz_no).collect();
    let want: Vec<String> = (1..=SIZE)
        .rev()
        .map(|i| format!("BULK-{}", BIG - 199 * SIZE - SIZE + i))
        .collect();
    assert_eq!(seqs, want);
}
