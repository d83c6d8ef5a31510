//! The operator's read contract ([`AdminReadTx`]) on SQLite; the search SQL is composed in
//! `storage/admin_query.rs`, shared with PostgreSQL.

use rusqlite::types::ToSql;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::cumulation::{event_row, EVENT_COLUMNS};
use super::money::{refund_row, unfreeze_row};
use super::records::{agreement_row, collect, ms, time, AGREEMENT_COLUMNS};
use super::settle::{settlement_row, SETTLEMENT_COLUMNS};
use super::transaction::SqliteTx;
use crate::domain::admin::{
    AdminCounts, AgreementFilter, AuditRecord, AuditSearch, EventSearch, InstanceDetail,
    InstanceSearch, InstanceSummary, OutcomeCount,
};
use crate::domain::audit::AuditEntry;
use crate::domain::entities::{Agreement, AppAuthToken, Time};
use crate::domain::ledger::LedgerEvent;
use crate::domain::preorder::ZmgoUser;
use crate::domain::settle::Settlement;
use crate::domain::settle_refund::SettlementRefund;
use crate::domain::settle_unfreeze::Unfreeze;
use crate::error::Result;
use crate::storage::admin_query::{self, Arg, Query, Style};
use crate::storage::admin_reads::AdminReadTx;
use crate::storage::reads::{InstanceKey, StateEventView};

fn run<T>(
    conn: &Connection,
    q: &Query,
    row: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let args: Vec<&dyn ToSql> = q
        .args
        .iter()
        .map(|a| match a {
            Arg::Text(s) => s as &dyn ToSql,
            Arg::Int(n) => n as &dyn ToSql,
        })
        .collect();
    collect(
        conn.prepare_cached(&q.sql)?
            .query_map(args.as_slice(), row)?,
    )
}

fn instance_row(r: &Row<'_>) -> rusqlite::Result<InstanceSummary> {
    Ok(InstanceSummary {
        id: r.get(0)?,
        key: InstanceKey {
            service_id: r.get(1)?,
            category_code: r.get(2)?,
            user_id: r.get(3)?,
            out_principal_id: r.get(4)?,
        },
        current_state: r.get(5)?,
        created_at: time(r.get(6)?)?,
        updated_at: time(r.get(7)?)?,
        event_count: r.get(8)?,
    })
}

fn audit_record_row(r: &Row<'_>) -> rusqlite::Result<AuditRecord> {
    Ok(AuditRecord {
        id: r.get(0)?,
        entry: AuditEntry {
            at: time(r.get(1)?)?,
            app_id: r.get(2)?,
            method: r.get(3)?,
            outcome: r.get(4)?,
            latency_us: r.get(5)?,
        },
    })
}

fn token_row(r: &Row<'_>) -> rusqlite::Result<AppAuthToken> {
    Ok(AppAuthToken {
        token: r.get(0)?,
        app_id: r.get(1)?,
        partner_id: r.get(2)?,
        expires_at: time(r.get(3)?)?,
    })
}

