//! Durable storage: one handle ([`Storage`]) over a small engine contract, so a PostgreSQL
//! engine can be added next to SQLite without touching domain code or the orchestration.
//!
//! ## Layout
//!
//! | file | what lives there |
//! |---|---|
//! | `handle.rs` | [`Storage`], the handle the HTTP layer holds (`Arc<Storage>`) |
//! | `engine.rs` | the write contract: [`Engine`] (transactions, counters) and [`WriteTx`] |
//! | `reads.rs` | the read contract: [`ReadTx`] and the views it returns ([`InstanceHistory`]) |
//! | `admin_reads.rs` | the operator's reads ([`admin_reads::AdminReadTx`], a supertrait of [`ReadTx`]: listings, searches, the agreement ledger) and the [`Storage`] methods the admin API and console call |
//! | `admin_query.rs` | the SQL of those searches, composed once for both engines |
//! | `commands.rs` | load → `decide` → write, once for every engine |
//! | `agreement_tx.rs` | the agreement lifecycle's part of the write contract ([`agreement_tx::AgreementTx`], a supertrait of [`WriteTx`]) |
//! | `agreement_lifecycle.rs` | templates, preorders, signing, unsign: load → `decide` → write, callable inside any write job |
//! | `lifecycle.rs` | the sandbox clock and agreement expiry (advance → sweep), once for every engine |
//! | `queries.rs` | the read side (`cumulate.query`, `agreement.query`, ledger, invariants) |
//! | `sqlite/` | the SQLite engine (WAL, fsync, group commit) |
//! | `postgres/` | the PostgreSQL engine (several processes, one database, group commit) |
//! | `outbox.rs` | notifications to merchants: the outbox part of the contract ([`OutboxTx`]), `emit` inside the lifecycle's write jobs, claims and attempts for the delivery worker |
//! | `nonce.rs` | the in-memory v3 nonce cache of a single-process engine |
//! | `app_cache.rs` | apps recently read (a request's authentication needs no read transaction) |
//! | `audit_log.rs` | the audit log's write path: buffered entries written in bulk with the next batch |
//!
//! ## The engine contract
//! An engine implements [`Engine`]: `write(job)` runs a job against a [`WriteTx`] inside one
//! write transaction and returns only after the commit is durable; an `Err` from the job means
//! nothing of it is written. `write_later(job)` queues a write nobody waits for (audit);
//! `read(job)` runs a job against a [`ReadTx`] inside one read transaction. `stats()` counts
//! writes. `check_nonce` records a v3 nonce (insert-if-absent) where every process sharing the
//! data sees it. Engines load rows and write decisions; they never decide.
//!
//! [`WriteTx`] has one `load_*` / write pair per command: `load_cumulation` →
//! `append_cumulation`, `load_state_sync` → `write_transition`, `load_settlement` →
//! `record_settlement`; plus `upsert_records` (configuration) and `append_audit`; for the
//! lifecycle (PRODUCT §11, §14): `advance_clock` (one atomic increment), `load_due_agreements`
//! (PostgreSQL: `FOR UPDATE SKIP LOCKED`) → `record_quit` (only while `Y`),
//! `insert_secret_if_absent` / `set_secret` (admin token hash). [`ReadTx`] adds `clock` and
//! `secret`.
//! [`ReadTx`] returns rows: apps, app auth tokens, templates, agreements (one, a page, a
//! user's), trades, state services, an agreement's totals row and a page of its events, every
//! event (invariant check), instance histories, recent audit entries.
//!
//! ## The write path (every engine)
//! `commands` runs, inside one write job: load the snapshot (`WriteTx::load_*`) → the
//! domain's pure `decide` (`domain::cumulation::decide`, `domain::state_sync::decide`,
//! `domain::settle::decide`) → write exactly the decision's effects — or nothing for a replay
//! or a rejection. [`Storage`] returns `Ok(receipt)` only after the commit, a rejection as
//! `Err(Error::Rejected)` with nothing written.
//!
//! Exactly-once is enforced by the database: `UNIQUE(partner_id, out_biz_no)` on cumulation
//! events, `UNIQUE(service_id, out_biz_no)` on state events, `UNIQUE(partner_id,
//! out_request_no)` on settlements. A job's snapshot must stay current until it commits:
//! SQLite has one writer thread (group commit, `sqlite/group_commit.rs`), so it runs each job
//! once. A multi-process engine (PostgreSQL) locks the agreement's totals row (`SELECT … FOR
//! UPDATE`) in `load_cumulation`, and on a unique violation rolls back (to the job's savepoint
//! in its batch, `postgres/group_commit.rs`) and runs the same job again ([`WriteJob`] is
//! `FnMut` for that), which then sees the winner and answers a replay or a conflict. An engine with async drivers runs the job on a blocking thread with a
//! synchronous connection (as SQLite's readers do), or mirrors the few lines of `commands`.
//!
//! ## Reads
//! Queries never sum over events: `cumulate_query` reads the totals row plus at most one page.
//! A page of an agreement's events is one range of `(agreement_no, agreement_seq)` (events
//! numbered 1, 2, 3… per agreement as they are appended), so any page costs one page.

mod admin_edits;
mod admin_query;
pub mod admin_reads;
pub(crate) mod agreement_lifecycle;
pub mod agreement_tx;
pub mod app_cache;
pub mod audit_log;
mod commands;
mod consent;
pub mod engine;
mod handle;
mod later;
mod lifecycle;
mod money;
pub(crate) mod nonce;
pub mod outbox;
pub mod postgres;
mod queries;
pub mod reads;
mod retention;
pub mod sqlite;
mod stored_discounts;
mod writer_stats;

pub use self::admin_edits::Edit;
pub use self::consent::{Confirmed, Declined};
pub use self::engine::{
    BoxFuture, Engine, ReadJob, StorageStats, WriteJob, WriteTx, WrittenTransition,
};
pub use self::handle::{ClockAdvanced, Storage};
pub use self::outbox::{AttemptRecord, Claimed, OutboxReadTx, OutboxTx};
pub use self::postgres::{redact_url, PgEngine, PgOptions};
pub use self::reads::{InstanceHistory, InstanceKey, ReadTx, StateEventView};
pub use self::sqlite::{SqliteEngine, SqliteOptions};
pub use crate::domain::invariants::InvariantReport;
