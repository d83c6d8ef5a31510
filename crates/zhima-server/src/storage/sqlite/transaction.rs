//! The storage contract on an SQLite connection: the writer thread's transaction implements
//! [`WriteTx`], a reader's read transaction [`ReadTx`]. Each operation is one SQL module call.

use rusqlite::Connection;

use super::{audit, consent, cumulation, lifecycle, money, records, settle, state_sync};
use crate::domain::audit::AuditEntry;
use crate::domain::clock::SandboxClock;
use crate::domain::consent::{PreorderView, SignConsent, TemplateView};
use crate::domain::cumulation::{Append, CumulationCmd, CumulationSnapshot};
use crate::domain::entities::{
    Agreement, AgreementQuit, App, AppAuthToken, Caller, Records, Template, Time, Trade,
};
use crate::domain::ledger::{AgreementTotals, LedgerEvent};
use crate::domain::merchant_sync::MerchantSyncCmd;
use crate::domain::query::Page;
use crate::domain::settle::{SettleCmd, SettleSnapshot, Settlement};
use crate::domain::settle_refund::{RefundCmd, RefundSnapshot, SettlementRefund};
use crate::domain::settle_unfreeze::{Unfreeze, UnfreezeCmd, UnfreezeSnapshot};
use crate::domain::state_sync::{
    CheckedStateSync, ServiceConfig, StateSnapshot, StateSyncCmd, Transition,
};
use crate::error::Result;
use crate::storage::engine::{WriteTx, WrittenTransition};
use crate::storage::reads::{InstanceHistory, InstanceKey, MoneyBalances, ReadTx};
use zhima_proto::money::Fen;

/// A connection inside a transaction (the writer's savepoint, or a reader's snapshot).
pub(crate) struct SqliteTx<'c>(pub(crate) &'c Connection);

impl WriteTx for SqliteTx<'_> {
    fn load_cumulation(&mut self, cmd: &CumulationCmd) -> Result<CumulationSnapshot> {
        cumulation::load_snapshot(self.0, cmd)
    }

    fn append_cumulation(&mut self, append: &Append) -> Result<i64> {
        cumulation::append(self.0, append)
    }

    fn load_state_sync(&mut self, cmd: &StateSyncCmd) -> Result<StateSnapshot> {
        state_sync::load_snapshot(self.0, cmd)
    }

    fn write_transition(
        &mut self,
        checked: &CheckedStateSync,
        transition: &Transition,
        caller: &Caller,
    ) -> Result<WrittenTransition> {
        state_sync::write(self.0, checked, transition, caller)
    }

    fn load_settlement(&mut self, cmd: &SettleCmd) -> Result<SettleSnapshot> {
        settle::load_snapshot(self.0, cmd)
    }

    fn record_settlement(&mut self, settlement: &Settlement) -> Result<i64> {
        settle::record(self.0, settlement)
    }

    fn upsert_records(&mut self, r: &Records) -> Result<()> {
        records::apply_records(self.0, r)
    }

    fn delete_app_auth_token(&mut self, token: &str) -> Result<bool> {
        records::delete_app_auth_token(self.0, token)
    }

    fn append_audit(&mut self, entry: &AuditEntry) -> Result<()> {
        audit::append(self.0, entry)
    }

    fn delete_audit_before(&mut self, before: &Time, limit: i64) -> Result<u64> {
        audit::delete_before(self.0, before, limit)
    }

    fn advance_clock(&mut self, by_ms: i64, max_offset_ms: i64) -> Result<Option<i64>> {
        lifecycle::advance_clock(self.0, by_ms, max_offset_ms)
    }

    fn load_due_agreements(&mut self, now: &Time, limit: i64) -> Result<Vec<Agreement>> {
        lifecycle::due_agreements(self.0, now, limit)
    }

    fn record_quit(&mut self, agreement_no: &str, quit: &AgreementQuit) -> Result<bool> {
        lifecycle::record_quit(self.0, agreement_no, quit)
    }

    fn insert_secret_if_absent(&mut self, name: &str, value: &str) -> Result<bool> {
        lifecycle::insert_secret_if_absent(self.0, name, value)
    }

    fn set_secret(&mut self, name: &str, value: &str) -> Result<()> {
        lifecycle::set_secret(self.0, name, value)
    }

    fn load_refund(&mut self, cmd: &RefundCmd) -> Result<RefundSnapshot> {
        money::load_refund(self.0, cmd)
    }

    fn record_refund(&mut self, refund: &SettlementRefund) -> Result<()> {
        money::record_refund(self.0, refund)
    }

    fn load_unfreeze(&mut self, cmd: &UnfreezeCmd) -> Result<UnfreezeSnapshot> {
        money::load_unfreeze(self.0, cmd)
    }

    fn record_unfreeze(&mut self, unfreeze: &Unfreeze) -> Result<()> {
        money::record_unfreeze(self.0, unfreeze)
    }

    fn set_freeze_amount(&mut self, agreement_no: &str, amount: Fen) -> Result<bool> {
        money::set_freeze_amount(self.0, agreement_no, amount)
    }

    fn load_merchant_sync(&mut self, cmd: &MerchantSyncCmd) -> Result<CumulationSnapshot> {
        cumulation::load_merchant_snapshot(self.0, cmd)
    }

    fn insert_consent(&mut self, c: &SignConsent) -> Result<()> {
        consent::insert(self.0, c)
    }

    fn load_consent(&mut self, token_hash: &str) -> Result<Option<SignConsent>> {
        consent::load(self.0, token_hash)
    }

    fn use_consent(&mut self, token_hash: &str, now_ms: i64) -> Result<bool> {
        consent::mark_used(self.0, token_hash, now_ms)
    }
}

