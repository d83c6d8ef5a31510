//! Exactly-once ingestion against a real `zhima serve` (PRODUCT §4 rule 2, §6):
//!
//! * 50 concurrent identical syncs → one event, counted once;
//! * concurrent syncs with one `out_biz_no` and two contents → one content wins, whole;
//! * a request sent by the Node SDK and again by the Python SDK (other key order) is a replay;
//! * same `out_biz_no` with other content → `IDEMPOTENT_ERROR`, nothing written, checked before
//!   any state-dependent rule; a replay succeeds even after the refund budget changed;
//! * invariant: after a seeded random mix of valid and invalid syncs, every agreement's totals
//!   equal the sum of its events, and every rejected request changed nothing.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::seq::SliceRandom as _;
use rand::{Rng as _, SeedableRng as _};
use serde_json::{json, Value};
use support::*;

const T0: &str = "2024-06-01 10:00:00";
const T1: &str = "2024-06-02 10:00:00";
const DISCOUNT: (&str, &str, i64) = ("exclusiveDiscount", "会员折扣", 250);

async fn fifty_concurrent_identical_syncs_are_one_event_counted_once(backend: Backend) {
    let sandbox = Sandbox::on(backend, &["x"]);
    let server = Server::start(&sandbox);
    let v1 = V1::new(&sandbox, &server);
    let d = agreement("x", Kind::Decoupled);
    let body = Arc::new(paid_amount(&d, "dup-1", 1234, &[DISCOUNT], T0).to_string());
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (v1, body) = (v1.clone(), Arc::clone(&body));
            tokio::spawn(async move { v1.call(CUMULATION_SYNC, &body).await })
        })
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        let node = t
            .await
            .expect("task")
            .unwrap_or_else(|e| panic!("request {i}: no verified answer: {e:?}"));
        let out = Outcome::from_v1_node(node);
        assert_eq!(
            out.success(&format!("concurrent identical request {i}"))["out_biz_no"],
            "dup-1"
        );
    }
    let ledger = query_ledger(&v1, &d).await;
    ledger.assert_consistent("after 50 identical syncs");
    assert_eq!(
        ledger.events.len(),
        1,
        "50 identical syncs must make one event: {:?}",
        ledger.events
    );
    assert_eq!(
        ledger.totals,
        Totals {
            amount: 1234,
            discount: 250,
            times: 1
        },
        "counted once"
    );
}

async fn concurrent_syncs_with_one_out_biz_no_and_two_contents_let_one_win_whole(backend: Backend) {
    let sandbox = Sandbox::on(backend, &["x"]);
    let server = Server::start(&sandbox);
    let v1 = V1::new(&sandbox, &server);
    let d = agreement("x", Kind::Decoupled);
    let bodies = [
        paid_amount(&d, "race-1", 100, &[], T0),
        paid_amount(&d, "race-1", 999, &[], T0),
    ]
    .map(|b| Arc::new(b.to_string()));
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let (v1, body) = (v1.clone(), Arc::clone(&bodies[i % 2]));
            tokio::spawn(async move {
                (
                    i % 2,
                    v1.outcome(CUMULATION_SYNC, &serde_json::from_str(&body).unwrap())
                        .await,
                )
            })
        })
        .collect();
    let mut wins = [0, 0];
    let mut conflicts = [0, 0];
    for t in tasks {
        let (which, out) = t.await.expect("task");
        match &out {
            Outcome::Success(_) => wins[which] += 1,
            Outcome::Failure { code, .. } if code == "IDEMPOTENT_ERROR" => conflicts[which] += 1,
            other => panic!("content {which}: expected success or IDEMPOTENT_ERROR, got {other:?}"),
        }
    }
    // Exactly one content was accepted; every request with it succeeded, every other conflicted.
    let winner = usize::from(wins[1] > 0);
    assert_eq!(
        (wins[winner], conflicts[winner]),
        (20, 0),
        "winner {winner}: wins {wins:?} conflicts {conflicts:?}"
    );
    assert_eq!(
        (wins[1 - winner], conflicts[1 - winner]),
        (0, 20),
        "loser: wins {wins:?} conflicts {conflicts:?}"
    );
    let ledger = query_ledger(&v1, &d).await;
    ledger.assert_consistent("after the race");
    assert_eq!(ledger.events.len(), 1, "{:?}", ledger.events);
    assert_eq!(
        ledger.totals.amount,
        [100, 999][winner],
        "the winner's content, whole"
    );
}

