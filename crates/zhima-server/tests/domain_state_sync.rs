//! State sync checks 4–9 (PRODUCT §5) and state machine transitions, through real storage.

mod storage_support;

use storage_support::*;
use zhima_server::domain::entities::Records;
use zhima_server::domain::state_sync::{CategoryConfig, ServiceConfig, StateConfig, StateMachines};
use zhima_server::storage::InstanceKey;

const BUY: &str = r#"{"orderNo":"100220200103194523683","buyCnt":3}"#;

fn key(principal: &str) -> InstanceKey {
    InstanceKey {
        service_id: SERVICE.into(),
        category_code: "WATCH_MOVIE".into(),
        user_id: USER.into(),
        out_principal_id: principal.into(),
    }
}

async fn every_zmdata_code_from_check_4_on(backend: Backend) {
    let (_dir, s) = open(backend).await;
    let cases = [
        (
            state_cmd_in(
                "2019000000000000000000000000",
                "WATCH_MOVIE",
                "Z-1",
                "P",
                "BUY",
                BUY,
            ),
            APP,
            "ZMDAT.SERVICE_ID_ERROR",
            "2019000000000000000000000000",
        ),
        (
            state_cmd("Z-2", "P", "BUY", BUY),
            ISV_APP,
            "ZMDAT.SERVICE_ID_ERROR",
            ISV_APP,
        ),
        (
            state_cmd_in(SERVICE, "LIVE", "Z-3", "P", "BUY", BUY),
            APP,
            "ZMDATA.CATEGORY_CODE_ERROR",
            "LIVE",
        ),
        (
            state_cmd("Z-4", "P", "NOT_A_STATE", BUY),
            APP,
            "ZMDATA.BIZ_STATE_CODE_ERROR",
            "NOT_A_STATE",
        ),
        (
            state_cmd("Z-5", "P", "BUY", "not json"),
            APP,
            "ZMDATA.BIZ_DATA_ERROR",
            "JSON",
        ),
        (
            state_cmd("Z-6", "P", "BUY", "[1,2]"),
            APP,
            "ZMDATA.BIZ_DATA_ERROR",
            "JSON",
        ),
        (
            state_cmd("Z-7", "P", "BUY", r#"{"buyCnt":1}"#),
            APP,
            "ZMDATA.BIZ_DATA_ERROR",
            "orderNo",
        ),
        (
            state_cmd("Z-8", "P", "BUY", r#"{"orderNo":"1","buyCnt":0}"#),
            APP,
            "ZMDATA.BIZ_DATA_ERROR",
            "biz_data.buyCnt",
        ),
        (
            state_cmd("Z-9", "P", "CHECKED_IN", "{}"),
            APP,
            "ZMDATA.BIZ_STATE_CODE_ERROR",
            "BUY",
        ),
    ];
    for (cmd, app, code, named) in cases {
        let rej = rejection_of(s.sync_state(cmd, caller_for(app, PARTNER)).await);
        assert_eq!(rej.code.as_str(), code, "{}", rej.sub_msg);
        assert!(
            rej.sub_msg.contains(named),
            "{code} should name {named}: {}",
            rej.sub_msg
        );
    }
    let long = format!(r#"{{"orderNo":"{}"}}"#, "x".repeat(4100));
    assert_eq!(
        code_of(
            s.sync_state(state_cmd("Z-10", "P", "BUY", &long), caller())
                .await
        ),
        "ZMDATA.BIZ_DATA_ERROR"
    );
    assert!(
        s.state_instance(&key("P")).await.unwrap().is_none(),
        "rejections wrote nothing"
    );
}

async fn transitions_follow_the_machine_and_history_is_kept(backend: Backend) {
    let (_dir, s) = open(backend).await;
    let buy = s
        .sync_state(state_cmd("T-1", "MOVIE-1", "BUY", BUY), caller())
        .await
        .unwrap();
    assert_eq!(
        (buy.from_state.as_deref(), buy.to_state.as_str()),
        (None, "BUY")
    );
    s.sync_state(state_cmd("T-2", "MOVIE-1", "CHECKED_IN", "{}"), caller())
        .await
        .unwrap();
    // `next` may list the state itself.
    s.sync_state(
        state_cmd("T-3", "MOVIE-1", "CHECKED_IN", r#"{"gate":2}"#),
        caller(),
    )
    .await
    .unwrap();
    s.sync_state(state_cmd("T-4", "MOVIE-1", "WATCHED", "{}"), caller())
        .await
        .unwrap();

    // A terminal state allows nothing; the message names the current and allowed states.
    let rej = rejection_of(
        s.sync_state(state_cmd("T-5", "MOVIE-1", "REFUND", "{}"), caller())
            .await,
    );
    assert_eq!(rej.code.as_str(), "ZMDATA.BIZ_STATE_CODE_ERROR");
    assert!(
        rej.sub_msg.contains("WATCHED") && rej.sub_msg.contains("[]"),
        "{}",
        rej.sub_msg
    );
    // BUY → WATCHED is not an allowed edge.
    s.sync_state(state_cmd("T-6", "MOVIE-2", "BUY", BUY), caller())
        .await
        .unwrap();
    let rej = rejection_of(
        s.sync_state(state_cmd("T-7", "MOVIE-2", "WATCHED", "{}"), caller())
            .await,
    );
    assert!(
        rej.sub_msg.contains("CHECKED_IN, REFUND"),
        "{}",
        rej.sub_msg
    );

    let history = s.state_instance(&key("MOVIE-1")).await.unwrap().unwrap();
    assert_eq!(history.current_state, "WATCHED");
    let path: Vec<_> = history
        .events
        .iter()
        .map(|e| (e.from_state.clone(), e.to_state.clone()))
        .collect();
    assert_eq!(
        path,
        [
            (None, "BUY".to_string()),
            (Some("BUY".to_string()), "CHECKED_IN".to_string()),
            (Some("CHECKED_IN".to_string()), "CHECKED_IN".to_string()),
            (Some("CHECKED_IN".to_string()), "WATCHED".to_string()),
        ]
    );
    assert_eq!(history.events[0].biz_data, BUY);
    assert_eq!(history.events[0].app_id, APP);
}

async fn idempotency_on_service_and_out_biz_no(backend: Backend) {
    let (_dir, s) = open(backend).await;
    let first = s
        .sync_state(state_cmd("I-1", "MOVIE-1", "BUY", BUY), caller())
        .await
        .unwrap();
    s.sync_state(state_cmd("I-2", "MOVIE-1", "REFUND", "{}"), caller())
        .await
        .unwrap();

    // Same content again (biz_data re-spelled) after the instance moved on: the original
    // success, no second transition.
    let respelled = r#"{ "buyCnt": 3, "orderNo": "100220200103194523683" }"#;
    let replay = s
        .sync_state(state_cmd("I-1", "MOVIE-1", "BUY", respelled), caller())
        .await
        .unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.event_seq, first.event_seq);
    let history = s.state_instance(&key("MOVIE-1")).await.unwrap().unwrap();
    assert_eq!(
        (history.current_state.as_str(), history.events.len()),
        ("REFUND", 2)
    );

    // Different content under the same out_biz_no, even for another instance → OUT_BIZ_NO_REPEAT.
    let rej = rejection_of(
        s.sync_state(state_cmd("I-1", "MOVIE-9", "BUY", BUY), caller())
            .await,
    );
    assert_eq!(rej.code.as_str(), "ZMDATA.OUT_BIZ_NO_REPEAT");
    assert!(rej.sub_msg.contains("I-1"), "{}", rej.sub_msg);
    assert!(s.state_instance(&key("MOVIE-9")).await.unwrap().is_none());

    // Check 7 comes before check 8: bad biz_data under a used out_biz_no is a BIZ_DATA_ERROR.
    assert_eq!(
        code_of(
            s.sync_state(state_cmd("I-1", "MOVIE-1", "BUY", "{}"), caller())
                .await
        ),
        "ZMDATA.BIZ_DATA_ERROR"
    );
}

async fn services_can_be_edited_at_run_time(backend: Backend) {
    let (_dir, s) = open(backend).await;
    let mut svc = promise_service();
    svc.app_ids.push(ISV_APP.into());
    s.apply_records(&Records {
        state_services: vec![svc.clone()],
        ..Records::default()
    })
    .await
    .unwrap();
    assert!(s
        .sync_state(
            state_cmd("E-1", "P", "BUY", BUY),
            caller_for(ISV_APP, PARTNER)
        )
        .await
        .is_ok());

    // An invalid machine is refused and the old one stays in force.
    let mut broken = svc.clone();
    broken.categories[0].states[2].next = vec!["BUY".into()]; // WATCHED is terminal
    let only_broken = Records {
        state_services: vec![broken],
        ..Records::default()
    };
    assert!(
        matches!(s.apply_records(&only_broken).await, Err(zhima_server::Error::Config(m)) if m.contains("terminal"))
    );
    assert_eq!(s.state_services().await.unwrap(), vec![svc]);
}

fn machine(states: Vec<StateConfig>) -> Vec<ServiceConfig> {
    vec![ServiceConfig {
        service_id: "S".into(),
        app_ids: vec![],
        categories: vec![CategoryConfig {
            code: "C".into(),
            name: None,
            states,
        }],
    }]
}

#[test]
fn invalid_machines_are_refused_with_their_location() {
    let err = |states| StateMachines::compile(&machine(states)).unwrap_err();
    assert!(err(vec![state("A", false, false, &[], None)]).contains("initial"));
    assert!(err(vec![state("A", true, false, &["B"], None)]).contains("unknown state B"));
    assert!(err(vec![state("A", true, true, &["A"], None)]).contains("terminal"));
    assert!(err(vec![
        state("A", true, false, &[], None),
        state("A", false, false, &[], None)
    ])
    .contains("twice"));
    let e = err(vec![state("A", true, false, &[], Some("{not json"))]);
    assert!(
        e.contains("service S: category C: state A: biz_data_schema is not JSON"),
        "{e}"
    );
    assert!(err(vec![state(
        "A",
        true,
        false,
        &[],
        Some(r#"{"type":"no-such-type"}"#)
    )])
    .contains("JSON Schema"));
    assert!(StateMachines::compile(&machine(vec![state("A", true, true, &[], None)])).is_ok());
}

on_both_backends!(
    every_zmdata_code_from_check_4_on,
    transitions_follow_the_machine_and_history_is_kept,
    idempotency_on_service_and_out_biz_no,
    services_can_be_edited_at_run_time,
);
