//! The storage contract on a PostgreSQL transaction: [`WriteTx`] and [`ReadTx`], with the SQL
//! of every operation. Rows mirror the SQLite schema (`migrations/postgres/0001_init.sql`).
//!
//! Every statement goes through [`PgTx`], which remembers the first failure: once a statement
//! failed PostgreSQL refuses the rest of the transaction, and the engine must know whether the
//! failure was a lost race (run the job again) or the database failing.

use postgres::types::ToSql;
use postgres::Row;
use zhima_proto::models::BizAction;

use crate::domain::audit::AuditEntry;
use crate::domain::consent::SignConsent;
use crate::domain::cumulation::{trade_no_of, Append, CumulationCmd, CumulationSnapshot};
use crate::domain::entities::{Agreement, AgreementQuit, Caller, Records, Template, Time, Trade};
use crate::domain::ledger::{LedgerEvent, TotalsDelta};
use crate::domain::merchant_sync::MerchantSyncCmd;
use crate::domain::settle::{LedgerTotals, SettleCmd, SettleSnapshot, Settlement};
use crate::domain::settle_refund::{RefundCmd, RefundSnapshot, SettlementRefund};
use crate::domain::settle_unfreeze::{Unfreeze, UnfreezeCmd, UnfreezeSnapshot};
use crate::domain::state_sync::{
    CheckedStateSync, InstanceState, StateSnapshot, StateSyncCmd, StoredStateEvent, Transition,
};
use crate::error::{Error, Result};
use crate::storage::engine::{WriteTx, WrittenTransition};
use crate::storage::reads::ReadTx;
use crate::storage::stored_discounts;
use zhima_proto::money::Fen;

/// A database error as the crate's error: no SQLSTATE means the connection itself failed.
pub(crate) fn db_error(e: postgres::Error) -> Error {
    db_error_ref(&e)
}

fn db_error_ref(e: &postgres::Error) -> Error {
    if e.code().is_none() {
        Error::Unavailable(format!("postgres: {e}"))
    } else {
        Error::Internal(format!("postgres: {e}"))
    }
}

/// What kind of failure a statement hit; it decides how much the engine rolls back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// A unique violation: another transaction committed the same key first. Rolling back
    /// the job (to its savepoint) and running it again answers a replay or a conflict.
    Unique,
    /// A serialization failure or a deadlock: the whole transaction must be rolled back.
    Conflict,
    /// The connection is gone (no SQLSTATE): nothing of the transaction was committed.
    Connection,
    /// Any other SQL error: the job's own.
    Other,
}

/// The [`FailureKind`] of `e`.
pub(crate) fn failure_kind(e: &postgres::Error) -> FailureKind {
    use postgres::error::SqlState;
    match e.code() {
        None => FailureKind::Connection,
        Some(c) if *c == SqlState::UNIQUE_VIOLATION => FailureKind::Unique,
        Some(c)
            if *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED =>
        {
            FailureKind::Conflict
        }
        Some(_) => FailureKind::Other,
    }
}

/// A connection inside a transaction (or a savepoint) that the caller opened, and the first
/// statement failure in it. Transaction control (`BEGIN`, savepoints, `COMMIT`) belongs to
/// the caller (`group_commit`, `read_blocking`), which batches it into as few round trips as
/// it can.
pub(crate) struct PgTx<'t> {
    client: &'t mut postgres::Client,
    statements: &'t mut Statements,
    failure: Option<(Error, FailureKind)>,
    /// Totals rows the enclosing transaction already holds locked (earlier, released jobs of
    /// the batch): locking them again would only cost a round trip.
    held: Option<&'t std::collections::HashSet<String>>,
    /// Totals rows this job locked; they stay held only if its savepoint is released.
    locked: Vec<String>,
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

impl<'t> PgTx<'t> {
    pub(crate) fn new(client: &'t mut postgres::Client, statements: &'t mut Statements) -> Self {
        PgTx {
            client,
            statements,
            failure: None,
            held: None,
            locked: Vec::new(),
        }
    }

    /// A job of a batch, whose transaction holds the locks of `held`.
    pub(crate) fn in_batch(
        client: &'t mut postgres::Client,
        statements: &'t mut Statements,
        held: &'t std::collections::HashSet<String>,
    ) -> Self {
        PgTx {
            held: Some(held),
            ..PgTx::new(client, statements)
        }
    }

