//! `zhima.credit.pe.zmgo.agreement.sign` (v1 only; 芝麻GO协议签约; PRODUCT §11).

use serde::{Deserialize, Serialize};

use super::api::{Api, ApiModel};
use super::de;

/// Request model `ZhimaCreditPeZmgoAgreementSignModel`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZhimaCreditPeZmgoAgreementSignModel {
    /// The user's Ant member id (2088…).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub alipay_user_id: Option<String>,
    /// The user's OpenId (alternative to `alipay_user_id`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub open_id: Option<String>,
    /// Merchant PID. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub partner_id: Option<String>,
    /// Preorder to sign. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub preorder_no: Option<String>,
}

/// Success response `ZhimaCreditPeZmgoAgreementSignResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZhimaCreditPeZmgoAgreementSignResponse {
    /// The new agreement.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub agreement_id: Option<String>,
    /// Business type.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub biz_type: Option<String>,
    /// Agreement end, UTC+8.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub exp_invalid_time: Option<String>,
    /// The preorder's `out_request_no`.
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
    /// Signing time, UTC+8.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub sign_time: Option<String>,
    /// Agreement start, UTC+8.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub start_time: Option<String>,
    /// Template number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub template_id: Option<String>,
}

impl ApiModel for ZhimaCreditPeZmgoAgreementSignModel {
    const API: Api = Api::AgreementSign;
    type Response = ZhimaCreditPeZmgoAgreementSignResponse;
}
