//! The card says what `cumulate.query` says (PRODUCT §13): after a seeded random sequence of
//! payments (AMOUNT with one or two discounts, TASK) and partial refunds, the card page's
//! consumption, savings, task count and history equal `cumulate.query`'s totals and detail
//! list for the same agreement, on SQLite and on PostgreSQL.

mod http_support;
mod storage_support;

use http_support::*;
use scraper::{Html, Selector};
use serde_json::{json, Value};
use storage_support::pg::PgDatabase;
use zhima_proto::money::Fen;
use zhima_server::storage::PgOptions;

/// The seed (change it to explore; a failure names it).
const SEED: u64 = 0x5eed_2026_1203;
/// Events synced.
const EVENTS: usize = 36;

/// xorshift64*: enough randomness for a reproducible sequence, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// 0..n.
    fn below(&mut self, n: i64) -> i64 {
        (self.next() % n as u64) as i64
    }
}

/// A payment still refundable: its body and what is left of its trade and discount lines.
struct Paid {
    body: Value,
    trade_left: i64,
    lines_left: Vec<i64>,
}

const DISCOUNTS: [(&str, &str); 3] = [
    ("exclusiveBenefit", "会员立减"),
    ("exclusiveDiscount", "满减券"),
    ("memberPoint", "<i>积分</i>抵扣"),
];

fn biz_time(i: usize) -> String {
    format!("2024-06-01 {:02}:{:02}:00", 8 + i / 60, i % 60)
}

async fn sync(server: &TestServer, body: &Value) {
    let call = V1::new(CUMULATION_SYNC, &body.to_string());
    let node = call.send(server).await.node(&call);
    assert_eq!(node["code"], "10000", "seed {SEED:#x}: {node}\n{body}");
}

/// A seeded sequence of syncs into `AGREEMENT_NO`.
async fn seeded_syncs(server: &TestServer) {
    let mut rng = Rng(SEED);
    let mut paid: Vec<Paid> = Vec::new();
    for i in 0..EVENTS {
        let out_biz_no = format!("{}-{i}", unique("RND"));
        let refundable: Vec<usize> = (0..paid.len())
            .filter(|&k| paid[k].trade_left > 0)
            .collect();
        let roll = rng.below(10);
        if roll < 3 && !refundable.is_empty() {
            let k = refundable[rng.below(refundable.len() as i64) as usize];
            let p = &mut paid[k];
            let trade = 1 + rng.below(p.trade_left);
            let lines: Vec<i64> = p.lines_left.iter().map(|&l| rng.below(l + 1)).collect();
            let mut body = p.body.clone();
            body["biz_action"] = json!("ORDER_REFUND");
            body["out_biz_no"] = json!(out_biz_no);
            body["pay_out_biz_no"] = p.body["out_biz_no"].clone();
            body["biz_time"] = json!(biz_time(i));
            body["amount_type_data"]["trade_info"]["amount"] = json!(Fen(trade).to_yuan_string());
            for (j, fen) in lines.iter().enumerate() {
                body["amount_type_data"]["out_discount_infos"][j]["discount_amount"] =
                    json!(Fen(*fen).to_yuan_string());
            }
            sync(server, &body).await;
            p.trade_left -= trade;
            for (left, fen) in p.lines_left.iter_mut().zip(&lines) {
                *left -= fen;
            }
        } else if roll < 5 {
            let task = ["打车1次", "骑行1次"][rng.below(2) as usize];
            let body = json!({
                "agreement_no": AGREEMENT_NO, "user_id": USER_ID, "partner_id": PARTNER_ID,
                "out_biz_no": out_biz_no, "biz_action": "ORDER_PAID", "biz_time": biz_time(i),
                "cumulate_data_type": "TASK", "request_from": "ExternalMerchantSource",
                "task_type_data": {"name": task},
            });
            sync(server, &body).await;
        } else {
            let trade = 1 + rng.below(50_000);
            let n = 1 + rng.below(2) as usize;
            let first = rng.below(3) as usize;
            let mut lines = Vec::new();
            let mut infos = Vec::new();
            for j in 0..n {
                let (t, name) = DISCOUNTS[(first + j) % 3];
                let fen = rng.below(trade / 2 + 1);
                lines.push(fen);
                infos.push(json!({"discount_type": t, "discount_name": name,
                                  "discount_amount": Fen(fen).to_yuan_string()}));
            }
            let mut body: Value =
                serde_json::from_str(&cumulation_body(AGREEMENT_NO, PARTNER_ID, &out_biz_no))
                    .unwrap();
            body["biz_time"] = json!(biz_time(i));
            body["amount_type_data"]["trade_info"] = json!({"trade_no": format!("T{out_biz_no}"), "amount": Fen(trade).to_yuan_string()});
            body["amount_type_data"]["out_discount_infos"] = json!(infos);
            sync(server, &body).await;
            paid.push(Paid {
                body,
                trade_left: trade,
                lines_left: lines,
            });
        }
    }
}

