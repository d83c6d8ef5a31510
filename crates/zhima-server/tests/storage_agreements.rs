//! The agreement half of the lifecycle on both engines (PRODUCT §11): preorders, signing
//! (exactly one agreement per preorder, even under fifty concurrent signs from two
//! processes), preorder expiry on the sandbox clock.

mod storage_support;

use std::sync::Arc;

use chrono::Duration;
use storage_support::*;
use zhima_proto::models::agreement_query::AgreementStatus;
use zhima_proto::money::Fen;
use zhima_proto::time::format_alipay_datetime;
use zhima_proto::validate::{UserRef, ValidAgreementSign, ValidPreorderCreate};
use zhima_server::domain::entities::Caller;
use zhima_server::storage::Storage;

on_both_backends!(
    a_preorder_is_created_once_per_request_key,
    a_preorder_refuses_foreign_templates_and_callers,
    signing_creates_one_agreement_and_answers_it_again,
    signing_refuses_unknown_foreign_and_expired_preorders,
    fifty_concurrent_signs_create_one_agreement,
);

fn user() -> UserRef {
    UserRef {
        user_id: Some(USER.into()),
        open_id: None,
    }
}

fn preorder_cmd(out_request_no: &str) -> ValidPreorderCreate {
    ValidPreorderCreate {
        partner_id: PARTNER.into(),
        template_id: "T_DEC".into(),
        out_request_no: out_request_no.into(),
        user: user(),
        biz_time: None,
        freeze_amount: Some(Fen(9_900)),
        timeout_secs: 900,
        partner_user_identifier: None,
        isv_pid: None,
    }
}

fn sign_cmd(preorder_no: &str) -> ValidAgreementSign {
    ValidAgreementSign {
        partner_id: PARTNER.into(),
        preorder_no: preorder_no.into(),
        user: user(),
    }
}

fn at_offset(secs: i64) -> Caller {
    Caller {
        business_now: now() + Duration::seconds(secs),
        ..caller()
    }
}

async fn preorder(storage: &Storage, key: &str) -> String {
    storage
        .create_preorder(preorder_cmd(key), caller())
        .await
        .expect("preorder")
        .preorder_no
}

async fn a_preorder_is_created_once_per_request_key(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let first = storage
        .create_preorder(preorder_cmd("PO-1"), caller())
        .await
        .unwrap();
    assert!(!first.replayed);
    assert!(first.preorder_no.starts_with("20240601"), "{first:?}");
    let again = storage
        .create_preorder(preorder_cmd("PO-1"), caller())
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.preorder_no, first.preorder_no);
    assert_eq!(again.to_response(), first.to_response());

    let different = ValidPreorderCreate {
        timeout_secs: 60,
        ..preorder_cmd("PO-1")
    };
    assert_eq!(
        code_of(storage.create_preorder(different, caller()).await),
        "IDEMPOTENT_ERROR"
    );
    // Another key is another preorder.
    assert_ne!(preorder(&storage, "PO-2").await, first.preorder_no);
}

async fn a_preorder_refuses_foreign_templates_and_callers(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let missing = ValidPreorderCreate {
        template_id: "NO_SUCH".into(),
        ..preorder_cmd("PO-1")
    };
    assert_eq!(
        code_of(storage.create_preorder(missing, caller()).await),
        "TEMPLATE_NOT_EXIST"
    );
    // An app acting for another merchant can neither create nor replay.
    preorder(&storage, "PO-2").await;
    let foreign = caller_for(ISV_APP, OTHER_PARTNER);
    assert_eq!(
        code_of(storage.create_preorder(preorder_cmd("PO-2"), foreign).await),
        "REQUEST_ACCESS_ILLEGAL"
    );
}

async fn signing_creates_one_agreement_and_answers_it_again(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let no = preorder(&storage, "PO-1").await;
    let signed = storage
        .sign_preorder(sign_cmd(&no), at_offset(60))
        .await
        .unwrap();
    assert!(!signed.replayed);
    let a = &signed.signed.agreement;
    assert_eq!(a.status, AgreementStatus::Valid);
    assert_eq!(a.template_no, "T_DEC");
    assert_eq!(signed.signed.freeze_amount, Fen(9_900));
    assert_eq!(signed.signed.sign_time, now() + Duration::seconds(60));
    // T_DEC has period_days = 30.
    assert_eq!(a.end_time, a.start_time + Duration::days(30));
    let body = signed.to_response();
    assert_eq!(body.out_request_no.as_deref(), Some("PO-1"));
    assert_eq!(
        body.sign_time.as_deref(),
        Some(format_alipay_datetime(&(now() + Duration::seconds(60))).as_str())
    );

    let stored = storage.agreement(&a.agreement_no).await.unwrap().unwrap();
    assert_eq!(&stored, a);

    // Signing again (later, even past the preorder's timeout) answers the same agreement.
    let again = storage
        .sign_preorder(sign_cmd(&no), at_offset(3_600))
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.to_response(), body);
    assert!(storage.verify_invariants().await.unwrap().is_ok());
}

async fn signing_refuses_unknown_foreign_and_expired_preorders(backend: Backend) {
    let (_db, storage) = open(backend).await;
    assert_eq!(
        code_of(storage.sign_preorder(sign_cmd("404"), caller()).await),
        "PREORDER_NOT_EXIST"
    );
    let no = preorder(&storage, "PO-1").await;
    // Another merchant's preorder reads like a missing one.
    let foreign = ValidAgreementSign {
        partner_id: OTHER_PARTNER.into(),
        ..sign_cmd(&no)
    };
    let r = rejection_of(
        storage
            .sign_preorder(foreign, caller_for(ISV_APP, OTHER_PARTNER))
            .await,
    );
    assert_eq!(r.code.as_str(), "PREORDER_NOT_EXIST");
    assert!(!r.sub_msg.contains(PARTNER), "{}", r.sub_msg);
    // Another user's signing too.
    let other_user = ValidAgreementSign {
        user: UserRef {
            user_id: Some(OTHER_USER.into()),
            open_id: None,
        },
        ..sign_cmd(&no)
    };
    assert_eq!(
        code_of(storage.sign_preorder(other_user, caller()).await),
        "PREORDER_NOT_EXIST"
    );
    // 900 s later on the sandbox clock the preorder has expired.
    assert_eq!(
        code_of(storage.sign_preorder(sign_cmd(&no), at_offset(900)).await),
        "PREORDER_STATUS_ILLEGAL"
    );
    // Just before, it signs (and the refusal wrote nothing: this is the first signing).
    let signed = storage
        .sign_preorder(sign_cmd(&no), at_offset(899))
        .await
        .unwrap();
    assert!(!signed.replayed);
}

async fn fifty_concurrent_signs_create_one_agreement(backend: Backend) {
    let (db, storage) = open(backend).await;
    let second = Arc::new(db.open().await);
    let no = preorder(&storage, "PO-1").await;
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let s = if i % 2 == 0 {
                Arc::clone(&storage)
            } else {
                Arc::clone(&second)
            };
            let cmd = sign_cmd(&no);
            tokio::spawn(async move { s.sign_preorder(cmd, caller()).await })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap().expect("every sign succeeds"));
    }
    assert_eq!(answers.iter().filter(|a| !a.replayed).count(), 1);
    let body = answers[0].to_response();
    assert!(answers.iter().all(|a| a.to_response() == body));
    let mine: Vec<_> = storage
        .agreements(zhima_server::domain::query::Page { no: 1, size: 100 })
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.template_no == "T_DEC" && a.start_time == now())
        .collect();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(Some(&mine[0].agreement_no), body.agreement_id.as_ref());
}
