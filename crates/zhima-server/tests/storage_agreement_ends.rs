//! The rest of the agreement half of the lifecycle on both engines (PRODUCT §11): templates
//! created through the API, `pre.consult`, `bizopt.close`, `agreement.unsign` — and unsign
//! racing `settle.apply` on one agreement ending in a state some serial order explains.

mod storage_support;

use std::sync::Arc;

use chrono::Duration;
use serde_json::json;
use storage_support::*;
use zhima_proto::models::agreement_query::AgreementStatus;
use zhima_proto::models::{QuitType, ZhimaMerchantZmgoTemplateCreateModel};
use zhima_proto::money::Fen;
use zhima_proto::validate::{
    self, UserRef, ValidAgreementSign, ValidAgreementUnsign, ValidBizoptClose, ValidPreConsult,
    ValidPreorderCreate, ValidTemplateQuery,
};
use zhima_server::domain::entities::Caller;
use zhima_server::storage::Storage;

on_both_backends!(
    a_template_is_created_once_and_answers_its_blocks,
    templates_of_other_merchants_read_as_missing,
    pre_consult_answers_admittance,
    a_preorder_closes_once_and_never_after_signing,
    unsign_moves_y_to_p_once,
    unsign_and_settle_racing_end_consistently,
);

fn user() -> UserRef {
    UserRef {
        user_id: Some(USER.into()),
        open_id: None,
    }
}

fn template_body(out_biz_no: &str, partner: &str) -> serde_json::Value {
    json!({
        "basic_config": {"partner_id": partner, "out_biz_no": out_biz_no, "template_name": "月卡"},
        "obligation_config": {"obligation_times": "4", "obligation_amount": "20.00"},
        "open_config": {"period_mode": "ABSOLATE_DATE", "period_time": "3", "freeze_amount": "5.00"},
        "quit_config": {"quit_type": "MERCHANT"}
    })
}

fn template_cmd(out_biz_no: &str, partner: &str) -> validate::ValidTemplateCreate {
    let m: ZhimaMerchantZmgoTemplateCreateModel =
        zhima_proto::models::from_json(&template_body(out_biz_no, partner).to_string()).unwrap();
    validate::validate_template_create(&m).expect("template validates")
}

fn preorder_cmd(key: &str, template: &str) -> ValidPreorderCreate {
    ValidPreorderCreate {
        partner_id: PARTNER.into(),
        template_id: template.into(),
        out_request_no: key.into(),
        user: user(),
        biz_time: None,
        freeze_amount: None,
        timeout_secs: 900,
        partner_user_identifier: None,
        isv_pid: None,
    }
}

async fn signed(storage: &Storage, key: &str, template: &str) -> String {
    let p = storage
        .create_preorder(preorder_cmd(key, template), caller())
        .await
        .unwrap();
    let s = ValidAgreementSign {
        partner_id: PARTNER.into(),
        preorder_no: p.preorder_no,
        user: user(),
    };
    storage
        .sign_preorder(s, caller())
        .await
        .unwrap()
        .signed
        .agreement
        .agreement_no
}

fn unsign_cmd(agreement: &str, quit: QuitType) -> ValidAgreementUnsign {
    ValidAgreementUnsign {
        agreement_id: agreement.into(),
        partner_id: PARTNER.into(),
        quit_type: quit,
        user: UserRef::default(),
    }
}

