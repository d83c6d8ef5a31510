//! Config-free checks of `zhima.data.state.data.sync` (PRODUCT §5).
//!
//! # How the documented order is kept
//!
//! | # | check | code | who |
//! |---|---|---|---|
//! | 0 | `biz_content` is a JSON object of the model's shape | per field, see [`parse_state_sync`] | [`parse_state_sync`] |
//! | 1 | `user_id` = `2088` + 12 digits | `ZMDATA.USER_ID_ERROR` | [`validate_state_sync_shape`] |
//! | 2 | `out_biz_no` non-empty (and ≤ 128 chars **\[ours\]**) | `ZMDATA.OUT_BIZ_NO_NULL` | [`validate_state_sync_shape`] |
//! | 3 | `out_principal_id` non-empty, ≤ 128 chars | `ZMDATA.OUT_PRINCIPAL_ID_ERROR` | [`validate_state_sync_shape`] |
//! | 4 | `service_id` known and open to the app | `ZMDAT.SERVICE_ID_ERROR` | server |
//! | 5 | `category_code` in that service | `ZMDATA.CATEGORY_CODE_ERROR` | server |
//! | 6 | `biz_state_code` a state of that category | `ZMDATA.BIZ_STATE_CODE_ERROR` | server |
//! | 7a | `biz_data` non-empty, ≤ 4096 chars, a JSON object | `ZMDATA.BIZ_DATA_ERROR` | [`validate_biz_data`] |
//! | 7b | `biz_data` matches the state's JSON Schema | `ZMDATA.BIZ_DATA_ERROR` | server |
//! | 8 | idempotency on (`service_id`, `out_biz_no`) via [`ValidStateSync::business_fingerprint`] | `ZMDATA.OUT_BIZ_NO_REPEAT` | server |
//! | 9 | transition allowed | `ZMDATA.BIZ_STATE_CODE_ERROR` | server |
//!
//! So the server calls [`validate_state_sync_shape`], then runs 4–6 on the returned
//! `service_id` / `category_code` / `biz_state_code` (empty strings when absent, which no
//! configuration contains, so they fail at the right step), then [`validate_biz_data`], then
//! the schema, then 8 and 9.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::catalog::ZmdataCode::{
    self, BizDataError, BizStateCodeError, CategoryCodeError, OutBizNoNull, OutPrincipalIdError,
    ServiceIdError, UserIdError,
};
use crate::models::state_sync::ZhimaDataStateDataSyncModel;
use crate::models::{canonical_json, from_json};

use super::checks::{echo, missing, present, required, Violation};

/// Max chars of `out_biz_no` (DOC-STATE).
pub const MAX_OUT_BIZ_NO: usize = 128;
/// Max chars of `out_principal_id` (DOC-STATE).
pub const MAX_OUT_PRINCIPAL_ID: usize = 128;
/// Max chars of `biz_data` (DOC-STATE).
pub const MAX_BIZ_DATA: usize = 4096;

static USER_ID_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("^2088[0-9]{12}$").expect("user id regex is valid"));

/// A state sync that passed checks 1–3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidStateSync {
    /// `2088` + 12 digits.
    pub user_id: String,
    /// OpenId, if sent.
    pub open_id: Option<String>,
    /// Idempotency key.
    pub out_biz_no: String,
    /// Instance subject.
    pub out_principal_id: String,
    /// As sent; empty when absent (check 4 then fails).
    pub service_id: String,
    /// As sent; empty when absent (check 5 then fails).
    pub category_code: String,
    /// As sent; empty when absent (check 6 then fails).
    pub biz_state_code: String,
    /// The raw `biz_data` text (checked by [`validate_biz_data`]).
    pub biz_data: Option<String>,
}

