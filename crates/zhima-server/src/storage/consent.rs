//! The sign.apply page's storage steps, once for every engine (PRODUCT §11, §13): the
//! page's subject (a read), minting a consent (a write), and confirming it — load the
//! consent → [`consent::decide_use`] → mark it used → sign, all in one write transaction, so a
//! token signs at most once; or declining it (暂不签约): the same check, the token marked used,
//! nothing signed.

use zhima_proto::models::{self, ZhimaCreditPeZmgoSignApplyModel};
use zhima_proto::validate::{validate_sign_apply, ValidSignApply};

use crate::domain::consent::{self, ConsentRefusal, SignConsent, SignSubject};
use crate::domain::entities::{Caller, Time};
use crate::domain::preorder::PreorderCmd;
use crate::domain::sign::SignCmd;
use crate::error::{Error, Result};

use super::agreement_lifecycle;
use super::engine::WriteTx;
use super::handle::Storage;

/// What a confirmed consent did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    /// Where the browser goes next, if the merchant named a `return_url`.
    pub return_url: Option<String>,
    /// The agreement signed.
    pub agreement_no: String,
}

/// What a declined consent leaves: where the browser goes back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declined {
    /// The merchant's `return_url`, if it named one.
    pub return_url: Option<String>,
}

impl Storage {
    /// What the signing page shows for `cmd` (rule order of [`consent::subject`]).
    pub async fn sign_subject(&self, cmd: ValidSignApply, caller: Caller) -> Result<SignSubject> {
        self.read(move |tx| {
            let preorder = match &cmd.preorder_no {
                Some(no) => tx.consent_preorder(no)?,
                None => None,
            };
            let template_no = preorder
                .as_ref()
                .map(|p| p.template_no.clone())
                .or_else(|| cmd.template_id.clone());
            let template = match template_no {
                Some(no) => tx.consent_template(&no)?,
                None => None,
            };
            consent::subject(&cmd, &caller, preorder.as_ref(), template.as_ref())
                .map_err(Error::Rejected)
        })
        .await
    }

    /// Stores a rendered page's consent.
    pub async fn mint_consent(&self, consent: SignConsent) -> Result<()> {
        self.write(move |tx| tx.insert_consent(&consent)).await
    }

    /// Uses the consent whose token hashes to `token_hash` at real time `now` (business time
    /// `business_now`) and signs, in one transaction. `Ok(Err(_))`: the token cannot be used
    /// (nothing written); `Err(Rejected)`: signing refused (the token stays unused).
    pub async fn confirm_consent(
        &self,
        token_hash: String,
        now: Time,
        business_now: Time,
    ) -> Result<std::result::Result<Confirmed, ConsentRefusal>> {
        let out = self
            .write(move |tx| confirm(tx, &token_hash, &now, &business_now))
            .await;
        self.wake_outbox();
        out
    }

    /// Declines (暂不签约) the consent whose token hashes to `token_hash` at real time `now`:
    /// the token is spent and nothing is signed; the preorder stays as it was, so the merchant
    /// may offer signing again. `Ok(Err(_))`: the token cannot be used (nothing written).
    pub async fn decline_consent(
        &self,
        token_hash: String,
        now: Time,
    ) -> Result<std::result::Result<Declined, ConsentRefusal>> {
        self.write(move |tx| decline(tx, &token_hash, &now)).await
    }
}

/// The decline job: the consent's own checks, then the token is spent without signing.
fn decline(
    tx: &mut dyn WriteTx,
    token_hash: &str,
    now: &Time,
) -> Result<std::result::Result<Declined, ConsentRefusal>> {
    let now_ms = consent::ms(now);
    let stored = tx.load_consent(token_hash)?;
    if let Err(refusal) = consent::decide_use(stored.as_ref(), now_ms) {
        return Ok(Err(refusal));
    }
    let c = stored.ok_or_else(|| Error::internal("consent vanished after its check"))?;
    if !tx.use_consent(token_hash, now_ms)? {
        return Ok(Err(ConsentRefusal::Used));
    }
    Ok(Ok(Declined {
        return_url: c.return_url,
    }))
}

/// The confirm job (may run more than once: reads only its arguments).
fn confirm(
    tx: &mut dyn WriteTx,
    token_hash: &str,
    now: &Time,
    business_now: &Time,
) -> Result<std::result::Result<Confirmed, ConsentRefusal>> {
    let now_ms = consent::ms(now);
    let stored = tx.load_consent(token_hash)?;
    if let Err(refusal) = consent::decide_use(stored.as_ref(), now_ms) {
        return Ok(Err(refusal));
    }
    let c = stored.ok_or_else(|| Error::internal("consent vanished after its check"))?;
    if !tx.use_consent(token_hash, now_ms)? {
        return Ok(Err(ConsentRefusal::Used));
    }
    let cmd = stored_request(&c)?;
    let caller = Caller {
        app_id: c.app_id.clone(),
        partner_id: c.partner_id.clone(),
        now: *now,
        business_now: *business_now,
        notify_url: None,
    };
    let agreement_no = sign(tx, &cmd, &caller)?;
    Ok(Ok(Confirmed {
        return_url: c.return_url,
        agreement_no,
    }))
}

/// The sign.apply request the page was rendered for, validated again (validation is pure, so
/// it yields the command the page showed).
fn stored_request(c: &SignConsent) -> Result<ValidSignApply> {
    let model: ZhimaCreditPeZmgoSignApplyModel = models::from_json(&c.request)
        .map_err(|e| Error::internal(format!("stored sign.apply request: {e}")))?;
    validate_sign_apply(&model).map_err(Error::from)
}

/// Signs what the page showed with the signing core's own jobs (their rules, their order):
/// the named preorder; or, for a template + `out_request_no`, the preorder created (or found
/// again, idempotently) for them first.
fn sign(tx: &mut dyn WriteTx, cmd: &ValidSignApply, caller: &Caller) -> Result<String> {
    let preorder_no = match (&cmd.preorder_no, &cmd.template_id, &cmd.out_request_no) {
        (Some(no), _, _) => no.clone(),
        (None, Some(template_id), Some(out_request_no)) => {
            let create = PreorderCmd {
                partner_id: cmd.partner_id.clone(),
                template_id: template_id.clone(),
                out_request_no: out_request_no.clone(),
                user: cmd.user.clone(),
                biz_time: None,
                freeze_amount: cmd.freeze_amount,
                timeout_secs: cmd.timeout_secs,
                partner_user_identifier: None,
                isv_pid: None,
            };
            agreement_lifecycle::create_preorder(tx, &create, caller)?.preorder_no
        }
        // (validation guarantees a preorder_no or a template_id)
        (None, _, None) | (None, None, _) => {
            return Err(Error::Rejected(consent::missing_out_request_no()))
        }
    };
    let sign = SignCmd {
        partner_id: cmd.partner_id.clone(),
        preorder_no,
        user: cmd.user.clone(),
    };
    let receipt = agreement_lifecycle::sign_preorder(tx, &sign, caller)?;
    Ok(receipt.signed.agreement.agreement_no)
}
