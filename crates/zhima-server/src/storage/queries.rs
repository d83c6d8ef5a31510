//! The read side composed from row reads, once for every engine: each function runs inside one
//! read transaction ([`ReadJob`](crate::storage::ReadJob)); the domain decides access and shape.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::entities::{Agreement, Caller};
use crate::domain::invariants::{self, InvariantReport};
use crate::domain::ledger::{AgreementTotals, LedgerEvent};
use crate::domain::query::{
    self, AgreementQuery, AgreementSelector, CumulateQuery, CumulateSummary, Page,
};
use crate::error::Result;

use super::reads::ReadTx;

/// `cumulate.query`: access check, the totals row, and one page of events when `need_detail`.
pub(crate) fn cumulate_query(
    tx: &mut dyn ReadTx,
    q: CumulateQuery,
    caller: &Caller,
) -> Result<CumulateSummary> {
    let agreement = tx.agreement(&q.agreement_id)?;
    query::check_cumulate_access(&q, caller, agreement.as_ref())?;
    let totals = tx.totals(&q.agreement_id, false)?;
    let page = Page::of_query(&q);
    let details = if q.need_detail {
        Some(tx.events_page(&q.agreement_id, page)?)
    } else {
        None
    };
    Ok(CumulateSummary {
        agreement_no: q.agreement_id,
        totals,
        page,
        details,
    })
}

/// `agreement.query`: the candidates by number or by user, then the domain picks.
pub(crate) fn agreement_query(
    tx: &mut dyn ReadTx,
    q: &AgreementQuery,
    caller: &Caller,
) -> Result<Agreement> {
    let candidates = match &q.selector {
        AgreementSelector::AgreementId(no) => tx.agreement(no)?.into_iter().collect(),
        AgreementSelector::User {
            alipay_user_id,
            open_id,
        } => tx.agreements_of_user(alipay_user_id.as_deref(), open_id.as_deref())?,
    };
    Ok(query::pick_agreement(q, caller, &candidates)?.clone())
}

/// An agreement's totals (with breakdown) and a page of its events, newest first.
pub(crate) fn ledger(
    tx: &mut dyn ReadTx,
    agreement_no: &str,
    page: Page,
) -> Result<(AgreementTotals, Vec<LedgerEvent>)> {
    Ok((
        tx.totals(agreement_no, true)?,
        tx.events_page(agreement_no, page)?,
    ))
}

/// Loads every event and the stored totals of every agreement that has events or a totals
/// row, and lets the domain check the invariants.
pub(crate) fn verify_invariants(tx: &mut dyn ReadTx) -> Result<InvariantReport> {
    let events = tx.all_events()?;
    let mut agreements: BTreeSet<String> = events.iter().map(|e| e.agreement_no.clone()).collect();
    agreements.extend(tx.agreements_with_totals()?);
    let mut stored = BTreeMap::new();
    for agreement_no in agreements {
        let totals = tx.totals(&agreement_no, true)?;
        stored.insert(agreement_no, totals);
    }
    let mut report = invariants::verify(&events, &stored);
    invariants::verify_money(&tx.money_balances()?, &mut report);
    Ok(report)
}
