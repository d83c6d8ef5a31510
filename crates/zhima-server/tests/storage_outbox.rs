//! The notification outbox on both engines (PRODUCT §12), as the delivery worker uses it: a
//! claim takes the oldest pending row of each agreement and leases it; one write job records
//! a claim's attempts (a row no longer `PENDING` is skipped) and gives back the rows that were
//! not attempted — claimable again at once, while a give-back under another lease changes
//! nothing.

mod storage_support;

use std::time::Duration;

use serde_json::json;
use storage_support::*;
use zhima_proto::money::Fen;
use zhima_server::domain::notify::{AttemptOutcome, NotifyStatus};
use zhima_server::domain::query::Page;
use zhima_server::storage::{AttemptRecord, Storage};

on_both_backends!(a_claim_is_recorded_in_one_job_and_gives_back_what_it_did_not_attempt,);

async fn unfreeze(s: &Storage, agreement: &str, key: &str) -> String {
    let mut caller = caller();
    caller.notify_url = Some("http://127.0.0.1:9/notify".into());
    let body = json!({
        "agreement_id": agreement, "partner_id": PARTNER, "out_request_no": key,
        "unfreeze_amount": "0.01"
    });
    s.unfreeze(unfreeze_cmd(body), caller).await.unwrap();
    let listed = s
        .notifications(Default::default(), Page::new(None, None).unwrap())
        .await
        .unwrap();
    listed[0].row.notify_id.clone()
}

fn outcome(notify_id: &str, attempts_before: i64, outcome: AttemptOutcome) -> AttemptRecord {
    AttemptRecord {
        notify_id: notify_id.into(),
        attempts_before,
        outcome,
        at: now(),
    }
}

async fn a_claim_is_recorded_in_one_job_and_gives_back_what_it_did_not_attempt(backend: Backend) {
    let (_db, s) = open(backend).await;
    for a in [AGREEMENT, AGREEMENT_2] {
        assert!(s.set_freeze_amount(a, Fen(1_000)).await.unwrap());
    }
    let u1 = unfreeze(&s, AGREEMENT, "U-1").await;
    let u2 = unfreeze(&s, AGREEMENT, "U-2").await;
    let u3 = unfreeze(&s, AGREEMENT_2, "U-3").await;
    let (due, lease) = (t("2030-01-01 00:00:00"), Duration::from_secs(60));

    let first = s.claim_notifications(due, lease, 10).await.unwrap();
    let ids: Vec<&str> = first
        .rows
        .iter()
        .map(|c| c.row.notify_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [u1.as_str(), u3.as_str()],
        "the head of each agreement"
    );
    assert!(s
        .claim_notifications(due, lease, 10)
        .await
        .unwrap()
        .rows
        .is_empty());

    // A give-back under another lease (a claim that expired, since taken by another) is void.
    s.record_attempts(Vec::new(), vec![u3.clone()], first.lease_until_ms + 1)
        .await
        .unwrap();
    assert!(s
        .claim_notifications(due, lease, 10)
        .await
        .unwrap()
        .rows
        .is_empty());

    // One job: u1 delivered, u3 given back unattempted.
    let recorded = s
        .record_attempts(
            vec![outcome(&u1, 0, AttemptOutcome::Success)],
            vec![u3.clone()],
            first.lease_until_ms,
        )
        .await
        .unwrap();
    assert_eq!(recorded, 1);
    let second = s.claim_notifications(due, lease, 10).await.unwrap();
    let ids: Vec<(&str, i64)> = second
        .rows
        .iter()
        .map(|c| (c.row.notify_id.as_str(), c.attempts))
        .collect();
    assert_eq!(ids, [(u2.as_str(), 0), (u3.as_str(), 0)]);

    // A late record for a row no longer PENDING changes nothing; the others are recorded.
    let recorded = s
        .record_attempts(
            vec![
                outcome(&u1, 1, AttemptOutcome::Retry("late".into())),
                outcome(&u2, 0, AttemptOutcome::Retry("HTTP 500".into())),
                outcome(&u3, 0, AttemptOutcome::Refused("host not allowed".into())),
            ],
            Vec::new(),
            second.lease_until_ms,
        )
        .await
        .unwrap();
    assert_eq!(recorded, 2);
    let stored = |id: String| {
        let s = &s;
        async move { s.notification(&id).await.unwrap().unwrap() }
    };
    let n1 = stored(u1).await;
    assert_eq!((n1.status, n1.attempts), (NotifyStatus::Delivered, 1));
    let n2 = stored(u2).await;
    assert_eq!((n2.status, n2.attempts), (NotifyStatus::Pending, 1));
    assert_eq!(n2.last_error.as_deref(), Some("HTTP 500"));
    assert!(n2.next_attempt > now(), "retried later by the schedule");
    let n3 = stored(u3).await;
    assert_eq!((n3.status, n3.attempts), (NotifyStatus::Failed, 0));
}