async fn a_template_is_created_once_and_answers_its_blocks(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let created = storage
        .create_template(template_cmd("TPL-1", PARTNER), caller())
        .await
        .unwrap();
    assert!(!created.replayed);
    assert_eq!(created.template_no.len(), 28);
    let again = storage
        .create_template(template_cmd("TPL-1", PARTNER), caller())
        .await
        .unwrap();
    assert_eq!(
        (again.replayed, &again.template_no),
        (true, &created.template_no)
    );
    let mut changed = template_cmd("TPL-1", PARTNER);
    changed.blocks.basic_config.as_mut().unwrap().template_name = Some("季卡".into());
    assert_eq!(
        code_of(storage.create_template(changed, caller()).await),
        "IDEMPOTENT_ERROR"
    );
    // basic_config.partner_id must be the caller's.
    assert_eq!(
        code_of(
            storage
                .create_template(template_cmd("TPL-2", OTHER_PARTNER), caller())
                .await
        ),
        "REQUEST_ACCESS_ILLEGAL"
    );

    let q = ValidTemplateQuery {
        partner_id: PARTNER.into(),
        template_no: created.template_no.clone(),
    };
    let blocks = storage.template_query(q, caller()).await.unwrap();
    let basic = blocks.basic_config.unwrap();
    assert_eq!(
        basic.template_no.as_deref(),
        Some(created.template_no.as_str())
    );
    assert_eq!(basic.template_name.as_deref(), Some("月卡"));
    assert_eq!(
        blocks.open_config.unwrap().period_mode.as_deref(),
        Some("ABSOLATE_DATE")
    );
    assert!(blocks.quit_config.is_some());

    // An agreement signed under it gets its freeze amount and period (3 days, counting today).
    let no = signed(&storage, "PO-T", &created.template_no).await;
    let s = storage.signed_agreement(&no).await.unwrap().unwrap();
    assert_eq!(s.freeze_amount, Fen(500));
    assert_eq!(s.agreement.end_time, t("2024-06-03 23:59:59"));
}

async fn templates_of_other_merchants_read_as_missing(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let theirs = storage
        .create_template(
            template_cmd("TPL-X", OTHER_PARTNER),
            caller_for(ISV_APP, OTHER_PARTNER),
        )
        .await
        .unwrap();
    let q = |no: &str| ValidTemplateQuery {
        partner_id: PARTNER.into(),
        template_no: no.into(),
    };
    let foreign = rejection_of(
        storage
            .template_query(q(&theirs.template_no), caller())
            .await,
    );
    let missing = rejection_of(storage.template_query(q("NO_SUCH"), caller()).await);
    assert_eq!(foreign.code.as_str(), "TEMPLATE_NOT_EXIST");
    assert_eq!(missing.code.as_str(), "TEMPLATE_NOT_EXIST");
    assert_eq!(
        foreign.sub_msg.replace(&theirs.template_no, "X"),
        missing.sub_msg.replace("NO_SUCH", "X")
    );
    // Nor can a preorder use it.
    assert_eq!(
        code_of(
            storage
                .create_preorder(preorder_cmd("PO-X", &theirs.template_no), caller())
                .await
        ),
        "TEMPLATE_NOT_EXIST"
    );
    // A configured template answers the blocks its configuration implies.
    let blocks = storage.template_query(q("T_DEC"), caller()).await.unwrap();
    let obligation = blocks.obligation_config.unwrap();
    assert_eq!(obligation.obligation_times.as_deref(), Some("5"));
    assert_eq!(obligation.obligation_amount.as_deref(), Some("100.00"));
    assert_eq!(
        blocks.open_config.unwrap().period_time.as_deref(),
        Some("30")
    );
}

async fn pre_consult_answers_admittance(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let consult = |user_id: &str, template: &str| ValidPreConsult {
        partner_id: PARTNER.into(),
        template_id: template.into(),
        user: UserRef {
            user_id: Some(user_id.into()),
            open_id: None,
        },
        phone: None,
        query_level: None,
    };
    let ok = storage
        .pre_consult(consult(USER, "T_DEC"), caller())
        .await
        .unwrap();
    assert_eq!(ok.admittance, Some(true));
    assert_eq!(ok.alipay_user_id.as_deref(), Some(USER));
    let barred = storage
        .pre_consult(consult(BARRED_USER, "T_DEC"), caller())
        .await
        .unwrap();
    assert_eq!(barred.admittance, Some(false));
    assert_eq!(
        code_of(
            storage
                .pre_consult(consult(USER, "NO_SUCH"), caller())
                .await
        ),
        "TEMPLATE_NOT_EXIST"
    );
    // A barred user cannot get a preorder either; nothing is stored.
    let mut cmd = preorder_cmd("PO-B", "T_DEC");
    cmd.user.user_id = Some(BARRED_USER.into());
    assert_eq!(
        code_of(storage.create_preorder(cmd.clone(), caller()).await),
        "EASY_MEMBER_CONSULT_FAIL"
    );
    cmd.user.user_id = Some(USER.into());
    assert!(
        !storage
            .create_preorder(cmd, caller())
            .await
            .unwrap()
            .replayed
    );
}

