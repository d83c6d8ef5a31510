//! `zhima.merchant.zmgo.template.query` / `GET /v3/zhima/merchant/zmgo/template/query`
//! (芝麻GO模板查询; PRODUCT §11).

use serde::{Deserialize, Serialize};

use super::api::{Api, ApiModel};
use super::de;
#[cfg(feature = "openapi")]
use super::openapi;
use super::template_create::ZhimaMerchantZmgoTemplateCreateModel;

/// Request model `ZhimaMerchantZmgoTemplateQueryModel`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaMerchantZmgoTemplateQueryModel {
    /// Merchant PID. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::Id, inline, required = true))]
    pub partner_id: Option<String>,
    /// Template number. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::OutBizNo, inline, required = true))]
    pub template_no: Option<String>,
}

/// Success response `ZhimaMerchantZmgoTemplateQueryResponse`: the seven blocks as stored, which
/// are exactly template.create's request model (the official classes declare the same fields).
pub type ZhimaMerchantZmgoTemplateQueryResponse = ZhimaMerchantZmgoTemplateCreateModel;

impl ApiModel for ZhimaMerchantZmgoTemplateQueryModel {
    const API: Api = Api::TemplateQuery;
    type Response = ZhimaMerchantZmgoTemplateQueryResponse;
}
