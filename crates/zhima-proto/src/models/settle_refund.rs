//! `zhima.credit.pe.zmgo.settle.refund` / `POST /v3/zhima/credit/pe/zmgo/settle/refund`
//! (芝麻GO结算退款; PRODUCT §11).

use serde::{Deserialize, Serialize};

use super::api::{Api, ApiModel};
use super::de;
#[cfg(feature = "openapi")]
use super::openapi;

/// Request model `ZhimaCreditPeZmgoSettleRefundModel`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaCreditPeZmgoSettleRefundModel {
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
    /// Refund note.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Name>, inline))]
    pub memo: Option<String>,
    /// Merchant's refund request number, the idempotency key. Required.
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
    /// Amount to refund, yuan. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::Amount, inline, required = true))]
    pub refund_amount: Option<String>,
    /// Refund type.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Code>, inline))]
    pub refund_type: Option<String>,
    /// Withholding plan of the settlement refunded. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::WithholdPlanNo, inline, required = true))]
    pub withhold_plan_no: Option<String>,
}

/// Success response `ZhimaCreditPeZmgoSettleRefundResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaCreditPeZmgoSettleRefundResponse {
    /// Why the refund failed.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub fail_reason: Option<String>,
    /// Echo of `out_request_no`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub out_request_no: Option<String>,
    /// Refunded amount, yuan.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub refund_amount: Option<String>,
    /// Refund operation number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub refund_opt_no: Option<String>,
    /// Whether a retry may succeed (`true`/`false` text).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub retry: Option<String>,
    /// Echo of `withhold_plan_no`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub withhold_plan_no: Option<String>,
}

impl ApiModel for ZhimaCreditPeZmgoSettleRefundModel {
    const API: Api = Api::SettleRefund;
    type Response = ZhimaCreditPeZmgoSettleRefundResponse;
}
