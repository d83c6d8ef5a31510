//! `zhima.credit.pe.zmgo.settle.unfreeze` / `PUT /v3/zhima/credit/pe/zmgo/settle/unfreeze`
//! (芝麻GO解冻; PRODUCT §11).

use serde::{Deserialize, Serialize};

use super::api::{Api, ApiModel};
use super::de;
#[cfg(feature = "openapi")]
use super::openapi;

/// Request model `ZhimaCreditPeZmgoSettleUnfreezeModel`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaCreditPeZmgoSettleUnfreezeModel {
    /// Agreement number. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::AgreementNo, inline, required = true))]
    pub agreement_id: Option<String>,
    /// The user's OpenId.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::OpenId>, inline))]
    pub alipay_open_id: Option<String>,
    /// The user's Ant member id (2088…).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Id>, inline))]
    pub alipay_user_id: Option<String>,
    /// Business time, `yyyy-MM-dd HH:mm:ss` UTC+8.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::AlipayTime>, inline))]
    pub biz_time: Option<String>,
    /// Order title.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Name>, inline))]
    pub order_title: Option<String>,
    /// Merchant's request number, the idempotency key. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::OutBizNo, inline, required = true))]
    pub out_request_no: Option<String>,
    /// Merchant PID. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::Id, inline, required = true))]
    pub partner_id: Option<String>,
    /// Amount to release, yuan. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::Amount, inline, required = true))]
    pub unfreeze_amount: Option<String>,
    /// Extension parameters.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_object"
    )]
    pub unfreeze_extend_params: Option<UnfreezeExtendParams>,
}

/// `UnfreezeExtendParams`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnfreezeExtendParams {
    /// Quit type.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Code>, inline))]
    pub quit_type: Option<String>,
    /// Period discount total, yuan.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub total_discount_amount: Option<String>,
    /// Period paid total, yuan.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub total_real_pay_amount: Option<String>,
    /// Period task count (decimal text).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub total_task_count: Option<String>,
}

/// Success response `ZhimaCreditPeZmgoSettleUnfreezeResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaCreditPeZmgoSettleUnfreezeResponse {
    /// Why the unfreeze failed (sic, the official spelling).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub fail_reaseon: Option<String>,
    /// Whether a retry may succeed (text).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub retry: Option<String>,
    /// Released amount, yuan.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub unfreeze_amount: Option<String>,
    /// Unfreeze status.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub unfreeze_status: Option<String>,
}

impl ApiModel for ZhimaCreditPeZmgoSettleUnfreezeModel {
    const API: Api = Api::SettleUnfreeze;
    type Response = ZhimaCreditPeZmgoSettleUnfreezeResponse;
}
