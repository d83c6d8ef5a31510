//! The lifecycle's money commands, once for every engine (like `commands`): load → the
//! domain's pure `decide` → write. Run as write jobs, so they may run more than once per
//! request and only read their arguments.

use crate::domain::entities::Caller;
use crate::domain::ids;
use crate::domain::ledger::LedgerEvent;
use crate::domain::merchant_sync::{self, MerchantSyncCmd, MerchantSyncDecision};
use crate::domain::settle_refund::{self, RefundCmd, RefundDecision, SettlementRefund};
use crate::domain::settle_unfreeze::{self, Unfreeze, UnfreezeCmd, UnfreezeDecision};
use crate::error::Result;

use super::engine::WriteTx;
use super::outbox;
use crate::domain::notify;

/// `settle.refund`: record a refund within the settlement's remaining `pay_amount`.
pub(crate) fn refund_settlement(
    tx: &mut dyn WriteTx,
    cmd: &RefundCmd,
    caller: &Caller,
) -> Result<SettlementRefund> {
    let snap = tx.load_refund(cmd)?;
    let opt_no = ids::refund_opt_no(&caller.business_now);
    match settle_refund::decide(cmd, caller, &snap, &opt_no) {
        RefundDecision::Replay(r) => Ok(r),
        RefundDecision::Reject(r) => Err(r.into()),
        RefundDecision::Refund(r) => {
            tx.record_refund(&r)?;
            outbox::emit(
                tx,
                notify::refunded(&r),
                Some(&caller.app_id),
                caller.notify_url.as_deref(),
                &caller.business_now,
            )?;
            Ok(*r)
        }
    }
}

/// `zhima.merchant.zmgo.cumulate.sync`: the event (and totals delta) in the shared ledger.
pub(crate) fn merchant_sync(
    tx: &mut dyn WriteTx,
    cmd: &MerchantSyncCmd,
    caller: &Caller,
) -> Result<LedgerEvent> {
    let snap = tx.load_merchant_sync(cmd)?;
    match merchant_sync::decide(cmd, caller, &snap) {
        MerchantSyncDecision::Replay(e) => Ok(*e),
        MerchantSyncDecision::Reject(r) => Err(r.into()),
        MerchantSyncDecision::Append(a) => {
            let seq = tx.append_cumulation(&a)?;
            Ok(LedgerEvent { seq, ..a.event })
        }
    }
}

/// `settle.unfreeze`: record a release within the agreement's remaining frozen amount.
pub(crate) fn unfreeze(
    tx: &mut dyn WriteTx,
    cmd: &UnfreezeCmd,
    caller: &Caller,
) -> Result<Unfreeze> {
    let snap = tx.load_unfreeze(cmd)?;
    match settle_unfreeze::decide(cmd, caller, &snap) {
        UnfreezeDecision::Replay(u) => Ok(u),
        UnfreezeDecision::Reject(r) => Err(r.into()),
        UnfreezeDecision::Unfreeze(u) => {
            tx.record_unfreeze(&u)?;
            outbox::emit(
                tx,
                notify::unfrozen(&u),
                Some(&caller.app_id),
                caller.notify_url.as_deref(),
                &caller.business_now,
            )?;
            Ok(*u)
        }
    }
}
