//! The lifecycle's money on PostgreSQL: settlement refunds, unfreezes and their invariant
//! sums. Several processes refund or unfreeze at once, so each load first locks the agreement
//! row (`FOR UPDATE`): a second refund of the same settlement waits, then sums the first one's
//! row (READ COMMITTED re-reads after the lock), and the budget holds. A lost race on an
//! idempotency key fails as a unique violation and the job re-runs (a replay).

use postgres::Row;
use zhima_proto::money::Fen;

use crate::domain::cumulation::CumulationSnapshot;
use crate::domain::invariants::MoneyBalances;
use crate::domain::merchant_sync::MerchantSyncCmd;
use crate::domain::settle_refund::{RefundCmd, RefundSnapshot, SettlementRefund};
use crate::domain::settle_unfreeze::{FreezeSource, Unfreeze, UnfreezeCmd, UnfreezeSnapshot};
use crate::error::Result;
use crate::storage::reads::ReadTx;

use super::rows::*;
use super::PgTx;

pub(super) fn refund_row(r: &Row) -> Result<SettlementRefund> {
    Ok(SettlementRefund {
        partner_id: get(r, 0)?,
        out_request_no: get(r, 1)?,
        agreement_no: get(r, 2)?,
        withhold_plan_no: get(r, 3)?,
        refund_opt_no: get(r, 4)?,
        refund_amount: Fen(get(r, 5)?),
        request_json: get(r, 6)?,
        fingerprint: get(r, 7)?,
        created_at: time(get(r, 8)?)?,
    })
}

pub(super) fn unfreeze_row(r: &Row) -> Result<Unfreeze> {
    Ok(Unfreeze {
        partner_id: get(r, 0)?,
        out_request_no: get(r, 1)?,
        agreement_no: get(r, 2)?,
        unfreeze_amount: Fen(get(r, 3)?),
        request_json: get(r, 4)?,
        fingerprint: get(r, 5)?,
        created_at: time(get(r, 6)?)?,
    })
}

fn freeze_source(r: &Row, from: usize) -> Result<FreezeSource> {
    Ok(FreezeSource {
        agreement: Fen(get(r, from)?),
        signed: get(r, from + 1)?,
        template: Fen(get(r, from + 2)?),
    })
}

/// `agreements.freeze_amount`, whether it was signed, the template's amount.
const FREEZE_SOURCE: &str = "a.freeze_amount, a.preorder_no IS NOT NULL, t.freeze_amount
    FROM agreements a JOIN templates t ON t.template_no = a.template_no";

