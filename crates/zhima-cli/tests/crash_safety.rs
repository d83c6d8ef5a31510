//! Crash safety (PRODUCT §6: a success is sent only after its event is durably committed):
//! concurrent senders stream payments and refunds at a real `zhima serve`, which is SIGKILLed
//! mid-stream and restarted on the same data directory. Afterwards every acknowledged event is
//! present exactly once, nothing unacknowledged is half-applied (each unacknowledged request is
//! either wholly present or absent, and totals equal the sum of events), and resending the
//! unacknowledged requests with the same `out_biz_no` completes the stream exactly once.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::*;

const SENDERS: usize = 4;
const ROUNDS: usize = 3;
/// Acknowledged syncs per round before the kill.
const ACKS_BEFORE_KILL: usize = 100;

/// One request a sender attempted.
#[derive(Debug, Clone)]
struct Attempt {
    agreement: String,
    out_biz_no: String,
    body: String,
    refund_of: Option<String>,
    trade: i64,
    discount: i64,
    acked: bool,
}

/// What one sender does until the server goes away (or `limit` requests).
async fn sender(
    v1: V1,
    lanes: Vec<String>,
    round: usize,
    id: usize,
    acks: Arc<AtomicUsize>,
) -> Vec<Attempt> {
    let agreement = &lanes[id % lanes.len()];
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut refundable: Vec<Value> = Vec::new();
    for i in 0..5_000_i64 {
        let no = format!("crash-{round}-{id}-{i}");
        let (body, refund_of_no, trade, discount) = match refundable.pop() {
            // Every fourth request refunds 1 fen of one of this sender's acknowledged payments.
            Some(pay) if i % 4 == 3 => {
                let body = refund_of(&pay, &no, 1, &[0], &biz_time(i));
                (body, pay["out_biz_no"].as_str().map(str::to_owned), 1, 0)
            }
            other => {
                refundable.extend(other);
                let trade = 100 + (id as i64 * 7_919 + i * 104_729) % 90_000;
                let body = paid_amount(
                    agreement,
                    &no,
                    trade,
                    &[("memberPoint", "积分抵扣", trade / 10)],
                    &biz_time(i),
                );
                (body, None, trade, trade / 10)
            }
        };
        let text = body.to_string();
        let answer = v1.call(CUMULATION_SYNC, &text).await;
        let mut attempt = Attempt {
            agreement: agreement.clone(),
            out_biz_no: no,
            body: text,
            refund_of: refund_of_no,
            trade,
            discount,
            acked: false,
        };
        match answer.map(Outcome::from_v1_node) {
            Ok(Outcome::Success(_)) => {
                attempt.acked = true;
                acks.fetch_add(1, Ordering::SeqCst);
                if attempt.refund_of.is_none() {
                    refundable.push(body);
                }
                attempts.push(attempt);
            }
            // The server died under this request: unacknowledged, and this sender stops.
            Err(CallError::Transport(_)) => {
                attempts.push(attempt);
                return attempts;
            }
            other => panic!(
                "round {round} sender {id}: {} was not acknowledged: {other:?}",
                attempt.out_biz_no
            ),
        }
    }
    attempts
}

/// Every event present was attempted, with exactly the attempted content (so an unacknowledged
/// request is wholly present or absent); every acknowledged attempt is present; no event is
/// there twice; totals equal the sum of events.
async fn verify(v1: &V1, lanes: &[String], attempts: &[Attempt], what: &str) -> usize {
    let mut present = 0;
    for agreement in lanes {
        let ledger = query_ledger(v1, agreement).await;
        ledger.assert_consistent(&format!("{what}: {agreement}"));
        for e in &ledger.events {
            let a = attempts
                .iter()
                .find(|a| a.out_biz_no == e.out_biz_no)
                .unwrap_or_else(|| panic!("{what}: event {} was never sent", e.out_biz_no));
            let got = (
                &a.agreement,
                e.refund,
                e.refer.as_ref(),
                e.trade,
                e.discount,
            );
            let want = (
                agreement,
                a.refund_of.is_some(),
                a.refund_of.as_ref(),
                a.trade,
                a.discount,
            );
            assert_eq!(
                got, want,
                "{what}: event {} is not the request that was sent (half-applied?)",
                e.out_biz_no
            );
        }
        for a in attempts
            .iter()
            .filter(|a| &a.agreement == agreement && a.acked)
        {
            assert!(
                ledger.event(&a.out_biz_no).is_some(),
                "{what}: acknowledged {} is missing after the crash",
                a.out_biz_no
            );
        }
        present += ledger.events.len();
    }
    present
}

async fn sigkill_mid_stream_loses_no_acknowledged_event_and_half_applies_nothing(backend: Backend) {
    let sandbox = Sandbox::on(backend, &["c0", "c1"]);
    let lanes = vec![
        agreement("c0", Kind::Decoupled),
        agreement("c1", Kind::Decoupled),
    ];
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut server = Server::start(&sandbox);
    for round in 0..ROUNDS {
        let v1 = V1::new(&sandbox, &server);
        let acks = Arc::new(AtomicUsize::new(0));
        let senders: Vec<_> = (0..SENDERS)
            .map(|id| {
                tokio::spawn(sender(
                    v1.clone(),
                    lanes.clone(),
                    round,
                    id,
                    Arc::clone(&acks),
                ))
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(60);
        while acks.load(Ordering::SeqCst) < ACKS_BEFORE_KILL {
            assert!(
                Instant::now() < deadline,
                "round {round}: only {} syncs acknowledged in 60 s",
                acks.load(Ordering::SeqCst)
            );
            assert!(
                server.is_running(),
                "round {round}: the server exited by itself:\n{}",
                server.stderr_text()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill(); // SIGKILL: no graceful shutdown, no flush
        for s in senders {
            attempts.extend(s.await.expect("sender task"));
        }
        let unacked: Vec<usize> = (0..attempts.len())
            .filter(|&i| !attempts[i].acked)
            .collect();

        server = Server::start(&sandbox);
        let v1 = V1::new(&sandbox, &server);
        let present = verify(
            &v1,
            &lanes,
            &attempts,
            &format!("round {round}, after restart"),
        )
        .await;
        let committed = present - (attempts.len() - unacked.len());
        eprintln!(
            "round {round}: {} attempts, {} unacknowledged, {committed} of them committed",
            attempts.len(),
            unacked.len()
        );
        // The merchant's recovery: resend what was not acknowledged, same out_biz_no and content.
        for i in unacked {
            let a = &mut attempts[i];
            let node = v1
                .call(CUMULATION_SYNC, &a.body)
                .await
                .unwrap_or_else(|e| panic!("retry of {}: {e:?}", a.out_biz_no));
            Outcome::from_v1_node(node)
                .success(&format!("round {round}: retry of {}", a.out_biz_no));
            a.acked = true;
        }
        let present = verify(
            &v1,
            &lanes,
            &attempts,
            &format!("round {round}, after the retries"),
        )
        .await;
        assert_eq!(
            present,
            attempts.len(),
            "round {round}: every request, acknowledged or retried, is present exactly once"
        );
    }
}

on_both_backends!(sigkill_mid_stream_loses_no_acknowledged_event_and_half_applies_nothing,);
