//! The operator's read contract (PRODUCT §14): listings and searches for the admin API, the
//! `/admin` console and `zhima admin`. A supertrait of [`ReadTx`](super::ReadTx), so every
//! read job reaches these; each engine implements it in its own file (`sqlite/admin.rs`,
//! `postgres/transaction/admin.rs`). Listings are keyset-paginated: the caller asks for
//! `limit` rows (the handle asks one more to learn whether a next page exists) after a cursor.

use crate::domain::admin::{
    AdminCounts, AgreementFilter, AuditRecord, AuditSearch, EventSearch, InstanceDetail,
    InstanceSearch, InstanceSummary, OutcomeCount,
};
use crate::domain::entities::{Agreement, AppAuthToken, Time};
use crate::domain::ledger::LedgerEvent;
use crate::domain::preorder::ZmgoUser;
use crate::domain::settle::Settlement;
use crate::domain::settle_refund::SettlementRefund;
use crate::domain::settle_unfreeze::Unfreeze;
use crate::error::Result;

/// Operator reads, each answering from the transaction's snapshot.
pub trait AdminReadTx {
    /// Row counts for the dashboard.
    fn admin_counts(&mut self) -> Result<AdminCounts>;

    /// Audited requests per outcome since `since`, most frequent first.
    fn audit_outcomes(&mut self, since: &Time) -> Result<Vec<OutcomeCount>>;

    /// App auth tokens (of one app, or all), by app then expiry. Callers show them as
    /// [`TokenView`](crate::domain::admin::TokenView)s only.
    fn app_auth_tokens(&mut self, app_id: Option<&str>) -> Result<Vec<AppAuthToken>>;

    /// Up to `limit` agreements matching `filter`, by agreement number.
    fn find_agreements(&mut self, filter: &AgreementFilter, limit: i64) -> Result<Vec<Agreement>>;

    /// The agreement's settlements, oldest first.
    fn settlements_of(&mut self, agreement_no: &str) -> Result<Vec<Settlement>>;

    /// Refunds of the agreement's settlements, oldest first.
    fn settlement_refunds_of(&mut self, agreement_no: &str) -> Result<Vec<SettlementRefund>>;

    /// The agreement's unfreezes, oldest first.
    fn unfreezes_of(&mut self, agreement_no: &str) -> Result<Vec<Unfreeze>>;

    /// Every user with a declared admittance, by user id.
    fn zmgo_users(&mut self) -> Result<Vec<ZmgoUser>>;

    /// Up to `limit` cumulation events matching `search`, newest first.
    fn find_events(&mut self, search: &EventSearch, limit: i64) -> Result<Vec<LedgerEvent>>;

    /// Up to `limit` state-sync instances matching `search`, newest first.
    fn find_instances(
        &mut self,
        search: &InstanceSearch,
        limit: i64,
    ) -> Result<Vec<InstanceSummary>>;

    /// One instance by storage id, with its events oldest first.
    fn instance_detail(&mut self, id: i64) -> Result<Option<InstanceDetail>>;

    /// Up to `limit` audit entries matching `search`, newest first.
    fn find_audit(&mut self, search: &AuditSearch, limit: i64) -> Result<Vec<AuditRecord>>;
}

// ---- the handle's operator reads (one read transaction each) ----

use crate::domain::admin::{AgreementLedger, AppView, Listing, TemplateSummary, TokenView};
use crate::domain::query::Page;

use super::Storage;

impl Storage {
    /// Row counts for the dashboard.
    pub async fn admin_counts(&self) -> Result<AdminCounts> {
        self.read(|tx| tx.admin_counts()).await
    }

    /// Audited requests per outcome since `since`, most frequent first.
    pub async fn audit_outcomes(&self, since: Time) -> Result<Vec<OutcomeCount>> {
        self.flush_audit().await?;
        self.read(move |tx| tx.audit_outcomes(&since)).await
    }

    /// Every app, as operators see it (no AES key, the public key as a fingerprint).
    pub async fn app_views(&self) -> Result<Vec<AppView>> {
        let apps = self.read(|tx| tx.apps()).await?;
        Ok(apps.iter().map(AppView::from).collect())
    }

