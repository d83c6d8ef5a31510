//! Sync rule 1 of PRODUCT §4 for `zhima.credit.pe.zmgo.cumulation.sync`: everything that can
//! be checked without server state.
//!
//! # Check order (the first failing check decides)
//!
//! 1. `REQUEST_PARAM_ILLEGAL` — top-level required fields present and within their length
//!    limits, in this order: `agreement_no`, `partner_id`, `out_biz_no`, `biz_action`,
//!    `biz_time`, `cumulate_data_type`, `request_from`; then `user_id` or `open_id` (at least
//!    one); then the optional `user_id`, `open_id`, `pay_out_biz_no`, `ext_info` lengths.
//! 2. `INVALID_BIZ_ACTION` — `biz_action` is `ORDER_PAID` or `ORDER_REFUND`.
//! 3. `INVALID_CUMULATE_TYPE` — `cumulate_data_type` is `AMOUNT`, `TASK` or `AMOUNT_TASK`, and
//!    its data block is there: AMOUNT/AMOUNT_TASK need `amount_type_data` with a `name`; TASK
//!    needs `task_type_data` with a `name` (AMOUNT_TASK may carry `task_type_data`, which then
//!    needs a `name`). A block the type does not use is ignored (neither checked nor kept).
//! 4. `REQUEST_PARAM_ILLEGAL` — ORDER_REFUND has `pay_out_biz_no`; nested lengths
//!    (`amount_type_data.name`, `trade_info.trade_no`, `task_type_data.name`, discount names);
//!    at most [`MAX_DISCOUNTS`] discounts, each with `discount_name` and a valid
//!    `discount_type`; `request_from` is `ExternalMerchantSource`.
//! 5. `ORDER_AMOUNT_ILLEGAL` — `trade_info.amount` (when `trade_info` is sent) present and
//!    `^\d{1,10}(\.\d{1,2})?$` yuan.
//! 6. `DISCOUNT_AMOUNT_ILLEGAL` — every `discount_amount` present and of that format.
//! 7. `REQUEST_PARAM_ILLEGAL` — `biz_time` is `yyyy-MM-dd HH:mm:ss` (UTC+8), not before
//!    [`EARLIEST_BIZ_TIME`] and not later than `now + clock_skew`.
//!
//! The server then runs rules 2–6 (idempotency via [`ValidCumulation::business_fingerprint`],
//! access, agreement, mode, trade, refund). Length limits are not published (PROTOCOL §G1);
//! the generous values below are ours.

use chrono::{DateTime, FixedOffset};
use serde::{Serialize, Serializer};

use crate::catalog::CumulationCode::{
    self, DiscountAmountIllegal, InvalidBizAction, InvalidCumulateType, OrderAmountIllegal,
    RequestParamIllegal,
};
use crate::models::cumulation_sync::{
    AmountTypeData, BizAction, CumulateDataType, DiscountType, TaskTypeData, ZMGoOutDiscountInfo,
    ZhimaCreditPeZmgoCumulationSyncModel, REQUEST_FROM_EXTERNAL_MERCHANT,
};
use crate::models::{canonical_json, from_json};
use crate::money::Fen;
use crate::time::{format_alipay_datetime, parse_alipay_datetime};

use super::checks::{
    echo, missing, optional, parse_enum, present, required, required_amount, Violation,
};

/// Max chars of `agreement_no`.
pub const MAX_AGREEMENT_NO: usize = 64;
/// Max chars of `user_id` and `partner_id`.
pub const MAX_ID: usize = 64;
/// Max chars of `open_id`.
pub const MAX_OPEN_ID: usize = 128;
/// Max chars of `out_biz_no` and `pay_out_biz_no`.
pub const MAX_OUT_BIZ_NO: usize = 128;
/// Max chars of `biz_action`, `cumulate_data_type`, `request_from` (longer cannot be valid).
pub const MAX_ENUM: usize = 64;
/// Max chars of `biz_time` (its format is checked in step 7).
pub const MAX_BIZ_TIME: usize = 64;
/// Max chars of `ext_info`.
pub const MAX_EXT_INFO: usize = 2048;
/// Max chars of display names (`amount_type_data.name`, `task_type_data.name`, `discount_name`).
pub const MAX_NAME: usize = 128;
/// Max chars of `trade_info.trade_no`.
pub const MAX_TRADE_NO: usize = 64;
/// Max number of `out_discount_infos` entries.
pub const MAX_DISCOUNTS: usize = 50;