fn close_cmd(key: &str) -> ValidBizoptClose {
    ValidBizoptClose {
        partner_id: PARTNER.into(),
        out_request_no: key.into(),
        template_id: None,
        user: UserRef::default(),
    }
}

async fn a_preorder_closes_once_and_never_after_signing(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let p = storage
        .create_preorder(preorder_cmd("PO-1", "T_DEC"), caller())
        .await
        .unwrap();
    let closed = storage
        .close_preorder(close_cmd("PO-1"), caller())
        .await
        .unwrap();
    assert_eq!(closed.preorder_no, p.preorder_no);
    let again = storage
        .close_preorder(close_cmd("PO-1"), caller())
        .await
        .unwrap();
    assert_eq!(again.to_response(), closed.to_response());
    // A closed preorder cannot be signed.
    let sign = ValidAgreementSign {
        partner_id: PARTNER.into(),
        preorder_no: p.preorder_no.clone(),
        user: user(),
    };
    assert_eq!(
        code_of(storage.sign_preorder(sign, caller()).await),
        "PREORDER_STATUS_ILLEGAL"
    );
    // A signed one cannot be closed.
    signed(&storage, "PO-2", "T_DEC").await;
    assert_eq!(
        code_of(storage.close_preorder(close_cmd("PO-2"), caller()).await),
        "PREORDER_STATUS_ILLEGAL"
    );
    // Unknown, another template, another merchant: not found alike.
    assert_eq!(
        code_of(storage.close_preorder(close_cmd("PO-404"), caller()).await),
        "PREORDER_NOT_EXIST"
    );
    let mut wrong_template = close_cmd("PO-1");
    wrong_template.template_id = Some("T_BOUND".into());
    assert_eq!(
        code_of(storage.close_preorder(wrong_template, caller()).await),
        "PREORDER_NOT_EXIST"
    );
    let mut foreign = close_cmd("PO-1");
    foreign.partner_id = OTHER_PARTNER.into();
    assert_eq!(
        code_of(
            storage
                .close_preorder(foreign, caller_for(ISV_APP, OTHER_PARTNER))
                .await
        ),
        "PREORDER_NOT_EXIST"
    );
    // An expired preorder still closes (ours).
    storage
        .create_preorder(preorder_cmd("PO-3", "T_DEC"), caller())
        .await
        .unwrap();
    let later = Caller {
        business_now: now() + Duration::hours(1),
        ..caller()
    };
    storage
        .close_preorder(close_cmd("PO-3"), later)
        .await
        .unwrap();
}

