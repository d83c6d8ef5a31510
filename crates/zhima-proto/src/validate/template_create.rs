//! Checks of `zhima.merchant.zmgo.template.create` (PRODUCT §11), first failure decides:
//!
//! 1. `REQUEST_PARAM_ILLEGAL` — `basic_config` with `partner_id`, `out_biz_no`,
//!    `template_name` present and within length.
//! 2. `REQUEST_PARAM_ILLEGAL` — `open_config.period_mode` one of [`PeriodMode`];
//!    `period_time` a positive integer where the mode needs it; `appoint_date` a time
//!    (APPOINT_DATE) or a day 1–31 (FIX_DATE).
//! 3. `ORDER_AMOUNT_ILLEGAL` — `open_config.freeze_amount`, `obligation_config.obligation_amount`
//!    yuan amounts; `REQUEST_PARAM_ILLEGAL` — `obligation_times` a non-negative integer.
//!
//! The server then checks access and idempotency on (`partner_id`, `out_biz_no`) via
//! [`ValidTemplateCreate::business_fingerprint`].

use serde::Serialize;

use crate::catalog::CumulationCode::RequestParamIllegal;
use crate::models::{PeriodMode, ZhimaMerchantZmgoTemplateCreateModel};
use crate::money::Fen;

use super::checks::{echo, missing, parse_enum, present, Violation};
use super::cumulation::{MAX_ENUM, MAX_ID, MAX_NAME, MAX_OUT_BIZ_NO};
use super::lifecycle::{fingerprint, opt, optional_amount, optional_time, req, Checked};

/// Longest accepted `period_time` (days or months).
pub const MAX_PERIOD_TIME: u32 = 3660;

/// An agreement period of a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplatePeriod {
    /// How the end is computed.
    pub mode: PeriodMode,
    /// Days (RELATIVE/ABSOLATE/ABSOLUTE_PLUS_1) or months (FIX_DATE); `None` for APPOINT_DATE.
    pub time: Option<u32>,
    /// APPOINT_DATE: the end (`yyyy-MM-dd HH:mm:ss`); FIX_DATE: the day of month.
    pub appoint_date: Option<String>,
}

/// A validated template: the checked key fields plus the seven blocks exactly as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidTemplateCreate {
    /// `basic_config.partner_id`.
    pub partner_id: String,
    /// `basic_config.out_biz_no`, the idempotency key.
    pub out_biz_no: String,
    /// `basic_config.template_name`.
    pub template_name: String,
    /// `open_config.period_mode`/`period_time`; `None` → the platform default (30 days).
    pub period: Option<TemplatePeriod>,
    /// `open_config.freeze_amount`.
    pub freeze_amount: Option<Fen>,
    /// `obligation_config.obligation_amount`.
    pub obligation_amount: Option<Fen>,
    /// `obligation_config.obligation_times`.
    pub obligation_times: Option<u32>,
    /// The request as sent, to store and answer template.query with.
    pub blocks: ZhimaMerchantZmgoTemplateCreateModel,
}

impl ValidTemplateCreate {
    /// Canonical JSON of the business content (the blocks), for idempotent replay.
    pub fn business_fingerprint(&self) -> String {
        fingerprint(&self.blocks)
    }
}

/// Validates a template (order in the module docs).
pub fn validate_template_create(
    req_: &ZhimaMerchantZmgoTemplateCreateModel,
) -> Checked<ValidTemplateCreate> {
    let r = RequestParamIllegal;
    let basic = req_
        .basic_config
        .as_ref()
        .ok_or_else(|| missing(r, "basic_config"))?;
    let partner_id = req("basic_config.partner_id", &basic.partner_id, MAX_ID)?;
    let out_biz_no = req("basic_config.out_biz_no", &basic.out_biz_no, MAX_OUT_BIZ_NO)?;
    let template_name = req("basic_config.template_name", &basic.template_name, MAX_NAME)?;
    let open = req_.open_config.clone().unwrap_or_default();
    let period = match opt("open_config.period_mode", &open.period_mode, MAX_ENUM)? {
        None => None,
        Some(raw) => {
            let f = "open_config.period_mode";
            let mode: PeriodMode = parse_enum(r, f, &raw, &PeriodMode::expected())?;
            Some(period(mode, &open.period_time, &open.appoint_date)?)
        }
    };
    let obligation = req_.obligation_config.clone().unwrap_or_default();
    let freeze_amount = optional_amount("open_config.freeze_amount", &open.freeze_amount)?;
    let obligation_amount = optional_amount(
        "obligation_config.obligation_amount",
        &obligation.obligation_amount,
    )?;
    let obligation_times = present(&obligation.obligation_times)
        .map(|raw| count("obligation_config.obligation_times", raw, false))
        .transpose()?;
    Ok(ValidTemplateCreate {
        partner_id,
        out_biz_no,
        template_name,
        period,
        freeze_amount,
        obligation_amount,
        obligation_times,
        blocks: req_.clone(),
    })
}

fn period(
    mode: PeriodMode,
    time: &Option<String>,
    appoint: &Option<String>,
) -> Checked<TemplatePeriod> {
    let r = RequestParamIllegal;
    let time_field = "open_config.period_time";
    let needs_time = mode != PeriodMode::AppointDate;
    let time = if needs_time {
        let raw = present(time).ok_or_else(|| missing(r, time_field))?;
        Some(count(time_field, raw, true)?)
    } else {
        None
    };
    let appoint_date = match mode {
        PeriodMode::AppointDate => {
            let f = "open_config.appoint_date";
            Some(optional_time(f, appoint)?.ok_or_else(|| missing(r, f))?)
        }
        PeriodMode::FixDate => {
            let f = "open_config.appoint_date";
            let raw = present(appoint).ok_or_else(|| missing(r, f))?;
            let day = count(f, raw, true)?;
            if day > 31 {
                return Err(Violation::new(
                    r,
                    format_args!("{f}应为1到31的日期: {}", echo(raw)),
                ));
            }
            Some(day.to_string())
        }
        _ => None,
    };
    Ok(TemplatePeriod {
        mode,
        time,
        appoint_date,
    })
}

/// A decimal count; `positive` rejects 0. At most [`MAX_PERIOD_TIME`] for periods.
fn count(field: &str, raw: &str, positive: bool) -> Checked<u32> {
    let n = (!raw.is_empty() && raw.len() <= 9 && raw.bytes().all(|b| b.is_ascii_digit()))
        .then(|| raw.parse::<u32>().ok())
        .flatten();
    match n {
        Some(n) if !(positive && (n == 0 || n > MAX_PERIOD_TIME)) => Ok(n),
        _ => Err(Violation::new(
            RequestParamIllegal,
            format_args!(
                "{field}应为{}整数: {}",
                if positive { "正" } else { "非负" },
                echo(raw)
            ),
        )),
    }
}
