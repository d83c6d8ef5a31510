//! `zhima.credit.pe.zmgo.cumulation.sync` / `POST /v3/zhima/credit/pe/zmgo/cumulation/sync`
//! (芝麻GO用户数据回传; PROTOCOL §C1–§C3).

use serde::{Deserialize, Serialize};

use super::api::{Api, ApiModel};
use super::de;
#[cfg(feature = "openapi")]
use super::openapi;

/// Request model `ZhimaCreditPeZmgoCumulationSyncModel` (v3 body / v1 `biz_content`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaCreditPeZmgoCumulationSyncModel {
    /// Zhima GO agreement number. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::AgreementNo, inline, required = true))]
    pub agreement_no: Option<String>,
    /// Ant member id (2088…). This or `open_id` is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Id>, inline))]
    pub user_id: Option<String>,
    /// OpenId alternative to `user_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::OpenId>, inline))]
    pub open_id: Option<String>,
    /// Merchant PID. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::Id, inline, required = true))]
    pub partner_id: Option<String>,
    /// Merchant's idempotency key. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::OutBizNo, inline, required = true))]
    pub out_biz_no: Option<String>,
    /// [`BizAction`] wire value. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = BizAction, inline, required = true))]
    pub biz_action: Option<String>,
    /// `out_biz_no` of the ORDER_PAID being refunded. Required for ORDER_REFUND.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::OutBizNo>, inline))]
    pub pay_out_biz_no: Option<String>,
    /// When it happened, `yyyy-MM-dd HH:mm:ss` UTC+8. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::AlipayTime, inline, required = true))]
    pub biz_time: Option<String>,
    /// [`CumulateDataType`] wire value. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = CumulateDataType, inline, required = true))]
    pub cumulate_data_type: Option<String>,
    /// Amount data; required for AMOUNT and AMOUNT_TASK.
    #[serde(
        default,
        deserialize_with = "de::opt_object",
        skip_serializing_if = "Option::is_none"
    )]
    pub amount_type_data: Option<AmountTypeData>,
    /// Task data; required for TASK.
    #[serde(
        default,
        deserialize_with = "de::opt_object",
        skip_serializing_if = "Option::is_none"
    )]
    pub task_type_data: Option<TaskTypeData>,
    /// Bound mode only: check `trade_info.trade_no` against Alipay trades. Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_alipay_trade: Option<bool>,
    /// Always `ExternalMerchantSource`. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::RequestFrom, inline, required = true))]
    pub request_from: Option<String>,
    /// Free-form JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::ExtInfo>, inline))]
    pub ext_info: Option<String>,
}

/// `AmountTypeData`: trade and discount amounts of one sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AmountTypeData {
    /// Cumulation name shown to the user. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::Name, inline, required = true))]
    pub name: Option<String>,
    /// The trade (amount and optional trade number).
    #[serde(
        default,
        deserialize_with = "de::opt_object",
        skip_serializing_if = "Option::is_none"
    )]
    pub trade_info: Option<ZMGoTradeInfo>,
    /// Discounts granted with it; usually one.
    #[serde(
        default,
        deserialize_with = "de::opt_object_vec",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Discounts>, inline))]
    pub out_discount_infos: Option<Vec<ZMGoOutDiscountInfo>>,
}

/// `ZMGoTradeInfo`: one trade between user and merchant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZMGoTradeInfo {
    /// Trade number (an Alipay trade when `has_alipay_trade`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::TradeNo>, inline))]
    pub trade_no: Option<String>,
    /// Amount in yuan, e.g. `"3.57"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::Amount, inline, required = true))]
    pub amount: Option<String>,
}

/// `ZMGoOutDiscountInfo`: one external discount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZMGoOutDiscountInfo {
    /// Display name, e.g. `滴滴打车优惠001`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::Name, inline, required = true))]
    pub discount_name: Option<String>,
    /// [`DiscountType`] wire value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = DiscountType, inline, required = true))]
    pub discount_type: Option<String>,
    /// Amount in yuan, e.g. `"8.75"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::Amount, inline, required = true))]
    pub discount_amount: Option<String>,
}

/// `TaskTypeData`: the completed task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskTypeData {
    /// Task name shown to the user. Required for TASK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::Name, inline, required = true))]
    pub name: Option<String>,
}

/// Success response `ZhimaCreditPeZmgoCumulationSyncResponseModel` (v3 body; v1 node fields
/// besides `code`/`msg`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaCreditPeZmgoCumulationSyncResponse {
    /// Echo of the agreement number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_no: Option<String>,
    /// Echo of `out_biz_no`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_biz_no: Option<String>,
    /// Echo of `user_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Echo of `open_id` (openId apps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_id: Option<String>,
    /// Why the cumulation failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_reason: Option<String>,
}

impl ApiModel for ZhimaCreditPeZmgoCumulationSyncModel {
    const API: Api = Api::CumulationSync;
    type Response = ZhimaCreditPeZmgoCumulationSyncResponse;
}

wire_enum! {
    /// `biz_action`: forward payment or reverse refund.
    pub enum BizAction {
        /// 正向支付: amounts, discounts and task counts accumulate.
        OrderPaid = "ORDER_PAID",
        /// 逆向退款: they are reversed.
        OrderRefund = "ORDER_REFUND",
    }
}

wire_enum! {
    /// `cumulate_data_type`.
    pub enum CumulateDataType {
        /// 金额类型 (decoupled mode).
        Amount = "AMOUNT",
        /// 任务类型 (decoupled mode).
        Task = "TASK",
        /// 额度和任务类型 (bound mode): amount and task count together.
        AmountTask = "AMOUNT_TASK",
    }
}

impl CumulateDataType {
    /// Whether amounts accumulate (`amount_type_data` required).
    pub const fn has_amount(self) -> bool {
        matches!(
            self,
            CumulateDataType::Amount | CumulateDataType::AmountTask
        )
    }

    /// Whether the task count accumulates.
    pub const fn counts_task(self) -> bool {
        matches!(self, CumulateDataType::Task | CumulateDataType::AmountTask)
    }
}

wire_enum! {
    /// `discount_type` of an external discount.
    pub enum DiscountType {
        /// 专享优惠.
        ExclusiveBenefit = "exclusiveBenefit",
        /// 专享折扣.
        ExclusiveDiscount = "exclusiveDiscount",
        /// 增值权益.
        AppreciationBenefit = "appreciationBenefit",
        /// 会员积分.
        MemberPoint = "memberPoint",
    }
}

/// The only accepted `request_from` value.
pub const REQUEST_FROM_EXTERNAL_MERCHANT: &str = "ExternalMerchantSource";
