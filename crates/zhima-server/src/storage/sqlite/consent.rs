//! SQL of the sign.apply consent tokens and the rows the signing page shows. SQLite has one
//! writer, so a consent loaded by a write job is still as loaded when `use_consent` runs.

use rusqlite::{params, Connection, OptionalExtension, Row};
use zhima_proto::money::Fen;

use crate::domain::consent::{PreorderView, SignConsent, TemplateView};
use crate::error::Result;

pub(crate) fn insert(conn: &Connection, c: &SignConsent) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sign_consents (token_hash, app_id, partner_id, request, return_url, expires_ms, used_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        c.token_hash,
        c.app_id,
        c.partner_id,
        c.request,
        c.return_url,
        c.expires_ms,
        c.used_ms
    ])?;
    Ok(())
}

pub(crate) fn load(conn: &Connection, token_hash: &str) -> Result<Option<SignConsent>> {
    Ok(conn
        .prepare_cached(
            "SELECT token_hash, app_id, partner_id, request, return_url, expires_ms, used_ms
             FROM sign_consents WHERE token_hash = ?1",
        )?
        .query_row([token_hash], |r| {
            Ok(SignConsent {
                token_hash: r.get(0)?,
                app_id: r.get(1)?,
                partner_id: r.get(2)?,
                request: r.get(3)?,
                return_url: r.get(4)?,
                expires_ms: r.get(5)?,
                used_ms: r.get(6)?,
            })
        })
        .optional()?)
}

pub(crate) fn mark_used(conn: &Connection, token_hash: &str, now_ms: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE sign_consents SET used_ms = ?2 WHERE token_hash = ?1 AND used_ms IS NULL",
        )?
        .execute(params![token_hash, now_ms])?;
    Ok(n == 1)
}

pub(crate) fn preorder(conn: &Connection, preorder_no: &str) -> Result<Option<PreorderView>> {
    Ok(conn
        .prepare_cached(
            "SELECT preorder_no, partner_id, template_no, status, expires_ms, freeze_amount
             FROM preorders WHERE preorder_no = ?1",
        )?
        .query_row([preorder_no], |r| {
            Ok(PreorderView {
                preorder_no: r.get(0)?,
                partner_id: r.get(1)?,
                template_no: r.get(2)?,
                status: r.get(3)?,
                expires_ms: r.get(4)?,
                freeze_amount: r.get::<_, Option<i64>>(5)?.map(Fen),
            })
        })
        .optional()?)
}

pub(crate) fn template(conn: &Connection, template_no: &str) -> Result<Option<TemplateView>> {
    Ok(conn
        .prepare_cached(
            "SELECT template_no, partner_id, blocks, freeze_amount, obligation_times,
                    obligation_amount, period_days, period_mode, period_time
             FROM templates WHERE template_no = ?1",
        )?
        .query_row([template_no], template_row)
        .optional()?)
}

fn template_row(r: &Row<'_>) -> rusqlite::Result<TemplateView> {
    Ok(TemplateView {
        template_no: r.get(0)?,
        owner: r.get(1)?,
        blocks: r.get(2)?,
        freeze_amount: Fen(r.get(3)?),
        obligation_times: r.get(4)?,
        obligation_amount: r.get::<_, Option<i64>>(5)?.map(Fen),
        period_days: r.get(6)?,
        period_mode: r.get(7)?,
        period_time: r.get(8)?,
    })
}