impl ReadTx for SqliteTx<'_> {
    fn app(&mut self, app_id: &str) -> Result<Option<App>> {
        records::app(self.0, app_id)
    }

    fn apps(&mut self) -> Result<Vec<App>> {
        records::apps(self.0)
    }

    fn app_auth_token(&mut self, token: &str) -> Result<Option<AppAuthToken>> {
        records::app_auth_token(self.0, token)
    }

    fn templates(&mut self) -> Result<Vec<Template>> {
        records::templates(self.0)
    }

    fn agreement(&mut self, agreement_no: &str) -> Result<Option<Agreement>> {
        records::agreement(self.0, agreement_no)
    }

    fn agreements(&mut self, page: Page) -> Result<Vec<Agreement>> {
        records::agreements(self.0, page)
    }

    fn agreements_of_user(
        &mut self,
        user_id: Option<&str>,
        open_id: Option<&str>,
    ) -> Result<Vec<Agreement>> {
        records::agreements_of_user(self.0, user_id, open_id)
    }

    fn trades(&mut self) -> Result<Vec<Trade>> {
        records::trades(self.0)
    }

    fn state_services(&mut self) -> Result<Vec<ServiceConfig>> {
        records::state_services(self.0)
    }

    fn totals(&mut self, agreement_no: &str, breakdown: bool) -> Result<AgreementTotals> {
        cumulation::totals(self.0, agreement_no, breakdown)
    }

    fn events_page(&mut self, agreement_no: &str, page: Page) -> Result<Vec<LedgerEvent>> {
        cumulation::events_page(self.0, agreement_no, page)
    }

    fn all_events(&mut self) -> Result<Vec<LedgerEvent>> {
        cumulation::all_events(self.0)
    }

    fn agreements_with_totals(&mut self) -> Result<Vec<String>> {
        cumulation::agreements_with_totals(self.0)
    }

    fn state_instance(&mut self, key: &InstanceKey) -> Result<Option<InstanceHistory>> {
        state_sync::instance(self.0, key)
    }

    fn recent_audit(&mut self, limit: i64) -> Result<Vec<AuditEntry>> {
        audit::recent(self.0, limit)
    }

    fn clock(&mut self) -> Result<SandboxClock> {
        lifecycle::clock(self.0)
    }

    fn secret(&mut self, name: &str) -> Result<Option<String>> {
        lifecycle::secret(self.0, name)
    }

    fn settlement_pay_amount(&mut self, agreement_no: &str) -> Result<Option<Fen>> {
        money::settlement_pay_amount(self.0, agreement_no)
    }

    fn money_balances(&mut self) -> Result<MoneyBalances> {
        money::money_balances(self.0)
    }

    fn consent_preorder(&mut self, preorder_no: &str) -> Result<Option<PreorderView>> {
        consent::preorder(self.0, preorder_no)
    }

    fn consent_template(&mut self, template_no: &str) -> Result<Option<TemplateView>> {
        consent::template(self.0, template_no)
    }
}
