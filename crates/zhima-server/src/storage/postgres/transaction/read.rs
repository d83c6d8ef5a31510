//! The read contract on a PostgreSQL transaction.

use std::collections::BTreeMap;

use zhima_proto::models::DiscountType;
use zhima_proto::money::Fen;

use crate::domain::audit::AuditEntry;
use crate::domain::consent::{PreorderView, TemplateView};
use crate::domain::entities::{Agreement, App, AppAuthToken, Template, Trade};
use crate::domain::ledger::{AgreementTotals, LedgerEvent};
use crate::domain::query::Page;
use crate::domain::state_sync::ServiceConfig;
use crate::error::Result;
use crate::storage::reads::{InstanceHistory, InstanceKey, ReadTx, StateEventView};

use super::rows::*;
use super::PgTx;

// ---- the read contract ----

impl ReadTx for PgTx<'_> {
    fn app(&mut self, app_id: &str) -> Result<Option<App>> {
        let sql = format!("SELECT {APP_COLUMNS} FROM apps WHERE app_id = $1");
        self.first(&sql, &[&app_id], app_row)
    }

    fn apps(&mut self) -> Result<Vec<App>> {
        let sql = format!("SELECT {APP_COLUMNS} FROM apps ORDER BY app_id");
        self.all(&sql, &[], app_row)
    }

    fn app_auth_token(&mut self, token: &str) -> Result<Option<AppAuthToken>> {
        self.first(
            "SELECT token, app_id, partner_id, expires_at_ms FROM app_auth_tokens WHERE token = $1",
            &[&token],
            |r| {
                Ok(AppAuthToken {
                    token: get(r, 0)?,
                    app_id: get(r, 1)?,
                    partner_id: get(r, 2)?,
                    expires_at: time(get(r, 3)?)?,
                })
            },
        )
    }

    fn templates(&mut self) -> Result<Vec<Template>> {
        let sql = format!("SELECT {TEMPLATE_COLUMNS} FROM templates ORDER BY template_no");
        self.all(&sql, &[], template_row)
    }

    fn agreement(&mut self, agreement_no: &str) -> Result<Option<Agreement>> {
        let sql = format!("SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE agreement_no = $1");
        self.first(&sql, &[&agreement_no], agreement_row)
    }

    fn agreements(&mut self, page: Page) -> Result<Vec<Agreement>> {
        let sql = format!(
            "SELECT {AGREEMENT_COLUMNS} FROM agreements ORDER BY agreement_no LIMIT $1 OFFSET $2"
        );
        self.all(&sql, &[&page.size, &page.offset()], agreement_row)
    }

    fn agreements_of_user(
        &mut self,
        user_id: Option<&str>,
        open_id: Option<&str>,
    ) -> Result<Vec<Agreement>> {
        let sql = format!(
            "SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE user_id = $1 OR open_id = $2 ORDER BY agreement_no"
        );
        self.all(&sql, &[&user_id, &open_id], agreement_row)
    }

    fn trades(&mut self) -> Result<Vec<Trade>> {
        self.all(
            "SELECT trade_no, buyer_user_id, seller_partner_id, amount FROM trades ORDER BY trade_no",
            &[],
            trade_row,
        )
    }

    fn state_services(&mut self) -> Result<Vec<ServiceConfig>> {
        let texts = self.all(
            "SELECT config FROM state_services ORDER BY service_id",
            &[],
            |r| get::<String>(r, 0),
        )?;
        texts.iter().map(|t| Ok(serde_json::from_str(t)?)).collect()
    }

    fn totals(&mut self, agreement_no: &str, breakdown: bool) -> Result<AgreementTotals> {
        let mut t = self
            .first(
                "SELECT trade_amount, discount_amount, task_count, event_count, paid_count, fully_refunded_count
                 FROM agreement_totals WHERE agreement_no = $1",
                &[&agreement_no],
                |r| {
                    Ok(AgreementTotals {
                        trade_amount: Fen(get(r, 0)?),
                        discount_amount: Fen(get(r, 1)?),
                        task_count: get(r, 2)?,
                        event_count: get(r, 3)?,
                        paid_count: get(r, 4)?,
                        fully_refunded_count: get(r, 5)?,
                        ..Default::default()
                    })
                },
            )?
            .unwrap_or_default();
        if breakdown {
            let discounts = self.all(
                "SELECT discount_type, discount_name, amount FROM agreement_discount_totals WHERE agreement_no = $1",
                &[&agreement_no],
                |r| {
                    let kind: String = get(r, 0)?;
                    Ok(((parse::<DiscountType>(&kind)?, get::<String>(r, 1)?), Fen(get(r, 2)?)))
                },
            )?;
            t.discounts = discounts.into_iter().collect::<BTreeMap<_, _>>();
            let tasks = self.all(
                "SELECT task_name, task_count FROM agreement_task_totals WHERE agreement_no = $1",
                &[&agreement_no],
                |r| Ok((get::<String>(r, 0)?, get::<i64>(r, 1)?)),
            )?;
            t.tasks = tasks.into_iter().collect();
        }
        Ok(t)
    }

    fn events_page(&mut self, agreement_no: &str, page: Page) -> Result<Vec<LedgerEvent>> {
        self.all(
            &events_page_sql(),
            &[&agreement_no, &page.size, &page.offset()],
            event_row,
        )
    }

    fn all_events(&mut self) -> Result<Vec<LedgerEvent>> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM cumulation_events ORDER BY seq");
        self.all(&sql, &[], event_row)
    }

    fn agreements_with_totals(&mut self) -> Result<Vec<String>> {
        // Zero rows exist where a command locked an agreement without appending (see
        // `lock_totals`); they are not totals of anything.
        self.all(
            "SELECT agreement_no FROM agreement_totals WHERE event_count > 0",
            &[],
            |r| get(r, 0),
        )
    }

    fn state_instance(&mut self, key: &InstanceKey) -> Result<Option<InstanceHistory>> {
        let found = self.first(
            "SELECT id, current_state FROM state_instances
             WHERE service_id = $1 AND category_code = $2 AND user_id = $3 AND out_principal_id = $4",
            &[&key.service_id, &key.category_code, &key.user_id, &key.out_principal_id],
            |r| Ok((get::<i64>(r, 0)?, get::<String>(r, 1)?)),
        )?;
        let Some((id, current_state)) = found else {
            return Ok(None);
        };
        let events = self.all(
            "SELECT seq, out_biz_no, from_state, to_state, biz_data, app_id, received_at_ms FROM state_events
             WHERE instance_id = $1 ORDER BY seq",
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
        Ok(Some(InstanceHistory {
            key: key.clone(),
            current_state,
            events,
        }))
    }

    fn recent_audit(&mut self, limit: i64) -> Result<Vec<AuditEntry>> {
        self.all(
            "SELECT at_ms, app_id, method, outcome, latency_us FROM audit_log ORDER BY id DESC LIMIT $1",
            &[&limit],
            audit_row,
        )
    }

    fn clock(&mut self) -> Result<crate::domain::clock::SandboxClock> {
        self.lc_clock()
    }

    fn secret(&mut self, name: &str) -> Result<Option<String>> {
        self.lc_secret(name)
    }

    fn settlement_pay_amount(&mut self, agreement_no: &str) -> Result<Option<Fen>> {
        self.first(
            "SELECT pay_amount FROM settlements WHERE agreement_no = $1 ORDER BY seq DESC LIMIT 1",
            &[&agreement_no],
            |r| Ok(Fen(get(r, 0)?)),
        )
    }

    fn money_balances(&mut self) -> Result<crate::storage::reads::MoneyBalances> {
        self.money_sums()
    }

    fn consent_preorder(&mut self, preorder_no: &str) -> Result<Option<PreorderView>> {
        self.cs_preorder(preorder_no)
    }

    fn consent_template(&mut self, template_no: &str) -> Result<Option<TemplateView>> {
        self.cs_template(template_no)
    }
}