impl AdminReadTx for SqliteTx<'_> {
    fn admin_counts(&mut self) -> Result<AdminCounts> {
        Ok(self
            .0
            .prepare_cached(admin_query::COUNTS_SQL)?
            .query_row([], |r| {
                Ok(AdminCounts {
                    apps: r.get(0)?,
                    agreements: r.get(1)?,
                    cumulation_events: r.get(2)?,
                    state_instances: r.get(3)?,
                    state_events: r.get(4)?,
                    audit_entries: r.get(5)?,
                })
            })?)
    }

    fn audit_outcomes(&mut self, since: &Time) -> Result<Vec<OutcomeCount>> {
        collect(
            self.0
                .prepare_cached(
                    "SELECT outcome, COUNT(*) AS n FROM audit_log WHERE at_ms >= ?1
                     GROUP BY outcome ORDER BY n DESC, outcome",
                )?
                .query_map([ms(since)], |r| {
                    Ok(OutcomeCount {
                        outcome: r.get(0)?,
                        count: r.get(1)?,
                    })
                })?,
        )
    }

    fn app_auth_tokens(&mut self, app_id: Option<&str>) -> Result<Vec<AppAuthToken>> {
        collect(
            self.0
                .prepare_cached(
                    "SELECT token, app_id, partner_id, expires_at_ms FROM app_auth_tokens
                     WHERE ?1 IS NULL OR app_id = ?1 ORDER BY app_id, expires_at_ms, token",
                )?
                .query_map([app_id], token_row)?,
        )
    }

    fn find_agreements(&mut self, filter: &AgreementFilter, limit: i64) -> Result<Vec<Agreement>> {
        let q = admin_query::agreements(Style::Question, AGREEMENT_COLUMNS, filter, limit);
        run(self.0, &q, agreement_row)
    }

    fn settlements_of(&mut self, agreement_no: &str) -> Result<Vec<Settlement>> {
        let sql = format!(
            "SELECT {SETTLEMENT_COLUMNS} FROM settlements WHERE agreement_no = ?1 ORDER BY seq"
        );
        collect(
            self.0
                .prepare_cached(&sql)?
                .query_map([agreement_no], settlement_row)?,
        )
    }

    fn settlement_refunds_of(&mut self, agreement_no: &str) -> Result<Vec<SettlementRefund>> {
        collect(
            self.0
                .prepare_cached(
                    "SELECT partner_id, out_request_no, agreement_no, withhold_plan_no, refund_opt_no,
                       refund_amount, request, fingerprint, created_ms
                     FROM settlement_refunds WHERE agreement_no = ?1 ORDER BY seq",
                )?
                .query_map([agreement_no], refund_row)?,
        )
    }

    fn unfreezes_of(&mut self, agreement_no: &str) -> Result<Vec<Unfreeze>> {
        collect(
            self.0
                .prepare_cached(
                    "SELECT partner_id, out_request_no, agreement_no, unfreeze_amount, request,
                       fingerprint, created_ms
                     FROM unfreezes WHERE agreement_no = ?1 ORDER BY seq",
                )?
                .query_map([agreement_no], unfreeze_row)?,
        )
    }

    fn zmgo_users(&mut self) -> Result<Vec<ZmgoUser>> {
        collect(
            self.0
                .prepare_cached("SELECT user_id, admitted FROM zmgo_users ORDER BY user_id")?
                .query_map([], |r| {
                    Ok(ZmgoUser {
                        user_id: r.get(0)?,
                        admitted: r.get(1)?,
                    })
                })?,
        )
    }

    fn find_events(&mut self, search: &EventSearch, limit: i64) -> Result<Vec<LedgerEvent>> {
        let q = admin_query::events(Style::Question, EVENT_COLUMNS, search, limit);
        run(self.0, &q, event_row)
    }

    fn find_instances(
        &mut self,
        search: &InstanceSearch,
        limit: i64,
    ) -> Result<Vec<InstanceSummary>> {
        let q = admin_query::instances(Style::Question, search, limit);
        run(self.0, &q, instance_row)
    }

    fn instance_detail(&mut self, id: i64) -> Result<Option<InstanceDetail>> {
        let sql = format!(
            "SELECT {} FROM state_instances i WHERE i.id = ?1",
            admin_query::INSTANCE_COLUMNS
        );
        let Some(summary) = self
            .0
            .prepare_cached(&sql)?
            .query_row([id], instance_row)
            .optional()?
        else {
            return Ok(None);
        };
        let events = collect(
            self.0
                .prepare_cached(
                    "SELECT seq, out_biz_no, from_state, to_state, biz_data, app_id, received_at_ms
                     FROM state_events WHERE instance_id = ?1 ORDER BY seq",
                )?
                .query_map(params![id], |r| {
                    Ok(StateEventView {
                        seq: r.get(0)?,
                        out_biz_no: r.get(1)?,
                        from_state: r.get(2)?,
                        to_state: r.get(3)?,
                        biz_data: r.get(4)?,
                        app_id: r.get(5)?,
                        received_at: time(r.get(6)?)?,
                    })
                })?,
        )?;
        Ok(Some(InstanceDetail { summary, events }))
    }

    fn find_audit(&mut self, search: &AuditSearch, limit: i64) -> Result<Vec<AuditRecord>> {
        let q = admin_query::audit(Style::Question, search, limit);
        run(self.0, &q, audit_record_row)
    }
}
