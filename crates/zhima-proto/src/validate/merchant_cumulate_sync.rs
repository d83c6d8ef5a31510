//! Checks of `zhima.merchant.zmgo.cumulate.sync`, first failure decides:
//!
//! 1. `REQUEST_PARAM_ILLEGAL` — `agreement_id`, `provider_pid`, `out_biz_no`, `biz_time`
//!    present (time format); `user_id`/`open_id` within length.
//! 2. `INVALID_BIZ_ACTION` — `biz_action` `POSITIVE`/`REVERSE`, `sub_biz_action` `ADD`/`UPDATE`
//!    (default `ADD`); `REQUEST_PARAM_ILLEGAL` — `refer_out_biz_no` required with REVERSE or
//!    UPDATE (and different from `out_biz_no`).
//! 3. `INVALID_CUMULATE_TYPE` — `data_type` `TASK` (exactly one of `amount_type_sync_data` /
//!    `times_type_sync_data`) or `DISCOUNT` (`discount_type_sync_data`).
//! 4. `ORDER_AMOUNT_ILLEGAL` / `DISCOUNT_AMOUNT_ILLEGAL` — amounts are yuan amounts;
//!    `REQUEST_PARAM_ILLEGAL` — `task_times` a positive integer.
//!
//! Exactly-once on (partner, `out_biz_no`) in cumulation.sync's key space via
//! [`ValidMerchantCumulateSync::business_fingerprint`].

use serde::Serialize;

use crate::catalog::CumulationCode::{
    DiscountAmountIllegal, InvalidBizAction, InvalidCumulateType, OrderAmountIllegal,
    RequestParamIllegal,
};
use crate::models::{
    MerchantBizAction, SubBizAction, SyncDataType, ZhimaMerchantZmgoCumulateSyncModel,
};
use crate::money::Fen;

use super::checks::{echo, missing, parse_amount, parse_enum, present, Violation};
use super::cumulation::{
    MAX_AGREEMENT_NO, MAX_ENUM, MAX_ID, MAX_NAME, MAX_OUT_BIZ_NO, MAX_TRADE_NO,
};
use super::lifecycle::{fingerprint, opt, optional_time, req, user_ref, Checked, UserRef};

/// What a merchant sync carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MerchantSyncData {
    /// TASK with `amount_type_sync_data`.
    Amount {
        /// Trade amount.
        task_amount: Option<Fen>,
        /// Discount amount.
        discount_amount: Option<Fen>,
        /// Task description.
        task_desc: Option<String>,
        /// Discount name.
        discount_desc: Option<String>,
        /// Trade number.
        trade_no: Option<String>,
        /// Whether `trade_no` is an Alipay trade.
        has_alipay_trade: bool,
    },
    /// TASK with `times_type_sync_data`.
    Times {
        /// Task count, at least 1.
        task_times: u32,
        /// Trade amount.
        task_amount: Option<Fen>,
        /// Discount amount.
        discount_amount: Option<Fen>,
        /// Task description.
        task_desc: Option<String>,
        /// Discount name.
        discount_desc: Option<String>,
    },
    /// DISCOUNT with `discount_type_sync_data`.
    Discount {
        /// Discount amount.
        discount_amount: Fen,
        /// Discount name.
        discount_desc: Option<String>,
    },
}

/// A validated merchant cumulate sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidMerchantCumulateSync {
    /// Agreement number.
    pub agreement_id: String,
    /// Merchant PID (`provider_pid`).
    pub provider_pid: String,
    /// Idempotency key (shared key space with cumulation.sync).
    pub out_biz_no: String,
    /// The user, if named.
    pub user: UserRef,
    /// POSITIVE / REVERSE.
    pub biz_action: MerchantBizAction,
    /// ADD / UPDATE.
    pub sub_biz_action: SubBizAction,
    /// The record a REVERSE or UPDATE names.
    pub refer_out_biz_no: Option<String>,
    /// `biz_time`, normalised (`yyyy-MM-dd HH:mm:ss`, UTC+8).
    pub biz_time: String,
    /// TASK / DISCOUNT.
    pub data_type: SyncDataType,
    /// The data block.
    pub data: MerchantSyncData,
}

impl ValidMerchantCumulateSync {
    /// Canonical JSON of the business content, for exactly-once on `out_biz_no`.
    pub fn business_fingerprint(&self) -> String {
        fingerprint(self)
    }
}

