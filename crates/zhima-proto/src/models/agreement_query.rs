//! `zhima.credit.pe.zmgo.agreement.query` / `GET /v3/zhima/credit/pe/zmgo/agreement/query`
//! (芝麻GO协议查询; PROTOCOL §D; fields from JAVA2 `ZhimaCreditPeZmgoAgreementQueryModel`).

use serde::{Deserialize, Serialize};

use super::api::{Api, ApiModel};
#[cfg(feature = "openapi")]
use super::openapi;

/// Request model `ZhimaCreditPeZmgoAgreementQueryModel`. With `agreement_id` every other
/// field is ignored; otherwise the user's agreement is looked up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaCreditPeZmgoAgreementQueryModel {
    /// Agreement number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::AgreementNo>, inline))]
    pub agreement_id: Option<String>,
    /// The user's Ant member id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Id>, inline))]
    pub alipay_user_id: Option<String>,
    /// The user's OpenId.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::OpenId>, inline))]
    pub open_id: Option<String>,
}

/// Success response `ZhimaCreditPeZmgoAgreementQueryResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaCreditPeZmgoAgreementQueryResponse {
    /// Agreement number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_id: Option<String>,
    /// Agreement (template) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_name: Option<String>,
    /// `Y` valid, `P` being invalidated, `N` invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<AgreementStatus>, inline))]
    pub agreement_status: Option<String>,
    /// The user's Ant member id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alipay_user_id: Option<String>,
    /// The user's OpenId.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_id: Option<String>,
    /// Business type of the agreement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_type: Option<String>,
    /// Signing time, `yyyy-MM-dd HH:mm:ss` UTC+8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_time: Option<String>,
    /// Start of the agreement period, `yyyy-MM-dd HH:mm:ss` UTC+8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
}

impl ApiModel for ZhimaCreditPeZmgoAgreementQueryModel {
    const API: Api = Api::AgreementQuery;
    type Response = ZhimaCreditPeZmgoAgreementQueryResponse;
}

wire_enum! {
    /// `agreement_status`.
    pub enum AgreementStatus {
        /// 有效.
        Valid = "Y",
        /// 失效中.
        Invalidating = "P",
        /// 已失效.
        Invalid = "N",
    }
}
