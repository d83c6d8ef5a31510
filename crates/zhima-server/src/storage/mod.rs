//! Durable storage behind one object-safe trait, so the HTTP layer holds an
//! `Arc<dyn Storage>` and a PostgreSQL backend can be added without touching domain code.
//!
//! ## The write contract (every backend)
//! A command method (`sync_cumulation`, `sync_state`, `apply_settlement`) does, **inside one
//! transaction**: load the snapshot the command needs → call the domain's pure `decide`
//! (`domain::cumulation::decide`, `domain::state_sync::decide`, `domain::settle::decide`) →
//! write exactly the decision's effects (append the event and update the per-agreement totals,
//! move the instance, record the settlement — or nothing for a replay or rejection) → commit.
//! It returns `Ok(receipt)` only after the commit is durable, and a rejection as
//! `Err(Error::Rejected)` with nothing written.
//!
//! Exactly-once is enforced by the database: `UNIQUE(partner_id, out_biz_no)` on cumulation
//! events, `UNIQUE(service_id, out_biz_no)` on state events, `UNIQUE(partner_id,
//! out_request_no)` on settlements. The SQLite backend serialises writers so the snapshot is
//! always current; a multi-process PostgreSQL backend must lock the agreement's totals row
//! (`SELECT … FOR UPDATE`) while loading the snapshot, and on a unique violation roll back and
//! re-run load + decide (which then sees the winner and answers a replay or a conflict).
//!
//! ## Reads
//! Queries never sum over events: `cumulate_query` reads the totals row plus at most one page.

use std::future::Future;
use std::pin::Pin;

use crate::domain::audit::AuditEntry;
use crate::domain::cumulation::{CumulationCmd, CumulationReceipt};
use crate::domain::entities::{Agreement, App, AppAuthToken, Caller, Records, Template, Trade};
use crate::domain::ledger::{AgreementTotals, LedgerEvent};
use crate::domain::query::{AgreementQuery, CumulateQuery, CumulateSummary, Page};
use crate::domain::settle::{SettleCmd, SettleReceipt};
use crate::domain::state_sync::{ServiceConfig, StateMachines, StateSyncCmd, StateSyncReceipt};
use crate::error::Result;

pub mod sqlite;

pub use sqlite::{SqliteOptions, SqliteStorage};

/// A boxed future, so the trait stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A state-sync instance key (PRODUCT §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstanceKey {
    /// `service_id`.
    pub service_id: String,
    /// `category_code`.
    pub category_code: String,
    /// `user_id`.
    pub user_id: String,
    /// `out_principal_id`.
    pub out_principal_id: String,
}

/// An instance with its full history (oldest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceHistory {
    /// The instance key.
    pub key: InstanceKey,
    /// Its current state.
    pub current_state: String,
    /// Every accepted event.
    pub events: Vec<StateEventView>,
}

/// One accepted state event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateEventView {
    /// Sequence number.
    pub seq: i64,
    /// `out_biz_no`.
    pub out_biz_no: String,
    /// State before (`None` when the event created the instance).
    pub from_state: Option<String>,
    /// State after.
    pub to_state: String,
    /// `biz_data` as received.
    pub biz_data: String,
    /// The app that sent it.
    pub app_id: String,
    /// When it was accepted.
    pub received_at: crate::domain::entities::Time,
}

/// Result of [`Storage::verify_invariants`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvariantReport {
    /// Agreements checked (with events or a totals row).
    pub agreements_checked: usize,
    /// Events read.
    pub events_checked: usize,
    /// One line per violation; empty when everything holds.
    pub violations: Vec<String>,
}

impl InvariantReport {
    /// Whether every invariant holds.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Backend counters for `/metrics` and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StorageStats {
    /// Write transactions committed.
    pub commits: u64,
    /// Write jobs executed (commands, upserts, audit entries).
    pub write_jobs: u64,
    /// Commits that failed.
    pub failed_commits: u64,
    /// Largest number of jobs in one commit.
    pub max_batch: u64,
}

/// Everything the platform persists. All methods are cancel-safe in the sense that a
/// command's outcome does not depend on whether the caller is still waiting.
pub trait Storage: Send + Sync {
    // ---- configured records (config file on start; admin API at run time) ----

