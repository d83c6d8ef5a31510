//! [`Storage`], the one handle the HTTP layer (and the CLI, and tests) use, whatever the
//! engine: it runs the shared orchestration (`commands`, `queries`) as jobs
//! on an [`Engine`] and keeps the compiled state machines.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::domain::card::CardData;
use crate::domain::clock::{Advance, ClockError, ClockReading, SandboxClock};
use crate::domain::cumulation::{CumulationCmd, CumulationReceipt};
use crate::domain::entities::{
    Agreement, App, AppAuthToken, Caller, Records, Template, Time, Trade,
};
use crate::domain::expiry::Expiry;
use crate::domain::invariants::InvariantReport;
use crate::domain::ledger::{AgreementTotals, LedgerEvent};
use crate::domain::merchant_sync::MerchantSyncCmd;
use crate::domain::query::{AgreementQuery, CumulateQuery, CumulateSummary, Page};
use crate::domain::settle::{SettleCmd, SettleReceipt};
use crate::domain::settle_refund::{RefundCmd, SettlementRefund};
use crate::domain::settle_unfreeze::{Unfreeze, UnfreezeCmd};
use crate::domain::state_sync::{
    MachineCache, ServiceConfig, StateMachines, StateSyncCmd, StateSyncReceipt,
};
use crate::error::{Error, Result};
use zhima_proto::money::Fen;

use super::agreement_lifecycle;
use super::app_cache::{AppCache, MACHINE_CACHE_TTL};
use super::audit_log::AuditBuffer;
use super::commands;
use super::engine::{Engine, StorageStats, WriteTx};
use super::lifecycle;
use super::money;
use super::postgres::{PgEngine, PgOptions};
use super::queries;
use super::reads::{InstanceHistory, InstanceKey, ReadTx};
use super::sqlite::{SqliteEngine, SqliteOptions};
use crate::domain::close::{CloseCmd, CloseReceipt};
use crate::domain::preorder::{self, ValidPreConsult};
use crate::domain::preorder::{PreorderCmd, PreorderReceipt};
use crate::domain::sign::{SignCmd, SignReceipt, SignedAgreement};
use crate::domain::template::{self, TemplateCreateCmd, TemplateCreated, ValidTemplateQuery};
use crate::domain::unsign::{UnsignCmd, UnsignReceipt};
use zhima_proto::models::{
    ZhimaCreditPeZmgoPreConsultResponse, ZhimaMerchantZmgoTemplateQueryResponse,
};

/// Everything the platform persists, on one engine. A command's outcome does not depend on
/// whether its caller is still waiting (cancel-safe).
pub struct Storage {
    engine: Box<dyn Engine>,
    machines: MachineCache,
    /// The sandbox clock offset last read or written by this process (refreshed by every
    /// [`Storage::clock`] read, so by the expiry sweep at least once a second).
    cached_offset_ms: AtomicI64,
    /// One sweep at a time in this process, so an advance's own sweep reports what it expired.
    sweep: tokio::sync::Mutex<()>,
    /// Wakes this process's notification worker after a write that may have made a
    /// notification due (a lifecycle change, a clock advance, a redeliver).
    outbox_signal: tokio::sync::Notify,
    /// Audit entries waiting to be written (`audit_log.rs`).
    pub(super) audit: AuditBuffer,
    /// Apps recently read, so that a request's authentication needs no read transaction.
    apps: AppCache,
}

/// What [`Storage::advance_clock`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockAdvanced {
    /// The clock after the advance.
    pub reading: ClockReading,
    /// The agreements the sweep right after the advance expired.
    pub expired: Vec<Expiry>,
}

impl Storage {
    /// Serves from `engine`, compiling the state machines it has stored.
    pub async fn start(engine: impl Engine + 'static) -> Result<Storage> {
        let storage = Storage {
            engine: Box::new(engine),
            machines: MachineCache::default(),
            cached_offset_ms: AtomicI64::new(0),
            sweep: tokio::sync::Mutex::new(()),
            outbox_signal: tokio::sync::Notify::new(),
            audit: AuditBuffer::default(),
            apps: AppCache::default(),
        };
        storage.clock().await?;
        let services = storage.state_services().await?;
        let machines = StateMachines::compile(&services)
            .map_err(|e| Error::internal(format!("stored state machines: {e}")))?;
        storage.machines.set(machines);
        Ok(storage)
    }

