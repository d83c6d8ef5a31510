//! SQL of the configured records (`domain::entities::Records`): apps, tokens, templates,
//! agreements, trades, state services; plus the row-conversion helpers the other files share.

use rusqlite::{params, Connection, OptionalExtension, Row};
use zhima_proto::money::Fen;
use zhima_proto::time::from_epoch_millis;
use zhima_proto::SignType;

use crate::domain::entities::{
    Agreement, AgreementQuit, App, AppAuthToken, Records, Template, TemplateMode, Time, Trade,
};
use crate::domain::query::Page;
use crate::domain::state_sync::ServiceConfig;
use crate::error::{Error, Result};

/// Epoch milliseconds of an instant (the storage form of every time).
pub(crate) fn ms(t: &Time) -> i64 {
    t.timestamp_millis()
}

/// The instant of stored epoch milliseconds, in UTC+8.
pub(crate) fn time(ms: i64) -> rusqlite::Result<Time> {
    from_epoch_millis(ms).map_err(|e| conversion(e.to_string()))
}

/// A stored value that does not parse back (only possible if the file was edited by hand).
pub(crate) fn conversion(msg: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, msg.into())
}

/// Parses a stored enum spelling.
pub(crate) fn parse<T: std::str::FromStr>(s: &str) -> rusqlite::Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| conversion(e.to_string()))
}

pub(crate) fn apply_records(conn: &Connection, r: &Records) -> Result<()> {
    r.apps.iter().try_for_each(|a| upsert_app(conn, a))?;
    r.app_auth_tokens
        .iter()
        .try_for_each(|t| upsert_app_auth_token(conn, t))?;
    r.templates
        .iter()
        .try_for_each(|t| upsert_template(conn, t))?;
    r.agreements
        .iter()
        .try_for_each(|a| upsert_agreement(conn, a))?;
    r.trades.iter().try_for_each(|t| upsert_trade(conn, t))?;
    r.zmgo_users
        .iter()
        .try_for_each(|u| super::agreements::upsert_user(conn, u))?;
    r.state_services
        .iter()
        .try_for_each(|s| upsert_state_service(conn, s))
}

fn upsert_app(conn: &Connection, a: &App) -> Result<()> {
    let sign_types: Vec<&str> = a.sign_types.iter().map(|s| s.as_str()).collect();
    conn.prepare_cached(
        "INSERT INTO apps (app_id, partner_id, public_key_pem, app_cert_sn, encrypt_key, sign_types, enabled, notify_url)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (app_id) DO UPDATE SET partner_id = excluded.partner_id,
           public_key_pem = excluded.public_key_pem, app_cert_sn = excluded.app_cert_sn,
           encrypt_key = excluded.encrypt_key, sign_types = excluded.sign_types, enabled = excluded.enabled,
           notify_url = excluded.notify_url",
    )?
    .execute(params![a.app_id, a.partner_id, a.public_key_pem, a.app_cert_sn, a.encrypt_key, sign_types.join(","), a.enabled, a.notify_url])?;
    Ok(())
}

const APP_COLUMNS: &str =
    "app_id, partner_id, public_key_pem, app_cert_sn, encrypt_key, sign_types, enabled, notify_url";

fn app_row(r: &Row<'_>) -> rusqlite::Result<App> {
    let sign_types: String = r.get(5)?;
    Ok(App {
        app_id: r.get(0)?,
        partner_id: r.get(1)?,
        public_key_pem: r.get(2)?,
        app_cert_sn: r.get(3)?,
        encrypt_key: r.get(4)?,
        sign_types: sign_types
            .split(',')
            .filter(|s| !s.is_empty())
            .map(parse::<SignType>)
            .collect::<rusqlite::Result<_>>()?,
        enabled: r.get(6)?,
        notify_url: r.get(7)?,
    })
}

pub(crate) fn app(conn: &Connection, app_id: &str) -> Result<Option<App>> {
    let sql = format!("SELECT {APP_COLUMNS} FROM apps WHERE app_id = ?1");
    one(conn, &sql, app_id, app_row)
}

pub(crate) fn apps(conn: &Connection) -> Result<Vec<App>> {
    let sql = format!("SELECT {APP_COLUMNS} FROM apps ORDER BY app_id");
    collect(conn.prepare_cached(&sql)?.query_map([], app_row)?)
}

fn upsert_app_auth_token(conn: &Connection, t: &AppAuthToken) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO app_auth_tokens (token, app_id, partner_id, expires_at_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (token) DO UPDATE SET app_id = excluded.app_id, partner_id = excluded.partner_id,
           expires_at_ms = excluded.expires_at_ms",
    )?
    .execute(params![t.token, t.app_id, t.partner_id, ms(&t.expires_at)])?;
    Ok(())
}

