//! The sandbox clock and agreement expiry, once for every engine (PRODUCT §11): advance the
//! stored offset; load the due agreements → the domain's [`expiry::decide`] → record each
//! quit only while the agreement is still `Y`. Run as write jobs, so (like `commands`) these
//! may run more than once per call and only read their arguments.

use crate::domain::clock::{Advance, MAX_OFFSET_MS};
use crate::domain::entities::Time;
use crate::domain::expiry::{self, Expiry, SWEEP_BATCH};
use crate::error::Result;

use super::engine::WriteTx;
use super::outbox;
use crate::domain::notify;

/// Adds `advance` to the stored offset; the new offset, or `None` when it would pass
/// [`MAX_OFFSET_MS`].
pub(crate) fn advance_clock(tx: &mut dyn WriteTx, advance: Advance) -> Result<Option<i64>> {
    tx.advance_clock(advance.ms, MAX_OFFSET_MS)
}

/// One batch of expiries at business time `now`: the quits this transaction wrote, and
/// whether the batch was full (more may be due).
pub(crate) fn expire_batch(tx: &mut dyn WriteTx, now: &Time) -> Result<(Vec<Expiry>, bool)> {
    let due = tx.load_due_agreements(now, SWEEP_BATCH)?;
    let full = due.len() as i64 >= SWEEP_BATCH;
    let decided = expiry::decide(&due, now, |_| {
        expiry::withhold_plan_no(now, uuid::Uuid::new_v4().as_u128())
    });
    let mut written = Vec::with_capacity(decided.len());
    for e in decided {
        if tx.record_quit(&e.agreement_no, &e.quit)? {
            // Nobody asked for this change: the agreement's own app hears of it.
            if let Some(a) = due.iter().find(|a| a.agreement_no == e.agreement_no) {
                outbox::emit(tx, notify::quit(a, &e.quit), a.app_id.as_deref(), None, now)?;
            }
            written.push(e);
        }
    }
    Ok((written, full))
}
