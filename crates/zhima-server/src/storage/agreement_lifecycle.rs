//! The agreement lifecycle's write side, once for every engine (PRODUCT §11): each command is
//! load → the domain's pure `decide` → write, as a function over `&mut dyn WriteTx` that runs
//! inside one write transaction — so another command (the `sign.apply` page's consent) can
//! call it inside its own job. Like `commands`, these may run more than once per request (an
//! engine retries after a lost race) and only read their arguments.

use crate::domain::entities::Caller;
use crate::domain::ids;
use crate::domain::preorder::{
    self, PreorderCmd, PreorderDecision, PreorderReceipt, PreorderSnapshot,
};
use crate::domain::sign::{self, SignCmd, SignDecision, SignReceipt, SignSnapshot};
use crate::error::Result;

use super::engine::WriteTx;

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
        SignDecision::Replay(r) => Ok(r),
        SignDecision::Reject(r) => Err(r.into()),
        SignDecision::Sign(s) => {
            tx.record_signing(&s)?;
            Ok(SignReceipt {
                replayed: false,
                signed: *s,
            })
        }
    }
}
