//! What a storage engine must provide: transactions ([`Engine`]), the operations a command
//! runs inside a write transaction ([`WriteTx`]), and counters ([`StorageStats`]). The read
//! operations are in [`crate::storage::reads`]. What an engine does not have to know (which
//! rule applies, what to answer) is in `storage/commands.rs` and `storage/queries.rs`.

use std::future::Future;
use std::pin::Pin;

use crate::domain::audit::AuditEntry;
use crate::domain::consent::SignConsent;
use crate::domain::cumulation::{Append, CumulationCmd, CumulationSnapshot};
use crate::domain::entities::{Agreement, AgreementQuit, Caller, Records, Time};
use crate::domain::merchant_sync::MerchantSyncCmd;
use crate::domain::settle::{SettleCmd, SettleSnapshot, Settlement};
use crate::domain::settle_refund::{RefundCmd, RefundSnapshot, SettlementRefund};
use crate::domain::settle_unfreeze::{Unfreeze, UnfreezeCmd, UnfreezeSnapshot};
use crate::domain::state_sync::{CheckedStateSync, StateSnapshot, StateSyncCmd, Transition};
use crate::error::Result;
use zhima_proto::money::Fen;

use crate::metrics::HistogramSnapshot;

use super::reads::ReadTx;

/// A boxed future, so the traits stay object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A unit of work for one write transaction. `FnMut`, not `FnOnce`: an engine whose
/// transactions can conflict with another process (PostgreSQL) rolls back and runs the job
/// again, so load + decide see the winner. An `Err` from the job means "write nothing".
pub type WriteJob = Box<dyn FnMut(&mut dyn WriteTx) -> Result<()> + Send>;

/// A unit of work for one read transaction (a consistent snapshot across its reads).
pub type ReadJob = Box<dyn FnOnce(&mut dyn ReadTx) -> Result<()> + Send>;

/// A storage engine: runs jobs in transactions.
pub trait Engine: Send + Sync {
    /// Runs `job` in a write transaction and returns once the transaction is durably committed,
    /// or the job's error with nothing of the job written, or an internal error if the commit
    /// failed. Write transactions run one at a time as far as the job can tell: what a job
    /// loads is current until it commits (SQLite: one writer; PostgreSQL: `SELECT … FOR UPDATE`
    /// of the totals row, and retry on a unique violation).
    fn write(&self, job: WriteJob) -> BoxFuture<'_, Result<()>>;

    /// Queues `job` to be written without waiting for it (audit entries); failures are logged.
    /// The writer takes it into its next batch, so it is committed no later than any
    /// [`Engine::write`] started after this call returned. It wakes nothing: a caller that
    /// needs it written soon follows with a write (Storage's audit flusher does).
    fn write_later(&self, job: WriteJob);

    /// Runs `job` in a read transaction. Never waits behind writes.
    fn read(&self, job: ReadJob) -> BoxFuture<'_, Result<()>>;

    /// Records the v3 (`app_id`, `nonce`) as used until `expires_ms` unless it is already
    /// recorded and unexpired at `now_ms`; `Ok(false)` means a replay. Every process sharing
    /// the engine's data must see the same set (PostgreSQL: a table; SQLite, one process: a
    /// bounded in-memory cache).
    fn check_nonce(
        &self,
        app_id: &str,
        nonce: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> BoxFuture<'_, Result<bool>>;

    /// Write counters so far.
    fn stats(&self) -> StorageStats;
}

/// The rows a command loads and the effects it writes, inside one write transaction. Each
/// `load_*` returns what the domain's `decide` needs; each write stores exactly a decision.
/// Idempotency keys are unique in the database, so a lost race can never write twice.
pub trait WriteTx: super::agreement_tx::AgreementTx + super::outbox::OutboxTx {
    /// The [`CumulationSnapshot`] of `cmd`. When an event with the same (`partner_id`,
    /// `out_biz_no`) exists only `existing` is needed. Locks the agreement's totals where the
    /// engine is shared by several processes.
    fn load_cumulation(&mut self, cmd: &CumulationCmd) -> Result<CumulationSnapshot>;

    /// Appends the event and adds its delta to the agreement's totals; returns the event's seq.
    fn append_cumulation(&mut self, append: &Append) -> Result<i64>;

    /// The stored event with the same (`service_id`, `out_biz_no`) and the instance of the
    /// command's key. `current_next` is left empty: it comes from configuration, not rows.
    fn load_state_sync(&mut self, cmd: &StateSyncCmd) -> Result<StateSnapshot>;

    /// Creates or moves the instance and appends the state event.
    fn write_transition(
        &mut self,
        checked: &CheckedStateSync,
        transition: &Transition,
        caller: &Caller,
    ) -> Result<WrittenTransition>;

    /// The [`SettleSnapshot`] of `cmd` (the settlement with the same key, or the agreement,
    /// its template and its totals).
    fn load_settlement(&mut self, cmd: &SettleCmd) -> Result<SettleSnapshot>;

    /// Records the settlement and moves its agreement to `N`; returns the settlement's seq.
    fn record_settlement(&mut self, settlement: &Settlement) -> Result<i64>;

    /// Upserts every record of a configuration. Agreements settled at run time keep status
    /// `N` even if the records say otherwise.
    fn upsert_records(&mut self, records: &Records) -> Result<()>;

