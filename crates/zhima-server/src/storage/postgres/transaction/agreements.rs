//! The agreement lifecycle (templates' terms, preorders, signing) on PostgreSQL: the
//! [`AgreementTx`] part of the write contract. Several processes sign at once: a preorder is
//! loaded `FOR UPDATE`, so signings and closings of one preorder queue behind each other, and
//! `agreements.preorder_no` is unique, so a lost race re-runs the job, which then answers the
//! winner's agreement.

use postgres::Row;
use zhima_proto::money::Fen;
use zhima_proto::validate::UserRef;

use super::rows::*;
use super::PgTx;
use crate::domain::entities::{Agreement, Time};
use crate::domain::period;
use crate::domain::preorder::{Preorder, PreorderStatus, ZmgoUser};
use crate::domain::sign::SignedAgreement;
use crate::domain::template::{NewTemplate, TemplateRecord, TemplateTerms};
use crate::error::{Error, Result};
use crate::storage::agreement_tx::{AgreementReadTx, AgreementTx};

pub(super) const TERMS_COLUMNS: &str =
    "template_no, partner_id, freeze_amount, period_mode, period_time, period_days";

pub(super) fn terms_row(r: &Row) -> Result<TemplateTerms> {
    let mode: Option<String> = get(r, 3)?;
    let time: Option<String> = get(r, 4)?;
    Ok(TemplateTerms {
        template_no: get(r, 0)?,
        owner: get(r, 1)?,
        freeze_amount: Fen(get(r, 2)?),
        period: period::from_columns(mode.as_deref(), time.as_deref()),
        period_days: get(r, 5)?,
    })
}

const PREORDER_COLUMNS: &str = "preorder_no, partner_id, out_request_no, template_no, user_id, open_id, status, \
     freeze_amount, request, fingerprint, created_ms, expires_ms, agreement_no, biz_opt_no, closed_ms";

fn preorder_row(r: &Row) -> Result<Preorder> {
    let status: String = get(r, 6)?;
    Ok(Preorder {
        preorder_no: get(r, 0)?,
        partner_id: get(r, 1)?,
        out_request_no: get(r, 2)?,
        template_no: get(r, 3)?,
        user: UserRef {
            user_id: get(r, 4)?,
            open_id: get(r, 5)?,
        },
        status: PreorderStatus::parse(&status)
            .ok_or_else(|| Error::internal(format!("preorder status {status:?}")))?,
        freeze_amount: get::<Option<i64>>(r, 7)?.map(Fen),
        request_json: get(r, 8)?,
        fingerprint: get(r, 9)?,
        created: time(get(r, 10)?)?,
        expires: time(get(r, 11)?)?,
        agreement_no: get(r, 12)?,
        biz_opt_no: get(r, 13)?,
        closed: get::<Option<i64>>(r, 14)?.map(time).transpose()?,
    })
}

/// The columns of a signed agreement: the agreement's, then its signing details.
pub(super) fn signed_columns() -> String {
    format!(
        "{AGREEMENT_COLUMNS}, preorder_no,
         (SELECT p.out_request_no FROM preorders p WHERE p.preorder_no = agreements.preorder_no),
         sign_time_ms, freeze_amount"
    )
}

pub(super) fn signed_row(r: &Row) -> Result<SignedAgreement> {
    let agreement = agreement_row(r)?;
    let sign_ms: Option<i64> = get(r, 14)?;
    Ok(SignedAgreement {
        sign_time: match sign_ms {
            Some(ms) => time(ms)?,
            None => agreement.start_time,
        },
        preorder_no: get::<Option<String>>(r, 12)?.unwrap_or_default(),
        out_request_no: get::<Option<String>>(r, 13)?.unwrap_or_default(),
        freeze_amount: Fen(get(r, 15)?),
        agreement,
    })
}

impl AgreementReadTx for PgTx<'_> {
    fn template_terms(&mut self, template_no: &str) -> Result<Option<TemplateTerms>> {
        let sql = format!("SELECT {TERMS_COLUMNS} FROM templates WHERE template_no = $1");
        self.first(&sql, &[&template_no], terms_row)
    }

    fn template_record(&mut self, template_no: &str) -> Result<Option<TemplateRecord>> {
        let Some(template) = self.template(template_no)? else {
            return Ok(None);
        };
        let sql = format!("SELECT {TERMS_COLUMNS}, blocks FROM templates WHERE template_no = $1");
        let Some(row) = self.opt(&sql, &[&template_no])? else {
            return Ok(None);
        };
        Ok(Some(TemplateRecord {
            terms: terms_row(&row)?,
            template,
            blocks_json: get(&row, 6)?,
        }))
    }

    fn user_admitted(&mut self, user_id: &str) -> Result<Option<bool>> {
        match self.opt(
            "SELECT admitted FROM zmgo_users WHERE user_id = $1",
            &[&user_id],
        )? {
            Some(row) => Ok(Some(get(&row, 0)?)),
            None => Ok(None),
        }
    }

    fn signed_agreement(&mut self, agreement_no: &str) -> Result<Option<SignedAgreement>> {
        let sql = format!(
            "SELECT {} FROM agreements WHERE agreement_no = $1",
            signed_columns()
        );
        self.first(&sql, &[&agreement_no], signed_row)
    }
}