/// Validates a merchant cumulate sync (order in the module docs).
pub fn validate_merchant_cumulate_sync(
    m: &ZhimaMerchantZmgoCumulateSyncModel,
) -> Checked<ValidMerchantCumulateSync> {
    let r = RequestParamIllegal;
    // Step 1.
    let agreement_id = req("agreement_id", &m.agreement_id, MAX_AGREEMENT_NO)?;
    let provider_pid = req("provider_pid", &m.provider_pid, MAX_ID)?;
    let out_biz_no = req("out_biz_no", &m.out_biz_no, MAX_OUT_BIZ_NO)?;
    let user = user_ref("user_id", &m.user_id, "open_id", &m.open_id)?;
    let biz_time = optional_time("biz_time", &m.biz_time)?.ok_or_else(|| missing(r, "biz_time"))?;
    // Step 2.
    let raw = present(&m.biz_action).ok_or_else(|| missing(InvalidBizAction, "biz_action"))?;
    let biz_action: MerchantBizAction = parse_enum(
        InvalidBizAction,
        "biz_action",
        raw,
        &MerchantBizAction::expected(),
    )?;
    let sub_biz_action = opt("sub_biz_action", &m.sub_biz_action, MAX_ENUM)?
        .map(|v| {
            parse_enum(
                InvalidBizAction,
                "sub_biz_action",
                &v,
                &SubBizAction::expected(),
            )
        })
        .transpose()?
        .unwrap_or(SubBizAction::Add);
    let refer_out_biz_no = opt("refer_out_biz_no", &m.refer_out_biz_no, MAX_OUT_BIZ_NO)?;
    let needs_refer =
        biz_action == MerchantBizAction::Reverse || sub_biz_action == SubBizAction::Update;
    match &refer_out_biz_no {
        None if needs_refer => return Err(missing(r, "refer_out_biz_no")),
        Some(refer) if *refer == out_biz_no => {
            return Err(Violation::new(r, "refer_out_biz_no不能与out_biz_no相同"))
        }
        _ => {}
    }
    // Steps 3–4.
    let raw = present(&m.data_type).ok_or_else(|| missing(InvalidCumulateType, "data_type"))?;
    let data_type: SyncDataType = parse_enum(
        InvalidCumulateType,
        "data_type",
        raw,
        &SyncDataType::expected(),
    )?;
    let data = match data_type {
        SyncDataType::Task => task_data(m)?,
        SyncDataType::Discount => {
            let d = m
                .discount_type_sync_data
                .as_ref()
                .ok_or_else(|| missing(InvalidCumulateType, "discount_type_sync_data"))?;
            let f = "discount_type_sync_data.discount_amount";
            let raw =
                present(&d.discount_amount).ok_or_else(|| missing(DiscountAmountIllegal, f))?;
            MerchantSyncData::Discount {
                discount_amount: parse_amount(DiscountAmountIllegal, f, raw)?,
                discount_desc: opt(
                    "discount_type_sync_data.discount_desc",
                    &d.discount_desc,
                    MAX_NAME,
                )?,
            }
        }
    };
    Ok(ValidMerchantCumulateSync {
        agreement_id,
        provider_pid,
        out_biz_no,
        user,
        biz_action,
        sub_biz_action,
        refer_out_biz_no,
        biz_time,
        data_type,
        data,
    })
}

fn task_data(m: &ZhimaMerchantZmgoCumulateSyncModel) -> Checked<MerchantSyncData> {
    let amount = |field: &str, v: &Option<String>| {
        present(v)
            .map(|raw| parse_amount(OrderAmountIllegal, field, raw))
            .transpose()
    };
    let discount = |field: &str, v: &Option<String>| {
        present(v)
            .map(|raw| parse_amount(DiscountAmountIllegal, field, raw))
            .transpose()
    };
    match (&m.amount_type_sync_data, &m.times_type_sync_data) {
        (Some(_), Some(_)) => Err(Violation::new(
            InvalidCumulateType,
            "amount_type_sync_data和times_type_sync_data只能传一个",
        )),
        (None, None) => Err(Violation::new(
            InvalidCumulateType,
            "data_type为TASK时amount_type_sync_data和times_type_sync_data不能同时为空",
        )),
        (Some(a), None) => Ok(MerchantSyncData::Amount {
            task_amount: amount("amount_type_sync_data.task_amount", &a.task_amount)?,
            discount_amount: discount("amount_type_sync_data.discount_amount", &a.discount_amount)?,
            task_desc: opt("amount_type_sync_data.task_desc", &a.task_desc, MAX_NAME)?,
            discount_desc: opt(
                "amount_type_sync_data.discount_desc",
                &a.discount_desc,
                MAX_NAME,
            )?,
            trade_no: opt("amount_type_sync_data.trade_no", &a.trade_no, MAX_TRADE_NO)?,
            has_alipay_trade: a.has_alipay_trade.unwrap_or(false),
        }),
        (None, Some(t)) => {
            let f = "times_type_sync_data.task_times";
            let times = t
                .task_times
                .ok_or_else(|| missing(RequestParamIllegal, f))?;
            let task_times = u32::try_from(times)
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    Violation::new(
                        RequestParamIllegal,
                        format_args!("{f}应为正整数: {}", echo(&times.to_string())),
                    )
                })?;
            Ok(MerchantSyncData::Times {
                task_times,
                task_amount: amount("times_type_sync_data.task_amount", &t.task_amount)?,
                discount_amount: discount(
                    "times_type_sync_data.discount_amount",
                    &t.discount_amount,
                )?,
                task_desc: opt("times_type_sync_data.task_desc", &t.task_desc, MAX_NAME)?,
                discount_desc: opt(
                    "times_type_sync_data.discount_desc",
                    &t.discount_desc,
                    MAX_NAME,
                )?,
            })
        }
    }
}
