//! `zhima.data.state.data.sync` (芝麻业务状态数据同步; v1 only; PROTOCOL §C5).

use serde::{Deserialize, Serialize};

use super::api::{Api, ApiModel};

/// Request model `ZhimaDataStateDataSyncModel` (v1 `biz_content`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZhimaDataStateDataSyncModel {
    /// Ant member id, `2088` + 12 digits. Required (max 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// OpenId alternative (newer SDK field; the platform still requires `user_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_id: Option<String>,
    /// Merchant's order serial number, the idempotency key. Required (max 128).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_biz_no: Option<String>,
    /// External subject id (e.g. the movie id). Required (max 128).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_principal_id: Option<String>,
    /// Target state of the product's state machine. Required (max 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_state_code: Option<String>,
    /// Category within the service. Required (max 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_code: Option<String>,
    /// Zhima credit service id. Required (max 128).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    /// State data as a JSON **text** (a string holding a JSON object). Required (max 4096).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_data: Option<String>,
}

/// Success response `ZhimaDataStateDataSyncResponse` (v1 node fields besides `code`/`msg`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZhimaDataStateDataSyncResponse {
    /// [`BIZ_RESULT_SUCCESS`] or [`BIZ_RESULT_FAILED`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_result: Option<String>,
}

/// `biz_result` of an accepted sync.
pub const BIZ_RESULT_SUCCESS: &str = "success";
/// `biz_result` of a rejected sync (sent with the 40004 sub_code).
pub const BIZ_RESULT_FAILED: &str = "failed";

impl ZhimaDataStateDataSyncResponse {
    /// The success body `{"biz_result":"success"}`.
    pub fn success() -> Self {
        Self {
            biz_result: Some(BIZ_RESULT_SUCCESS.to_owned()),
        }
    }

    /// The failure body `{"biz_result":"failed"}`.
    pub fn failed() -> Self {
        Self {
            biz_result: Some(BIZ_RESULT_FAILED.to_owned()),
        }
    }
}

impl ApiModel for ZhimaDataStateDataSyncModel {
    const API: Api = Api::StateSync;
    type Response = ZhimaDataStateDataSyncResponse;
}
