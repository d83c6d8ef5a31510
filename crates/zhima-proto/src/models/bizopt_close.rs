//! `zhima.credit.pe.zmgo.bizopt.close` / `POST /v3/zhima/credit/pe/zmgo/bizopt/close`
//! (芝麻GO关闭预下单; PRODUCT §11).

use serde::{Deserialize, Serialize};

use super::api::{Api, ApiModel};
use super::de;
#[cfg(feature = "openapi")]
use super::openapi;

/// Request model `ZhimaCreditPeZmgoBizoptCloseModel`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaCreditPeZmgoBizoptCloseModel {
    /// The user's Ant member id (2088…).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Id>, inline))]
    pub alipay_user_id: Option<String>,
    /// The user's OpenId (alternative to `alipay_user_id`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::OpenId>, inline))]
    pub open_id: Option<String>,
    /// The preorder's `out_request_no`. Required.
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
    /// Template number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::OutBizNo>, inline))]
    pub template_id: Option<String>,
}

/// Success response `ZhimaCreditPeZmgoBizoptCloseResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaCreditPeZmgoBizoptCloseResponse {
    /// The closed preorder's number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub biz_opt_no: Option<String>,
    /// The user's OpenId.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub open_id: Option<String>,
    /// Echo of `out_request_no`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub out_request_no: Option<String>,
    /// Merchant PID.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub partner_id: Option<String>,
    /// The user's Ant member id.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub user_id: Option<String>,
}

impl ApiModel for ZhimaCreditPeZmgoBizoptCloseModel {
    const API: Api = Api::BizoptClose;
    type Response = ZhimaCreditPeZmgoBizoptCloseResponse;
}