/// A cumulation sync that passed rule 1, with typed values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidCumulation {
    /// Agreement number.
    pub agreement_no: String,
    /// Ant member id, if sent.
    pub user_id: Option<String>,
    /// OpenId, if sent (at least one of the two is).
    pub open_id: Option<String>,
    /// Merchant PID.
    pub partner_id: String,
    /// Idempotency key.
    pub out_biz_no: String,
    /// Payment or refund.
    pub biz_action: BizAction,
    /// The refunded payment's `out_biz_no`; `Some` exactly for ORDER_REFUND.
    pub pay_out_biz_no: Option<String>,
    /// When it happened.
    #[serde(serialize_with = "serialize_alipay_time")]
    pub biz_time: DateTime<FixedOffset>,
    /// Data type.
    pub cumulate_data_type: CumulateDataType,
    /// Amount data; `Some` exactly for AMOUNT and AMOUNT_TASK.
    pub amount: Option<ValidAmountData>,
    /// Task name; `Some` for TASK, and for AMOUNT_TASK when `task_type_data` was sent.
    pub task_name: Option<String>,
    /// `has_alipay_trade` (absent = false).
    pub has_alipay_trade: bool,
    /// `ext_info` text as received.
    pub ext_info: Option<String>,
}

/// Validated `amount_type_data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidAmountData {
    /// Display name.
    pub name: String,
    /// The trade, when `trade_info` was sent.
    pub trade: Option<ValidTrade>,
    /// Discounts in request order (possibly empty).
    pub discounts: Vec<ValidDiscount>,
}

/// Validated `trade_info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidTrade {
    /// Trade number, if sent (rule 5 needs it when `has_alipay_trade`).
    pub trade_no: Option<String>,
    /// Trade amount.
    pub amount: Fen,
}

/// A validated `ZMGoOutDiscountInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidDiscount {
    /// Display name.
    pub name: String,
    /// Discount type.
    pub discount_type: DiscountType,
    /// Discount amount.
    pub amount: Fen,
}

impl ValidCumulation {
    /// Whether the task count moves (TASK and AMOUNT_TASK).
    pub fn counts_task(&self) -> bool {
        self.cumulate_data_type.counts_task()
    }

    /// Trade amount of this event (zero without `trade_info`).
    pub fn trade_amount(&self) -> Fen {
        self.amount
            .as_ref()
            .and_then(|a| a.trade.as_ref())
            .map_or(Fen::ZERO, |t| t.amount)
    }

    /// Sum of the discount amounts of this event.
    pub fn discount_amount(&self) -> Fen {
        self.amount
            .iter()
            .flat_map(|a| &a.discounts)
            .map(|d| d.amount)
            .sum()
    }

    /// Canonical JSON of every business field, for the idempotency comparison of rule 2: two
    /// requests are "the same" exactly when their fingerprints are equal. Semantics, not
    /// spelling, count: key order, whitespace, `"3.5"` vs `"3.50"`, absent vs `false`
    /// `has_alipay_trade`, and key order inside a JSON object/array `ext_info` are all
    /// ignored. Other `ext_info` text is compared verbatim: parsing scalars too would make the
    /// text `x` and the JSON string text `"x"` the same request.
    pub fn business_fingerprint(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        let ext = self
            .ext_info
            .as_deref()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
            .filter(|v| v.is_object() || v.is_array());
        if let (Some(ext), Some(obj)) = (ext, value.as_object_mut()) {
            obj.insert("ext_info".into(), ext);
        }
        canonical_json(&value)
    }
}

fn serialize_alipay_time<S: Serializer>(
    t: &DateTime<FixedOffset>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_alipay_datetime(t))
}

/// Parses a cumulation sync body (v3 body / v1 `biz_content`); a text that is not a JSON
/// object of the model's shape is `REQUEST_PARAM_ILLEGAL` naming the offending field.
pub fn parse_cumulation(
    text: &str,
) -> Result<ZhimaCreditPeZmgoCumulationSyncModel, Violation<CumulationCode>> {
    from_json(text).map_err(|e| Violation::new(RequestParamIllegal, e))
}

