//! [`Storage`], the one handle the HTTP layer (and the CLI, and tests) use, whatever the
//! engine: it runs the shared orchestration (`commands`, `queries`) as jobs
//! on an [`Engine`] and keeps the compiled state machines.

use std::sync::{Arc, Mutex};

use crate::domain::audit::AuditEntry;
use crate::domain::cumulation::{CumulationCmd, CumulationReceipt};
use crate::domain::entities::{Agreement, App, AppAuthToken, Caller, Records, Template, Trade};
use crate::domain::invariants::InvariantReport;
use crate::domain::ledger::{AgreementTotals, LedgerEvent};
use crate::domain::query::{AgreementQuery, CumulateQuery, CumulateSummary, Page};
use crate::domain::settle::{SettleCmd, SettleReceipt};
use crate::domain::state_sync::{
    MachineCache, ServiceConfig, StateMachines, StateSyncCmd, StateSyncReceipt,
};
use crate::error::{Error, Result};

use super::commands;
use super::engine::{Engine, StorageStats, WriteTx};
use super::postgres::{PgEngine, PgOptions};
use super::queries;
use super::reads::{InstanceHistory, InstanceKey, ReadTx};
use super::sqlite::{SqliteEngine, SqliteOptions};

/// Everything the platform persists, on one engine. A command's outcome does not depend on
/// whether its caller is still waiting (cancel-safe).
pub struct Storage {
    engine: Box<dyn Engine>,
    machines: MachineCache,
}

impl Storage {
    /// Serves from `engine`, compiling the state machines it has stored.
    pub async fn start(engine: impl Engine + 'static) -> Result<Storage> {
        let storage = Storage {
            engine: Box::new(engine),
            machines: MachineCache::default(),
        };
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

    /// Runs `f` as a write job and returns its value once committed.
    async fn write<T, F>(&self, mut f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(&mut dyn WriteTx) -> Result<T> + Send + 'static,
    {
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

    /// Runs `f` as a read job.
    async fn read<T, F>(&self, f: F) -> Result<T>
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
        self.write(move |tx| tx.upsert_records(&owned)).await?;
        let services = self.state_services().await?;
        let machines = StateMachines::compile(&services).map_err(Error::Config)?;
        self.machines.set(machines);
        Ok(())
    }

    /// One app.
    pub async fn app(&self, app_id: &str) -> Result<Option<App>> {
        let id = app_id.to_owned();
        self.read(move |tx| tx.app(&id)).await
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
        let machines = self.machines.get();
        let checked = machines.precheck(cmd, &caller.app_id)?;
        self.write(move |tx| commands::sync_state(tx, &checked, &machines, &caller))
            .await
    }

    /// `settle.apply`: record the settlement and set the agreement to `N`, exactly once per
    /// (`partner_id`, `out_request_no`).
    pub async fn apply_settlement(&self, cmd: SettleCmd, caller: Caller) -> Result<SettleReceipt> {
        self.write(move |tx| commands::apply_settlement(tx, &cmd, &caller))
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

    /// A state instance and its history.
    pub async fn state_instance(&self, key: &InstanceKey) -> Result<Option<InstanceHistory>> {
        let key = key.clone();
        self.read(move |tx| tx.state_instance(&key)).await
    }

    // ---- audit and operations ----

    /// Queues an audit entry; it is written with the next commit. Never fails the request.
    pub async fn append_audit(&self, entry: AuditEntry) {
        self.engine
            .write_later(Box::new(move |tx: &mut dyn WriteTx| {
                tx.append_audit(&entry)
            }))
            .await
    }

    /// The newest audit entries, newest first.
    pub async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        self.read(move |tx| tx.recent_audit(limit)).await
    }

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
        self.engine
            .write(Box::new(|_: &mut dyn WriteTx| Ok(())))
            .await
    }
}