    /// Opens (creating and migrating as needed) an SQLite database and serves from it.
    pub async fn open_sqlite(options: &SqliteOptions) -> Result<Storage> {
        let options = options.clone();
        let engine = tokio::task::spawn_blocking(move || SqliteEngine::open(&options))
            .await
            .map_err(|e| Error::internal(format!("opening the database failed: {e}")))??;
        Storage::start(engine).await
    }

    /// Connects to PostgreSQL (migrating under an advisory lock) and serves from it.
    pub async fn open_postgres(options: &PgOptions) -> Result<Storage> {
        let options = options.clone();
        let engine = tokio::task::spawn_blocking(move || PgEngine::connect(&options))
            .await
            .map_err(|e| Error::internal(format!("connecting to the database failed: {e}")))??;
        Storage::start(engine).await
    }

    /// Tells the notification worker to look for due rows now.
    pub fn wake_outbox(&self) {
        self.outbox_signal.notify_one();
    }

    /// Resolves at the next [`Storage::wake_outbox`] (one stored wake-up if none is waiting).
    pub async fn outbox_woken(&self) {
        self.outbox_signal.notified().await
    }

    /// Runs `f` as a write job and returns its value once committed.
    pub(super) async fn write<T, F>(&self, mut f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(&mut dyn WriteTx) -> Result<T> + Send + 'static,
    {
        // Waiting audit entries ride in this write's batch instead of a commit of their own.
        self.flush_audit_later();
        let slot = Arc::new(Mutex::new(None));
        let out = Arc::clone(&slot);
        self.engine
            .write(Box::new(move |tx: &mut dyn WriteTx| {
                let value = f(tx)?;
                *out.lock().unwrap_or_else(|p| p.into_inner()) = Some(value);
                Ok(())
            }))
            .await?;
        let value = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
        value.ok_or_else(|| Error::internal("a write job committed without a result"))
    }

    /// Queues `job` for the next batch without waiting for it.
    pub(super) fn engine_write_later(&self, job: super::engine::WriteJob) {
        self.engine.write_later(job)
    }

    /// Runs `f` as a read job.
    pub(super) async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn ReadTx) -> Result<T> + Send + 'static,
    {
        let slot = Arc::new(Mutex::new(None));
        let out = Arc::clone(&slot);
        self.engine
            .read(Box::new(move |tx: &mut dyn ReadTx| {
                let value = f(tx)?;
                *out.lock().unwrap_or_else(|p| p.into_inner()) = Some(value);
                Ok(())
            }))
            .await?;
        let value = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
        value.ok_or_else(|| Error::internal("a read job finished without a result"))
    }

    // ---- configured records (config file on start; admin API at run time) ----

    /// Upserts everything a configuration declares, in one transaction, after checking that
    /// its state services compile ([`Error::Config`] otherwise). Agreements settled at run
    /// time keep status `N` even if the records say otherwise.
    pub async fn apply_records(&self, records: &Records) -> Result<()> {
        StateMachines::compile(&records.state_services).map_err(Error::Config)?;
        let owned = records.clone();
        let written = self.write(move |tx| tx.upsert_records(&owned)).await;
        // Even a failed write may have been half-seen by a concurrent read: start afresh.
        self.apps.clear();
        written?;
        let services = self.state_services().await?;
        let machines = StateMachines::compile(&services).map_err(Error::Config)?;
        self.machines.set(machines);
        Ok(())
    }

    /// One app.
    ///
    /// Served from a cache for up to [`super::app_cache::APP_CACHE_TTL`] after it was read; an edit through
    /// this process ([`Storage::apply_records`]) empties the cache at once, an edit made by
    /// another process (PostgreSQL) is seen within the TTL.
    pub async fn app(&self, app_id: &str) -> Result<Option<App>> {
        if let Some(app) = self.apps.get(app_id) {
            return Ok(Some(app));
        }
        let generation = self.apps.generation();
        let id = app_id.to_owned();
        let app = self.read(move |tx| tx.app(&id)).await?;
        if let Some(app) = &app {
            self.apps.insert(generation, app);
        }
        Ok(app)
    }

