//! Several stateless `zhima serve` processes on one PostgreSQL database behave as one platform
//! (PRODUCT §15): identical requests spread over three processes make one event, a race of two
//! contents lets one win whole, and a process SIGKILLed mid-stream loses nothing acknowledged
//! while the others keep serving. (A v3 nonce accepted by one server and refused by another is
//! tested in zhima-server's `postgres_shared.rs`.) Runs in the nextest `serial` group.

mod support;

use std::sync::Arc;

use support::*;

const T0: &str = "2024-06-01 10:00:00";

/// Three processes on one fresh database, started at the same time (migrations and
/// configuration upserts race, and must not fail).
fn three(sandbox: &Sandbox) -> Vec<Server> {
    std::thread::scope(|s| {
        let starting: Vec<_> = (0..3).map(|_| s.spawn(|| Server::start(sandbox))).collect();
        starting
            .into_iter()
            .map(|h| h.join().expect("server start"))
            .collect()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_identical_syncs_over_three_processes_are_one_event_counted_once() {
    let sandbox = Sandbox::on(Backend::Postgres, &["m"]);
    let servers = three(&sandbox);
    let clients: Vec<V1> = servers.iter().map(|s| V1::new(&sandbox, s)).collect();
    let d = agreement("m", Kind::Decoupled);
    let body = Arc::new(paid_amount(&d, "mp-dup-1", 4321, &[], T0).to_string());
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let (v1, body) = (clients[i % 3].clone(), Arc::clone(&body));
            tokio::spawn(async move { v1.call(CUMULATION_SYNC, &body).await })
        })
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        let node = t
            .await
            .expect("task")
            .unwrap_or_else(|e| panic!("request {i}: no verified answer: {e:?}"));
        Outcome::from_v1_node(node).success(&format!("identical request {i}"));
    }
    for v1 in &clients {
        let ledger = query_ledger(v1, &d).await;
        ledger.assert_consistent("after 60 identical syncs");
        assert_eq!(ledger.events.len(), 1, "{:?}", ledger.events);
        assert_eq!((ledger.totals.amount, ledger.totals.times), (4321, 1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_racing_syncs_with_two_contents_over_three_processes_let_one_win_whole() {
    let sandbox = Sandbox::on(Backend::Postgres, &["m"]);
    let servers = three(&sandbox);
    let clients: Vec<V1> = servers.iter().map(|s| V1::new(&sandbox, s)).collect();
    let d = agreement("m", Kind::Decoupled);
    let bodies = [
        paid_amount(&d, "mp-race-1", 100, &[], T0),
        paid_amount(&d, "mp-race-1", 999, &[], T0),
    ]
    .map(Arc::new);
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let (v1, body) = (clients[i % 3].clone(), Arc::clone(&bodies[i % 2]));
            tokio::spawn(async move { (i % 2, v1.outcome(CUMULATION_SYNC, &body).await) })
        })
        .collect();
    let (mut wins, mut conflicts) = ([0, 0], [0, 0]);
    for t in tasks {
        let (which, out) = t.await.expect("task");
        match &out {
            Outcome::Success(_) => wins[which] += 1,
            Outcome::Failure { code, .. } if code == "IDEMPOTENT_ERROR" => conflicts[which] += 1,
            other => panic!("content {which}: expected success or IDEMPOTENT_ERROR, got {other:?}"),
        }
    }
    let winner = usize::from(wins[1] > 0);
    assert_eq!(
        (wins[winner], conflicts[winner]),
        (20, 0),
        "{wins:?} {conflicts:?}"
    );
    assert_eq!(
        (wins[1 - winner], conflicts[1 - winner]),
        (0, 20),
        "{wins:?} {conflicts:?}"
    );
    let ledger = query_ledger(&clients[0], &d).await;
    ledger.assert_consistent("after the race");
    assert_eq!(ledger.events.len(), 1, "{:?}", ledger.events);
    assert_eq!(
        ledger.totals.amount,
        [100, 999][winner],
        "the winner's content, whole"
    );
}

/// One request a sender attempted.
struct Sent {
    out_biz_no: String,
    body: String,
    acked: bool,
}

/// Sends `count` payments to one process, stopping at the first request without an answer.
async fn stream(v1: V1, agreement: String, id: usize, count: usize) -> Vec<Sent> {
    let mut sent = Vec::new();
    for i in 0..count {
        let no = format!("mp-kill-{id}-{i}");
        let body = paid_amount(&agreement, &no, 100 + i as i64, &[], T0).to_string();
        let acked = match v1.call(CUMULATION_SYNC, &body).await {
            Ok(node) => {
                Outcome::from_v1_node(node).success(&format!("sender {id}, request {i}"));
                true
            }
            Err(_) => false,
        };
        sent.push(Sent {
            out_biz_no: no,
            body,
            acked,
        });
        if !acked {
            break;
        }
    }
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_of_one_process_mid_stream_loses_nothing_and_the_others_keep_serving() {
    let sandbox = Sandbox::on(Backend::Postgres, &["m"]);
    let mut servers = three(&sandbox);
    let clients: Vec<V1> = servers.iter().map(|s| V1::new(&sandbox, s)).collect();
    let d = agreement("m", Kind::Decoupled);
    // Two senders per process, all on one agreement (one contended totals row).
    let senders: Vec<_> = (0..6)
        .map(|id| tokio::spawn(stream(clients[id % 3].clone(), d.clone(), id, 150)))
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    servers[0].kill(); // SIGKILL: no graceful shutdown
    let mut all: Vec<(usize, Sent)> = Vec::new();
    for (id, s) in senders.into_iter().enumerate() {
        all.extend(s.await.expect("sender").into_iter().map(|x| (id, x)));
    }
    for (id, s) in &all {
        if id % 3 != 0 {
            assert!(
                s.acked,
                "process {} stopped serving: {}",
                id % 3,
                s.out_biz_no
            );
        }
    }
    assert!(
        all.iter().any(|(id, s)| id % 3 == 0 && !s.acked),
        "the killed process was still answering: kill it earlier"
    );
    let survivor = &clients[1];
    let ledger = query_ledger(survivor, &d).await;
    ledger.assert_consistent("after the kill");
    for (_, s) in all.iter().filter(|(_, s)| s.acked) {
        assert!(
            ledger.event(&s.out_biz_no).is_some(),
            "acknowledged {} is missing",
            s.out_biz_no
        );
    }
    // The merchant's recovery: resend what was not acknowledged to a surviving process.
    for (_, s) in all.iter().filter(|(_, s)| !s.acked) {
        let node = survivor
            .call(CUMULATION_SYNC, &s.body)
            .await
            .unwrap_or_else(|e| panic!("retry of {}: {e:?}", s.out_biz_no));
        Outcome::from_v1_node(node).success(&format!("retry of {}", s.out_biz_no));
    }
    let ledger = query_ledger(&clients[2], &d).await;
    ledger.assert_consistent("after the retries");
    assert_eq!(
        ledger.events.len(),
        all.len(),
        "every request present exactly once"
    );
}