pub(crate) fn delete_app_auth_token(conn: &Connection, token: &str) -> Result<bool> {
    let n = conn
        .prepare_cached("DELETE FROM app_auth_tokens WHERE token = ?1")?
        .execute([token])?;
    Ok(n == 1)
}

pub(crate) fn app_auth_token(conn: &Connection, token: &str) -> Result<Option<AppAuthToken>> {
    let row = conn
        .prepare_cached(
            "SELECT token, app_id, partner_id, expires_at_ms FROM app_auth_tokens WHERE token = ?1",
        )?
        .query_row([token], |r| {
            Ok(AppAuthToken {
                token: r.get(0)?,
                app_id: r.get(1)?,
                partner_id: r.get(2)?,
                expires_at: time(r.get(3)?)?,
            })
        })
        .optional()?;
    Ok(row)
}

pub(crate) fn mode_str(m: TemplateMode) -> &'static str {
    match m {
        TemplateMode::Decoupled => "DECOUPLED",
        TemplateMode::Bound => "BOUND",
    }
}

fn upsert_template(conn: &Connection, t: &Template) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO templates (template_no, mode, obligation_times, obligation_amount, period_days, settle_check, settle_tolerance)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (template_no) DO UPDATE SET mode = excluded.mode, obligation_times = excluded.obligation_times,
           obligation_amount = excluded.obligation_amount, period_days = excluded.period_days,
           settle_check = excluded.settle_check, settle_tolerance = excluded.settle_tolerance",
    )?
    .execute(params![
        t.template_no,
        mode_str(t.mode),
        t.obligation_times,
        t.obligation_amount.map(|f| f.0),
        t.period_days,
        t.settle_check,
        t.settle_tolerance.0
    ])?;
    Ok(())
}

const TEMPLATE_COLUMNS: &str =
    "template_no, mode, obligation_times, obligation_amount, period_days, settle_check, settle_tolerance";

fn template_row(r: &Row<'_>) -> rusqlite::Result<Template> {
    let mode: String = r.get(1)?;
    Ok(Template {
        template_no: r.get(0)?,
        mode: match mode.as_str() {
            "BOUND" => TemplateMode::Bound,
            "DECOUPLED" => TemplateMode::Decoupled,
            other => return Err(conversion(format!("unknown template mode {other:?}"))),
        },
        obligation_times: r.get(2)?,
        obligation_amount: r.get::<_, Option<i64>>(3)?.map(Fen),
        period_days: r.get(4)?,
        settle_check: r.get(5)?,
        settle_tolerance: Fen(r.get(6)?),
    })
}

pub(crate) fn template(conn: &Connection, template_no: &str) -> Result<Option<Template>> {
    let sql = format!("SELECT {TEMPLATE_COLUMNS} FROM templates WHERE template_no = ?1");
    one(conn, &sql, template_no, template_row)
}

pub(crate) fn templates(conn: &Connection) -> Result<Vec<Template>> {
    let sql = format!("SELECT {TEMPLATE_COLUMNS} FROM templates ORDER BY template_no");
    collect(conn.prepare_cached(&sql)?.query_map([], template_row)?)
}

/// Upserts an agreement; run-time state wins over the file: one that `settle.apply` moved to
/// `N`, or that expiry or unsign moved to `P` (it has a `withhold_plan_no`), keeps its status.
fn upsert_agreement(conn: &Connection, a: &Agreement) -> Result<()> {
    let sql = "INSERT INTO agreements (agreement_no, template_no, user_id, open_id, partner_id, status, start_time_ms, end_time_ms, app_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (agreement_no) DO UPDATE SET template_no = excluded.template_no, user_id = excluded.user_id,
           open_id = excluded.open_id, partner_id = excluded.partner_id,
           status = CASE WHEN agreements.settled = 1 OR agreements.withhold_plan_no IS NOT NULL
             THEN agreements.status ELSE excluded.status END,
           start_time_ms = excluded.start_time_ms, end_time_ms = excluded.end_time_ms, app_id = excluded.app_id";
    conn.prepare_cached(sql)?
        .execute(params![
            a.agreement_no,
            a.template_no,
            a.user_id,
            a.open_id,
            a.partner_id,
            a.status.as_str(),
            ms(&a.start_time),
            ms(&a.end_time),
            a.app_id
        ])
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Error::Config(format!(
                    "agreement {}: template {} does not exist",
                    a.agreement_no, a.template_no
                ))
            }
            other => other.into(),
        })?;
    Ok(())
}

pub(crate) const AGREEMENT_COLUMNS: &str =
    "agreement_no, template_no, user_id, open_id, partner_id, status, start_time_ms, end_time_ms,
     withhold_plan_no, quit_type, quit_time_ms, app_id";