    /// Every app.
    pub async fn apps(&self) -> Result<Vec<App>> {
        self.read(|tx| tx.apps()).await
    }

    /// One app auth token (expired ones too: the caller distinguishes invalid from expired).
    pub async fn app_auth_token(&self, token: &str) -> Result<Option<AppAuthToken>> {
        let token = token.to_owned();
        self.read(move |tx| tx.app_auth_token(&token)).await
    }

    /// Every template.
    pub async fn templates(&self) -> Result<Vec<Template>> {
        self.read(|tx| tx.templates()).await
    }

    /// One agreement.
    pub async fn agreement(&self, agreement_no: &str) -> Result<Option<Agreement>> {
        let no = agreement_no.to_owned();
        self.read(move |tx| tx.agreement(&no)).await
    }

    /// A page of agreements, ordered by agreement number.
    pub async fn agreements(&self, page: Page) -> Result<Vec<Agreement>> {
        self.read(move |tx| tx.agreements(page)).await
    }

    /// Every known trade.
    pub async fn trades(&self) -> Result<Vec<Trade>> {
        self.read(|tx| tx.trades()).await
    }

    /// Every state sync service as configured.
    pub async fn state_services(&self) -> Result<Vec<ServiceConfig>> {
        self.read(|tx| tx.state_services()).await
    }

    /// The compiled state machines in force.
    pub fn state_machines(&self) -> Arc<StateMachines> {
        self.machines.get()
    }

