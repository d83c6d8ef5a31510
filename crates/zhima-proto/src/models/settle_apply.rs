//! `zhima.credit.pe.zmgo.settle.apply` / `POST /v3/zhima/credit/pe/zmgo/settle/apply`
//! (芝麻GO结算申请; PROTOCOL §D; fields from JAVA2 `ZhimaCreditPeZmgoSettleApplyModel`).

use serde::{Deserialize, Serialize};

use super::api::{Api, ApiModel};
use super::de;
#[cfg(feature = "openapi")]
use super::openapi;

/// Request model `ZhimaCreditPeZmgoSettleApplyModel`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaCreditPeZmgoSettleApplyModel {
    /// Agreement number. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::AgreementNo, inline, required = true))]
    pub agreement_id: Option<String>,
    /// Merchant PID. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::Id, inline, required = true))]
    pub partner_id: Option<String>,
    /// The user's Ant member id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Id>, inline))]
    pub alipay_user_id: Option<String>,
    /// The user's OpenId.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::OpenId>, inline))]
    pub alipay_open_id: Option<String>,
    /// Merchant's request serial number, the idempotency key. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::OutBizNo, inline, required = true))]
    pub out_request_no: Option<String>,
    /// Withholding plan number from the expiry notification. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::WithholdPlanNo, inline, required = true))]
    pub withhold_plan_no: Option<String>,
    /// Amount to charge, yuan with 2 decimals. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Amount>, inline))]
    pub pay_amount: Option<String>,
    /// Merchant's total paid in the period, yuan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Amount>, inline))]
    pub total_real_pay_amount: Option<String>,
    /// Merchant's total discount in the period, yuan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Amount>, inline))]
    pub total_discount_amount: Option<String>,
    /// Merchant's task count in the period: a decimal string on the wire, also accepted as a
    /// JSON integer (the Java SDK models it as a number).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::de::opt_int_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::TaskCount>, inline))]
    pub total_task_count: Option<String>,
    /// [`SettleActionType`] wire value. Default `DEFAULT_SETTLE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<SettleActionType>, inline))]
    pub action_type: Option<String>,
    /// Quit type and adjustment reason.
    #[serde(
        default,
        deserialize_with = "de::opt_object",
        skip_serializing_if = "Option::is_none"
    )]
    pub settle_extend_params: Option<SettleExtraParams>,
}

/// `SettleExtraParams`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettleExtraParams {
    /// `USER_CANCEL_QUIT` or `SETTLE_APPLY_QUIT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Code>, inline))]
    pub quit_type: Option<String>,
    /// Required with `PAY_TO_ZERO`: `SERVICE_CANCELED` or `OTHER_CHANNEL_PERFORMANCE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<SettleAdjustReason>, inline))]
    pub settle_adjust_reason: Option<String>,
    /// 商链通 fund information (operators only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene_pay_link_info: Option<String>,
}

/// Success response `ZhimaCreditPeZmgoSettleApplyResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaCreditPeZmgoSettleApplyResponse {
    /// Agreement number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_id: Option<String>,
    /// Echo of `out_request_no`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_request_no: Option<String>,
    /// `Y` paid, `P` paying, `N` failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<SettleStatus>, inline))]
    pub settle_status: Option<String>,
    /// Echo of `withhold_plan_no`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withhold_plan_no: Option<String>,
    /// Comparison result when the totals did not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_reason: Option<String>,
}

impl ApiModel for ZhimaCreditPeZmgoSettleApplyModel {
    const API: Api = Api::SettleApply;
    type Response = ZhimaCreditPeZmgoSettleApplyResponse;
}

wire_enum! {
    /// `action_type` of a settlement.
    pub enum SettleActionType {
        /// 默认结算模式.
        DefaultSettle = "DEFAULT_SETTLE",
        /// 支付转0元 (needs `settle_adjust_reason`).
        PayToZero = "PAY_TO_ZERO",
    }
}

wire_enum! {
    /// `settle_extend_params.settle_adjust_reason` (required with `PAY_TO_ZERO`).
    pub enum SettleAdjustReason {
        /// 服务已取消.
        ServiceCanceled = "SERVICE_CANCELED",
        /// 用户已通过其他方式履约.
        OtherChannelPerformance = "OTHER_CHANNEL_PERFORMANCE",
    }
}

wire_enum! {
    /// `settle_status` of a settlement.
    pub enum SettleStatus {
        /// 支付成功.
        Paid = "Y",
        /// 支付中.
        Paying = "P",
        /// 支付失败.
        Failed = "N",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_count_is_read_from_a_string_or_an_integer_but_nothing_else() {
        let as_text: ZhimaCreditPeZmgoSettleApplyModel =
            serde_json::from_str(r#"{"total_task_count":"3"}"#).unwrap();
        let as_number: ZhimaCreditPeZmgoSettleApplyModel =
            serde_json::from_str(r#"{"total_task_count":3}"#).unwrap();
        assert_eq!(as_text.total_task_count.as_deref(), Some("3"));
        assert_eq!(as_number.total_task_count, as_text.total_task_count);
        assert!(serde_json::from_str::<ZhimaCreditPeZmgoSettleApplyModel>(
            r#"{"total_task_count":true}"#
        )
        .is_err());
        assert!(serde_json::from_str::<ZhimaCreditPeZmgoSettleApplyModel>(
            r#"{"total_task_count":1.5}"#
        )
        .is_err());
    }
}