    /// Deletes an app auth token (admin API revoke); `false` when there was none.
    fn delete_app_auth_token(&mut self, token: &str) -> Result<bool>;

    /// Appends one audit entry.
    fn append_audit(&mut self, entry: &AuditEntry) -> Result<()>;

    /// Deletes up to `limit` audit entries received before `before`, oldest first; how many
    /// it deleted (fewer than `limit`: none older are left).
    fn delete_audit_before(&mut self, before: &Time, limit: i64) -> Result<u64>;

    // ---- sandbox clock, lifecycle, platform secrets ----

    /// Adds `by_ms` to the sandbox clock's offset in one statement (so processes advancing
    /// together all count) unless the result would pass `max_offset_ms`; the new offset, or
    /// `None` when refused.
    fn advance_clock(&mut self, by_ms: i64, max_offset_ms: i64) -> Result<Option<i64>>;

    /// Up to `limit` agreements with status `Y` whose end is at or before `now`, by end time.
    /// A multi-process engine locks them and skips those another transaction holds
    /// (`FOR UPDATE SKIP LOCKED`), so concurrent sweeps share the work.
    fn load_due_agreements(&mut self, now: &Time, limit: i64) -> Result<Vec<Agreement>>;

    /// Moves the agreement from `Y` to `P` with `quit`; `false` (nothing written) when it is no
    /// longer `Y`. A `withhold_plan_no` already in use fails as a lost race.
    fn record_quit(&mut self, agreement_no: &str, quit: &AgreementQuit) -> Result<bool>;

    /// Stores the platform secret `name` unless one exists; `true` when this call stored it.
    fn insert_secret_if_absent(&mut self, name: &str, value: &str) -> Result<bool>;

    /// Stores (or replaces) the platform secret `name`.
    fn set_secret(&mut self, name: &str, value: &str) -> Result<()>;

    // ---- lifecycle money: settle.refund, settle.unfreeze ----

    /// The [`RefundSnapshot`] of `cmd`: the refund with the same key, else the settlement of
    /// (`agreement_id`, `withhold_plan_no`), the agreement and the sum of that settlement's
    /// refunds. Locks the agreement row where the engine is shared by several processes, so
    /// concurrent refunds of one settlement see each other's.
    fn load_refund(&mut self, cmd: &RefundCmd) -> Result<RefundSnapshot>;

    /// Records a refund decided by the domain.
    fn record_refund(&mut self, refund: &SettlementRefund) -> Result<()>;

    /// The [`UnfreezeSnapshot`] of `cmd` (the unfreeze with the same key, else the agreement,
    /// where its frozen amount comes from and the sum of its unfreezes); locks the agreement
    /// row like [`WriteTx::load_refund`].
    fn load_unfreeze(&mut self, cmd: &UnfreezeCmd) -> Result<UnfreezeSnapshot>;

    /// Records an unfreeze decided by the domain.
    fn record_unfreeze(&mut self, unfreeze: &Unfreeze) -> Result<()>;

    /// The [`CumulationSnapshot`] of a merchant-level `cumulate.sync`: the event under
    /// (`provider_pid`, `out_biz_no`) — either API's — else the agreement, its template, and
    /// for a `refer_out_biz_no` that payment and its refunds. Locks the agreement's totals
    /// like [`WriteTx::load_cumulation`].
    fn load_merchant_sync(&mut self, cmd: &MerchantSyncCmd) -> Result<CumulationSnapshot>;

    /// Sets the amount frozen for an agreement (operators and tests); `false` when there is no
    /// such agreement.
    fn set_freeze_amount(&mut self, agreement_no: &str, amount: Fen) -> Result<bool>;

    // ---- sign.apply consent tokens (storage/consent.rs) ----

    /// Stores a rendered signing page's consent.
    fn insert_consent(&mut self, consent: &SignConsent) -> Result<()>;

    /// The consent stored under `token_hash`. A multi-process engine locks the row until
    /// commit, so two submits of one token are decided one after the other.
    fn load_consent(&mut self, token_hash: &str) -> Result<Option<SignConsent>>;

    /// Marks the consent used at `now_ms`; `false` (nothing written) when it already was.
    fn use_consent(&mut self, token_hash: &str, now_ms: i64) -> Result<bool>;
}

/// Where a state transition was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrittenTransition {
    /// The instance (new or moved).
    pub instance_id: i64,
    /// The appended state event.
    pub event_seq: i64,
}

/// Write counters (for `/metrics` and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorageStats {
    /// Write transactions committed (with SQLite's group commit, each one fsync).
    pub commits: u64,
    /// Write jobs executed (commands, upserts, audit entries).
    pub write_jobs: u64,
    /// Transactions whose commit failed (all their jobs got an internal error).
    pub failed_commits: u64,
    /// Largest number of jobs in one commit.
    pub max_batch: u64,
    /// Jobs per batch (committed or not).
    pub batch_sizes: HistogramSnapshot,
    /// How long each successful `COMMIT` took, fsync / WAL flush included, in microseconds.
    pub commit_latency_us: HistogramSnapshot,
    /// Write jobs queued for the group-commit writer now.
    pub queue_depth: u64,
}