fn texts(doc: &Html, css: &str) -> Vec<String> {
    let sel = Selector::parse(css).unwrap();
    doc.select(&sel)
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

/// `¥3.57` → fen (the card's format, parsed back exactly).
fn fen(shown: &str) -> i64 {
    let yuan = shown
        .strip_prefix('¥')
        .unwrap_or_else(|| panic!("{shown:?}"));
    Fen::parse_yuan(yuan)
        .unwrap_or_else(|e| panic!("{shown:?}: {e:?}"))
        .0
}

/// The whole `cumulate.query` answer: totals and every detail.
async fn query(server: &TestServer) -> (Value, Vec<Value>) {
    let mut details = Vec::new();
    let mut first = None;
    for page in 1.. {
        let q = format!(
            "{V3_CUMULATE_QUERY}?agreement_id={AGREEMENT_NO}&need_detail=true&page_no={page}&page_size=20"
        );
        let v = V3::get(&q).send(server).await.json();
        let list = v["detail_list"].as_array().cloned().unwrap_or_default();
        let done = list.is_empty();
        details.extend(list);
        first.get_or_insert(v);
        if done || page > 100 {
            break;
        }
    }
    (first.unwrap(), details)
}

async fn card_equals_cumulate_query(server: &TestServer) {
    seeded_syncs(server).await;
    let admin = server.admin_token().await;
    let link: Value = client()
        .post(format!("{}/admin/api/v1/view-links", server.base))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(json!({"agreement_no": AGREEMENT_NO}).to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let html = client()
        .get(link["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = Html::parse_document(&html);
    let (totals, details) = query(server).await;
    let money = |v: &Value| {
        v.as_str()
            .map(|s| Fen::parse_yuan(s).unwrap().0)
            .unwrap_or(0)
    };
    let what = format!("seed {SEED:#x}");
    assert_eq!(details.len(), EVENTS, "{what}: every event is in the query");

    // Totals.
    assert_eq!(
        fen(&texts(&doc, ".amount .done")[0]),
        money(&totals["aggr_amount"]),
        "{what}: consumption"
    );
    assert_eq!(
        fen(&texts(&doc, ".savings-total")[0]),
        money(&totals["aggr_discount_amount"]),
        "{what}: savings"
    );
    let by_name: i64 = texts(&doc, ".discount-amount").iter().map(|s| fen(s)).sum();
    assert_eq!(
        by_name,
        money(&totals["aggr_discount_amount"]),
        "{what}: savings by name"
    );
    let sign = |d: &Value| {
        if d["action_type"] == "ORDER_REFUND" {
            -1
        } else {
            1
        }
    };
    let tasks: i64 = details
        .iter()
        .filter(|d| d["data_type"] == "TASK")
        .map(|d| sign(d) * d["task_times"].as_i64().unwrap_or(1))
        .sum();
    assert!(tasks > 0, "{what}: the sequence has tasks");
    assert!(
        texts(&doc, ".discount-name").len() >= 2,
        "{what}: several discounts"
    );
    assert_eq!(
        texts(&doc, ".tasks .done")[0].parse::<i64>().unwrap(),
        tasks,
        "{what}: tasks"
    );
    let by_task: i64 = texts(&doc, ".task-count")
        .iter()
        .map(|s| s.trim_end_matches('次').parse::<i64>().unwrap())
        .sum();
    assert_eq!(by_task, tasks, "{what}: tasks by name");

    // History: the same events (time, payment or refund, amount, discount), newest first.
    let card: Vec<(String, bool, i64, i64)> = {
        let sel = Selector::parse(".history li").unwrap();
        doc.select(&sel)
            .map(|li| {
                let doc = Html::parse_fragment(&li.html());
                let amount = texts(&doc, ".amount");
                let off = texts(&doc, ".off");
                (
                    texts(&doc, ".when")[0].clone(),
                    texts(&doc, ".action")[0] == "退款",
                    amount
                        .first()
                        .filter(|a| !a.is_empty())
                        .map_or(0, |a| fen(a)),
                    off.first()
                        .map_or(0, |o| fen(o.trim_start_matches("优惠").trim())),
                )
            })
            .collect()
    };
    let mut want: Vec<(String, bool, i64, i64)> = details
        .iter()
        .map(|d| {
            (
                d["biz_time"].as_str().unwrap()[..16].to_owned(),
                d["action_type"] == "ORDER_REFUND",
                money(&d["task_amount"]),
                money(&d["discount_amount"]),
            )
        })
        .collect();
    want.sort_by(|a, b| b.0.cmp(&a.0));
    assert_eq!(card, want, "{what}: history");
    assert!(card.iter().any(|e| e.1), "{what}: the sequence has refunds");
}

#[tokio::test]
async fn card_numbers_equal_cumulate_query_on_sqlite() {
    card_equals_cumulate_query(&TestServer::start().await).await;
}

#[tokio::test]
async fn card_numbers_equal_cumulate_query_on_postgres() {
    let db = PgDatabase::create();
    let server = TestServer::start_on(Some(PgOptions::new(db.url.clone())), |_| {}).await;
    card_equals_cumulate_query(&server).await;
}
