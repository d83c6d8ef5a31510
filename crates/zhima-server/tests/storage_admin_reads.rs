//! The operator's read contract (`storage::admin_reads`) on both engines: filters, keyset
//! pagination, the agreement ledger, instances, the audit log and the views that hide secrets.

mod storage_support;

use storage_support::*;
use zhima_server::domain::admin::{AgreementFilter, AuditSearch, EventSearch, InstanceSearch};
use zhima_server::domain::audit::AuditEntry;
use zhima_server::domain::entities::AgreementStatus;

const BUY: &str = r#"{"orderNo":"100220200103194523683","buyCnt":3}"#;

on_both_backends!(
    events_are_searched_and_paged_newest_first,
    agreements_filter_and_page_by_number,
    the_agreement_ledger_has_events_and_totals,
    instances_and_their_history,
    audit_is_filtered_and_counted,
    views_hide_secrets_and_counts_add_up,
);

async fn events_are_searched_and_paged_newest_first(backend: Backend) {
    let (_db, s) = open(backend).await;
    for i in 1..=5 {
        s.sync_cumulation(cmd(&sync_body(&format!("E-{i}"))), caller())
            .await
            .unwrap();
    }
    let one = s
        .find_events(
            EventSearch {
                out_biz_no: Some("E-3".into()),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(one.items.len(), 1);
    assert_eq!(one.items[0].out_biz_no, "E-3");
    assert_eq!(one.next_cursor, None);

    let by_user = EventSearch {
        user: Some(USER.into()),
        agreement_no: Some(AGREEMENT.into()),
        ..Default::default()
    };
    let first = s.find_events(by_user.clone(), 2).await.unwrap();
    let nos: Vec<_> = first.items.iter().map(|e| e.out_biz_no.as_str()).collect();
    assert_eq!(nos, ["E-5", "E-4"]);
    let cursor: i64 = first.next_cursor.expect("more pages").parse().unwrap();
    let second = s
        .find_events(
            EventSearch {
                before_seq: Some(cursor),
                ..by_user.clone()
            },
            2,
        )
        .await
        .unwrap();
    let nos: Vec<_> = second.items.iter().map(|e| e.out_biz_no.as_str()).collect();
    assert_eq!(nos, ["E-3", "E-2"]);

    let none = s
        .find_events(
            EventSearch {
                user: Some(OTHER_USER.into()),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    assert!(none.items.is_empty());
    // The time range is on the receipt time.
    let later = s
        .find_events(
            EventSearch {
                from: Some(now() + chrono::Duration::seconds(1)),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    assert!(later.items.is_empty());
    let until = s
        .find_events(
            EventSearch {
                to: Some(now() + chrono::Duration::seconds(1)),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(until.items.len(), 5);
}

async fn agreements_filter_and_page_by_number(backend: Backend) {
    let (_db, s) = open(backend).await;
    let all = s
        .find_agreements(AgreementFilter::default(), 2)
        .await
        .unwrap();
    let nos: Vec<_> = all.items.iter().map(|a| a.agreement_no.as_str()).collect();
    assert_eq!(nos, ["A_BOUND_1", "A_DEC_1"]);
    let next = s
        .find_agreements(
            AgreementFilter {
                after: all.next_cursor.clone(),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    let nos: Vec<_> = next.items.iter().map(|a| a.agreement_no.as_str()).collect();
    assert_eq!(nos, ["A_DEC_2", "A_DEC_N", "A_FOREIGN"]);
    assert_eq!(next.next_cursor, None);

    let invalid = s
        .find_agreements(
            AgreementFilter {
                status: Some(AgreementStatus::Invalid),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(invalid.items.len(), 1);
    assert_eq!(invalid.items[0].agreement_no, INVALID_AGREEMENT);

    let foreign = s
        .find_agreements(
            AgreementFilter {
                partner_id: Some(OTHER_PARTNER.into()),
                user: Some(USER.into()),
                template_no: Some("T_DEC".into()),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(foreign.items.len(), 1);
    assert_eq!(foreign.items[0].agreement_no, FOREIGN_AGREEMENT);
}

async fn the_agreement_ledger_has_events_and_totals(backend: Backend) {
    let (_db, s) = open(backend).await;
    s.sync_cumulation(cmd(&sync_body("L-1")), caller())
        .await
        .unwrap();
    s.sync_cumulation(cmd(&sync_body("L-2")), caller())
        .await
        .unwrap();
    s.sync_cumulation(cmd(&refund_body("L-3", "L-1", "3.57", "8.75")), caller())
        .await
        .unwrap();
    let ledger = s.agreement_ledger(AGREEMENT, 2).await.unwrap().unwrap();
    assert_eq!(ledger.agreement.agreement_no, AGREEMENT);
    assert_eq!(ledger.totals.event_count, 3);
    assert_eq!(ledger.totals.trade_amount.0, 357);
    let nos: Vec<_> = ledger
        .events
        .iter()
        .map(|e| e.out_biz_no.as_str())
        .collect();
    assert_eq!(nos, ["L-3", "L-2"]);
    assert!(ledger.more_events);
    assert!(ledger.settlements.is_empty());
    assert!(ledger.settlement_refunds.is_empty());
    assert!(ledger.unfreezes.is_empty());
    assert!(s.agreement_ledger("NO_SUCH", 2).await.unwrap().is_none());
}

async fn instances_and_their_history(backend: Backend) {
    let (_db, s) = open(backend).await;
    s.sync_state(state_cmd("S-1", "MOVIE-1", "BUY", BUY), caller())
        .await
        .unwrap();
    s.sync_state(state_cmd("S-2", "MOVIE-1", "CHECKED_IN", "{}"), caller())
        .await
        .unwrap();
    s.sync_state(state_cmd("S-3", "MOVIE-2", "BUY", BUY), caller())
        .await
        .unwrap();
    let all = s
        .find_instances(InstanceSearch::default(), 1)
        .await
        .unwrap();
    assert_eq!(all.items.len(), 1);
    assert_eq!(all.items[0].key.out_principal_id, "MOVIE-2");
    let rest = s
        .find_instances(
            InstanceSearch {
                before_id: all.next_cursor.as_deref().map(|c| c.parse().unwrap()),
                ..Default::default()
            },
            5,
        )
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].current_state, "CHECKED_IN");
    assert_eq!(rest.items[0].event_count, 2);

    let by_event = s
        .find_instances(
            InstanceSearch {
                out_biz_no: Some("S-2".into()),
                user_id: Some(USER.into()),
                service_id: Some(SERVICE.into()),
                ..Default::default()
            },
            5,
        )
        .await
        .unwrap();
    assert_eq!(by_event.items.len(), 1);
    let detail = s
        .instance_detail(by_event.items[0].id)
        .await
        .unwrap()
        .unwrap();
    let steps: Vec<_> = detail
        .events
        .iter()
        .map(|e| (e.from_state.as_deref(), e.to_state.as_str()))
        .collect();
    assert_eq!(steps, [(None, "BUY"), (Some("BUY"), "CHECKED_IN")]);
    assert!(s.instance_detail(999_999).await.unwrap().is_none());
}

async fn audit_is_filtered_and_counted(backend: Backend) {
    let (_db, s) = open(backend).await;
    let entry = |min: i64, app: &str, method: &str, outcome: &str| AuditEntry {
        at: now() + chrono::Duration::minutes(min),
        app_id: Some(app.into()),
        method: method.into(),
        outcome: outcome.into(),
        latency_us: 7,
    };
    s.append_audit(entry(0, APP, "zhima.a", "10000"));
    s.append_audit(entry(1, APP, "zhima.b", "isv.invalid-signature"));
    s.append_audit(entry(2, ISV_APP, "zhima.a", "10000"));
    s.append_audit(entry(3, APP, "zhima.a", "isv.invalid-signature"));
    s.flush().await.unwrap();

    let failed = s
        .find_audit(
            AuditSearch {
                outcome: Some("isv.invalid-signature".into()),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    let methods: Vec<_> = failed
        .items
        .iter()
        .map(|r| r.entry.method.as_str())
        .collect();
    assert_eq!(methods, ["zhima.a", "zhima.b"]);

    let app_a = AuditSearch {
        app_id: Some(APP.into()),
        api: Some("zhima.a".into()),
        ..Default::default()
    };
    let page = s.find_audit(app_a.clone(), 1).await.unwrap();
    assert_eq!(page.items[0].entry.outcome, "isv.invalid-signature");
    let next = s
        .find_audit(
            AuditSearch {
                before_id: page.next_cursor.as_deref().map(|c| c.parse().unwrap()),
                ..app_a
            },
            1,
        )
        .await
        .unwrap();
    assert_eq!(next.items[0].entry.outcome, "10000");
    assert_eq!(next.next_cursor, None);

    let window = s
        .find_audit(
            AuditSearch {
                from: Some(now() + chrono::Duration::minutes(1)),
                to: Some(now() + chrono::Duration::minutes(3)),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(window.items.len(), 2);

    let outcomes = s.audit_outcomes(now()).await.unwrap();
    let pairs: Vec<_> = outcomes
        .iter()
        .map(|o| (o.outcome.as_str(), o.count))
        .collect();
    assert_eq!(pairs, [("10000", 2), ("isv.invalid-signature", 2)]);
}

async fn views_hide_secrets_and_counts_add_up(backend: Backend) {
    let (_db, s) = open(backend).await;
    let tokens = s.token_views(Some(ISV_APP)).await.unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].prefix, "to");
    assert!(!tokens[0].expired);
    assert!(s.token_views(Some(APP)).await.unwrap().is_empty());
    let apps = s.app_views().await.unwrap();
    assert_eq!(apps.len(), 2);
    assert!(!apps[0].encrypt_key_set);

    let users = s.zmgo_users().await.unwrap();
    assert_eq!(users.len(), 1);
    assert!(!users[0].admitted);

    let templates = s.template_summaries().await.unwrap();
    assert_eq!(templates.len(), 2);
    assert_eq!(templates[0].owner, None);

    s.sync_cumulation(cmd(&sync_body("C-1")), caller())
        .await
        .unwrap();
    s.sync_state(state_cmd("C-2", "M", "BUY", BUY), caller())
        .await
        .unwrap();
    let c = s.admin_counts().await.unwrap();
    assert_eq!(
        (
            c.apps,
            c.agreements,
            c.cumulation_events,
            c.state_instances,
            c.state_events
        ),
        (2, 5, 1, 1, 1)
    );
}