impl AgreementTx for PgTx<'_> {
    fn template_by_key(
        &mut self,
        partner_id: &str,
        out_biz_no: &str,
    ) -> Result<Option<(String, String)>> {
        match self.opt(
            "SELECT template_no, fingerprint FROM templates WHERE partner_id = $1 AND out_biz_no = $2",
            &[&partner_id, &out_biz_no],
        )? {
            Some(row) => Ok(Some((get(&row, 0)?, get(&row, 1)?))),
            None => Ok(None),
        }
    }

    fn insert_template(&mut self, n: &NewTemplate) -> Result<()> {
        let t = &n.template;
        let (mode, time) = match &n.terms.period {
            Some(p) => {
                let (m, t) = period::to_columns(p);
                (Some(m), Some(t))
            }
            None => (None, None),
        };
        self.exec(
            "INSERT INTO templates (template_no, mode, obligation_times, obligation_amount, period_days,
               settle_check, settle_tolerance, partner_id, out_biz_no, blocks, fingerprint, freeze_amount,
               created_ms, period_mode, period_time)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            &[
                &t.template_no,
                &mode_str(t.mode),
                &t.obligation_times,
                &t.obligation_amount.map(|f| f.0),
                &t.period_days,
                &t.settle_check,
                &t.settle_tolerance.0,
                &n.terms.owner,
                &n.out_biz_no,
                &n.blocks_json,
                &n.fingerprint,
                &n.terms.freeze_amount.0,
                &ms(&n.created),
                &mode,
                &time,
            ],
        )?;
        Ok(())
    }

    fn lock_agreement(&mut self, agreement_no: &str) -> Result<Option<Agreement>> {
        // The totals row first, in the order settle.apply takes its locks.
        self.lock_totals(agreement_no)?;
        let sql = format!(
            "SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE agreement_no = $1 FOR UPDATE"
        );
        self.first(&sql, &[&agreement_no], agreement_row)
    }

    fn preorder_by_key(
        &mut self,
        partner_id: &str,
        out_request_no: &str,
    ) -> Result<Option<Preorder>> {
        let sql = format!(
            "SELECT {PREORDER_COLUMNS} FROM preorders WHERE partner_id = $1 AND out_request_no = $2"
        );
        self.first(&sql, &[&partner_id, &out_request_no], preorder_row)
    }

    fn preorder(&mut self, preorder_no: &str) -> Result<Option<Preorder>> {
        let sql =
            format!("SELECT {PREORDER_COLUMNS} FROM preorders WHERE preorder_no = $1 FOR UPDATE");
        self.first(&sql, &[&preorder_no], preorder_row)
    }

    fn insert_preorder(&mut self, p: &Preorder) -> Result<()> {
        let sql = format!(
            "INSERT INTO preorders ({PREORDER_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        );
        self.exec(
            &sql,
            &[
                &p.preorder_no,
                &p.partner_id,
                &p.out_request_no,
                &p.template_no,
                &p.user.user_id,
                &p.user.open_id,
                &p.status.as_str(),
                &p.freeze_amount.map(|f| f.0),
                &p.request_json,
                &p.fingerprint,
                &ms(&p.created),
                &ms(&p.expires),
                &p.agreement_no,
                &p.biz_opt_no,
                &p.closed.as_ref().map(ms),
            ],
        )?;
        Ok(())
    }

    fn signed_agreement_of(&mut self, preorder_no: &str) -> Result<Option<SignedAgreement>> {
        let sql = format!(
            "SELECT {} FROM agreements WHERE preorder_no = $1",
            signed_columns()
        );
        self.first(&sql, &[&preorder_no], signed_row)
    }

    fn record_signing(&mut self, s: &SignedAgreement) -> Result<()> {
        let a = &s.agreement;
        self.exec(
            "INSERT INTO agreements (agreement_no, template_no, user_id, open_id, partner_id, status,
               start_time_ms, end_time_ms, preorder_no, sign_time_ms, freeze_amount, app_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                &a.agreement_no,
                &a.template_no,
                &a.user_id,
                &a.open_id,
                &a.partner_id,
                &a.status.as_str(),
                &ms(&a.start_time),
                &ms(&a.end_time),
                &s.preorder_no,
                &ms(&s.sign_time),
                &s.freeze_amount.0,
                &a.app_id,
            ],
        )?;
        self.exec(
            "UPDATE preorders SET status = 'SIGNED', agreement_no = $2
             WHERE preorder_no = $1 AND status = 'WAIT_SIGN'",
            &[&s.preorder_no, &a.agreement_no],
        )?;
        Ok(())
    }

    fn close_preorder(&mut self, preorder_no: &str, biz_opt_no: &str, at: &Time) -> Result<bool> {
        let n = self.exec(
            "UPDATE preorders SET status = 'CLOSED', biz_opt_no = $2, closed_ms = $3
             WHERE preorder_no = $1 AND status = 'WAIT_SIGN'",
            &[&preorder_no, &biz_opt_no, &ms(at)],
        )?;
        Ok(n == 1)
    }
}

impl PgTx<'_> {
    /// Upserts a `[[zmgo.users]]` entry.
    pub(super) fn upsert_user(&mut self, u: &ZmgoUser) -> Result<()> {
        self.exec(
            "INSERT INTO zmgo_users (user_id, admitted) VALUES ($1, $2)
             ON CONFLICT (user_id) DO UPDATE SET admitted = excluded.admitted",
            &[&u.user_id, &u.admitted],
        )?;
        Ok(())
    }
}
