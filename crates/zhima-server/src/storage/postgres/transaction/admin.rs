//! The operator's read contract ([`AdminReadTx`]) on PostgreSQL; the search SQL is composed
//! in `storage/admin_query.rs`, shared with SQLite.

use postgres::types::ToSql;
use postgres::Row;

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

use super::money::{refund_row, unfreeze_row};
use super::rows::*;
use super::PgTx;

fn instance_row(r: &Row) -> Result<InstanceSummary> {
    Ok(InstanceSummary {
        id: get(r, 0)?,
        key: InstanceKey {
            service_id: get(r, 1)?,
            category_code: get(r, 2)?,
            user_id: get(r, 3)?,
            out_principal_id: get(r, 4)?,
        },
        current_state: get(r, 5)?,
        created_at: time(get(r, 6)?)?,
        updated_at: time(get(r, 7)?)?,
        event_count: get(r, 8)?,
    })
}

fn audit_record_row(r: &Row) -> Result<AuditRecord> {
    Ok(AuditRecord {
        id: get(r, 0)?,
        entry: AuditEntry {
            at: time(get(r, 1)?)?,
            app_id: get(r, 2)?,
            method: get(r, 3)?,
            outcome: get(r, 4)?,
            latency_us: get(r, 5)?,
        },
    })
}

fn token_row(r: &Row) -> Result<AppAuthToken> {
    Ok(AppAuthToken {
        token: get(r, 0)?,
        app_id: get(r, 1)?,
        partner_id: get(r, 2)?,
        expires_at: time(get(r, 3)?)?,
    })
}

const SETTLEMENT_COLUMNS: &str =
    "seq, partner_id, out_request_no, agreement_no, withhold_plan_no, \
     pay_amount, action_type, request, fingerprint, ledger_trade_amount, ledger_discount_amount, \
     ledger_task_count, settled_at_ms";

impl PgTx<'_> {
    fn run<T>(&mut self, q: &Query, row: fn(&Row) -> Result<T>) -> Result<Vec<T>> {
        let args: Vec<&(dyn ToSql + Sync)> = q
            .args
            .iter()
            .map(|a| match a {
                Arg::Text(s) => s as &(dyn ToSql + Sync),
                Arg::Int(n) => n as &(dyn ToSql + Sync),
            })
            .collect();
        self.all(&q.sql, &args, row)
    }
}

impl AdminReadTx for PgTx<'_> {
    fn admin_counts(&mut self) -> Result<AdminCounts> {
        let counts = self.first(admin_query::COUNTS_SQL, &[], |r| {
            Ok(AdminCounts {
                apps: get(r, 0)?,
                agreements: get(r, 1)?,
                cumulation_events: get(r, 2)?,
                state_instances: get(r, 3)?,
                state_events: get(r, 4)?,
                audit_entries: get(r, 5)?,
            })
        })?;
        Ok(counts.unwrap_or_default())
    }

    fn audit_outcomes(&mut self, since: &Time) -> Result<Vec<OutcomeCount>> {
        self.all(
            "SELECT outcome, COUNT(*) AS n FROM audit_log WHERE at_ms >= $1
             GROUP BY outcome ORDER BY n DESC, outcome",
            &[&ms(since)],
            |r| {
                Ok(OutcomeCount {
                    outcome: get(r, 0)?,
                    count: get(r, 1)?,
                })
            },
        )
    }

    fn app_auth_tokens(&mut self, app_id: Option<&str>) -> Result<Vec<AppAuthToken>> {
        self.all(
            "SELECT token, app_id, partner_id, expires_at_ms FROM app_auth_tokens
             WHERE $1::TEXT IS NULL OR app_id = $1 ORDER BY app_id, expires_at_ms, token",
            &[&app_id],
            token_row,
        )
    }

    fn find_agreements(&mut self, filter: &AgreementFilter, limit: i64) -> Result<Vec<Agreement>> {
        let q = admin_query::agreements(Style::Dollar, AGREEMENT_COLUMNS, filter, limit);
        self.run(&q, agreement_row)
    }

    fn settlements_of(&mut self, agreement_no: &str) -> Result<Vec<Settlement>> {
        let sql = format!(
            "SELECT {SETTLEMENT_COLUMNS} FROM settlements WHERE agreement_no = $1 ORDER BY seq"
        );
        self.all(&sql, &[&agreement_no], settlement_row)
    }

    fn settlement_refunds_of(&mut self, agreement_no: &str) -> Result<Vec<SettlementRefund>> {
        self.all(
            "SELECT partner_id, out_request_no, agreement_no, withhold_plan_no, refund_opt_no,
               refund_amount, request, fingerprint, created_ms
             FROM settlement_refunds WHERE agreement_no = $1 ORDER BY seq",
            &[&agreement_no],
            refund_row,
        )
    }

    fn unfreezes_of(&mut self, agreement_no: &str) -> Result<Vec<Unfreeze>> {
        self.all(
            "SELECT partner_id, out_request_no, agreement_no, unfreeze_amount, request,
               fingerprint, created_ms
             FROM unfreezes WHERE agreement_no = $1 ORDER BY seq",
            &[&agreement_no],
            unfreeze_row,
        )
    }

    fn zmgo_users(&mut self) -> Result<Vec<ZmgoUser>> {
        self.all(
            "SELECT user_id, admitted FROM zmgo_users ORDER BY user_id",
            &[],
            |r| {
                Ok(ZmgoUser {
                    user_id: get(r, 0)?,
                    admitted: get(r, 1)?,
                })
            },
        )
    }

    fn find_events(&mut self, search: &EventSearch, limit: i64) -> Result<Vec<LedgerEvent>> {
        let q = admin_query::events(Style::Dollar, EVENT_COLUMNS, search, limit);
        self.run(&q, event_row)
    }

    fn find_instances(
        &mut self,
        search: &InstanceSearch,
        limit: i64,
    ) -> Result<Vec<InstanceSummary>> {
        let q = admin_query::instances(Style::Dollar, search, limit);
        self.run(&q, instance_row)
    }

    fn instance_detail(&mut self, id: i64) -> Result<Option<InstanceDetail>> {
        let sql = format!(
            "SELECT {} FROM state_instances i WHERE i.id = $1",
            admin_query::INSTANCE_COLUMNS
        );
        let Some(summary) = self.first(&sql, &[&id], instance_row)? else {
            return Ok(None);
        };
        let events = self.all(
            "SELECT seq, out_biz_no, from_state, to_state, biz_data, app_id, received_at_ms
             FROM state_events WHERE instance_id = $1 ORDER BY seq",
            &[&id],
            |r| {
                Ok(StateEventView {
                    seq: get(r, 0)?,
                    out_biz_no: get(r, 1)?,
                    from_state: get(r, 2)?,
                    to_state: get(r, 3)?,
                    biz_data: get(r, 4)?,
                    app_id: get(r, 5)?,
                    received_at: time(get(r, 6)?)?,
                })
            },
        )?;
        Ok(Some(InstanceDetail { summary, events }))
    }

    fn find_audit(&mut self, search: &AuditSearch, limit: i64) -> Result<Vec<AuditRecord>> {
        let q = admin_query::audit(Style::Dollar, search, limit);
        self.run(&q, audit_record_row)
    }
}