pub(crate) fn agreement_row(r: &Row<'_>) -> rusqlite::Result<Agreement> {
    let status: String = r.get(5)?;
    Ok(Agreement {
        agreement_no: r.get(0)?,
        template_no: r.get(1)?,
        user_id: r.get(2)?,
        open_id: r.get(3)?,
        partner_id: r.get(4)?,
        status: parse(&status)?,
        start_time: time(r.get(6)?)?,
        end_time: time(r.get(7)?)?,
        quit: match (r.get(8)?, r.get(9)?, r.get::<_, Option<i64>>(10)?) {
            (Some(withhold_plan_no), Some(quit_type), Some(quit_ms)) => Some(AgreementQuit {
                withhold_plan_no,
                quit_type,
                quit_time: time(quit_ms)?,
            }),
            _ => None,
        },
        app_id: r.get(11)?,
    })
}

pub(crate) fn agreement(conn: &Connection, agreement_no: &str) -> Result<Option<Agreement>> {
    let sql = format!("SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE agreement_no = ?1");
    one(conn, &sql, agreement_no, agreement_row)
}

pub(crate) fn agreements(conn: &Connection, page: Page) -> Result<Vec<Agreement>> {
    let sql = format!(
        "SELECT {AGREEMENT_COLUMNS} FROM agreements ORDER BY agreement_no LIMIT ?1 OFFSET ?2"
    );
    collect(
        conn.prepare_cached(&sql)?
            .query_map(params![page.size, page.offset()], agreement_row)?,
    )
}

/// Agreements of a user (by 2088 id and/or open id).
pub(crate) fn agreements_of_user(
    conn: &Connection,
    user_id: Option<&str>,
    open_id: Option<&str>,
) -> Result<Vec<Agreement>> {
    let sql = format!(
        "SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE user_id = ?1 OR open_id = ?2 ORDER BY agreement_no"
    );
    collect(
        conn.prepare_cached(&sql)?
            .query_map(params![user_id, open_id], agreement_row)?,
    )
}

/// Sets an agreement's status (settlement); `settled` protects it from config reloads.
pub(crate) fn mark_settled(conn: &Connection, agreement_no: &str) -> Result<()> {
    conn.prepare_cached("UPDATE agreements SET status = 'N', settled = 1 WHERE agreement_no = ?1")?
        .execute([agreement_no])?;
    Ok(())
}

fn upsert_trade(conn: &Connection, t: &Trade) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO trades (trade_no, buyer_user_id, seller_partner_id, amount) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (trade_no) DO UPDATE SET buyer_user_id = excluded.buyer_user_id,
           seller_partner_id = excluded.seller_partner_id, amount = excluded.amount",
    )?
    .execute(params![t.trade_no, t.buyer_user_id, t.seller_partner_id, t.amount.0])?;
    Ok(())
}

fn trade_row(r: &Row<'_>) -> rusqlite::Result<Trade> {
    Ok(Trade {
        trade_no: r.get(0)?,
        buyer_user_id: r.get(1)?,
        seller_partner_id: r.get(2)?,
        amount: Fen(r.get(3)?),
    })
}

pub(crate) fn trade(conn: &Connection, trade_no: &str) -> Result<Option<Trade>> {
    one(
        conn,
        "SELECT trade_no, buyer_user_id, seller_partner_id, amount FROM trades WHERE trade_no = ?1",
        trade_no,
        trade_row,
    )
}

pub(crate) fn trades(conn: &Connection) -> Result<Vec<Trade>> {
    collect(
        conn.prepare_cached("SELECT trade_no, buyer_user_id, seller_partner_id, amount FROM trades ORDER BY trade_no")?
            .query_map([], trade_row)?,
    )
}

fn upsert_state_service(conn: &Connection, s: &ServiceConfig) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO state_services (service_id, config) VALUES (?1, ?2)
         ON CONFLICT (service_id) DO UPDATE SET config = excluded.config",
    )?
    .execute(params![s.service_id, serde_json::to_string(s)?])?;
    Ok(())
}

pub(crate) fn state_services(conn: &Connection) -> Result<Vec<ServiceConfig>> {
    let texts: Vec<String> = collect(
        conn.prepare_cached("SELECT config FROM state_services ORDER BY service_id")?
            .query_map([], |r| r.get(0))?,
    )?;
    texts.iter().map(|t| Ok(serde_json::from_str(t)?)).collect()
}

/// The row `sql` selects for `key` (its `?1`), if any, read with `row`.
fn one<T>(
    conn: &Connection,
    sql: &str,
    key: &str,
    row: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Option<T>> {
    Ok(conn.prepare_cached(sql)?.query_row([key], row).optional()?)
}

/// Collects mapped rows into a `Vec`, converting the error.
pub(crate) fn collect<T>(rows: impl Iterator<Item = rusqlite::Result<T>>) -> Result<Vec<T>> {
    Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
}