/// Runs rule 1 (see the module docs for the exact order) against `now` and `clock_skew`.
pub fn validate_cumulation(
    req: &ZhimaCreditPeZmgoCumulationSyncModel,
    now: DateTime<FixedOffset>,
    clock_skew: chrono::Duration,
) -> Result<ValidCumulation, Violation<CumulationCode>> {
    // Step 1: top-level presence and lengths.
    let r = RequestParamIllegal;
    let agreement_no = required(r, "agreement_no", &req.agreement_no, MAX_AGREEMENT_NO)?;
    let partner_id = required(r, "partner_id", &req.partner_id, MAX_ID)?;
    let out_biz_no = required(r, "out_biz_no", &req.out_biz_no, MAX_OUT_BIZ_NO)?;
    let biz_action = required(r, "biz_action", &req.biz_action, MAX_ENUM)?;
    let biz_time = required(r, "biz_time", &req.biz_time, MAX_BIZ_TIME)?;
    let data_type = required(r, "cumulate_data_type", &req.cumulate_data_type, MAX_ENUM)?;
    let request_from = required(r, "request_from", &req.request_from, MAX_ENUM)?;
    if present(&req.user_id).is_none() && present(&req.open_id).is_none() {
        return Err(Violation::new(r, "user_id和open_id不能同时为空"));
    }
    let user_id = optional(r, "user_id", &req.user_id, MAX_ID)?;
    let open_id = optional(r, "open_id", &req.open_id, MAX_OPEN_ID)?;
    let pay_out_biz_no = optional(r, "pay_out_biz_no", &req.pay_out_biz_no, MAX_OUT_BIZ_NO)?;
    let ext_info = optional(r, "ext_info", &req.ext_info, MAX_EXT_INFO)?;

    // Steps 2–3: enums and the data block the type needs.
    let biz_action: BizAction = parse_enum(
        InvalidBizAction,
        "biz_action",
        biz_action,
        &BizAction::expected(),
    )?;
    let data_type: CumulateDataType = parse_enum(
        InvalidCumulateType,
        "cumulate_data_type",
        data_type,
        &CumulateDataType::expected(),
    )?;
    let amount_block = amount_block(req, data_type)?;
    let task_block = task_block(req, data_type)?;

    // Step 4: conditional and nested fields, request_from.
    let pay_out_biz_no = match biz_action {
        BizAction::OrderRefund => Some(pay_out_biz_no.ok_or_else(|| {
            Violation::new(r, "biz_action为ORDER_REFUND时pay_out_biz_no不能为空")
        })?),
        BizAction::OrderPaid => None,
    };
    let task_name = task_block
        .map(|t| required(r, "task_type_data.name", &t.name, MAX_NAME))
        .transpose()?;
    let amount = amount_block.map(check_amount_fields).transpose()?;
    if request_from != REQUEST_FROM_EXTERNAL_MERCHANT {
        return Err(Violation::new(
            r,
            format_args!(
                "request_from取值不合法: {}，应为{REQUEST_FROM_EXTERNAL_MERCHANT}",
                echo(request_from)
            ),
        ));
    }

    // Steps 5–6: amounts.
    let amount = amount.map(parse_amounts).transpose()?;

    // Step 7: biz_time.
    let biz_time = check_biz_time(biz_time, now, clock_skew)?;

    Ok(ValidCumulation {
        agreement_no: agreement_no.to_owned(),
        user_id: user_id.map(str::to_owned),
        open_id: open_id.map(str::to_owned),
        partner_id: partner_id.to_owned(),
        out_biz_no: out_biz_no.to_owned(),
        biz_action,
        pay_out_biz_no: pay_out_biz_no.map(str::to_owned),
        biz_time,
        cumulate_data_type: data_type,
        amount,
        task_name: task_name.map(str::to_owned),
        has_alipay_trade: req.has_alipay_trade.unwrap_or(false),
        ext_info: ext_info.map(str::to_owned),
    })
}

/// Step 3: the `amount_type_data` an AMOUNT/AMOUNT_TASK sync must carry, with a name.
fn amount_block(
    req: &ZhimaCreditPeZmgoCumulationSyncModel,
    data_type: CumulateDataType,
) -> Result<Option<&AmountTypeData>, Violation<CumulationCode>> {
    if !data_type.has_amount() {
        return Ok(None);
    }
    let block = req.amount_type_data.as_ref().ok_or_else(|| {
        Violation::new(
            InvalidCumulateType,
            format_args!("cumulate_data_type为{data_type}时amount_type_data不能为空"),
        )
    })?;
    if present(&block.name).is_none() {
        return Err(missing(InvalidCumulateType, "amount_type_data.name"));
    }
    Ok(Some(block))
}

/// Step 3: the `task_type_data` a TASK sync must carry (optional for AMOUNT_TASK), with a name.
fn task_block(
    req: &ZhimaCreditPeZmgoCumulationSyncModel,
    data_type: CumulateDataType,
) -> Result<Option<&TaskTypeData>, Violation<CumulationCode>> {
    let block = match (data_type, req.task_type_data.as_ref()) {
        (CumulateDataType::Amount, _) | (CumulateDataType::AmountTask, None) => return Ok(None),
        (CumulateDataType::Task, None) => {
            return Err(Violation::new(
                InvalidCumulateType,
                "cumulate_data_type为TASK时task_type_data不能为空",
            ))
        }
        (_, Some(block)) => block,
    };
    if present(&block.name).is_none() {
        return Err(missing(InvalidCumulateType, "task_type_data.name"));
    }
    Ok(Some(block))
}

