//! `zhima.merchant.zmgo.template.create` / `POST /v3/zhima/merchant/zmgo/template/create`
//! (芝麻GO模板创建; PRODUCT §11).

use serde::{Deserialize, Serialize};

use super::api::{Api, ApiModel};
use super::de;
use super::template_blocks::{
    ZMGOBasicConfig, ZMGOExtConfig, ZMGOObligationConfig, ZMGOOpenConfig, ZMGOQuitConfig,
    ZMGORightConfig, ZMGOSettlementConfig,
};

/// Request model `ZhimaMerchantZmgoTemplateCreateModel`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaMerchantZmgoTemplateCreateModel {
    /// Owner and idempotency key. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_object"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = ZMGOBasicConfig, required = true))]
    pub basic_config: Option<ZMGOBasicConfig>,
    /// Text fill rules.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_object"
    )]
    pub ext_config: Option<ZMGOExtConfig>,
    /// Obligation. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_object"
    )]
    pub obligation_config: Option<ZMGOObligationConfig>,
    /// Opening, freeze and period.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_object"
    )]
    pub open_config: Option<ZMGOOpenConfig>,
    /// Quitting.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_object"
    )]
    pub quit_config: Option<ZMGOQuitConfig>,
    /// Benefits.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_object"
    )]
    pub right_config: Option<ZMGORightConfig>,
    /// Settlement.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_object"
    )]
    pub settlement_config: Option<ZMGOSettlementConfig>,
}

/// Success response `ZhimaMerchantZmgoTemplateCreateResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaMerchantZmgoTemplateCreateResponse {
    /// The new template's number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub template_no: Option<String>,
}

impl ApiModel for ZhimaMerchantZmgoTemplateCreateModel {
    const API: Api = Api::TemplateCreate;
    type Response = ZhimaMerchantZmgoTemplateCreateResponse;
}