    /// The totals rows this job locked.
    pub(crate) fn take_locked(&mut self) -> Vec<String> {
        std::mem::take(&mut self.locked)
    }

    /// The first statement failure, if any, and its kind.
    pub(crate) fn failure(&mut self) -> Option<(Error, FailureKind)> {
        self.failure.take()
    }

    fn note(&mut self, e: postgres::Error) -> Error {
        let err = db_error_ref(&e);
        if self.failure.is_none() {
            self.failure = Some((err.clone(), failure_kind(&e)));
        }
        err
    }

    /// The prepared statement of `sql` on this connection (prepared once).
    fn statement(&mut self, sql: &str) -> Result<postgres::Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        match self.client.prepare(sql) {
            Ok(s) => {
                self.statements.insert(sql.to_owned(), s.clone());
                Ok(s)
            }
            Err(e) => Err(self.note(e)),
        }
    }

    fn query(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
        let sql = &self.statement(sql)?;
        match self.client.query(sql, params) {
            Ok(rows) => Ok(rows),
            Err(e) => Err(self.note(e)),
        }
    }

    fn opt(&mut self, sql: &str, params: Params<'_>) -> Result<Option<Row>> {
        let sql = &self.statement(sql)?;
        match self.client.query_opt(sql, params) {
            Ok(row) => Ok(row),
            Err(e) => Err(self.note(e)),
        }
    }

    fn one(&mut self, sql: &str, params: Params<'_>) -> Result<Row> {
        let sql = &self.statement(sql)?;
        match self.client.query_one(sql, params) {
            Ok(row) => Ok(row),
            Err(e) => Err(self.note(e)),
        }
    }

    fn exec(&mut self, sql: &str, params: Params<'_>) -> Result<u64> {
        let sql = &self.statement(sql)?;
        match self.client.execute(sql, params) {
            Ok(n) => Ok(n),
            Err(e) => Err(self.note(e)),
        }
    }

    fn all<T>(
        &mut self,
        sql: &str,
        params: Params<'_>,
        f: fn(&Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.query(sql, params)?.iter().map(f).collect()
    }

    fn first<T>(
        &mut self,
        sql: &str,
        params: Params<'_>,
        f: fn(&Row) -> Result<T>,
    ) -> Result<Option<T>> {
        self.opt(sql, params)?.as_ref().map(f).transpose()
    }
}

mod admin;
mod agreements;
mod consent;
mod lifecycle;
mod money;
mod outbox;
mod read;
mod rows;

pub use self::rows::events_page_sql;

/// Statements prepared once per pooled connection, by SQL text.
pub(crate) type Statements = std::collections::HashMap<String, postgres::Statement>;

use self::rows::*;

// ---- shared loads ----

