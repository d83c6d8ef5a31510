//! `zhima.merchant.zmgo.cumulate.sync` / `POST /v3/zhima/merchant/zmgo/cumulate/sync`
//! (芝麻GO商户数据回传; PRODUCT §11).

use serde::{Deserialize, Serialize};

use super::api::{Api, ApiModel};
use super::de;
#[cfg(feature = "openapi")]
use super::openapi;

/// Request model `ZhimaMerchantZmgoCumulateSyncModel`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaMerchantZmgoCumulateSyncModel {
    /// Agreement number. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::AgreementNo, inline, required = true))]
    pub agreement_id: Option<String>,
    /// Amount data.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_object"
    )]
    pub amount_type_sync_data: Option<AmountTypeSyncData>,
    /// `POSITIVE` / `REVERSE`. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = MerchantBizAction, inline, required = true))]
    pub biz_action: Option<String>,
    /// Business time, `yyyy-MM-dd HH:mm:ss` UTC+8. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::AlipayTime, inline, required = true))]
    pub biz_time: Option<String>,
    /// `TASK` / `DISCOUNT`. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = SyncDataType, inline, required = true))]
    pub data_type: Option<String>,
    /// Discount data.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_object"
    )]
    pub discount_type_sync_data: Option<DiscountTypeSyncData>,
    /// The user's OpenId.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::OpenId>, inline))]
    pub open_id: Option<String>,
    /// Merchant's idempotency key. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::OutBizNo, inline, required = true))]
    pub out_biz_no: Option<String>,
    /// Merchant PID. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::Id, inline, required = true))]
    pub provider_pid: Option<String>,
    /// The earlier `out_biz_no` a REVERSE or UPDATE names.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::OutBizNo>, inline))]
    pub refer_out_biz_no: Option<String>,
    /// `ADD` / `UPDATE`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<SubBizAction>, inline))]
    pub sub_biz_action: Option<String>,
    /// Times data.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_object"
    )]
    pub times_type_sync_data: Option<TimesTypeSyncData>,
    /// The user's Ant member id.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Id>, inline))]
    pub user_id: Option<String>,
}

/// `AmountTypeSyncData`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AmountTypeSyncData {
    /// Discount, yuan.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Amount>, inline))]
    pub discount_amount: Option<String>,
    /// Discount name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Name>, inline))]
    pub discount_desc: Option<String>,
    /// Whether `trade_no` is an Alipay trade.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub has_alipay_trade: Option<bool>,
    /// Trade amount, yuan.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Amount>, inline))]
    pub task_amount: Option<String>,
    /// Task description.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Name>, inline))]
    pub task_desc: Option<String>,
    /// Trade number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::TradeNo>, inline))]
    pub trade_no: Option<String>,
}

/// `DiscountTypeSyncData`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiscountTypeSyncData {
    /// Discount, yuan.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::Amount, inline, required = true))]
    pub discount_amount: Option<String>,
    /// Discount name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Name>, inline))]
    pub discount_desc: Option<String>,
}

/// `TimesTypeSyncData`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimesTypeSyncData {
    /// Discount, yuan.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Amount>, inline))]
    pub discount_amount: Option<String>,
    /// Discount name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Name>, inline))]
    pub discount_desc: Option<String>,
    /// Trade amount, yuan.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Amount>, inline))]
    pub task_amount: Option<String>,
    /// Task description.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Name>, inline))]
    pub task_desc: Option<String>,
    /// Task count (an integer).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_i64"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::TaskTimes, inline, required = true))]
    pub task_times: Option<i64>,
}

/// Success response `ZhimaMerchantZmgoCumulateSyncResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaMerchantZmgoCumulateSyncResponse {
    /// Agreement number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub agreement_id: Option<String>,
    /// Why it failed.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub fail_reason: Option<String>,
    /// Echo of `out_biz_no`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub out_biz_no: Option<String>,
}

impl ApiModel for ZhimaMerchantZmgoCumulateSyncModel {
    const API: Api = Api::MerchantCumulateSync;
    type Response = ZhimaMerchantZmgoCumulateSyncResponse;
}

wire_enum! {
    /// `biz_action` of a merchant cumulate sync.
    pub enum MerchantBizAction {
        /// A new record.
        Positive = "POSITIVE",
        /// Reverses the record `refer_out_biz_no` names.
        Reverse = "REVERSE",
    }
}

wire_enum! {
    /// `sub_biz_action` of a merchant cumulate sync (default `ADD`).
    pub enum SubBizAction {
        /// A new record.
        Add = "ADD",
        /// Corrects the record `refer_out_biz_no` names.
        Update = "UPDATE",
    }
}

wire_enum! {
    /// `data_type` of a merchant cumulate sync.
    pub enum SyncDataType {
        /// A task: `amount_type_sync_data` or `times_type_sync_data`.
        Task = "TASK",
        /// A discount: `discount_type_sync_data`.
        Discount = "DISCOUNT",
    }
}
