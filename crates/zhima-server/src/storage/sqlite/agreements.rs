//! SQL of the agreement lifecycle (templates' terms, preorders, signing) on SQLite: the
//! [`AgreementTx`] part of the write contract. One writer, so what a job loads stays current.

use rusqlite::{params, Connection, OptionalExtension, Row};
use zhima_proto::money::Fen;
use zhima_proto::validate::UserRef;

use super::records::{self, agreement_row, conversion, ms, time, AGREEMENT_COLUMNS};
use super::transaction::SqliteTx;
use crate::domain::entities::{Agreement, Time};
use crate::domain::period;
use crate::domain::preorder::{Preorder, PreorderStatus, ZmgoUser};
use crate::domain::sign::SignedAgreement;
use crate::domain::template::{NewTemplate, TemplateRecord, TemplateTerms};
use crate::error::Result;
use crate::storage::agreement_tx::{AgreementReadTx, AgreementTx};

pub(crate) const TERMS_COLUMNS: &str =
    "template_no, partner_id, freeze_amount, period_mode, period_time, period_days";

pub(crate) fn terms_row(r: &Row<'_>) -> rusqlite::Result<TemplateTerms> {
    let mode: Option<String> = r.get(3)?;
    let time: Option<String> = r.get(4)?;
    Ok(TemplateTerms {
        template_no: r.get(0)?,
        owner: r.get(1)?,
        freeze_amount: Fen(r.get(2)?),
        period: period::from_columns(mode.as_deref(), time.as_deref()),
        period_days: r.get(5)?,
    })
}

const PREORDER_COLUMNS: &str = "preorder_no, partner_id, out_request_no, template_no, user_id, open_id, status, \
     freeze_amount, request, fingerprint, created_ms, expires_ms, agreement_no, biz_opt_no, closed_ms";

fn preorder_row(r: &Row<'_>) -> rusqlite::Result<Preorder> {
    let status: String = r.get(6)?;
    Ok(Preorder {
        preorder_no: r.get(0)?,
        partner_id: r.get(1)?,
        out_request_no: r.get(2)?,
        template_no: r.get(3)?,
        user: UserRef {
            user_id: r.get(4)?,
            open_id: r.get(5)?,
        },
        status: PreorderStatus::parse(&status)
            .ok_or_else(|| conversion(format!("preorder status {status:?}")))?,
        freeze_amount: r.get::<_, Option<i64>>(7)?.map(Fen),
        request_json: r.get(8)?,
        fingerprint: r.get(9)?,
        created: time(r.get(10)?)?,
        expires: time(r.get(11)?)?,
        agreement_no: r.get(12)?,
        biz_opt_no: r.get(13)?,
        closed: r.get::<_, Option<i64>>(14)?.map(time).transpose()?,
    })
}

/// The columns of a signed agreement: the agreement's, then its signing details.
pub(crate) fn signed_columns() -> String {
    format!(
        "{AGREEMENT_COLUMNS}, preorder_no,
         (SELECT p.out_request_no FROM preorders p WHERE p.preorder_no = agreements.preorder_no),
         sign_time_ms, freeze_amount"
    )
}

pub(crate) fn signed_row(r: &Row<'_>) -> rusqlite::Result<SignedAgreement> {
    let agreement = agreement_row(r)?;
    let sign_ms: Option<i64> = r.get(14)?;
    Ok(SignedAgreement {
        sign_time: match sign_ms {
            Some(ms) => time(ms)?,
            None => agreement.start_time,
        },
        preorder_no: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
        out_request_no: r.get::<_, Option<String>>(13)?.unwrap_or_default(),
        freeze_amount: Fen(r.get(15)?),
        agreement,
    })
}

impl AgreementReadTx for SqliteTx<'_> {
    fn template_terms(&mut self, template_no: &str) -> Result<Option<TemplateTerms>> {
        let sql = format!("SELECT {TERMS_COLUMNS} FROM templates WHERE template_no = ?1");
        Ok(self
            .0
            .prepare_cached(&sql)?
            .query_row([template_no], terms_row)
            .optional()?)
    }

    fn template_record(&mut self, template_no: &str) -> Result<Option<TemplateRecord>> {
        let Some(template) = records::template(self.0, template_no)? else {
            return Ok(None);
        };
        let sql = format!("SELECT {TERMS_COLUMNS}, blocks FROM templates WHERE template_no = ?1");
        let row = self
            .0
            .prepare_cached(&sql)?
            .query_row([template_no], |r| Ok((terms_row(r)?, r.get(6)?)))
            .optional()?;
        Ok(row.map(|(terms, blocks_json)| TemplateRecord {
            terms,
            template,
            blocks_json,
        }))
    }

    fn user_admitted(&mut self, user_id: &str) -> Result<Option<bool>> {
        user_admitted(self.0, user_id)
    }

    fn signed_agreement(&mut self, agreement_no: &str) -> Result<Option<SignedAgreement>> {
        let sql = format!(
            "SELECT {} FROM agreements WHERE agreement_no = ?1",
            signed_columns()
        );
        Ok(self
            .0
            .prepare_cached(&sql)?
            .query_row([agreement_no], signed_row)
            .optional()?)
    }
}