    /// The machines, compiled again from the stored services once they are older than
    /// [`MACHINE_CACHE_TTL`], so that an edit made by another process sharing the database
    /// (PostgreSQL) is in force here within that time. One request refreshes; the others
    /// meanwhile use what is cached.
    async fn machines_in_force(&self) -> Result<Arc<StateMachines>> {
        let generation = match self.machines.fresh(MACHINE_CACHE_TTL) {
            Ok(machines) => return Ok(machines),
            Err(generation) => generation,
        };
        if !self.machines.begin_refresh() {
            return Ok(self.machines.get());
        }
        // Ends the refresh however this future ends (a cancelled request included).
        struct Refreshing<'a>(&'a MachineCache);
        impl Drop for Refreshing<'_> {
            fn drop(&mut self) {
                self.0.end_refresh();
            }
        }
        let _refreshing = Refreshing(&self.machines);
        let services = self.state_services().await?;
        let machines = StateMachines::compile(&services)
            .map_err(|e| Error::internal(format!("stored state machines: {e}")))?;
        Ok(self.machines.refreshed(generation, machines))
    }

    // ---- commands (durable before they return Ok) ----

    /// `cumulation.sync`: rules 2–6, then append + totals, exactly once per
    /// (`partner_id`, `out_biz_no`).
    pub async fn sync_cumulation(
        &self,
        cmd: CumulationCmd,
        caller: Caller,
    ) -> Result<CumulationReceipt> {
        self.write(move |tx| commands::sync_cumulation(tx, &cmd, &caller))
            .await
    }

    /// `state.data.sync`: checks 4–9, then event + instance move, exactly once per
    /// (`service_id`, `out_biz_no`).
    pub async fn sync_state(&self, cmd: StateSyncCmd, caller: Caller) -> Result<StateSyncReceipt> {
        // Checks 4–7 (configuration and JSON Schema) run here, outside the write transaction.
        let machines = self.machines_in_force().await?;
        let checked = machines.precheck(cmd, &caller.app_id)?;
        self.write(move |tx| commands::sync_state(tx, &checked, &machines, &caller))
            .await
    }

    /// `settle.apply`: record the settlement and set the agreement to `N`, exactly once per
    /// (`partner_id`, `out_request_no`).
    pub async fn apply_settlement(&self, cmd: SettleCmd, caller: Caller) -> Result<SettleReceipt> {
        let out = self
            .write(move |tx| commands::apply_settlement(tx, &cmd, &caller))
            .await;
        self.wake_outbox();
        out
    }

    /// `settle.refund`: a refund within the settlement's remaining `pay_amount`, exactly once
    /// per (`partner_id`, `out_request_no`).
    pub async fn refund_settlement(
        &self,
        cmd: RefundCmd,
        caller: Caller,
    ) -> Result<SettlementRefund> {
        let out = self
            .write(move |tx| money::refund_settlement(tx, &cmd, &caller))
            .await;
        self.wake_outbox();
        out
    }

    /// `settle.unfreeze`: a release within the agreement's remaining frozen amount, exactly
    /// once per (`partner_id`, `out_request_no`).
    pub async fn unfreeze(&self, cmd: UnfreezeCmd, caller: Caller) -> Result<Unfreeze> {
        let out = self
            .write(move |tx| money::unfreeze(tx, &cmd, &caller))
            .await;
        self.wake_outbox();
        out
    }

    /// `zhima.merchant.zmgo.cumulate.sync`: one event in the ledger `cumulation.sync` writes,
    /// exactly once per (`provider_pid`, `out_biz_no`) in the same key space.
    pub async fn merchant_cumulate_sync(
        &self,
        cmd: MerchantSyncCmd,
        caller: Caller,
    ) -> Result<LedgerEvent> {
        self.write(move |tx| money::merchant_sync(tx, &cmd, &caller))
            .await
    }

    /// Sets the amount frozen for an agreement (operators, tests); `false` when unknown.
    pub async fn set_freeze_amount(&self, agreement_no: &str, amount: Fen) -> Result<bool> {
        let no = agreement_no.to_owned();
        self.write(move |tx| tx.set_freeze_amount(&no, amount))
            .await
    }

    // ---- queries ----

    /// `cumulate.query`: totals row (+ one page of events, newest first, when `need_detail`).
    pub async fn cumulate_query(
        &self,
        q: CumulateQuery,
        caller: Caller,
    ) -> Result<CumulateSummary> {
        self.read(move |tx| queries::cumulate_query(tx, q, &caller))
            .await
    }

    /// `agreement.query`.
    pub async fn agreement_query(&self, q: AgreementQuery, caller: Caller) -> Result<Agreement> {
        self.read(move |tx| queries::agreement_query(tx, &q, &caller))
            .await
    }

    /// An agreement's totals and a page of its events, newest first, without access checks
    /// (consumer page, admin console).
    pub async fn ledger(
        &self,
        agreement_no: &str,
        page: Page,
    ) -> Result<(AgreementTotals, Vec<LedgerEvent>)> {
        let no = agreement_no.to_owned();
        self.read(move |tx| queries::ledger(tx, &no, page)).await
    }

    /// Everything the consumer card of an agreement shows (its newest `events` events), in one
    /// read transaction; `None` for an unknown agreement.
    pub async fn agreement_card(
        &self,
        agreement_no: &str,
        events: i64,
    ) -> Result<Option<CardData>> {
        let no = agreement_no.to_owned();
        self.read(move |tx| {
            let Some(agreement) = tx.agreement(&no)? else {
                return Ok(None);
            };
            Ok(Some(CardData {
                template: tx.consent_template(&agreement.template_no)?,
                totals: tx.totals(&no, true)?,
                events: tx.events_page(
                    &no,
                    Page {
                        no: 1,
                        size: events,
                    },
                )?,
                pay_amount: tx.settlement_pay_amount(&no)?,
                agreement,
            }))
        })
        .await
    }

    /// The `pay_amount` of the agreement's settlement, once settled (consumer card).
    pub async fn settlement_pay_amount(&self, agreement_no: &str) -> Result<Option<Fen>> {
        let no = agreement_no.to_owned();
        self.read(move |tx| tx.settlement_pay_amount(&no)).await
    }

    /// A state instance and its history.
    pub async fn state_instance(&self, key: &InstanceKey) -> Result<Option<InstanceHistory>> {
        let key = key.clone();
        self.read(move |tx| tx.state_instance(&key)).await
    }

    // ---- agreement lifecycle (PRODUCT §11) ----

    /// `preorder.create`: a `WAIT_SIGN` preorder, or the stored one again.
    pub async fn create_preorder(
        &self,
        cmd: PreorderCmd,
        caller: Caller,
    ) -> Result<PreorderReceipt> {
        self.write(move |tx| agreement_lifecycle::create_preorder(tx, &cmd, &caller))
            .await
    }

    /// `agreement.sign`: the preorder's agreement, signed now or before (one per preorder).
    pub async fn sign_preorder(&self, cmd: SignCmd, caller: Caller) -> Result<SignReceipt> {
        let out = self
            .write(move |tx| agreement_lifecycle::sign_preorder(tx, &cmd, &caller))
            .await;
        self.wake_outbox();
        out
    }

    /// `template.create`: a template owned by the caller's partner, or the stored one again.
    pub async fn create_template(
        &self,
        cmd: TemplateCreateCmd,
        caller: Caller,
    ) -> Result<TemplateCreated> {
        self.write(move |tx| agreement_lifecycle::create_template(tx, &cmd, &caller))
            .await
    }

    /// `template.query`: the template's blocks, if the caller's partner may see it.
    pub async fn template_query(
        &self,
        q: ValidTemplateQuery,
        caller: Caller,
    ) -> Result<ZhimaMerchantZmgoTemplateQueryResponse> {
        let record = {
            let no = q.template_no.clone();
            self.read(move |tx| tx.template_record(&no)).await?
        };
        Ok(template::query_response(&q, &caller, record.as_ref())?)
    }

    /// `pre.consult`: whether the user is admitted, for a template the partner may use.
    pub async fn pre_consult(
        &self,
        cmd: ValidPreConsult,
        caller: Caller,
    ) -> Result<ZhimaCreditPeZmgoPreConsultResponse> {
        let (no, user) = (cmd.template_id.clone(), cmd.user.user_id.clone());
        let (terms, admitted) = self
            .read(move |tx| {
                let terms = tx.template_terms(&no)?;
                let admitted = match &user {
                    Some(u) => tx.user_admitted(u)?,
                    None => None,
                };
                Ok((terms, admitted))
            })
            .await?;
        Ok(preorder::consult(&cmd, &caller, terms.as_ref(), admitted)?)
    }

    /// `bizopt.close`: closes a waiting preorder (again: the same answer).
    pub async fn close_preorder(&self, cmd: CloseCmd, caller: Caller) -> Result<CloseReceipt> {
        self.write(move |tx| agreement_lifecycle::close_preorder(tx, &cmd, &caller))
            .await
    }

    /// `agreement.unsign`: `Y` → `P` with a new `withhold_plan_no` (again: the same answer).
    pub async fn unsign_agreement(&self, cmd: UnsignCmd, caller: Caller) -> Result<UnsignReceipt> {
        let out = self
            .write(move |tx| agreement_lifecycle::unsign(tx, &cmd, &caller))
            .await;
        self.wake_outbox();
        out
    }

    /// The agreement with its signing details.
    pub async fn signed_agreement(&self, agreement_no: &str) -> Result<Option<SignedAgreement>> {
        let no = agreement_no.to_owned();
        self.read(move |tx| tx.signed_agreement(&no)).await
    }

    // ---- sandbox clock and lifecycle (PRODUCT §11) ----

    /// The sandbox clock as stored now, read with the real time (also refreshes
    /// [`Storage::cached_clock`]).
    pub async fn clock(&self) -> Result<ClockReading> {
        let clock = self.read(|tx| tx.clock()).await?;
        self.cached_offset_ms
            .fetch_max(clock.offset_ms, Ordering::Relaxed);
        Ok(ClockReading::at(clock, zhima_proto::time::now_alipay()))
    }

    /// The sandbox clock this process last saw, without a database read (at most about a
    /// second behind an advance made by another process; immediate for this process's own).
    /// The HTTP layer stamps `Caller::business_now` from it.
    pub fn cached_clock(&self) -> SandboxClock {
        SandboxClock {
            offset_ms: self.cached_offset_ms.load(Ordering::Relaxed),
        }
    }

    /// Business time now, from [`Storage::cached_clock`].
    pub fn business_now(&self) -> Time {
        self.cached_clock()
            .business_time(&zhima_proto::time::now_alipay())
    }

    /// Advances the sandbox clock durably (an atomic increment: advances from several
    /// processes add up), then sweeps expiries at the new business time. `Ok(Err(_))` when
    /// the total offset would pass its limit (nothing changed).
    pub async fn advance_clock(
        &self,
        advance: Advance,
    ) -> Result<std::result::Result<ClockAdvanced, ClockError>> {
        let _one_sweep = self.sweep.lock().await;
        let Some(offset_ms) = self
            .write(move |tx| lifecycle::advance_clock(tx, advance))
            .await?
        else {
            return Ok(Err(ClockError::OffsetLimit));
        };
        self.cached_offset_ms
            .fetch_max(offset_ms, Ordering::Relaxed);
        let reading = self.clock().await?;
        // Retries that the new business time made due go out now, not at the next poll.
        self.wake_outbox();
        let expired = self.expire_due_locked(reading.business_time).await?;
        Ok(Ok(ClockAdvanced { reading, expired }))
    }

    /// Moves every `Y` agreement whose end is at or before business time `now` to `P` with a
    /// new `withhold_plan_no` and `quit_type` `EXPIRE_QUIT`; returns the ones this call moved.
    /// Each agreement expires exactly once however many processes sweep together.
    pub async fn expire_due(&self, now: Time) -> Result<Vec<Expiry>> {
        let _one_sweep = self.sweep.lock().await;
        self.expire_due_locked(now).await
    }

    /// [`Storage::expire_due`] at the stored clock's business time now (the periodic sweep).
    pub async fn sweep_expired(&self) -> Result<Vec<Expiry>> {
        let _one_sweep = self.sweep.lock().await;
        let now = self.clock().await?.business_time;
        self.expire_due_locked(now).await
    }

    async fn expire_due_locked(&self, now: Time) -> Result<Vec<Expiry>> {
        let mut all = Vec::new();
        loop {
            let (batch, full) = self
                .write(move |tx| lifecycle::expire_batch(tx, &now))
                .await?;
            for e in &batch {
                tracing::info!(
                    agreement_no = %e.agreement_no,
                    withhold_plan_no = %e.quit.withhold_plan_no,
                    "agreement expired (Y -> P)"
                );
            }
            if !batch.is_empty() {
                self.wake_outbox();
            }
            all.extend(batch);
            if !full {
                return Ok(all);
            }
        }
    }

    /// Runs [`Storage::sweep_expired`] every `every` until the task is aborted; failures are
    /// logged and retried on the next tick.
    pub fn spawn_expiry_sweeper(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let storage = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = storage.sweep_expired().await {
                    tracing::warn!(error = %e, "expiry sweep failed; retrying");
                }
            }
        })
    }

    // ---- platform secrets (PRODUCT §14) ----

    /// A platform secret (e.g. the admin token's SHA-256).
    pub async fn secret(&self, name: &str) -> Result<Option<String>> {
        let name = name.to_owned();
        self.read(move |tx| tx.secret(&name)).await
    }

    /// Stores the platform secret `name` unless one exists; `true` when this call stored it
    /// (the database decides a race between processes).
    pub async fn insert_secret_if_absent(&self, name: &str, value: &str) -> Result<bool> {
        let (name, value) = (name.to_owned(), value.to_owned());
        self.write(move |tx| tx.insert_secret_if_absent(&name, &value))
            .await
    }

    /// Stores (or replaces) the platform secret `name`.
    pub async fn set_secret(&self, name: &str, value: &str) -> Result<()> {
        let (name, value) = (name.to_owned(), value.to_owned());
        self.write(move |tx| tx.set_secret(&name, &value)).await
    }

    // ---- audit and operations ----

    /// Recomputes every agreement's totals from its events and compares with the totals rows;
    /// checks that no payment is over-refunded.
    pub async fn verify_invariants(&self) -> Result<InvariantReport> {
        self.read(queries::verify_invariants).await
    }

    /// Records a v3 nonce unless it was already used inside its window (`Ok(false)`: a
    /// replay), for every process sharing this storage.
    pub async fn check_nonce(
        &self,
        app_id: &str,
        nonce: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<bool> {
        self.engine
            .check_nonce(app_id, nonce, expires_ms, now_ms)
            .await
    }

    /// Write counters.
    pub fn stats(&self) -> StorageStats {
        self.engine.stats()
    }

    /// Waits until every write queued before this call is durably committed (shutdown flush):
    /// an empty write commits after them.
    pub async fn flush(&self) -> Result<()> {
        self.flush_audit_later();
        self.engine
            .write(Box::new(|_: &mut dyn WriteTx| Ok(())))
            .await
    }
}