    /// Upserts everything a configuration declares, in one transaction. Agreements settled at
    /// run time keep status `N` even if the file says otherwise.
    fn apply_records<'a>(&'a self, records: &'a Records) -> BoxFuture<'a, Result<()>>;
    /// Upserts one app.
    fn upsert_app<'a>(&'a self, app: &'a App) -> BoxFuture<'a, Result<()>>;
    /// One app.
    fn app<'a>(&'a self, app_id: &'a str) -> BoxFuture<'a, Result<Option<App>>>;
    /// Every app.
    fn apps(&self) -> BoxFuture<'_, Result<Vec<App>>>;
    /// Upserts one app auth token.
    fn upsert_app_auth_token<'a>(&'a self, token: &'a AppAuthToken) -> BoxFuture<'a, Result<()>>;
    /// One app auth token (expired ones too: the caller distinguishes invalid from expired).
    fn app_auth_token<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Option<AppAuthToken>>>;
    /// Upserts one template.
    fn upsert_template<'a>(&'a self, template: &'a Template) -> BoxFuture<'a, Result<()>>;
    /// One template.
    fn template<'a>(&'a self, template_no: &'a str) -> BoxFuture<'a, Result<Option<Template>>>;
    /// Every template.
    fn templates(&self) -> BoxFuture<'_, Result<Vec<Template>>>;
    /// Upserts one agreement (its template must exist).
    fn upsert_agreement<'a>(&'a self, agreement: &'a Agreement) -> BoxFuture<'a, Result<()>>;
    /// One agreement.
    fn agreement<'a>(&'a self, agreement_no: &'a str) -> BoxFuture<'a, Result<Option<Agreement>>>;
    /// A page of agreements, ordered by agreement number.
    fn agreements(&self, page: Page) -> BoxFuture<'_, Result<Vec<Agreement>>>;
    /// Upserts one known Alipay trade.
    fn upsert_trade<'a>(&'a self, trade: &'a Trade) -> BoxFuture<'a, Result<()>>;
    /// Every known trade.
    fn trades(&self) -> BoxFuture<'_, Result<Vec<Trade>>>;
    /// Validates, compiles and upserts one state sync service (error: [`crate::Error::Config`]).
    fn upsert_state_service<'a>(&'a self, service: &'a ServiceConfig) -> BoxFuture<'a, Result<()>>;
    /// Every state sync service as configured.
    fn state_services(&self) -> BoxFuture<'_, Result<Vec<ServiceConfig>>>;
    /// The compiled state machines in force.
    fn state_machines(&self) -> std::sync::Arc<StateMachines>;

    // ---- commands (durable before they return Ok) ----

    /// `cumulation.sync`: rules 2–6, then append + totals, exactly once per
    /// (`partner_id`, `out_biz_no`).
    fn sync_cumulation(
        &self,
        cmd: CumulationCmd,
        caller: Caller,
    ) -> BoxFuture<'_, Result<CumulationReceipt>>;
    /// `state.data.sync`: checks 4–9, then event + instance move, exactly once per
    /// (`service_id`, `out_biz_no`).
    fn sync_state(
        &self,
        cmd: StateSyncCmd,
        caller: Caller,
    ) -> BoxFuture<'_, Result<StateSyncReceipt>>;
    /// `settle.apply`: record the settlement and set the agreement to `N`, exactly once per
    /// (`partner_id`, `out_request_no`).
    fn apply_settlement(
        &self,
        cmd: SettleCmd,
        caller: Caller,
    ) -> BoxFuture<'_, Result<SettleReceipt>>;

    // ---- queries ----

    /// `cumulate.query`: totals row (+ one page of events, newest first, when `need_detail`).
    fn cumulate_query(
        &self,
        query: CumulateQuery,
        caller: Caller,
    ) -> BoxFuture<'_, Result<CumulateSummary>>;
    /// `agreement.query`.
    fn agreement_query(
        &self,
        query: AgreementQuery,
        caller: Caller,
    ) -> BoxFuture<'_, Result<Agreement>>;
    /// An agreement's totals and a page of its events, newest first, without access checks
    /// (consumer page, admin console).
    fn ledger<'a>(
        &'a self,
        agreement_no: &'a str,
        page: Page,
    ) -> BoxFuture<'a, Result<(AgreementTotals, Vec<LedgerEvent>)>>;
    /// A state instance and its history.
    fn state_instance<'a>(
        &'a self,
        key: &'a InstanceKey,
    ) -> BoxFuture<'a, Result<Option<InstanceHistory>>>;

    // ---- audit and operations ----

    /// Queues an audit entry; it is written with the next commit. Never fails the request.
    fn append_audit(&self, entry: AuditEntry) -> BoxFuture<'_, ()>;
    /// The newest audit entries, newest first.
    fn recent_audit(&self, limit: i64) -> BoxFuture<'_, Result<Vec<AuditEntry>>>;
    /// Recomputes every agreement's totals from its events and compares with the totals rows.
    fn verify_invariants(&self) -> BoxFuture<'_, Result<InvariantReport>>;
    /// Counters (group commit).
    fn stats(&self) -> StorageStats;
    /// Waits until every write queued before this call is durably committed (shutdown flush).
    fn flush(&self) -> BoxFuture<'_, Result<()>>;
}
