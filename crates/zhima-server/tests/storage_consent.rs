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
        request: format!(r#"{{"partner_id":"{PARTNER}","template_id":"T_DEC"}}"#),
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
                r#"{{"partner_id":"{PARTNER}","template_id":"T_DEC","freeze_amount":"12.30"}}"#
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
                r#"{{"partner_id":"{PARTNER}","template_id":"NOPE"}}"#
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
                r#"{{"partner_id":"{OTHER_PARTNER}","template_id":"T_DEC"}}"#
            )),
            caller(),
        )
        .await;
    assert_eq!(code_of(foreign), "REQUEST_ACCESS_ILLEGAL");
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
);