impl ValidStateSync {
    /// Canonical JSON of the business fields for check 8: equal exactly when the requests are
    /// the same content. `biz_data` is compared as parsed JSON when it parses (key order and
    /// whitespace inside it do not matter), else as text.
    pub fn business_fingerprint(&self) -> String {
        let biz_data = self.biz_data.as_deref().map(|t| {
            serde_json::from_str::<Value>(t).unwrap_or_else(|_| Value::String(t.to_owned()))
        });
        canonical_json(&serde_json::json!({
            "user_id": self.user_id,
            "open_id": self.open_id,
            "out_biz_no": self.out_biz_no,
            "out_principal_id": self.out_principal_id,
            "service_id": self.service_id,
            "category_code": self.category_code,
            "biz_state_code": self.biz_state_code,
            "biz_data": biz_data,
        }))
    }
}

/// Parses `biz_content`. A field of the wrong JSON type fails with that field's own code
/// (e.g. a numeric `user_id` → `ZMDATA.USER_ID_ERROR`, an object `biz_data` →
/// `ZMDATA.BIZ_DATA_ERROR`); a text that is not a JSON object at all is
/// `ZMDATA.BIZ_DATA_ERROR` too (**\[ours\]**: the table has no generic code, and `biz_content`
/// is the business data).
pub fn parse_state_sync(text: &str) -> Result<ZhimaDataStateDataSyncModel, Violation<ZmdataCode>> {
    from_json(text).map_err(|e| {
        let code = match e.field.as_deref() {
            Some("user_id") => UserIdError,
            Some("out_biz_no") => OutBizNoNull,
            Some("out_principal_id") => OutPrincipalIdError,
            Some("service_id") => ServiceIdError,
            Some("category_code") => CategoryCodeError,
            Some("biz_state_code") => BizStateCodeError,
            _ => BizDataError,
        };
        let detail = if e.path.is_empty() {
            format!("biz_content不是合法的JSON对象: {}", e.message)
        } else {
            e.to_string()
        };
        Violation::new(code, detail)
    })
}

/// Checks 1–3 (see the module table); the server runs 4–6 next.
pub fn validate_state_sync_shape(
    req: &ZhimaDataStateDataSyncModel,
) -> Result<ValidStateSync, Violation<ZmdataCode>> {
    let user_id = present(&req.user_id).ok_or_else(|| missing(UserIdError, "user_id"))?;
    if !USER_ID_RE.is_match(user_id) {
        return Err(Violation::new(
            UserIdError,
            format_args!("user_id应为2088开头的16位数字: {}", echo(user_id)),
        ));
    }
    let out_biz_no = required(OutBizNoNull, "out_biz_no", &req.out_biz_no, MAX_OUT_BIZ_NO)?;
    let out_principal_id = required(
        OutPrincipalIdError,
        "out_principal_id",
        &req.out_principal_id,
        MAX_OUT_PRINCIPAL_ID,
    )?;
    let owned = |v: &Option<String>| v.clone().unwrap_or_default();
    Ok(ValidStateSync {
        user_id: user_id.to_owned(),
        open_id: present(&req.open_id).map(str::to_owned),
        out_biz_no: out_biz_no.to_owned(),
        out_principal_id: out_principal_id.to_owned(),
        service_id: owned(&req.service_id),
        category_code: owned(&req.category_code),
        biz_state_code: owned(&req.biz_state_code),
        biz_data: req.biz_data.clone(),
    })
}

/// Check 7a: `biz_data` is a non-empty JSON object text of at most 4096 chars. Returns the
/// parsed object for the server's schema check (7b).
pub fn validate_biz_data(
    sync: &ValidStateSync,
) -> Result<Map<String, Value>, Violation<ZmdataCode>> {
    let text = required(BizDataError, "biz_data", &sync.biz_data, MAX_BIZ_DATA)?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Violation::new(BizDataError, "biz_data必须是JSON对象")),
        Err(e) => Err(Violation::new(
            BizDataError,
            format_args!("biz_data不是合法的JSON: {e}"),
        )),
    }
}
