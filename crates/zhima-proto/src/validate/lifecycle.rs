//! Checks shared by the lifecycle APIs (PRODUCT §11): the user's identity, positive yuan
//! amounts, `timeout_express` (`15m`/`2h`/`1d`), business times and fingerprints.

use serde::Serialize;

use crate::catalog::CumulationCode::{self, OrderAmountIllegal, RequestParamIllegal};
use crate::models::canonical_json;
use crate::money::Fen;
use crate::time::{format_alipay_datetime, parse_alipay_datetime};

use super::checks::{echo, optional, parse_amount, present, required, Violation};
use super::cumulation::{MAX_BIZ_TIME, MAX_ID, MAX_OPEN_ID};

/// Result of a lifecycle check.
pub(crate) type Checked<T> = Result<T, Violation<CumulationCode>>;

/// `timeout_express` when the request has none (PRODUCT §11).
pub const DEFAULT_TIMEOUT_EXPRESS_SECS: u64 = 15 * 60;
/// Longest accepted `timeout_express`: 15 days, Alipay's documented ceiling.
pub const MAX_TIMEOUT_EXPRESS_SECS: u64 = 15 * 24 * 3600;

/// Canonical JSON of a validated value: two requests are "the same business content" exactly
/// when their fingerprints are equal (the same machinery as the five original APIs).
pub(crate) fn fingerprint<T: Serialize>(value: &T) -> String {
    canonical_json(&serde_json::to_value(value).unwrap_or_default())
}

/// The user a request names: Ant member id and/or OpenId.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct UserRef {
    /// Ant member id (2088…), if sent.
    pub user_id: Option<String>,
    /// OpenId, if sent.
    pub open_id: Option<String>,
}

impl UserRef {
    /// Whether neither identifier was sent.
    pub fn is_empty(&self) -> bool {
        self.user_id.is_none() && self.open_id.is_none()
    }
}

/// Both identifiers, optional, within length; `id_field`/`open_field` are the model's names.
pub(crate) fn user_ref(
    id_field: &str,
    id: &Option<String>,
    open_field: &str,
    open: &Option<String>,
) -> Checked<UserRef> {
    let r = RequestParamIllegal;
    Ok(UserRef {
        user_id: optional(r, id_field, id, MAX_ID)?.map(str::to_owned),
        open_id: optional(r, open_field, open, MAX_OPEN_ID)?.map(str::to_owned),
    })
}

/// Like [`user_ref`], but one of the two is required.
pub(crate) fn required_user(
    id_field: &str,
    id: &Option<String>,
    open_field: &str,
    open: &Option<String>,
) -> Checked<UserRef> {
    let user = user_ref(id_field, id, open_field, open)?;
    if user.is_empty() {
        return Err(Violation::new(
            RequestParamIllegal,
            format_args!("{id_field}和{open_field}不能同时为空"),
        ));
    }
    Ok(user)
}

/// A required string, owned.
pub(crate) fn req(field: &str, value: &Option<String>, max: usize) -> Checked<String> {
    required(RequestParamIllegal, field, value, max).map(str::to_owned)
}

/// An optional string, owned.
pub(crate) fn opt(field: &str, value: &Option<String>, max: usize) -> Checked<Option<String>> {
    Ok(optional(RequestParamIllegal, field, value, max)?.map(str::to_owned))
}

/// A yuan amount that must be above zero (`ORDER_AMOUNT_ILLEGAL` otherwise).
pub(crate) fn positive_amount(field: &str, value: &Option<String>) -> Checked<Fen> {
    let raw = present(value)
        .ok_or_else(|| Violation::new(OrderAmountIllegal, format_args!("{field}不能为空")))?;
    let fen = parse_amount(OrderAmountIllegal, field, raw)?;
    if fen <= Fen::ZERO {
        return Err(Violation::new(
            OrderAmountIllegal,
            format_args!("{field}必须大于0: {}", echo(raw)),
        ));
    }
    Ok(fen)
}

/// An optional yuan amount (zero allowed).
pub(crate) fn optional_amount(field: &str, value: &Option<String>) -> Checked<Option<Fen>> {
    present(value)
        .map(|raw| parse_amount(OrderAmountIllegal, field, raw))
        .transpose()
}

/// An optional `yyyy-MM-dd HH:mm:ss` (UTC+8) time, normalised.
pub(crate) fn optional_time(field: &str, value: &Option<String>) -> Checked<Option<String>> {
    let Some(raw) = optional(RequestParamIllegal, field, value, MAX_BIZ_TIME)? else {
        return Ok(None);
    };
    parse_alipay_datetime(raw)
        .map(|t| Some(format_alipay_datetime(&t)))
        .map_err(|_| {
            Violation::new(
                RequestParamIllegal,
                format_args!("{field}格式不合法: {}，应为yyyy-MM-dd HH:mm:ss", echo(raw)),
            )
        })
}

/// `timeout_express` in seconds: `<n>m`, `<n>h` or `<n>d` (Alipay's form), `n` ≥ 1, at most
/// [`MAX_TIMEOUT_EXPRESS_SECS`]; absent → [`DEFAULT_TIMEOUT_EXPRESS_SECS`].
pub fn parse_timeout_express(value: &Option<String>) -> Checked<u64> {
    let Some(raw) = present(value) else {
        return Ok(DEFAULT_TIMEOUT_EXPRESS_SECS);
    };
    let bad = || {
        Violation::new(
            RequestParamIllegal,
            format_args!(
                "timeout_express格式不合法: {}，应为如15m、2h、1d，最长15d",
                echo(raw)
            ),
        )
    };
    // The unit is the last character, not byte: a multi-byte one (`1分`) is refused, not split.
    let unit_secs = match raw.chars().next_back() {
        Some('m') => 60,
        Some('h') => 3600,
        Some('d') => 86_400,
        _ => return Err(bad()),
    };
    let digits = &raw[..raw.len() - 1];
    if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let secs = n * unit_secs;
    if n == 0 || secs > MAX_TIMEOUT_EXPRESS_SECS {
        return Err(bad());
    }
    Ok(secs)
}
