//! The agreement lifecycle's write side, once for every engine (PRODUCT §11): each command is
//! load → the domain's pure `decide` → write, as a function over `&mut dyn WriteTx` that runs
//! inside one write transaction — so another command (the `sign.apply` page's consent) can
//! call it inside its own job. Like `commands`, these may run more than once per request (an
//! engine retries after a lost race) and only read their arguments.

use crate::domain::close::{self, CloseCmd, CloseDecision, CloseReceipt};
use crate::domain::entities::Caller;
use crate::domain::ids;
use crate::domain::preorder::{
    self, PreorderCmd, PreorderDecision, PreorderReceipt, PreorderSnapshot,
};
use crate::domain::sign::{self, SignCmd, SignDecision, SignReceipt, SignSnapshot};
use crate::domain::template::{self, TemplateCreateCmd, TemplateCreated, TemplateDecision};
use crate::domain::unsign::{self, UnsignCmd, UnsignDecision, UnsignReceipt};
use crate::error::{Error, Result};

use super::engine::WriteTx;
use super::outbox;
use crate::domain::notify;

/// `preorder.create`: a `WAIT_SIGN` preorder, or the stored one again.
pub fn create_preorder(
    tx: &mut dyn WriteTx,
    cmd: &PreorderCmd,
    caller: &Caller,
) -> Result<PreorderReceipt> {
    let existing = tx.preorder_by_key(&cmd.partner_id, &cmd.out_request_no)?;
    let snap = if existing.is_some() {
        PreorderSnapshot {
            existing,
            ..Default::default()
        }
    } else {
        PreorderSnapshot {
            existing: None,
            template: tx.template_terms(&cmd.template_id)?,
            admitted: match &cmd.user.user_id {
                Some(u) => tx.user_admitted(u)?,
                None => None,
            },
        }
    };
    let no = ids::preorder_no(&caller.business_now);
    match preorder::decide(cmd, caller, &snap, no) {
        PreorderDecision::Replay(r) => Ok(r),
        PreorderDecision::Reject(r) => Err(r.into()),
        PreorderDecision::Create(p) => {
            tx.insert_preorder(&p)?;
            Ok(PreorderReceipt::of(&p, false))
        }
    }
}

/// `agreement.sign` (and the `sign.apply` page's consent): the preorder's agreement, created
/// now or signed before.
pub fn sign_preorder(tx: &mut dyn WriteTx, cmd: &SignCmd, caller: &Caller) -> Result<SignReceipt> {
    let preorder = tx.preorder(&cmd.preorder_no)?;
    let (signed, template) = match &preorder {
        Some(p) => (
            tx.signed_agreement_of(&p.preorder_no)?,
            tx.template_terms(&p.template_no)?,
        ),
        None => (None, None),
    };
    let snap = SignSnapshot {
        preorder,
        signed,
        template,
    };
    let no = ids::agreement_no(&caller.business_now);
    match sign::decide(cmd, caller, &snap, no) {
        SignDecision::Replay(r) => Ok(*r),
        SignDecision::Reject(r) => Err(r.into()),
        SignDecision::Sign(s) => {
            tx.record_signing(&s)?;
            outbox::emit(
                tx,
                notify::signed(&s),
                Some(&caller.app_id),
                caller.notify_url.as_deref(),
                &caller.business_now,
            )?;
            Ok(SignReceipt {
                replayed: false,
                signed: *s,
            })
        }
    }
}

/// `template.create`: a new template owned by the caller's partner, or the stored one again.
pub fn create_template(
    tx: &mut dyn WriteTx,
    cmd: &TemplateCreateCmd,
    caller: &Caller,
) -> Result<TemplateCreated> {
    let existing = tx.template_by_key(&cmd.partner_id, &cmd.out_biz_no)?;
    let no = ids::template_no(&caller.business_now);
    match template::decide_create(cmd, caller, existing.as_ref(), no) {
        TemplateDecision::Replay(template_no) => Ok(TemplateCreated {
            template_no,
            replayed: true,
        }),
        TemplateDecision::Reject(r) => Err(r.into()),
        TemplateDecision::Create(t) => {
            tx.insert_template(&t)?;
            Ok(TemplateCreated {
                template_no: t.template.template_no.clone(),
                replayed: false,
            })
        }
    }
}

/// `bizopt.close`: the preorder under the key closed now, or its earlier closing again.
pub fn close_preorder(
    tx: &mut dyn WriteTx,
    cmd: &CloseCmd,
    caller: &Caller,
) -> Result<CloseReceipt> {
    let found = tx.preorder_by_key(&cmd.partner_id, &cmd.out_request_no)?;
    // Locked (a multi-process engine), so a signing cannot slip between load and close.
    let preorder = match found {
        Some(p) => tx.preorder(&p.preorder_no)?,
        None => None,
    };
    let no = ids::alipay_no(&caller.business_now, 20, ids::random());
    match close::decide(cmd, caller, preorder.as_ref(), no) {
        CloseDecision::Replay(r) => Ok(r),
        CloseDecision::Reject(r) => Err(r.into()),
        CloseDecision::Close(r, at) => {
            if !tx.close_preorder(&r.preorder_no, &r.biz_opt_no, &at)? {
                return Err(Error::internal(
                    "a locked WAIT_SIGN preorder changed status",
                ));
            }
            Ok(r)
        }
    }
}

/// `agreement.unsign`: `Y` → `P` with a new `withhold_plan_no` through the same
/// `record_quit` as expiry, or the earlier unsign's answer again.
pub fn unsign(tx: &mut dyn WriteTx, cmd: &UnsignCmd, caller: &Caller) -> Result<UnsignReceipt> {
    let agreement = tx.lock_agreement(&cmd.agreement_id)?;
    match unsign::decide(cmd, caller, agreement.as_ref(), ids::random()) {
        UnsignDecision::Replay(r) => Ok(r),
        UnsignDecision::Reject(r) => Err(r.into()),
        UnsignDecision::Quit(r, quit) => {
            if !tx.record_quit(&r.agreement_no, &quit)? {
                return Err(Error::internal("a locked Y agreement changed status"));
            }
            if let Some(a) = &agreement {
                outbox::emit(
                    tx,
                    notify::quit(a, &quit),
                    Some(&caller.app_id),
                    caller.notify_url.as_deref(),
                    &caller.business_now,
                )?;
            }
            Ok(r)
        }
    }
}
