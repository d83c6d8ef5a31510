//! Config-free checks of `zhima.merchant.zmgo.cumulate.query` (PRODUCT §4 "Query").
//!
//! Order: `agreement_id` present (≤ 64) → `user_id`, `open_id`, `provider_pid` lengths →
//! `page_no` ≥ 1 → `page_size` in 1..=100; all `REQUEST_PARAM_ILLEGAL`. Defaults: no detail,
//! page 1, 20 per page. The server then checks the caller's access and the agreement.

use crate::catalog::CumulationCode::{self, RequestParamIllegal};
use crate::models::cumulate_query::ZhimaMerchantZmgoCumulateQueryModel;

use super::checks::{optional, required, Violation};
use super::cumulation::{MAX_AGREEMENT_NO, MAX_ID, MAX_OPEN_ID};

/// `page_size` when none is sent.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
/// Largest accepted `page_size`.
pub const MAX_PAGE_SIZE: u32 = 100;
/// Largest accepted `page_no` (keeps offsets far from overflow).
pub const MAX_PAGE_NO: u32 = 1_000_000;

/// A validated cumulate query with defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCumulateQuery {
    /// Agreement number.
    pub agreement_id: String,
    /// Ant member id, if sent.
    pub user_id: Option<String>,
    /// OpenId, if sent.
    pub open_id: Option<String>,
    /// Reporting merchant PID, if sent.
    pub provider_pid: Option<String>,
    /// Whether `detail_list` is wanted.
    pub need_detail: bool,
    /// Page number, from 1.
    pub page_no: u32,
    /// Page size, 1..=100.
    pub page_size: u32,
}

impl ValidCumulateQuery {
    /// Number of detail rows before this page.
    pub fn offset(&self) -> u64 {
        u64::from(self.page_no - 1) * u64::from(self.page_size)
    }
}

/// Validates a cumulate query (order in the module docs).
pub fn validate_cumulate_query(
    req: &ZhimaMerchantZmgoCumulateQueryModel,
) -> Result<ValidCumulateQuery, Violation<CumulationCode>> {
    let r = RequestParamIllegal;
    let agreement_id = required(r, "agreement_id", &req.agreement_id, MAX_AGREEMENT_NO)?;
    let user_id = optional(r, "user_id", &req.user_id, MAX_ID)?;
    let open_id = optional(r, "open_id", &req.open_id, MAX_OPEN_ID)?;
    let provider_pid = optional(r, "provider_pid", &req.provider_pid, MAX_ID)?;
    let page_no = in_range("page_no", req.page_no, 1, MAX_PAGE_NO)?;
    let page_size = in_range("page_size", req.page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?;
    Ok(ValidCumulateQuery {
        agreement_id: agreement_id.to_owned(),
        user_id: user_id.map(str::to_owned),
        open_id: open_id.map(str::to_owned),
        provider_pid: provider_pid.map(str::to_owned),
        need_detail: req.need_detail.unwrap_or(false),
        page_no,
        page_size,
    })
}

/// `value` (default `default`) must be in `1..=max`.
fn in_range(
    field: &str,
    value: Option<i64>,
    default: u32,
    max: u32,
) -> Result<u32, Violation<CumulationCode>> {
    let Some(v) = value else { return Ok(default) };
    u32::try_from(v)
        .ok()
        .filter(|v| (1..=max).contains(v))
        .ok_or_else(|| {
            Violation::new(
                RequestParamIllegal,
                format_args!("{field}取值不合法: {v}，应在1到{max}之间"),
            )
        })
}