impl AgreementTx for SqliteTx<'_> {
    fn template_by_key(
        &mut self,
        partner_id: &str,
        out_biz_no: &str,
    ) -> Result<Option<(String, String)>> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT template_no, fingerprint FROM templates WHERE partner_id = ?1 AND out_biz_no = ?2",
            )?
            .query_row([partner_id, out_biz_no], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
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
        self.0
            .prepare_cached(
                "INSERT INTO templates (template_no, mode, obligation_times, obligation_amount, period_days,
                   settle_check, settle_tolerance, partner_id, out_biz_no, blocks, fingerprint, freeze_amount,
                   created_ms, period_mode, period_time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?
            .execute(params![
                t.template_no,
                records::mode_str(t.mode),
                t.obligation_times,
                t.obligation_amount.map(|f| f.0),
                t.period_days,
                t.settle_check,
                t.settle_tolerance.0,
                n.terms.owner,
                n.out_biz_no,
                n.blocks_json,
                n.fingerprint,
                n.terms.freeze_amount.0,
                ms(&n.created),
                mode,
                time,
            ])?;
        Ok(())
    }

    fn lock_agreement(&mut self, agreement_no: &str) -> Result<Option<Agreement>> {
        records::agreement(self.0, agreement_no)
    }

    fn preorder_by_key(
        &mut self,
        partner_id: &str,
        out_request_no: &str,
    ) -> Result<Option<Preorder>> {
        let sql = format!(
            "SELECT {PREORDER_COLUMNS} FROM preorders WHERE partner_id = ?1 AND out_request_no = ?2"
        );
        Ok(self
            .0
            .prepare_cached(&sql)?
            .query_row([partner_id, out_request_no], preorder_row)
            .optional()?)
    }

    fn preorder(&mut self, preorder_no: &str) -> Result<Option<Preorder>> {
        let sql = format!("SELECT {PREORDER_COLUMNS} FROM preorders WHERE preorder_no = ?1");
        Ok(self
            .0
            .prepare_cached(&sql)?
            .query_row([preorder_no], preorder_row)
            .optional()?)
    }

    fn insert_preorder(&mut self, p: &Preorder) -> Result<()> {
        self.0
            .prepare_cached(&format!(
                "INSERT INTO preorders ({PREORDER_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
            ))?
            .execute(params![
                p.preorder_no,
                p.partner_id,
                p.out_request_no,
                p.template_no,
                p.user.user_id,
                p.user.open_id,
                p.status.as_str(),
                p.freeze_amount.map(|f| f.0),
                p.request_json,
                p.fingerprint,
                ms(&p.created),
                ms(&p.expires),
                p.agreement_no,
                p.biz_opt_no,
                p.closed.as_ref().map(ms),
            ])?;
        Ok(())
    }

    fn signed_agreement_of(&mut self, preorder_no: &str) -> Result<Option<SignedAgreement>> {
        let sql = format!(
            "SELECT {} FROM agreements WHERE preorder_no = ?1",
            signed_columns()
        );
        Ok(self
            .0
            .prepare_cached(&sql)?
            .query_row([preorder_no], signed_row)
            .optional()?)
    }

    fn record_signing(&mut self, s: &SignedAgreement) -> Result<()> {
        let a = &s.agreement;
        self.0
            .prepare_cached(
                "INSERT INTO agreements (agreement_no, template_no, user_id, open_id, partner_id, status,
                   start_time_ms, end_time_ms, preorder_no, sign_time_ms, freeze_amount, app_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                a.agreement_no,
                a.template_no,
                a.user_id,
                a.open_id,
                a.partner_id,
                a.status.as_str(),
                ms(&a.start_time),
                ms(&a.end_time),
                s.preorder_no,
                ms(&s.sign_time),
                s.freeze_amount.0,
                a.app_id,
            ])?;
        self.0
            .prepare_cached(
                "UPDATE preorders SET status = 'SIGNED', agreement_no = ?2
                 WHERE preorder_no = ?1 AND status = 'WAIT_SIGN'",
            )?
            .execute(params![s.preorder_no, a.agreement_no])?;
        Ok(())
    }

    fn close_preorder(&mut self, preorder_no: &str, biz_opt_no: &str, at: &Time) -> Result<bool> {
        let n = self
            .0
            .prepare_cached(
                "UPDATE preorders SET status = 'CLOSED', biz_opt_no = ?2, closed_ms = ?3
                 WHERE preorder_no = ?1 AND status = 'WAIT_SIGN'",
            )?
            .execute(params![preorder_no, biz_opt_no, ms(at)])?;
        Ok(n == 1)
    }
}

pub(crate) fn user_admitted(conn: &Connection, user_id: &str) -> Result<Option<bool>> {
    Ok(conn
        .prepare_cached("SELECT admitted FROM zmgo_users WHERE user_id = ?1")?
        .query_row([user_id], |r| r.get(0))
        .optional()?)
}

/// Upserts a `[[zmgo.users]]` entry.
pub(crate) fn upsert_user(conn: &Connection, u: &ZmgoUser) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO zmgo_users (user_id, admitted) VALUES (?1, ?2)
         ON CONFLICT (user_id) DO UPDATE SET admitted = excluded.admitted",
    )?
    .execute(params![u.user_id, u.admitted])?;
    Ok(())
}
