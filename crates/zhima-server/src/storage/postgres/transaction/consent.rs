//! The sign.apply consent tokens and the rows the signing page shows, on PostgreSQL. Two
//! submits of one token may reach two processes: `load_consent` locks the row
//! (`FOR UPDATE`), so the second waits for the first's commit and then sees it used.

use postgres::Row;
use zhima_proto::money::Fen;

use crate::domain::consent::{PreorderView, SignConsent, TemplateView};
use crate::error::Result;

use super::rows::*;
use super::PgTx;

impl PgTx<'_> {
    pub(super) fn cs_insert(&mut self, c: &SignConsent) -> Result<()> {
        self.exec(
            "INSERT INTO sign_consents (token_hash, app_id, partner_id, request, return_url, expires_ms, used_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &c.token_hash,
                &c.app_id,
                &c.partner_id,
                &c.request,
                &c.return_url,
                &c.expires_ms,
                &c.used_ms,
            ],
        )?;
        Ok(())
    }

    pub(super) fn cs_load(&mut self, token_hash: &str) -> Result<Option<SignConsent>> {
        self.first(
            "SELECT token_hash, app_id, partner_id, request, return_url, expires_ms, used_ms
             FROM sign_consents WHERE token_hash = $1 FOR UPDATE",
            &[&token_hash],
            consent_row,
        )
    }

    pub(super) fn cs_use(&mut self, token_hash: &str, now_ms: i64) -> Result<bool> {
        let n = self.exec(
            "UPDATE sign_consents SET used_ms = $2 WHERE token_hash = $1 AND used_ms IS NULL",
            &[&token_hash, &now_ms],
        )?;
        Ok(n == 1)
    }

    pub(super) fn cs_preorder(&mut self, preorder_no: &str) -> Result<Option<PreorderView>> {
        self.first(
            "SELECT preorder_no, partner_id, template_no, status, expires_ms, freeze_amount
             FROM preorders WHERE preorder_no = $1",
            &[&preorder_no],
            |r| {
                Ok(PreorderView {
                    preorder_no: get(r, 0)?,
                    partner_id: get(r, 1)?,
                    template_no: get(r, 2)?,
                    status: get(r, 3)?,
                    expires_ms: get(r, 4)?,
                    freeze_amount: get::<Option<i64>>(r, 5)?.map(Fen),
                })
            },
        )
    }

    pub(super) fn cs_template(&mut self, template_no: &str) -> Result<Option<TemplateView>> {
        self.first(
            "SELECT template_no, partner_id, blocks, freeze_amount, obligation_times,
                    obligation_amount, period_days, period_mode, period_time
             FROM templates WHERE template_no = $1",
            &[&template_no],
            |r| {
                Ok(TemplateView {
                    template_no: get(r, 0)?,
                    owner: get(r, 1)?,
                    blocks: get(r, 2)?,
                    freeze_amount: Fen(get(r, 3)?),
                    obligation_times: get(r, 4)?,
                    obligation_amount: get::<Option<i64>>(r, 5)?.map(Fen),
                    period_days: get(r, 6)?,
                    period_mode: get(r, 7)?,
                    period_time: get(r, 8)?,
                })
            },
        )
    }
}

fn consent_row(r: &Row) -> Result<SignConsent> {
    Ok(SignConsent {
        token_hash: get(r, 0)?,
        app_id: get(r, 1)?,
        partner_id: get(r, 2)?,
        request: get(r, 3)?,
        return_url: get(r, 4)?,
        expires_ms: get(r, 5)?,
        used_ms: get(r, 6)?,
    })
}
