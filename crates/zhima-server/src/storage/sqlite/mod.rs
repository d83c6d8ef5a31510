//! The embedded SQLite backend (PRODUCT §6): WAL, `synchronous=FULL`, group commit.
//!
//! - **Writes** go to one writer thread (`writer`) that owns the only write connection and
//!   commits batches of commands, each command in its own savepoint; a caller's success is
//!   returned only after its batch's `COMMIT` (fsync) returned.
//! - **Reads** run on a small pool of read-only connections (`readers`) on tokio's blocking
//!   pool, each query in one read transaction, never queued behind the writer.
//! - **Schema** is versioned with `PRAGMA user_version` (`schema`, SQL in `migrations/sqlite`).
//!
//! Domain decisions are made by the shared pure functions in [`crate::domain`]; the modules
//! here only load snapshots and write decisions.

mod ledger;
mod readers;
mod records;
mod schema;
mod settle;
mod state;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::Connection;

use self::readers::ReadPool;
use self::writer::Writer;
pub use self::writer::WriterStats;
use super::{BoxFuture, InstanceHistory, InstanceKey, InvariantReport, Storage, StorageStats};
use crate::domain::audit::AuditEntry;
use crate::domain::cumulation::{self, CumulationCmd, CumulationDecision, CumulationReceipt};
use crate::domain::entities::{Agreement, App, AppAuthToken, Caller, Records, Template, Trade};
use crate::domain::ledger::{AgreementTotals, LedgerEvent};
use crate::domain::query::{
    self, AgreementQuery, AgreementSelector, CumulateQuery, CumulateSummary, Page,
};
use crate::domain::settle::{self as settle_rules, SettleCmd, SettleDecision, SettleReceipt};
use crate::domain::state_sync::{
    self, MachineCache, ServiceConfig, StateDecision, StateMachines, StateSyncCmd, StateSyncReceipt,
};
use crate::error::{Error, Result};

/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "zhima.db";

/// How to open the SQLite backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteOptions {
    /// The database file.
    pub path: PathBuf,
    /// `true` (default): `synchronous=FULL`, every commit is fsynced. `false` is the
    /// `--unsafe-no-fsync` benchmark switch (`synchronous=OFF`): a crash may lose commits.
    pub fsync: bool,
    /// Idle read-only connections kept open.
    pub max_idle_readers: usize,
}

impl SqliteOptions {
    /// Durable defaults for `data_dir/zhima.db`.
    pub fn in_dir(data_dir: &Path) -> Self {
        SqliteOptions {
            path: data_dir.join(DATABASE_FILE),
            fsync: true,
            max_idle_readers: 8,
        }
    }
}

/// The SQLite implementation of [`Storage`].
pub struct SqliteStorage {
    writer: Writer,
    readers: Arc<ReadPool>,
    machines: MachineCache,
}

impl SqliteStorage {
    /// Opens (creating and migrating as needed) the database and starts the writer thread.
    /// Blocking (file I/O); call it before serving or from `spawn_blocking`.
    pub fn open(options: &SqliteOptions) -> Result<SqliteStorage> {
        if let Some(dir) = options.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::internal(format!("cannot create {}: {e}", dir.display())))?;
        }
        let conn = schema::open_writer(&options.path, options.fsync)?;
        schema::migrate(&conn)?;
        let machines = MachineCache::default();
        machines.set(compile_stored(&conn)?);
        Ok(SqliteStorage {
            writer: Writer::spawn(conn)?,
            readers: ReadPool::new(options.path.clone(), options.max_idle_readers),
            machines,
        })
    }

    /// Group-commit counters.
    pub fn writer_stats(&self) -> WriterStats {
        self.writer.stats()
    }

    fn read<'a, T, F>(&'a self, f: F) -> BoxFuture<'a, Result<T>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        Box::pin(self.readers.read(f))
    }

    fn write<'a, T, F>(&'a self, f: F) -> BoxFuture<'a, Result<T>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        Box::pin(self.writer.execute(f))
    }

    /// Rebuilds the compiled machines from the stored services (after a service upsert).
    async fn reload_machines(&self) -> Result<()> {
        let services = self.readers.read(records::state_services).await?;
        let machines = StateMachines::compile(&services).map_err(Error::Config)?;
        self.machines.set(machines);
        Ok(())
    }
}