/// JSON text of `v` with every object's keys in reverse order (Node keeps insertion order).
fn reversed_json(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let members: Vec<String> = map
                .iter()
                .rev()
                .map(|(k, v)| format!("{}:{}", json!(k), reversed_json(v)))
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(reversed_json)
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

async fn the_same_request_from_node_then_python_is_a_replay_not_a_conflict(backend: Backend) {
    ensure_sdks();
    let sandbox = Sandbox::on(backend, &["x"]);
    let server = Server::start(&sandbox);
    let d = agreement("x", Kind::Decoupled);
    let pay = paid_amount(&d, "xsdk-1", 1999, &[("memberPoint", "积分抵扣", 99)], T0);
    let reversed = reversed_json(&pay);
    assert_eq!(serde_json::from_str::<Value>(&reversed).unwrap(), pay);
    assert_ne!(
        reversed,
        pay.to_string(),
        "the Node request must spell the JSON differently"
    );

    // Node: biz_content in reversed key order (exec() stringifies in insertion order).
    let mut input = Channel::NodeV1.input(&sandbox, &server, CUMULATION_SYNC, &Value::Null);
    input.as_object_mut().unwrap().remove("biz_content");
    let mut text = input.to_string();
    text.pop();
    text.push_str(&format!(",\"biz_content\":{reversed}}}"));
    let node = Outcome::from_v1(&Sdk::Node.run_text("call-v1", text).await);
    node.success("Node first");
    // Python: its domain model sends the keys sorted.
    Channel::PyV1
        .call(&sandbox, &server, CUMULATION_SYNC, &pay)
        .await
        .success("Python replay");
    // And the v3 body from Node is the same business request too.
    Channel::NodeV3
        .call(&sandbox, &server, CUMULATION_SYNC, &pay)
        .await
        .success("Node v3 replay");

    let ledger = query_ledger(&V1::new(&sandbox, &server), &d).await;
    ledger.assert_consistent("after cross-SDK replays");
    assert_eq!(ledger.events.len(), 1, "{:?}", ledger.events);
    assert_eq!(
        ledger.totals,
        Totals {
            amount: 1999,
            discount: 99,
            times: 1
        },
        "counted once"
    );
}

async fn other_content_under_a_used_out_biz_no_is_rejected_before_any_state_rule_and_writes_nothing(
    backend: Backend,
) {
    let sandbox = Sandbox::on(backend, &["x"]);
    let server = Server::start(&sandbox);
    let v1 = V1::new(&sandbox, &server);
    let (d, b) = (agreement("x", Kind::Decoupled), agreement("x", Kind::Bound));
    let pay = paid_amount(&d, "c-1", 1000, &[DISCOUNT], T0);
    let refund = refund_of(&pay, "c-r1", 1000, &[250], T1);
    v1.outcome(CUMULATION_SYNC, &pay).await.success("payment");
    v1.outcome(CUMULATION_SYNC, &refund)
        .await
        .success("full refund");
    let before = (query_ledger(&v1, &d).await, query_ledger(&v1, &b).await);
    assert_eq!(
        before.0.totals,
        Totals {
            amount: 0,
            discount: 0,
            times: 0
        }
    );

    let mut later = pay.clone();
    later["biz_time"] = json!(T1);
    let conflicts = [
        (
            "other amount",
            paid_amount(&d, "c-1", 1001, &[DISCOUNT], T0),
        ),
        ("other biz_time", later),
        (
            "other agreement",
            paid_bound(&b, "c-1", TRADE_NO, true, 357, &[DISCOUNT], T0),
        ),
        (
            "unknown agreement (idempotency comes first)",
            paid_amount(
                &agreement("ghost", Kind::Decoupled),
                "c-1",
                1000,
                &[DISCOUNT],
                T0,
            ),
        ),
        (
            "refund number reused for a payment",
            paid_amount(&d, "c-r1", 1000, &[DISCOUNT], T0),
        ),
        (
            "refund beyond the budget under a used number",
            refund_of(&pay, "c-r1", 1, &[0], T1),
        ),
    ];
    for (what, body) in conflicts {
        v1.outcome(CUMULATION_SYNC, &body)
            .await
            .assert_cumulation_code("IDEMPOTENT_ERROR", what);
    }
    // Replays still succeed although the payment is now fully refunded (budget exhausted).
    v1.outcome(CUMULATION_SYNC, &pay)
        .await
        .success("payment replay after its full refund");
    v1.outcome(CUMULATION_SYNC, &refund)
        .await
        .success("refund replay with no budget left");
    let after = (query_ledger(&v1, &d).await, query_ledger(&v1, &b).await);
    assert_eq!(
        before, after,
        "rejected and replayed requests must write nothing"
    );
    after.0.assert_consistent("decoupled");
}

// ---------------------------------------------------------------------------------------
// Invariant under a seeded random mix
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataType {
    Amount,
    Task,
    AmountTask,
}

/// An accepted payment and what is left to refund of it.
#[derive(Debug, Clone)]
struct Pay {
    agreement: String,
    body: Value,
    data_type: DataType,
    minute: i64,
    left_trade: i64,
    left_discounts: Vec<i64>,
    left_tasks: i64,
}

impl Pay {
    fn exhausted(&self) -> bool {
        self.left_trade == 0 && self.left_tasks == 0 && self.left_discounts.iter().all(|d| *d == 0)
    }

    fn counts_task(&self) -> i64 {
        i64::from(self.data_type != DataType::Amount)
    }
}

/// What the model says a request must do.
#[derive(Debug)]
enum Expect {
    NewPayment(Pay),
    Refund {
        pay: usize,
        trade: i64,
        discounts: Vec<i64>,
    },
    Replay,
    Reject(&'static str),
}

const DISCOUNT_NAMES: [(&str, &str); 3] = [
    ("exclusiveBenefit", "新人立减"),
    ("memberPoint", "积分抵扣"),
    ("appreciationBenefit", "会员权益"),
];

/// The test's own model of the ledgers, and the request generator.
struct Model {
    rng: StdRng,
    step: i64,
    agreements: Vec<String>,
    pays: Vec<Pay>,
    accepted: Vec<Value>,
    rejected_nos: Vec<String>,
    totals: BTreeMap<String, Totals>,
    newest: BTreeMap<String, String>,
    events: BTreeMap<String, Vec<String>>,
}

impl Model {
    fn new(seed: u64, agreements: Vec<String>) -> Model {
        Model {
            rng: StdRng::seed_from_u64(seed),
            step: 0,
            totals: agreements
                .iter()
                .map(|a| (a.clone(), Totals::default()))
                .collect(),
            agreements,
            pays: Vec::new(),
            accepted: Vec::new(),
            rejected_nos: Vec::new(),
            newest: BTreeMap::new(),
            events: BTreeMap::new(),
        }
    }

    fn decoupled(&self) -> [&str; 2] {
        [&self.agreements[0], &self.agreements[1]]
    }

    fn bound(&self) -> &str {
        &self.agreements[2]
    }

    fn fresh_no(&self) -> String {
        format!("inv-{}", self.step)
    }

    fn now(&self) -> String {
        biz_time(self.step)
    }

    /// The next request, what it must do, and a label for messages.
    fn next(&mut self) -> (&'static str, Value, Expect) {
        let roll = self.rng.gen_range(0..100);
        let pick = match roll {
            0..=29 => None,
            30..=49 => self.valid_refund(),
            50..=54 => self.over_refund(),
            55..=58 => self.early_refund(),
            59..=62 => self.cross_agreement_refund(),
            63..=68 => Some(self.bad_amount()),
            69..=72 => Some(self.wrong_mode()),
            73..=75 => Some((
                "unknown agreement",
                paid_amount("AG-ghost-D", &self.fresh_no(), 100, &[], &self.now()),
                Expect::Reject("EASY_MEMBER_CONSULT_FAIL"),
            )),
            76..=85 => self.replay(),
            86..=93 => self.conflict(),
            _ => self.reuse_rejected(),
        };
        pick.unwrap_or_else(|| {
            let no = self.fresh_no();
            self.new_payment(no)
        })
    }

    fn discounts(&mut self, at_least_one: bool) -> Vec<(&'static str, &'static str, i64)> {
        let n = self.rng.gen_range(usize::from(at_least_one)..=2);
        let mut names = DISCOUNT_NAMES.to_vec();
        names.shuffle(&mut self.rng);
        names
            .into_iter()
            .take(n)
            .map(|(t, name)| (t, name, self.rng.gen_range(1..=3000)))
            .collect()
    }

    fn new_payment(&mut self, no: String) -> (&'static str, Value, Expect) {
        let now = self.now();
        let which = self.rng.gen_range(0..3);
        let (label, body, data_type, trade, discounts) = if which == 2 {
            let trade = self.rng.gen_range(1..=50_000);
            let discounts = self.discounts(true);
            let has_trade = self.rng.gen_bool(0.5);
            (
                "bound payment",
                paid_bound(
                    self.bound(),
                    &no,
                    TRADE_NO,
                    has_trade,
                    trade,
                    &discounts,
                    &now,
                ),
                DataType::AmountTask,
                trade,
                discounts,
            )
        } else if self.rng.gen_bool(0.5) {
            (
                "task payment",
                paid_task(self.decoupled()[which], &no, &now),
                DataType::Task,
                0,
                Vec::new(),
            )
        } else {
            let trade = self.rng.gen_range(1..=50_000);
            let discounts = self.discounts(false);
            (
                "amount payment",
                paid_amount(self.decoupled()[which], &no, trade, &discounts, &now),
                DataType::Amount,
                trade,
                discounts,
            )
        };
        let pay = Pay {
            agreement: body["agreement_no"].as_str().unwrap().to_string(),
            body: body.clone(),
            data_type,
            minute: self.step,
            left_trade: trade,
            left_discounts: discounts.iter().map(|d| d.2).collect(),
            left_tasks: i64::from(data_type != DataType::Amount),
        };
        (label, body, Expect::NewPayment(pay))
    }

    fn random_pay(&mut self, eligible: impl Fn(&Pay) -> bool) -> Option<usize> {
        let candidates: Vec<usize> = (0..self.pays.len())
            .filter(|&i| eligible(&self.pays[i]))
            .collect();
        candidates.choose(&mut self.rng).copied()
    }

    fn valid_refund(&mut self) -> Option<(&'static str, Value, Expect)> {
        let i = self.random_pay(|p| {
            !p.exhausted() && (p.data_type == DataType::Amount || p.left_tasks == 1)
        })?;
        let p = self.pays[i].clone();
        let everything = self.rng.gen_bool(0.4);
        let mut part = |left: i64| {
            if everything || left == 0 {
                left
            } else {
                self.rng.gen_range(0..=left)
            }
        };
        let mut trade = part(p.left_trade);
        let mut discounts: Vec<i64> = p.left_discounts.iter().map(|&l| part(l)).collect();
        if p.data_type == DataType::Amount && trade == 0 && discounts.iter().all(|d| *d == 0) {
            // An AMOUNT refund must move something: refund all that is left.
            trade = p.left_trade;
            discounts = p.left_discounts.clone();
        }
        let body = refund_of(&p.body, &self.fresh_no(), trade, &discounts, &self.now());
        Some((
            "valid refund",
            body,
            Expect::Refund {
                pay: i,
                trade,
                discounts,
            },
        ))
    }

    fn over_refund(&mut self) -> Option<(&'static str, Value, Expect)> {
        let i = self.random_pay(|p| p.data_type != DataType::Task)?;
        let p = &self.pays[i];
        let trade = p.left_trade + self.rng.gen_range(1..=100);
        let body = refund_of(
            &p.body,
            &self.fresh_no(),
            trade,
            &vec![0; p.left_discounts.len()],
            &self.now(),
        );
        Some((
            "refund above the budget",
            body,
            Expect::Reject("REFUND_ILLEGAL"),
        ))
    }

    fn early_refund(&mut self) -> Option<(&'static str, Value, Expect)> {
        let i = self.random_pay(|_| true)?;
        let p = &self.pays[i];
        let body = refund_of(
            &p.body,
            &self.fresh_no(),
            i64::from(p.data_type != DataType::Task),
            &vec![0; p.left_discounts.len()],
            &biz_time(p.minute - 1),
        );
        Some((
            "refund dated before its payment",
            body,
            Expect::Reject("REFUND_TIME_ILLEGAL"),
        ))
    }

    fn cross_agreement_refund(&mut self) -> Option<(&'static str, Value, Expect)> {
        let i = self.random_pay(|p| p.data_type != DataType::AmountTask)?;
        let p = &self.pays[i];
        let other = if p.agreement == self.agreements[0] {
            &self.agreements[1]
        } else {
            &self.agreements[0]
        };
        let mut body = refund_of(
            &p.body,
            &self.fresh_no(),
            i64::from(p.data_type == DataType::Amount),
            &vec![0; p.left_discounts.len()],
            &self.now(),
        );
        body["agreement_no"] = json!(other);
        Some((
            "refund of another agreement's payment",
            body,
            Expect::Reject("PAY_ORDER_NOT_EXIST"),
        ))
    }

    fn bad_amount(&mut self) -> (&'static str, Value, Expect) {
        let mut body = paid_amount(
            self.decoupled()[0],
            &self.fresh_no(),
            100,
            &[DISCOUNT],
            &self.now(),
        );
        if self.rng.gen_bool(0.5) {
            body["amount_type_data"]["trade_info"]["amount"] = json!("12.345");
            (
                "trade amount with 3 decimals",
                body,
                Expect::Reject("ORDER_AMOUNT_ILLEGAL"),
            )
        } else {
            body["amount_type_data"]["out_discount_infos"][0]["discount_amount"] = json!("1.2.3");
            (
                "malformed discount amount",
                body,
                Expect::Reject("DISCOUNT_AMOUNT_ILLEGAL"),
            )
        }
    }

    fn wrong_mode(&mut self) -> (&'static str, Value, Expect) {
        let (no, now) = (self.fresh_no(), self.now());
        let body = if self.rng.gen_bool(0.5) {
            paid_task(self.bound(), &no, &now)
        } else {
            paid_bound(
                self.decoupled()[1],
                &no,
                TRADE_NO,
                false,
                100,
                &[DISCOUNT],
                &now,
            )
        };
        (
            "data type not allowed by the template",
            body,
            Expect::Reject("INVALID_CUMULATE_MODE"),
        )
    }

    fn replay(&mut self) -> Option<(&'static str, Value, Expect)> {
        let body = self.accepted.choose(&mut self.rng)?.clone();
        Some(("replay", body, Expect::Replay))
    }

    fn conflict(&mut self) -> Option<(&'static str, Value, Expect)> {
        let mut body = self.accepted.choose(&mut self.rng)?.clone();
        let minute = self.rng.gen_range(1..=30);
        body["biz_time"] = json!(biz_time(self.step + minute));
        Some((
            "used out_biz_no, other content",
            body,
            Expect::Reject("IDEMPOTENT_ERROR"),
        ))
    }

    fn reuse_rejected(&mut self) -> Option<(&'static str, Value, Expect)> {
        if self.rejected_nos.is_empty() {
            return None;
        }
        let i = self.rng.gen_range(0..self.rejected_nos.len());
        let no = self.rejected_nos.swap_remove(i);
        let (_, body, expect) = self.new_payment(no);
        Some((
            "payment under a previously rejected out_biz_no",
            body,
            expect,
        ))
    }

    /// Records the effect of a request that behaved as expected.
    fn apply(&mut self, body: &Value, expect: Expect) {
        let no = body["out_biz_no"].as_str().unwrap().to_string();
        let agreement = body["agreement_no"].as_str().unwrap().to_string();
        match expect {
            Expect::NewPayment(pay) => {
                let t = self.totals.get_mut(&agreement).expect("known agreement");
                t.amount += pay.left_trade;
                t.discount += pay.left_discounts.iter().sum::<i64>();
                t.times += 1;
                self.pays.push(pay);
            }
            Expect::Refund {
                pay,
                trade,
                discounts,
            } => {
                let p = &mut self.pays[pay];
                p.left_trade -= trade;
                p.left_tasks -= p.counts_task();
                for (left, d) in p.left_discounts.iter_mut().zip(&discounts) {
                    *left -= d;
                }
                let t = self.totals.get_mut(&agreement).expect("known agreement");
                t.amount -= trade;
                t.discount -= discounts.iter().sum::<i64>();
                t.times -= i64::from(p.exhausted());
            }
            Expect::Replay => return,
            Expect::Reject(code) => {
                if code != "IDEMPOTENT_ERROR" {
                    self.rejected_nos.push(no);
                }
                return;
            }
        }
        self.accepted.push(body.clone());
        self.newest.insert(agreement.clone(), no.clone());
        self.events.entry(agreement).or_default().push(no);
    }
}

async fn seeded_random_mix_keeps_every_total_equal_to_its_events(backend: Backend) {
    const STEPS: i64 = 160;
    let seed: u64 = std::env::var("ZHIMA_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_240_601);
    let sandbox = Sandbox::on(backend, &["r1", "r2"]);
    let server = Server::start(&sandbox);
    let v1 = V1::new(&sandbox, &server);
    let agreements = vec![
        agreement("r1", Kind::Decoupled),
        agreement("r2", Kind::Decoupled),
        agreement("r1", Kind::Bound),
    ];
    let mut model = Model::new(seed, agreements.clone());
    let mut seen_codes = BTreeMap::<String, usize>::new();
    for step in 1..=STEPS {
        model.step = step;
        let (label, body, expect) = model.next();
        let ctx = format!("seed {seed} (ZHIMA_TEST_SEED), step {step}: {label}: {body}");
        let out = v1.outcome(CUMULATION_SYNC, &body).await;
        match &expect {
            Expect::Reject(code) => out.assert_cumulation_code(code, &ctx),
            _ => assert_eq!(out.success(&ctx)["out_biz_no"], body["out_biz_no"], "{ctx}"),
        }
        *seen_codes
            .entry(match &expect {
                Expect::Reject(c) => c.to_string(),
                _ => label.to_string(),
            })
            .or_default() += 1;
        model.apply(&body, expect);
        // Totals and the newest event of every agreement are exactly what the model says:
        // accepted requests moved their agreement by their amounts, nothing else moved anything.
        for a in &agreements {
            let (totals, newest) = query_head(&v1, a).await;
            assert_eq!(totals, model.totals[a], "{ctx}: totals of {a}");
            assert_eq!(
                newest.as_ref(),
                model.newest.get(a),
                "{ctx}: newest event of {a}"
            );
        }
    }
    for code in [
        "REFUND_ILLEGAL",
        "REFUND_TIME_ILLEGAL",
        "PAY_ORDER_NOT_EXIST",
        "IDEMPOTENT_ERROR",
        "valid refund",
        "replay",
    ] {
        assert!(
            seen_codes.contains_key(code),
            "seed {seed}: the mix never produced {code}: {seen_codes:?}"
        );
    }
    for a in &agreements {
        let ledger = query_ledger(&v1, a).await;
        ledger.assert_consistent(&format!("seed {seed}: {a}"));
        let mut got: Vec<&str> = ledger
            .events
            .iter()
            .map(|e| e.out_biz_no.as_str())
            .collect();
        let mut want: Vec<&str> = model
            .events
            .get(a)
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "seed {seed}: events of {a}");
        assert_eq!(ledger.totals, model.totals[a], "seed {seed}: totals of {a}");
    }
}

on_both_backends!(
    fifty_concurrent_identical_syncs_are_one_event_counted_once,
    concurrent_syncs_with_one_out_biz_no_and_two_contents_let_one_win_whole,
    the_same_request_from_node_then_python_is_a_replay_not_a_conflict,
    other_content_under_a_used_out_biz_no_is_rejected_before_any_state_rule_and_writes_nothing,
    seeded_random_mix_keeps_every_total_equal_to_its_events,
);