impl PgTx<'_> {
    /// The amounts of every refund of the payment `pay_out_biz_no`, oldest first.
    pub(super) fn refunds_of(
        &mut self,
        partner_id: &str,
        pay_out_biz_no: &str,
    ) -> Result<Vec<crate::domain::ledger::EventAmounts>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM cumulation_events
             WHERE partner_id = $1 AND pay_out_biz_no = $2 AND biz_action = 'ORDER_REFUND' ORDER BY seq"
        );
        let refunds = self.all(&sql, &[&partner_id, &pay_out_biz_no], event_row)?;
        Ok(refunds.into_iter().map(|e| e.amounts).collect())
    }

    fn event_by_key(&mut self, partner_id: &str, out_biz_no: &str) -> Result<Option<LedgerEvent>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM cumulation_events WHERE partner_id = $1 AND out_biz_no = $2"
        );
        self.first(&sql, &[&partner_id, &out_biz_no], event_row)
    }

    fn template(&mut self, template_no: &str) -> Result<Option<Template>> {
        let sql = format!("SELECT {TEMPLATE_COLUMNS} FROM templates WHERE template_no = $1");
        self.first(&sql, &[&template_no], template_row)
    }

    fn trade(&mut self, trade_no: &str) -> Result<Option<Trade>> {
        self.first(
            "SELECT trade_no, buyer_user_id, seller_partner_id, amount FROM trades WHERE trade_no = $1",
            &[&trade_no],
            trade_row,
        )
    }

    /// Locks the agreement's totals row (creating a zero row first if there is none), so that
    /// no other transaction changes the ledger of this agreement until we commit. The row
    /// usually exists: one round trip then.
    fn lock_totals(&mut self, agreement_no: &str) -> Result<()> {
        if self.held.is_some_and(|h| h.contains(agreement_no)) {
            return Ok(());
        }
        self.locked.push(agreement_no.to_owned());
        const LOCK: &str = "SELECT 1 FROM agreement_totals WHERE agreement_no = $1 FOR UPDATE";
        if self.exec(LOCK, &[&agreement_no])? == 0 {
            self.exec(
                "INSERT INTO agreement_totals (agreement_no, trade_amount, discount_amount, task_count, event_count,
                   paid_count, fully_refunded_count) VALUES ($1, 0, 0, 0, 0, 0, 0)
                 ON CONFLICT (agreement_no) DO NOTHING",
                &[&agreement_no],
            )?;
            self.exec(LOCK, &[&agreement_no])?;
        }
        Ok(())
    }

    /// The agreement and its template, in one round trip.
    fn agreement_with_template(
        &mut self,
        agreement_no: &str,
    ) -> Result<(Option<Agreement>, Option<Template>)> {
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!(
                "SELECT a.*, t.* FROM (SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE agreement_no = $1) a
                 LEFT JOIN (SELECT {TEMPLATE_COLUMNS} FROM templates) t ON t.template_no = a.template_no"
            )
        });
        let Some(row) = self.opt(&SQL, &[&agreement_no])? else {
            return Ok((None, None));
        };
        let template = match get::<Option<String>>(&row, AGREEMENT_WIDTH)? {
            Some(_) => Some(template_row_at(&row, AGREEMENT_WIDTH)?),
            None => None,
        };
        Ok((Some(agreement_row(&row)?), template))
    }

    /// Adds one event's discount and task amounts to its agreement's per-name totals (the
    /// main totals row is updated with the event's insert, `append_cumulation`).
    fn add_to_named_totals(&mut self, agreement_no: &str, d: &TotalsDelta) -> Result<()> {
        for ((kind, name), amount) in &d.discounts {
            self.exec(
                "INSERT INTO agreement_discount_totals (agreement_no, discount_type, discount_name, amount)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (agreement_no, discount_type, discount_name)
                 DO UPDATE SET amount = agreement_discount_totals.amount + excluded.amount",
                &[&agreement_no, &kind.as_str(), name, &amount.0],
            )?;
        }
        if let Some((name, n)) = &d.task {
            self.exec(
                "INSERT INTO agreement_task_totals (agreement_no, task_name, task_count) VALUES ($1, $2, $3)
                 ON CONFLICT (agreement_no, task_name)
                 DO UPDATE SET task_count = agreement_task_totals.task_count + excluded.task_count",
                &[&agreement_no, name, n],
            )?;
        }
        Ok(())
    }

    fn settlement(&mut self, partner_id: &str, out_request_no: &str) -> Result<Option<Settlement>> {
        self.first(
            "SELECT seq, partner_id, out_request_no, agreement_no, withhold_plan_no, pay_amount, action_type,
               request, fingerprint, ledger_trade_amount, ledger_discount_amount, ledger_task_count, settled_at_ms
             FROM settlements WHERE partner_id = $1 AND out_request_no = $2",
            &[&partner_id, &out_request_no],
            settlement_row,
        )
    }

    fn upsert_agreement(&mut self, a: &Agreement) -> Result<()> {
        let template_exists = self
            .opt(
                "SELECT 1 FROM templates WHERE template_no = $1",
                &[&a.template_no],
            )?
            .is_some();
        // Checked first: a foreign-key failure would abort the whole transaction.
        if !template_exists {
            return Err(Error::Config(format!(
                "agreement {}: template {} does not exist",
                a.agreement_no, a.template_no
            )));
        }
        self.exec(
            "INSERT INTO agreements (agreement_no, template_no, user_id, open_id, partner_id, status, start_time_ms, end_time_ms, app_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (agreement_no) DO UPDATE SET template_no = excluded.template_no, user_id = excluded.user_id,
               open_id = excluded.open_id, partner_id = excluded.partner_id,
               status = CASE WHEN agreements.settled OR agreements.withhold_plan_no IS NOT NULL
                 THEN agreements.status ELSE excluded.status END,
               start_time_ms = excluded.start_time_ms, end_time_ms = excluded.end_time_ms, app_id = excluded.app_id",
            &[
                &a.agreement_no,
                &a.template_no,
                &a.user_id,
                &a.open_id,
                &a.partner_id,
                &a.status.as_str(),
                &ms(&a.start_time),
                &ms(&a.end_time),
                &a.app_id,
            ],
        )?;
        Ok(())
    }
}

