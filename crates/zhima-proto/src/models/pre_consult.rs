//! `zhima.credit.pe.zmgo.pre.consult` (v1 only; 芝麻GO签约预咨询; PRODUCT §11).

use serde::{Deserialize, Serialize};

use super::api::{Api, ApiModel};
use super::de;

/// Request model `ZhimaCreditPeZmgoPreConsultModel`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZhimaCreditPeZmgoPreConsultModel {
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
    /// The user's phone number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub phone: Option<String>,
    /// Consultation level.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub query_level: Option<String>,
    /// Template number. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub template_id: Option<String>,
}

/// Success response `ZhimaCreditPeZmgoPreConsultResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZhimaCreditPeZmgoPreConsultResponse {
    /// Whether the user may sign.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub admittance: Option<bool>,
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
}

impl ApiModel for ZhimaCreditPeZmgoPreConsultModel {
    const API: Api = Api::PreConsult;
    type Response = ZhimaCreditPeZmgoPreConsultResponse;
}