fn compile_stored(conn: &Connection) -> Result<StateMachines> {
    let services = records::state_services(conn)?;
    StateMachines::compile(&services)
        .map_err(|e| Error::internal(format!("stored state machines: {e}")))
}

impl Storage for SqliteStorage {
    fn apply_records<'a>(&'a self, r: &'a Records) -> BoxFuture<'a, Result<()>> {
        let owned = r.clone();
        Box::pin(async move {
            StateMachines::compile(&owned.state_services).map_err(Error::Config)?;
            self.writer
                .execute(move |c| records::apply_records(c, &owned))
                .await?;
            self.reload_machines().await
        })
    }

    fn upsert_app<'a>(&'a self, app: &'a App) -> BoxFuture<'a, Result<()>> {
        let app = app.clone();
        self.write(move |c| records::upsert_app(c, &app))
    }

    fn app<'a>(&'a self, app_id: &'a str) -> BoxFuture<'a, Result<Option<App>>> {
        let id = app_id.to_owned();
        self.read(move |c| records::app(c, &id))
    }

    fn apps(&self) -> BoxFuture<'_, Result<Vec<App>>> {
        self.read(records::apps)
    }

    fn upsert_app_auth_token<'a>(&'a self, token: &'a AppAuthToken) -> BoxFuture<'a, Result<()>> {
        let t = token.clone();
        self.write(move |c| records::upsert_app_auth_token(c, &t))
    }

    fn app_auth_token<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Option<AppAuthToken>>> {
        let t = token.to_owned();
        self.read(move |c| records::app_auth_token(c, &t))
    }

    fn upsert_template<'a>(&'a self, template: &'a Template) -> BoxFuture<'a, Result<()>> {
        let t = template.clone();
        self.write(move |c| records::upsert_template(c, &t))
    }

    fn template<'a>(&'a self, template_no: &'a str) -> BoxFuture<'a, Result<Option<Template>>> {
        let no = template_no.to_owned();
        self.read(move |c| records::template(c, &no))
    }

    fn templates(&self) -> BoxFuture<'_, Result<Vec<Template>>> {
        self.read(records::templates)
    }

    fn upsert_agreement<'a>(&'a self, agreement: &'a Agreement) -> BoxFuture<'a, Result<()>> {
        let a = agreement.clone();
        self.write(move |c| records::upsert_agreement(c, &a, false))
    }

    fn agreement<'a>(&'a self, agreement_no: &'a str) -> BoxFuture<'a, Result<Option<Agreement>>> {
        let no = agreement_no.to_owned();
        self.read(move |c| records::agreement(c, &no))
    }

    fn agreements(&self, page: Page) -> BoxFuture<'_, Result<Vec<Agreement>>> {
        self.read(move |c| records::agreements(c, page))
    }

    fn upsert_trade<'a>(&'a self, trade: &'a Trade) -> BoxFuture<'a, Result<()>> {
        let t = trade.clone();
        self.write(move |c| records::upsert_trade(c, &t))
    }

    fn trades(&self) -> BoxFuture<'_, Result<Vec<Trade>>> {
        self.read(records::trades)
    }

    fn upsert_state_service<'a>(&'a self, service: &'a ServiceConfig) -> BoxFuture<'a, Result<()>> {
        let s = service.clone();
        Box::pin(async move {
            StateMachines::compile(std::slice::from_ref(&s)).map_err(Error::Config)?;
            self.writer
                .execute(move |c| records::upsert_state_service(c, &s))
                .await?;
            self.reload_machines().await
        })
    }

    fn state_services(&self) -> BoxFuture<'_, Result<Vec<ServiceConfig>>> {
        self.read(records::state_services)
    }

    fn state_machines(&self) -> Arc<StateMachines> {
        self.machines.get()
    }

    fn sync_cumulation(
        &self,
        cmd: CumulationCmd,
        caller: Caller,
    ) -> BoxFuture<'_, Result<CumulationReceipt>> {
        self.write(move |c| {
            let snap = ledger::load_snapshot(c, &cmd)?;
            match cumulation::decide(&cmd, &caller, &snap) {
                CumulationDecision::Replay(receipt) => Ok(receipt),
                CumulationDecision::Reject(r) => Err(r.into()),
                CumulationDecision::Append(append) => {
                    let seq = ledger::append(c, &append)?;
                    Ok(CumulationReceipt {
                        seq,
                        ..CumulationReceipt::of(&append.event, false)
                    })
                }
            }
        })
    }

    fn sync_state(
        &self,
        cmd: StateSyncCmd,
        caller: Caller,
    ) -> BoxFuture<'_, Result<StateSyncReceipt>> {
        // Checks 4–7 (configuration and JSON Schema) run here, outside the single writer.
        let machines = self.machines.get();
        let checked = match machines.precheck(cmd, &caller.app_id) {
            Ok(checked) => checked,
            Err(r) => return Box::pin(std::future::ready(Err(r.into()))),
        };
        self.write(move |c| {
            let snap = state::load_snapshot(c, &checked, &machines)?;
            match state_sync::decide(&checked, &snap) {
                StateDecision::Replay(receipt) => Ok(receipt),
                StateDecision::Reject(r) => Err(r.into()),
                StateDecision::Transition(t) => state::write(c, &checked, &t, &caller),
            }
        })
    }

    fn apply_settlement(
        &self,
        cmd: SettleCmd,
        caller: Caller,
    ) -> BoxFuture<'_, Result<SettleReceipt>> {
        self.write(move |c| {
            let snap = settle::load_snapshot(c, &cmd)?;
            match settle_rules::decide(&cmd, &caller, &snap) {
                SettleDecision::Replay(receipt) => Ok(receipt),
                SettleDecision::Reject(r) => Err(r.into()),
                SettleDecision::Settle(s) => {
                    settle::record(c, &s)?;
                    Ok(SettleReceipt::of(&s, false))
                }
            }
        })
    }

    fn cumulate_query(
        &self,
        q: CumulateQuery,
        caller: Caller,
    ) -> BoxFuture<'_, Result<CumulateSummary>> {
        self.read(move |c| {
            let agreement = records::agreement(c, &q.agreement_id)?;
            query::check_cumulate_access(&q, &caller, agreement.as_ref())?;
            let totals = ledger::totals(c, &q.agreement_id, false)?;
            let page = Page::of_query(&q);
            let details = if q.need_detail {
                Some(ledger::events_page(c, &q.agreement_id, page)?)
            } else {
                None
            };
            Ok(CumulateSummary {
                agreement_no: q.agreement_id,
                totals,
                page,
                details,
            })
        })
    }

    fn agreement_query(
        &self,
        q: AgreementQuery,
        caller: Caller,
    ) -> BoxFuture<'_, Result<Agreement>> {
        self.read(move |c| {
            let candidates = match &q.selector {
                AgreementSelector::AgreementId(no) => {
                    records::agreement(c, no)?.into_iter().collect()
                }
                AgreementSelector::User {
                    alipay_user_id,
                    open_id,
                } => records::agreements_of_user(c, alipay_user_id.as_deref(), open_id.as_deref())?,
            };
            Ok(query::pick_agreement(&q, &caller, &candidates)?.clone())
        })
    }

    fn ledger<'a>(
        &'a self,
        agreement_no: &'a str,
        page: Page,
    ) -> BoxFuture<'a, Result<(AgreementTotals, Vec<LedgerEvent>)>> {
        let no = agreement_no.to_owned();
        self.read(move |c| {
            Ok((
                ledger::totals(c, &no, true)?,
                ledger::events_page(c, &no, page)?,
            ))
        })
    }

    fn state_instance<'a>(
        &'a self,
        key: &'a InstanceKey,
    ) -> BoxFuture<'a, Result<Option<InstanceHistory>>> {
        let key = key.clone();
        self.read(move |c| state::instance(c, &key))
    }

    fn append_audit(&self, entry: AuditEntry) -> BoxFuture<'_, ()> {
        Box::pin(
            self.writer
                .enqueue(move |c| settle::append_audit(c, &entry)),
        )
    }

    fn recent_audit(&self, limit: i64) -> BoxFuture<'_, Result<Vec<AuditEntry>>> {
        self.read(move |c| settle::recent_audit(c, limit))
    }

    fn verify_invariants(&self) -> BoxFuture<'_, Result<InvariantReport>> {
        self.read(ledger::verify_invariants)
    }

    fn flush(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.writer.execute(|_| Ok(())))
    }

    fn stats(&self) -> StorageStats {
        let w = self.writer.stats();
        StorageStats {
            commits: w.commits,
            write_jobs: w.jobs,
            failed_commits: w.failed_commits,
            max_batch: w.max_batch,
        }
    }
}
