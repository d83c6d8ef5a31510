//! The write side, once for every engine: each command is load → the domain's pure `decide` →
//! write the decision, run as one [`WriteJob`](crate::storage::WriteJob). A replay or a
//! rejection writes nothing. These functions may run more than once per request (an engine
//! retries after a conflict), so they only read their arguments.

use crate::domain::cumulation::{self, CumulationCmd, CumulationDecision, CumulationReceipt};
use crate::domain::entities::Caller;
use crate::domain::settle::{self, SettleCmd, SettleDecision, SettleReceipt};
use crate::domain::state_sync::{
    self, CheckedStateSync, StateDecision, StateMachines, StateSyncReceipt,
};
use crate::error::Result;

use super::engine::WriteTx;
use super::outbox;
use crate::domain::notify;

/// `cumulation.sync`: rules 2–6, then the event and its totals delta.
pub(crate) fn sync_cumulation(
    tx: &mut dyn WriteTx,
    cmd: &CumulationCmd,
    caller: &Caller,
) -> Result<CumulationReceipt> {
    let snap = tx.load_cumulation(cmd)?;
    match cumulation::decide(cmd, caller, &snap) {
        CumulationDecision::Replay(receipt) => Ok(receipt),
        CumulationDecision::Reject(r) => Err(r.into()),
        CumulationDecision::Append(append) => {
            let seq = tx.append_cumulation(&append)?;
            Ok(CumulationReceipt {
                seq,
                ..CumulationReceipt::of(&append.event, false)
            })
        }
    }
}

/// `state.data.sync` after its configuration checks ([`StateMachines::precheck`]): checks
/// 8–9, then the instance move and the event.
pub(crate) fn sync_state(
    tx: &mut dyn WriteTx,
    checked: &CheckedStateSync,
    machines: &StateMachines,
    caller: &Caller,
) -> Result<StateSyncReceipt> {
    let cmd = &checked.cmd;
    let mut snap = tx.load_state_sync(cmd)?;
    if snap.existing.is_none() {
        if let Some(i) = &snap.instance {
            snap.current_next =
                machines.next_of(&cmd.service_id, &cmd.category_code, &i.current_state);
        }
    }
    match state_sync::decide(checked, &snap) {
        StateDecision::Replay(receipt) => Ok(receipt),
        StateDecision::Reject(r) => Err(r.into()),
        StateDecision::Transition(t) => {
            let written = tx.write_transition(checked, &t, caller)?;
            Ok(StateSyncReceipt {
                replayed: false,
                event_seq: written.event_seq,
                instance_id: written.instance_id,
                from_state: t.from_state,
                to_state: t.to_state,
            })
        }
    }
}

/// `settle.apply`: record the settlement and set the agreement to `N`.
pub(crate) fn apply_settlement(
    tx: &mut dyn WriteTx,
    cmd: &SettleCmd,
    caller: &Caller,
) -> Result<SettleReceipt> {
    let snap = tx.load_settlement(cmd)?;
    match settle::decide(cmd, caller, &snap) {
        SettleDecision::Replay(receipt) => Ok(receipt),
        SettleDecision::Reject(r) => Err(r.into()),
        SettleDecision::Settle(s) => {
            tx.record_settlement(&s)?;
            outbox::emit(
                tx,
                notify::settled(&s),
                Some(&caller.app_id),
                caller.notify_url.as_deref(),
                &caller.business_now,
            )?;
            Ok(SettleReceipt::of(&s, false))
        }
    }
}