async fn unsign_moves_y_to_p_once(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let no = signed(&storage, "PO-1", "T_DEC").await;
    let first = storage
        .unsign_agreement(unsign_cmd(&no, QuitType::UserCancelQuit), caller())
        .await
        .unwrap();
    assert!(first.withhold_plan_no.starts_with("20240601"));
    let a = storage.agreement(&no).await.unwrap().unwrap();
    assert_eq!(a.status, AgreementStatus::Invalidating);
    let quit = a.quit.unwrap();
    assert_eq!(quit.withhold_plan_no, first.withhold_plan_no);
    assert_eq!(quit.quit_type, "USER_CANCEL_QUIT");
    let again = storage
        .unsign_agreement(unsign_cmd(&no, QuitType::UserCancelQuit), caller())
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(
        code_of(
            storage
                .unsign_agreement(unsign_cmd(&no, QuitType::SettleApplyQuit), caller())
                .await
        ),
        "AGREEMENT_STATUS_ILLEGAL"
    );
    // N and unknown/foreign agreements.
    assert_eq!(
        code_of(
            storage
                .unsign_agreement(
                    unsign_cmd(INVALID_AGREEMENT, QuitType::UserCancelQuit),
                    caller()
                )
                .await
        ),
        "AGREEMENT_STATUS_ILLEGAL"
    );
    assert_eq!(
        code_of(
            storage
                .unsign_agreement(
                    unsign_cmd(FOREIGN_AGREEMENT, QuitType::UserCancelQuit),
                    caller()
                )
                .await
        ),
        "EASY_MEMBER_CONSULT_FAIL"
    );
    // An expired agreement (P by EXPIRE_QUIT) is not unsigned again.
    let expired = signed(&storage, "PO-2", "T_DEC").await;
    storage
        .expire_due(now() + Duration::days(31))
        .await
        .unwrap();
    let r = rejection_of(
        storage
            .unsign_agreement(unsign_cmd(&expired, QuitType::UserCancelQuit), caller())
            .await,
    );
    assert_eq!(r.code.as_str(), "AGREEMENT_STATUS_ILLEGAL");
    assert!(r.sub_msg.contains("EXPIRE_QUIT"), "{}", r.sub_msg);
    assert!(storage.verify_invariants().await.unwrap().is_ok());
}

async fn unsign_and_settle_racing_end_consistently(backend: Backend) {
    let (db, storage) = open(backend).await;
    let second = Arc::new(db.open().await);
    for round in 0..8 {
        let no = signed(&storage, &format!("PO-{round}"), "T_DEC").await;
        let settle = settle_cmd(json!({
            "agreement_id": no, "partner_id": PARTNER, "out_request_no": format!("S-{round}"),
            "withhold_plan_no": format!("W-{round}"), "pay_amount": "1.00",
            "total_real_pay_amount": "0.00", "total_discount_amount": "0.00", "total_task_count": "0"
        }));
        let (a, b) = (Arc::clone(&storage), Arc::clone(&second));
        let unsign = unsign_cmd(&no, QuitType::UserCancelQuit);
        let (u, s) = if round % 2 == 0 {
            let u = tokio::spawn(async move { a.unsign_agreement(unsign, caller()).await });
            let s = tokio::spawn(async move { b.apply_settlement(settle, caller()).await });
            (u.await.unwrap(), s.await.unwrap())
        } else {
            let s = tokio::spawn(async move { b.apply_settlement(settle, caller()).await });
            let u = tokio::spawn(async move { a.unsign_agreement(unsign, caller()).await });
            (u.await.unwrap(), s.await.unwrap())
        };
        let end = storage.agreement(&no).await.unwrap().unwrap();
        match (u, s) {
            // Unsign first: the quit is recorded; the settlement after it either went through
            // (N, quit kept) or was refused for the plan (still P).
            (Ok(unsigned), settled) => {
                let quit = end.quit.clone().expect("unsign recorded its quit");
                assert_eq!(quit.withhold_plan_no, unsigned.withhold_plan_no);
                match settled {
                    Ok(_) => assert_eq!(end.status, AgreementStatus::Invalid),
                    Err(e) => {
                        assert_eq!(code_of::<()>(Err(e)), "WITHHOLD_PLAN_NO_ILLEGAL");
                        assert_eq!(end.status, AgreementStatus::Invalidating);
                    }
                }
            }
            // Settlement first: N without a quit, and unsign refused.
            (Err(e), Ok(_)) => {
                assert_eq!(code_of::<()>(Err(e)), "AGREEMENT_STATUS_ILLEGAL");
                assert_eq!(end.status, AgreementStatus::Invalid);
                assert!(end.quit.is_none(), "{end:?}");
            }
            (u, s) => panic!("both refused: {u:?} {s:?}"),
        }
    }
    assert!(storage.verify_invariants().await.unwrap().is_ok());
}