impl PgTx<'_> {
    /// Serialises the money commands of one agreement across processes.
    fn lock_agreement(&mut self, agreement_no: &str) -> Result<()> {
        self.exec(
            "SELECT 1 FROM agreements WHERE agreement_no = $1 FOR UPDATE",
            &[&agreement_no],
        )?;
        Ok(())
    }

    pub(super) fn money_load_refund(&mut self, cmd: &RefundCmd) -> Result<RefundSnapshot> {
        self.lock_agreement(&cmd.agreement_id)?;
        let existing = self.first(
            "SELECT partner_id, out_request_no, agreement_no, withhold_plan_no, refund_opt_no,
               refund_amount, request, fingerprint, created_ms
             FROM settlement_refunds WHERE partner_id = $1 AND out_request_no = $2",
            &[&cmd.partner_id, &cmd.out_request_no],
            refund_row,
        )?;
        if existing.is_some() {
            return Ok(RefundSnapshot {
                existing,
                ..Default::default()
            });
        }
        let settlement = self.first(
            "SELECT seq, partner_id, out_request_no, agreement_no, withhold_plan_no, pay_amount, action_type,
               request, fingerprint, ledger_trade_amount, ledger_discount_amount, ledger_task_count, settled_at_ms
             FROM settlements WHERE agreement_no = $1 AND withhold_plan_no = $2 ORDER BY seq LIMIT 1",
            &[&cmd.agreement_id, &cmd.withhold_plan_no],
            settlement_row,
        )?;
        let row = self.one(
            "SELECT COALESCE(SUM(refund_amount), 0)::BIGINT FROM settlement_refunds
             WHERE agreement_no = $1 AND withhold_plan_no = $2",
            &[&cmd.agreement_id, &cmd.withhold_plan_no],
        )?;
        Ok(RefundSnapshot {
            existing: None,
            settlement,
            agreement: ReadTx::agreement(self, &cmd.agreement_id)?,
            refunded: Fen(get(&row, 0)?),
        })
    }

    pub(super) fn money_record_refund(&mut self, r: &SettlementRefund) -> Result<()> {
        self.exec(
            "INSERT INTO settlement_refunds (partner_id, out_request_no, agreement_no, withhold_plan_no,
               refund_opt_no, refund_amount, request, fingerprint, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &r.partner_id,
                &r.out_request_no,
                &r.agreement_no,
                &r.withhold_plan_no,
                &r.refund_opt_no,
                &r.refund_amount.0,
                &r.request_json,
                &r.fingerprint,
                &ms(&r.created_at),
            ],
        )?;
        Ok(())
    }

    pub(super) fn money_load_unfreeze(&mut self, cmd: &UnfreezeCmd) -> Result<UnfreezeSnapshot> {
        self.lock_agreement(&cmd.agreement_id)?;
        let existing = self.first(
            "SELECT partner_id, out_request_no, agreement_no, unfreeze_amount, request, fingerprint,
               created_ms FROM unfreezes WHERE partner_id = $1 AND out_request_no = $2",
            &[&cmd.partner_id, &cmd.out_request_no],
            unfreeze_row,
        )?;
        if existing.is_some() {
            return Ok(UnfreezeSnapshot {
                existing,
                ..Default::default()
            });
        }
        let sql = format!("SELECT {FREEZE_SOURCE} WHERE a.agreement_no = $1");
        let freeze = self
            .first(&sql, &[&cmd.agreement_id], |r| freeze_source(r, 0))?
            .unwrap_or_default();
        let row = self.one(
            "SELECT COALESCE(SUM(unfreeze_amount), 0)::BIGINT FROM unfreezes WHERE agreement_no = $1",
            &[&cmd.agreement_id],
        )?;
        Ok(UnfreezeSnapshot {
            existing: None,
            agreement: ReadTx::agreement(self, &cmd.agreement_id)?,
            freeze,
            unfrozen: Fen(get(&row, 0)?),
        })
    }

    pub(super) fn money_record_unfreeze(&mut self, u: &Unfreeze) -> Result<()> {
        self.exec(
            "INSERT INTO unfreezes (partner_id, out_request_no, agreement_no, unfreeze_amount, request,
               fingerprint, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &u.partner_id,
                &u.out_request_no,
                &u.agreement_no,
                &u.unfreeze_amount.0,
                &u.request_json,
                &u.fingerprint,
                &ms(&u.created_at),
            ],
        )?;
        Ok(())
    }

    pub(super) fn money_set_freeze_amount(
        &mut self,
        agreement_no: &str,
        amount: Fen,
    ) -> Result<bool> {
        let n = self.exec(
            "UPDATE agreements SET freeze_amount = $2 WHERE agreement_no = $1",
            &[&agreement_no, &amount.0],
        )?;
        Ok(n == 1)
    }

    pub(super) fn money_load_merchant_sync(
        &mut self,
        cmd: &MerchantSyncCmd,
    ) -> Result<CumulationSnapshot> {
        // As `load_cumulation`: lock first, so what is read stays current until the commit.
        self.lock_totals(&cmd.agreement_id)?;
        if let Some(existing) = self.event_by_key(&cmd.provider_pid, &cmd.out_biz_no)? {
            return Ok(CumulationSnapshot {
                existing: Some(existing),
                ..Default::default()
            });
        }
        let (agreement, template) = self.agreement_with_template(&cmd.agreement_id)?;
        let (payment, prior_refunds) = match &cmd.refer_out_biz_no {
            Some(refer) => {
                let payment = self.event_by_key(&cmd.provider_pid, refer)?;
                (payment, self.refunds_of(&cmd.provider_pid, refer)?)
            }
            None => (None, Vec::new()),
        };
        Ok(CumulationSnapshot {
            existing: None,
            agreement,
            template,
            trade: None,
            payment,
            prior_refunds,
        })
    }

    pub(super) fn money_sums(&mut self) -> Result<MoneyBalances> {
        let refunds = self.all(
            "SELECT r.agreement_no, r.withhold_plan_no,
               (SELECT s.pay_amount FROM settlements s
                 WHERE s.agreement_no = r.agreement_no AND s.withhold_plan_no = r.withhold_plan_no
                 ORDER BY s.seq LIMIT 1),
               SUM(r.refund_amount)::BIGINT
             FROM settlement_refunds r GROUP BY r.agreement_no, r.withhold_plan_no
             ORDER BY r.agreement_no, r.withhold_plan_no",
            &[],
            |r| {
                Ok((
                    (get(r, 0)?, get(r, 1)?),
                    get::<Option<i64>>(r, 2)?.map(Fen),
                    Fen(get(r, 3)?),
                ))
            },
        )?;
        let sql = format!(
            "SELECT a.agreement_no,
           (SELECT SUM(u.unfreeze_amount)::BIGINT FROM unfreezes u WHERE u.agreement_no = a.agreement_no),
           {FREEZE_SOURCE}
         WHERE a.agreement_no IN (SELECT agreement_no FROM unfreezes) ORDER BY a.agreement_no"
        );
        let mut unfreezes = self.all(&sql, &[], |r| {
            Ok((get(r, 0)?, freeze_source(r, 2)?, Fen(get(r, 1)?)))
        })?;
        // Unfreezes of an agreement that no longer exists have nothing frozen.
        let orphans = self.all(
            "SELECT agreement_no, SUM(unfreeze_amount)::BIGINT FROM unfreezes
             WHERE agreement_no NOT IN (SELECT agreement_no FROM agreements) GROUP BY agreement_no",
            &[],
            |r| Ok((get(r, 0)?, FreezeSource::default(), Fen(get(r, 1)?))),
        )?;
        unfreezes.extend(orphans);
        Ok(MoneyBalances { refunds, unfreezes })
    }
}
