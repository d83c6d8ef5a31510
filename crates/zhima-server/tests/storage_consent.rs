//! The sign.apply page's storage on both engines (PRODUCT §11, §13): what the page shows
//! (another merchant's template or preorder reads like a missing one) and the consent
//! tokens (unknown, expired and used tokens are refused and sign nothing).

mod storage_support;

use storage_support::*;
use zhima_proto::models::{self, ZhimaCreditPeZmgoSignApplyModel};
use zhima_proto::validate::{validate_sign_apply, ValidSignApply};
use zhima_server::domain::consent::{token_hash, ConsentRefusal, SignConsent};
use zhima_server::storage::Storage;

fn sign_cmd(json: &str) -> ValidSignApply {
    let m: ZhimaCreditPeZmgoSignApplyModel = models::from_json(json).unwrap();
    validate_sign_apply(&m).unwrap()
}

fn consent(token: &str, expires_ms: i64, used_ms: Option<i64>) -> SignConsent {
    SignConsent {
        token_hash: token_hash(token),
        app_id: APP.into(),
        partner_id: PARTNER.into(),
        request: format!(
            r#"{{"partner_id":"{PARTNER}","template_id":"T_DEC","out_request_no":"OR-{token}","alipay_user_id":"{OTHER_USER}"}}"#
        ),
        return_url: Some("https://m.example/back".into()),
        expires_ms,
        used_ms,
    }
}

async fn confirm(storage: &Storage, token: &str) -> Result<String, ConsentRefusal> {
    storage
        .confirm_consent(token_hash(token), now(), now())
        .await
        .unwrap()
        .map(|c| c.agreement_no)
}

async fn page_subject_follows_the_template_and_hides_other_merchants(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let ok = storage
        .sign_subject(
            sign_cmd(&format!(
                r#"{{"partner_id":"{PARTNER}","template_id":"T_DEC","out_request_no":"O1","freeze_amount":"12.30"}}"#
            )),
            caller(),
        )
        .await
        .unwrap();
    assert_eq!(ok.template_no, "T_DEC");
    assert_eq!(ok.name, "芝麻GO");
    assert_eq!(ok.freeze_amount.to_yuan_string(), "12.30");
    assert_eq!(ok.partner_id, PARTNER);

    let missing = storage
        .sign_subject(
            sign_cmd(&format!(
                r#"{{"partner_id":"{PARTNER}","template_id":"NOPE","out_request_no":"O1"}}"#
            )),
            caller(),
        )
        .await;
    assert_eq!(code_of(missing), "TEMPLATE_NOT_EXIST");
    let no_preorder = storage
        .sign_subject(
            sign_cmd(&format!(
                r#"{{"partner_id":"{PARTNER}","preorder_no":"PO_NONE"}}"#
            )),
            caller(),
        )
        .await;
    assert_eq!(code_of(no_preorder), "PREORDER_NOT_EXIST");
    // Acting for another merchant is refused before anything is looked up.
    let foreign = storage
        .sign_subject(
            sign_cmd(&format!(
                r#"{{"partner_id":"{OTHER_PARTNER}","template_id":"T_DEC","out_request_no":"O1"}}"#
            )),
            caller(),
        )
        .await;
    assert_eq!(code_of(foreign), "REQUEST_ACCESS_ILLEGAL");
    // A template without out_request_no has nothing to key its preorder on.
    let unkeyed = storage
        .sign_subject(
            sign_cmd(&format!(
                r#"{{"partner_id":"{PARTNER}","template_id":"T_DEC"}}"#
            )),
            caller(),
        )
        .await;
    assert_eq!(code_of(unkeyed), "REQUEST_PARAM_ILLEGAL");
}

async fn a_consent_signs_once_even_when_submitted_concurrently(backend: Backend) {
    let (db, storage) = open(backend).await;
    // A second handle on the same database: another process submitting the same form.
    let other = std::sync::Arc::new(db.open().await);
    let now_ms = now().timestamp_millis();
    storage
        .mint_consent(consent("race", now_ms + 60_000, None))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..10 {
        let s = if i % 2 == 0 {
            storage.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move { confirm(&s, "race").await }));
    }
    let mut signed = Vec::new();
    let mut used = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(no) => signed.push(no),
            Err(ConsentRefusal::Used) => used += 1,
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(signed.len(), 1, "{signed:?}");
    assert_eq!(used, 9);
    let a = storage
        .agreement(&signed[0])
        .await
        .unwrap()
        .expect("signed");
    assert_eq!(a.template_no, "T_DEC");
    assert_eq!(a.partner_id, PARTNER);
    assert_eq!(a.user_id.as_deref(), Some(OTHER_USER));
    // The user has exactly this one agreement with the merchant.
    let q = zhima_proto::validate::validate_agreement_query(
        &models::from_json(&format!(r#"{{"alipay_user_id":"{OTHER_USER}"}}"#)).unwrap(),
    )
    .unwrap();
    let found = storage.agreement_query(q, caller()).await.unwrap();
    assert_eq!(found.agreement_no, signed[0]);
    assert!(storage.verify_invariants().await.unwrap().is_ok());
}

async fn a_failed_signing_leaves_the_token_unused(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let now_ms = now().timestamp_millis();
    let mut c = consent("closed", now_ms + 60_000, None);
    c.request = format!(r#"{{"partner_id":"{PARTNER}","preorder_no":"PO_GONE"}}"#);
    storage.mint_consent(c).await.unwrap();
    let r = storage
        .confirm_consent(token_hash("closed"), now(), now())
        .await;
    assert_eq!(code_of(r), "PREORDER_NOT_EXIST");
    // Nothing was written: the same token is refused the same way, not as used.
    let r = storage
        .confirm_consent(token_hash("closed"), now(), now())
        .await;
    assert_eq!(code_of(r), "PREORDER_NOT_EXIST");
}

async fn unknown_expired_and_used_tokens_are_refused(backend: Backend) {
    let (_db, storage) = open(backend).await;
    let now_ms = now().timestamp_millis();
    assert_eq!(
        confirm(&storage, "never-issued").await,
        Err(ConsentRefusal::Unknown)
    );
    storage
        .mint_consent(consent("expired", now_ms - 1, None))
        .await
        .unwrap();
    assert_eq!(
        confirm(&storage, "expired").await,
        Err(ConsentRefusal::Expired)
    );
    // Refused twice the same way: an expired token is never marked used.
    assert_eq!(
        confirm(&storage, "expired").await,
        Err(ConsentRefusal::Expired)
    );
    storage
        .mint_consent(consent("used", now_ms + 60_000, Some(now_ms - 5)))
        .await
        .unwrap();
    assert_eq!(confirm(&storage, "used").await, Err(ConsentRefusal::Used));
    assert!(storage.verify_invariants().await.unwrap().is_ok());
}

on_both_backends!(
    page_subject_follows_the_template_and_hides_other_merchants,
    unknown_expired_and_used_tokens_are_refused,
    a_consent_signs_once_even_when_submitted_concurrently,
    a_failed_signing_leaves_the_token_unused,
);