// ---- v3 nonces (outside any transaction: each statement commits on its own) ----

impl PgTx<'_> {
    /// Records (`app_id`, `nonce`) unless present and unexpired; `sweep` first deletes the
    /// expired rows. `Ok(false)` is a replay.
    pub(crate) fn record_nonce(
        &mut self,
        app_id: &str,
        nonce: &str,
        expires_ms: i64,
        now_ms: i64,
        sweep: bool,
    ) -> Result<bool> {
        if sweep {
            self.exec("DELETE FROM v3_nonces WHERE expires_at_ms < $1", &[&now_ms])?;
        }
        // An expired row for the same key counts as absent: it is replaced.
        let n = self.exec(
            "INSERT INTO v3_nonces (app_id, nonce, expires_at_ms) VALUES ($1, $2, $3)
             ON CONFLICT (app_id, nonce) DO UPDATE SET expires_at_ms = excluded.expires_at_ms
             WHERE v3_nonces.expires_at_ms < $4",
            &[&app_id, &nonce, &expires_ms, &now_ms],
        )?;
        Ok(n == 1)
    }
}

// ---- the write contract ----

impl WriteTx for PgTx<'_> {
    fn load_cumulation(&mut self, cmd: &CumulationCmd) -> Result<CumulationSnapshot> {
        // Lock first, so everything read below stays current until the commit.
        self.lock_totals(&cmd.agreement_no)?;
        if let Some(existing) = self.event_by_key(&cmd.partner_id, &cmd.out_biz_no)? {
            return Ok(CumulationSnapshot {
                existing: Some(existing),
                ..Default::default()
            });
        }
        let (agreement, template) = self.agreement_with_template(&cmd.agreement_no)?;
        let trade = match (trade_no_of(cmd), cmd.has_alipay_trade) {
            (Some(no), true) => self.trade(no)?,
            _ => None,
        };
        let (payment, prior_refunds) = match (&cmd.pay_out_biz_no, cmd.biz_action) {
            (Some(pay_no), BizAction::OrderRefund) => {
                let payment = self.event_by_key(&cmd.partner_id, pay_no)?;
                (payment, self.refunds_of(&cmd.partner_id, pay_no)?)
            }
            _ => (None, Vec::new()),
        };
        Ok(CumulationSnapshot {
            existing: None,
            agreement,
            template,
            trade,
            payment,
            prior_refunds,
        })
    }

    fn append_cumulation(&mut self, a: &Append) -> Result<i64> {
        let (e, d) = (&a.event, &a.delta);
        // The totals row counts the agreement's events: its new count is this event's
        // `agreement_seq` (the same rule as the SQLite engine's). One statement adds the
        // event to the totals and inserts it: a round trip less per sync.
        let row = self.one(
            "WITH totals AS (
               INSERT INTO agreement_totals (agreement_no, trade_amount, discount_amount, task_count, event_count,
                 paid_count, fully_refunded_count)
               VALUES ($3, $18, $19, $20, 1, $21, $22)
               ON CONFLICT (agreement_no) DO UPDATE SET
                 trade_amount = agreement_totals.trade_amount + excluded.trade_amount,
                 discount_amount = agreement_totals.discount_amount + excluded.discount_amount,
                 task_count = agreement_totals.task_count + excluded.task_count,
                 event_count = agreement_totals.event_count + 1,
                 paid_count = agreement_totals.paid_count + excluded.paid_count,
                 fully_refunded_count = agreement_totals.fully_refunded_count + excluded.fully_refunded_count
               RETURNING event_count)
             INSERT INTO cumulation_events (partner_id, out_biz_no, agreement_no, user_id, open_id, biz_action,
               pay_out_biz_no, biz_time_ms, data_type, amount_name, task_name, trade_no, trade_amount, discounts,
               task_count, fingerprint, received_at_ms, agreement_seq)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
               (SELECT event_count FROM totals))
             RETURNING seq",
            &[
                &e.partner_id,
                &e.out_biz_no,
                &e.agreement_no,
                &e.user_id,
                &e.open_id,
                &e.action.as_str(),
                &e.pay_out_biz_no,
                &ms(&e.biz_time),
                &e.data_type.as_str(),
                &e.amount_name,
                &e.task_name,
                &e.trade_no,
                &e.amounts.trade.0,
                &stored_discounts::encode(&e.amounts.discounts),
                &e.amounts.tasks,
                &e.fingerprint,
                &ms(&e.received_at),
                &d.trade_amount.0,
                &d.discount_amount.0,
                &d.task_count,
                &d.paid,
                &d.fully_refunded,
            ],
        )?;
        self.add_to_named_totals(&e.agreement_no, d)?;
        get(&row, 0)
    }

    fn load_state_sync(&mut self, cmd: &StateSyncCmd) -> Result<StateSnapshot> {
        let existing = self.first(
            "SELECT seq, fingerprint, instance_id, from_state, to_state FROM state_events
             WHERE service_id = $1 AND out_biz_no = $2",
            &[&cmd.service_id, &cmd.out_biz_no],
            |r| {
                Ok(StoredStateEvent {
                    seq: get(r, 0)?,
                    fingerprint: get(r, 1)?,
                    instance_id: get(r, 2)?,
                    from_state: get(r, 3)?,
                    to_state: get(r, 4)?,
                })
            },
        )?;
        if existing.is_some() {
            return Ok(StateSnapshot {
                existing,
                ..Default::default()
            });
        }
        // The instance row is locked so that its state stays current until the commit; a new
        // instance created by a racing transaction surfaces as a unique violation (retry).
        let instance = self.first(
            "SELECT id, current_state FROM state_instances
             WHERE service_id = $1 AND category_code = $2 AND user_id = $3 AND out_principal_id = $4
             FOR UPDATE",
            &[
                &cmd.service_id,
                &cmd.category_code,
                &cmd.user_id,
                &cmd.out_principal_id,
            ],
            |r| {
                Ok(InstanceState {
                    id: get(r, 0)?,
                    current_state: get(r, 1)?,
                })
            },
        )?;
        Ok(StateSnapshot {
            existing: None,
            instance,
            current_next: Vec::new(),
        })
    }

    fn write_transition(
        &mut self,
        c: &CheckedStateSync,
        t: &Transition,
        caller: &Caller,
    ) -> Result<WrittenTransition> {
        let cmd = &c.cmd;
        let now = ms(&caller.now);
        // The instance's move and the event go in one statement: a round trip less per sync.
        const EVENT: &str =
            "INSERT INTO state_events (service_id, out_biz_no, instance_id, from_state, to_state,
               biz_data, fingerprint, app_id, received_at_ms)";
        let event: [&(dyn ToSql + Sync); 8] = [
            &cmd.service_id,
            &cmd.out_biz_no,
            &t.from_state,
            &t.to_state,
            &cmd.biz_data,
            &c.fingerprint,
            &caller.app_id,
            &now,
        ];
        let row = match t.instance_id {
            Some(id) => {
                static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
                    format!(
                        "WITH moved AS (UPDATE state_instances SET current_state = $4, updated_at_ms = $8 WHERE id = $9)
                         {EVENT} VALUES ($1, $2, $9, $3, $4, $5, $6, $7, $8) RETURNING seq, instance_id"
                    )
                });
                let params: Vec<&(dyn ToSql + Sync)> =
                    event.iter().copied().chain([&id as _]).collect();
                self.one(&SQL, &params)?
            }
            None => {
                static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
                    format!(
                        "WITH created AS (
                           INSERT INTO state_instances (service_id, category_code, user_id, out_principal_id,
                             current_state, created_at_ms, updated_at_ms)
                           VALUES ($1, $9, $10, $11, $4, $8, $8) RETURNING id)
                         {EVENT} VALUES ($1, $2, (SELECT id FROM created), $3, $4, $5, $6, $7, $8)
                         RETURNING seq, instance_id"
                    )
                });
                let instance: [&(dyn ToSql + Sync); 3] =
                    [&cmd.category_code, &cmd.user_id, &cmd.out_principal_id];
                let params: Vec<&(dyn ToSql + Sync)> =
                    event.iter().copied().chain(instance).collect();
                self.one(&SQL, &params)?
            }
        };
        Ok(WrittenTransition {
            event_seq: get(&row, 0)?,
            instance_id: get(&row, 1)?,
        })
    }

    fn load_settlement(&mut self, cmd: &SettleCmd) -> Result<SettleSnapshot> {
        // The ledger it checks must not move before the settlement commits.
        self.lock_totals(&cmd.agreement_id)?;
        if let Some(existing) = self.settlement(&cmd.partner_id, &cmd.out_request_no)? {
            return Ok(SettleSnapshot {
                existing: Some(existing),
                ..Default::default()
            });
        }
        let (agreement, template) = self.agreement_with_template(&cmd.agreement_id)?;
        let t = self.totals(&cmd.agreement_id, false)?;
        Ok(SettleSnapshot {
            existing: None,
            agreement,
            template,
            totals: LedgerTotals {
                trade_amount: t.trade_amount,
                discount_amount: t.discount_amount,
                task_count: t.task_count,
            },
        })
    }

    fn record_settlement(&mut self, s: &Settlement) -> Result<i64> {
        let row = self.one(
            "INSERT INTO settlements (partner_id, out_request_no, agreement_no, withhold_plan_no, pay_amount,
               action_type, request, fingerprint, ledger_trade_amount, ledger_discount_amount, ledger_task_count,
               settled_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING seq",
            &[
                &s.partner_id,
                &s.out_request_no,
                &s.agreement_no,
                &s.withhold_plan_no,
                &s.pay_amount.0,
                &s.action_type.as_str(),
                &s.request_json,
                &s.fingerprint,
                &s.ledger.trade_amount.0,
                &s.ledger.discount_amount.0,
                &s.ledger.task_count,
                &ms(&s.settled_at),
            ],
        )?;
        self.exec(
            "UPDATE agreements SET status = 'N', settled = TRUE WHERE agreement_no = $1",
            &[&s.agreement_no],
        )?;
        get(&row, 0)
    }

    fn upsert_records(&mut self, r: &Records) -> Result<()> {
        for a in &r.apps {
            let sign_types: Vec<&str> = a.sign_types.iter().map(|s| s.as_str()).collect();
            self.exec(
                "INSERT INTO apps (app_id, partner_id, public_key_pem, app_cert_sn, encrypt_key, sign_types, enabled, notify_url)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (app_id) DO UPDATE SET partner_id = excluded.partner_id,
                   public_key_pem = excluded.public_key_pem, app_cert_sn = excluded.app_cert_sn,
                   encrypt_key = excluded.encrypt_key, sign_types = excluded.sign_types, enabled = excluded.enabled,
                   notify_url = excluded.notify_url",
                &[&a.app_id, &a.partner_id, &a.public_key_pem, &a.app_cert_sn, &a.encrypt_key, &sign_types.join(","), &a.enabled, &a.notify_url],
            )?;
        }
        for t in &r.app_auth_tokens {
            self.exec(
                "INSERT INTO app_auth_tokens (token, app_id, partner_id, expires_at_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (token) DO UPDATE SET app_id = excluded.app_id, partner_id = excluded.partner_id,
                   expires_at_ms = excluded.expires_at_ms",
                &[&t.token, &t.app_id, &t.partner_id, &ms(&t.expires_at)],
            )?;
        }
        for t in &r.templates {
            self.exec(
                "INSERT INTO templates (template_no, mode, obligation_times, obligation_amount, period_days, settle_check, settle_tolerance)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (template_no) DO UPDATE SET mode = excluded.mode, obligation_times = excluded.obligation_times,
                   obligation_amount = excluded.obligation_amount, period_days = excluded.period_days,
                   settle_check = excluded.settle_check, settle_tolerance = excluded.settle_tolerance",
                &[
                    &t.template_no,
                    &mode_str(t.mode),
                    &t.obligation_times,
                    &t.obligation_amount.map(|f| f.0),
                    &t.period_days,
                    &t.settle_check,
                    &t.settle_tolerance.0,
                ],
            )?;
        }
        for a in &r.agreements {
            self.upsert_agreement(a)?;
        }
        for t in &r.trades {
            self.exec(
                "INSERT INTO trades (trade_no, buyer_user_id, seller_partner_id, amount) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (trade_no) DO UPDATE SET buyer_user_id = excluded.buyer_user_id,
                   seller_partner_id = excluded.seller_partner_id, amount = excluded.amount",
                &[&t.trade_no, &t.buyer_user_id, &t.seller_partner_id, &t.amount.0],
            )?;
        }
        for u in &r.zmgo_users {
            self.upsert_user(u)?;
        }
        for s in &r.state_services {
            self.exec(
                "INSERT INTO state_services (service_id, config) VALUES ($1, $2)
                 ON CONFLICT (service_id) DO UPDATE SET config = excluded.config",
                &[&s.service_id, &serde_json::to_string(s)?],
            )?;
        }
        Ok(())
    }

    fn delete_app_auth_token(&mut self, token: &str) -> Result<bool> {
        Ok(self.exec("DELETE FROM app_auth_tokens WHERE token = $1", &[&token])? == 1)
    }

    fn append_audit(&mut self, e: &AuditEntry) -> Result<()> {
        self.exec(
            "INSERT INTO audit_log (at_ms, app_id, method, outcome, latency_us) VALUES ($1, $2, $3, $4, $5)",
            &[&ms(&e.at), &e.app_id, &e.method, &e.outcome, &e.latency_us],
        )?;
        Ok(())
    }

    fn delete_audit_before(&mut self, before: &Time, limit: i64) -> Result<u64> {
        self.exec(
            "DELETE FROM audit_log WHERE id IN
             (SELECT id FROM audit_log WHERE at_ms < $1 ORDER BY at_ms LIMIT $2)",
            &[&ms(before), &limit],
        )
    }
    fn advance_clock(&mut self, by_ms: i64, max_offset_ms: i64) -> Result<Option<i64>> {
        self.lc_advance_clock(by_ms, max_offset_ms)
    }

    fn load_due_agreements(&mut self, now: &Time, limit: i64) -> Result<Vec<Agreement>> {
        self.lc_due_agreements(now, limit)
    }

    fn record_quit(&mut self, agreement_no: &str, quit: &AgreementQuit) -> Result<bool> {
        self.lc_record_quit(agreement_no, quit)
    }

    fn insert_secret_if_absent(&mut self, name: &str, value: &str) -> Result<bool> {
        self.lc_insert_secret_if_absent(name, value)
    }

    fn set_secret(&mut self, name: &str, value: &str) -> Result<()> {
        self.lc_set_secret(name, value)
    }

    fn load_refund(&mut self, cmd: &RefundCmd) -> Result<RefundSnapshot> {
        self.money_load_refund(cmd)
    }

    fn record_refund(&mut self, refund: &SettlementRefund) -> Result<()> {
        self.money_record_refund(refund)
    }

    fn load_unfreeze(&mut self, cmd: &UnfreezeCmd) -> Result<UnfreezeSnapshot> {
        self.money_load_unfreeze(cmd)
    }

    fn record_unfreeze(&mut self, unfreeze: &Unfreeze) -> Result<()> {
        self.money_record_unfreeze(unfreeze)
    }

    fn set_freeze_amount(&mut self, agreement_no: &str, amount: Fen) -> Result<bool> {
        self.money_set_freeze_amount(agreement_no, amount)
    }

    fn load_merchant_sync(&mut self, cmd: &MerchantSyncCmd) -> Result<CumulationSnapshot> {
        self.money_load_merchant_sync(cmd)
    }

    fn insert_consent(&mut self, c: &SignConsent) -> Result<()> {
        self.cs_insert(c)
    }

    fn load_consent(&mut self, token_hash: &str) -> Result<Option<SignConsent>> {
        self.cs_load(token_hash)
    }

    fn use_consent(&mut self, token_hash: &str, now_ms: i64) -> Result<bool> {
        self.cs_use(token_hash, now_ms)
    }
}
