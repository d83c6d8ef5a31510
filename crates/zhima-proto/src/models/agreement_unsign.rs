//! `zhima.credit.pe.zmgo.agreement.unsign` / `POST /v3/zhima/credit/pe/zmgo/agreement/unsign`
//! (芝麻GO协议解约; PRODUCT §11).

use serde::{Deserialize, Serialize};

use super::api::{Api, ApiModel};
use super::de;
#[cfg(feature = "openapi")]
use super::openapi;

/// Request model `ZhimaCreditPeZmgoAgreementUnsignModel`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaCreditPeZmgoAgreementUnsignModel {
    /// Agreement number. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::AgreementNo, inline, required = true))]
    pub agreement_id: Option<String>,
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
    /// Merchant PID. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::Id, inline, required = true))]
    pub partner_id: Option<String>,
    /// `USER_CANCEL_QUIT` / `SETTLE_APPLY_QUIT`. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = QuitType, inline, required = true))]
    pub quit_type: Option<String>,
}

/// Success response `ZhimaCreditPeZmgoAgreementUnsignResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaCreditPeZmgoAgreementUnsignResponse {
    /// Agreement number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub agreement_id: Option<String>,
    /// The withholding plan settle.apply names.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub withhold_plan_no: Option<String>,
}

impl ApiModel for ZhimaCreditPeZmgoAgreementUnsignModel {
    const API: Api = Api::AgreementUnsign;
    type Response = ZhimaCreditPeZmgoAgreementUnsignResponse;
}

wire_enum! {
    /// `quit_type` of an unsign (and of settle extension parameters).
    pub enum QuitType {
        /// 用户主动取消.
        UserCancelQuit = "USER_CANCEL_QUIT",
        /// 结算申请退出.
        SettleApplyQuit = "SETTLE_APPLY_QUIT",
    }
}
