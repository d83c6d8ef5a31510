//! `zhima.merchant.zmgo.cumulate.query` / `GET /v3/zhima/merchant/zmgo/cumulate/query`
//! (累计数据查询; PROTOCOL §D; field types from JAVA2 `ZhimaMerchantZmgoCumulateQueryModel`).

use serde::{Deserialize, Serialize};

use super::api::{Api, ApiModel};
use super::de;
#[cfg(feature = "openapi")]
use super::openapi;

/// Request model `ZhimaMerchantZmgoCumulateQueryModel`. In v3 it travels as query parameters,
/// so the numeric and boolean fields also accept their string forms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaMerchantZmgoCumulateQueryModel {
    /// Zhima GO agreement number. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = openapi::AgreementNo, inline, required = true))]
    pub agreement_id: Option<String>,
    /// Ant member id of the agreement's user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Id>, inline))]
    pub user_id: Option<String>,
    /// OpenId of the agreement's user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::OpenId>, inline))]
    pub open_id: Option<String>,
    /// PID of the merchant that reported the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Id>, inline))]
    pub provider_pid: Option<String>,
    /// Whether `detail_list` is wanted. Default false.
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub need_detail: Option<bool>,
    /// Page number from 1. Default 1.
    #[serde(
        default,
        deserialize_with = "de::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::PageNo>, inline))]
    pub page_no: Option<i64>,
    /// Page size. Default 20, max 100.
    #[serde(
        default,
        deserialize_with = "de::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::PageSize>, inline))]
    pub page_size: Option<i64>,
}

/// Success response `ZhimaMerchantZmgoCumulateQueryResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZhimaMerchantZmgoCumulateQueryResponse {
    /// Echo of the agreement number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_id: Option<String>,
    /// Net trade amount (paid − refunded), yuan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggr_amount: Option<String>,
    /// Number of payments not fully refunded.
    #[serde(
        default,
        deserialize_with = "de::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub aggr_times: Option<i64>,
    /// Net discount amount, yuan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggr_discount_amount: Option<String>,
    /// Echo of the page number.
    #[serde(
        default,
        deserialize_with = "de::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub page_no: Option<i64>,
    /// Echo of the page size.
    #[serde(
        default,
        deserialize_with = "de::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub page_size: Option<i64>,
    /// Events, newest first, when `need_detail`.
    #[serde(
        default,
        deserialize_with = "de::opt_object_vec",
        skip_serializing_if = "Option::is_none"
    )]
    pub detail_list: Option<Vec<CumulateDataDetail>>,
    /// Why the query failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_reason: Option<String>,
}

/// `CumulateDataDetail`: one ledger event in a query answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CumulateDataDetail {
    /// The event's `out_biz_no`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_biz_no: Option<String>,
    /// For a refund: the refunded payment's `out_biz_no`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refer_out_biz_no: Option<String>,
    /// When it happened, `yyyy-MM-dd HH:mm:ss` UTC+8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_time: Option<String>,
    /// Forward or reverse (the sync's `biz_action`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_type: Option<String>,
    /// Data type (the sync's `cumulate_data_type`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
    /// Data sub-type (e.g. the discount type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_data_type: Option<String>,
    /// Task or amount name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_desc: Option<String>,
    /// Trade amount, yuan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_amount: Option<String>,
    /// Task count.
    #[serde(
        default,
        deserialize_with = "de::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub task_times: Option<i64>,
    /// Discount name(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_desc: Option<String>,
    /// Discount amount, yuan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_amount: Option<String>,
}

impl ApiModel for ZhimaMerchantZmgoCumulateQueryModel {
    const API: Api = Api::CumulateQuery;
    type Response = ZhimaMerchantZmgoCumulateQueryResponse;
}