/// Amount data whose string fields passed step 4; amounts still unparsed.
struct CheckedAmount<'a> {
    name: &'a str,
    trade: Option<(Option<&'a str>, &'a Option<String>)>,
    discounts: Vec<(&'a str, DiscountType, &'a Option<String>)>,
}

/// Step 4 for `amount_type_data`: name, trade_no, discount count, names and types.
fn check_amount_fields(
    block: &AmountTypeData,
) -> Result<CheckedAmount<'_>, Violation<CumulationCode>> {
    let r = RequestParamIllegal;
    let name = required(r, "amount_type_data.name", &block.name, MAX_NAME)?;
    let trade = block
        .trade_info
        .as_ref()
        .map(|t| {
            Ok((
                optional(r, "trade_info.trade_no", &t.trade_no, MAX_TRADE_NO)?,
                &t.amount,
            ))
        })
        .transpose()?;
    let infos = block.out_discount_infos.as_deref().unwrap_or_default();
    if infos.len() > MAX_DISCOUNTS {
        return Err(Violation::new(
            r,
            format_args!("out_discount_infos不能超过{MAX_DISCOUNTS}条"),
        ));
    }
    let discounts = infos
        .iter()
        .enumerate()
        .map(|(i, d)| check_discount_fields(i, d))
        .collect::<Result<_, _>>()?;
    Ok(CheckedAmount {
        name,
        trade,
        discounts,
    })
}

fn check_discount_fields(
    i: usize,
    d: &ZMGoOutDiscountInfo,
) -> Result<(&str, DiscountType, &Option<String>), Violation<CumulationCode>> {
    let r = RequestParamIllegal;
    let name = required(
        r,
        &format!("out_discount_infos[{i}].discount_name"),
        &d.discount_name,
        MAX_NAME,
    )?;
    let type_field = format!("out_discount_infos[{i}].discount_type");
    let raw_type = required(r, &type_field, &d.discount_type, MAX_ENUM)?;
    let discount_type = parse_enum(r, &type_field, raw_type, &DiscountType::expected())?;
    Ok((name, discount_type, &d.discount_amount))
}

/// Steps 5–6: the trade amount, then each discount amount.
fn parse_amounts(c: CheckedAmount<'_>) -> Result<ValidAmountData, Violation<CumulationCode>> {
    let trade = c
        .trade
        .map(|(trade_no, amount)| {
            let amount = required_amount(OrderAmountIllegal, "trade_info.amount", amount)?;
            Ok(ValidTrade {
                trade_no: trade_no.map(str::to_owned),
                amount,
            })
        })
        .transpose()?;
    let discounts = c
        .discounts
        .into_iter()
        .enumerate()
        .map(|(i, (name, discount_type, amount))| {
            let field = format!("out_discount_infos[{i}].discount_amount");
            let amount = required_amount(DiscountAmountIllegal, &field, amount)?;
            Ok(ValidDiscount {
                name: name.to_owned(),
                discount_type,
                amount,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(ValidAmountData {
        name: c.name.to_owned(),
        trade,
        discounts,
    })
}

/// The earliest `biz_time` accepted (UTC+8 wall time).
pub const EARLIEST_BIZ_TIME: &str = "2000-01-01 00:00:00";

fn earliest_biz_time() -> DateTime<FixedOffset> {
    parse_alipay_datetime(EARLIEST_BIZ_TIME).expect("a valid constant")
}

/// Step 7: `biz_time` format, not before [`EARLIEST_BIZ_TIME`] and not in the future beyond
/// the skew.
fn check_biz_time(
    raw: &str,
    now: DateTime<FixedOffset>,
    clock_skew: chrono::Duration,
) -> Result<DateTime<FixedOffset>, Violation<CumulationCode>> {
    let r = RequestParamIllegal;
    let t = parse_alipay_datetime(raw).map_err(|_| {
        Violation::new(
            r,
            format_args!("biz_time格式不合法: {}，应为yyyy-MM-dd HH:mm:ss", echo(raw)),
        )
    })?;
    // [ours] Alipay publishes no lower bound; nothing Zhima GO records predates 2000.
    if t < earliest_biz_time() {
        return Err(Violation::new(
            r,
            format_args!("biz_time不能早于{EARLIEST_BIZ_TIME}: {raw}"),
        ));
    }
    // An absurd skew that overflows the calendar means "no upper bound".
    if now
        .checked_add_signed(clock_skew)
        .is_some_and(|latest| t > latest)
    {
        return Err(Violation::new(
            r,
            format_args!(
                "biz_time不能晚于当前时间: {raw}（当前{}）",
                format_alipay_datetime(&now)
            ),
        ));
    }
    Ok(t)
}