    /// App auth tokens (of one app, or all) by prefix only, expiry judged at real time now.
    pub async fn token_views(&self, app_id: Option<&str>) -> Result<Vec<TokenView>> {
        let app_id = app_id.map(str::to_owned);
        let tokens = self
            .read(move |tx| tx.app_auth_tokens(app_id.as_deref()))
            .await?;
        let now = zhima_proto::time::now_alipay();
        Ok(tokens.iter().map(|t| TokenView::of(t, &now)).collect())
    }

    /// Every template with its owner and freeze amount.
    pub async fn template_summaries(&self) -> Result<Vec<TemplateSummary>> {
        self.read(|tx| {
            let templates = tx.templates()?;
            templates
                .into_iter()
                .map(|t| {
                    let terms = tx.template_terms(&t.template_no)?;
                    Ok(TemplateSummary::new(t, terms))
                })
                .collect()
        })
        .await
    }

    /// A page of agreements matching `filter`, by agreement number.
    pub async fn find_agreements(
        &self,
        filter: AgreementFilter,
        limit: i64,
    ) -> Result<Listing<Agreement>> {
        let rows = self
            .read(move |tx| tx.find_agreements(&filter, limit + 1))
            .await?;
        Ok(Listing::from_rows(rows, limit, |a| a.agreement_no.clone()))
    }

    /// An agreement with its ledger: totals, its newest `events` events, settlements,
    /// settlement refunds and unfreezes; `None` for an unknown agreement.
    pub async fn agreement_ledger(
        &self,
        agreement_no: &str,
        events: i64,
    ) -> Result<Option<AgreementLedger>> {
        let no = agreement_no.to_owned();
        self.read(move |tx| {
            let Some(agreement) = tx.agreement(&no)? else {
                return Ok(None);
            };
            let mut page = tx.events_page(
                &no,
                Page {
                    no: 1,
                    size: events + 1,
                },
            )?;
            let more_events = page.len() as i64 > events;
            page.truncate(usize::try_from(events).unwrap_or(0));
            Ok(Some(AgreementLedger {
                totals: tx.totals(&no, true)?,
                events: page,
                more_events,
                settlements: tx.settlements_of(&no)?,
                settlement_refunds: tx.settlement_refunds_of(&no)?,
                unfreezes: tx.unfreezes_of(&no)?,
                agreement,
            }))
        })
        .await
    }

    /// Every user with a declared admittance.
    pub async fn zmgo_users(&self) -> Result<Vec<ZmgoUser>> {
        self.read(|tx| tx.zmgo_users()).await
    }

    /// A page of cumulation events matching `search`, newest first.
    pub async fn find_events(
        &self,
        search: EventSearch,
        limit: i64,
    ) -> Result<Listing<LedgerEvent>> {
        let rows = self
            .read(move |tx| tx.find_events(&search, limit + 1))
            .await?;
        Ok(Listing::from_rows(rows, limit, |e| e.seq.to_string()))
    }

    /// A page of state-sync instances matching `search`, newest first.
    pub async fn find_instances(
        &self,
        search: InstanceSearch,
        limit: i64,
    ) -> Result<Listing<InstanceSummary>> {
        let rows = self
            .read(move |tx| tx.find_instances(&search, limit + 1))
            .await?;
        Ok(Listing::from_rows(rows, limit, |i| i.id.to_string()))
    }

    /// One instance by storage id, with its history.
    pub async fn instance_detail(&self, id: i64) -> Result<Option<InstanceDetail>> {
        self.read(move |tx| tx.instance_detail(id)).await
    }

    /// A page of audit entries matching `search`, newest first.
    pub async fn find_audit(
        &self,
        search: AuditSearch,
        limit: i64,
    ) -> Result<Listing<AuditRecord>> {
        self.flush_audit().await?;
        let rows = self
            .read(move |tx| tx.find_audit(&search, limit + 1))
            .await?;
        Ok(Listing::from_rows(rows, limit, |r| r.id.to_string()))
    }
}
