//! `zhima.credit.pe.zmgo.sign.apply` (v1 page method; 芝麻GO签约申请; PRODUCT §11): the SDK
//! builds a signed URL the user's browser opens.

use serde::{Deserialize, Serialize};

use super::api::{Api, ApiModel};
use super::de;

/// Request model `ZhimaCreditPeZmgoSignApplyModel`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZhimaCreditPeZmgoSignApplyModel {
    /// The user's OpenId.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub alipay_open_id: Option<String>,
    /// The user's Ant member id (2088…).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub alipay_user_id: Option<String>,
    /// Channel.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub channel: Option<String>,
    /// Extension parameters.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_object"
    )]
    pub extend_params: Option<SignExtendInfo>,
    /// Amount to freeze, yuan.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub freeze_amount: Option<String>,
    /// Merchant's request number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub out_request_no: Option<String>,
    /// Merchant PID. Required.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub partner_id: Option<String>,
    /// Preorder to sign.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub preorder_no: Option<String>,
    /// Template number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub template_id: Option<String>,
    /// Validity, `15m`/`2h`/`1d`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub timeout_express: Option<String>,
}

/// `SignExtendInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignExtendInfo {
    /// ISV PID.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub isv_pid: Option<String>,
    /// Scene.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub scene: Option<String>,
}

/// Response `ZhimaCreditPeZmgoSignApplyResponse`. A page method's answer is the page itself;
/// the official class still declares the SDK-side page outputs, spelled in camelCase.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZhimaCreditPeZmgoSignApplyResponse {
    /// App-payment order string (`sdk_execute` output).
    #[serde(
        rename = "orderStr",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub order_str: Option<String>,
    /// Page redirection data (`page_execute` output).
    #[serde(
        rename = "pageRedirectionData",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub page_redirection_data: Option<String>,
}

impl ApiModel for ZhimaCreditPeZmgoSignApplyModel {
    const API: Api = Api::SignApply;
    type Response = ZhimaCreditPeZmgoSignApplyResponse;
}
