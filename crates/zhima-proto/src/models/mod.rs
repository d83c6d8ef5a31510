//! Business models of the five APIs, exactly as on the wire (v1 `biz_content`, v3 body or
//! query), plus the API routing table and canonical JSON for idempotency.
//!
//! Conventions: every field is optional at the serde level (validation decides what is
//! required, so a missing field becomes a protocol error rather than a parse failure), amounts
//! are yuan strings, dates are `yyyy-MM-dd HH:mm:ss` strings, unknown fields are ignored, and
//! `None` fields are not serialized.

/// Generates a closed wire enum: variants with their wire strings, `ALL`, `as_str()`, `FromStr`
/// (error [`UnknownVariant`]), `Display` and string serde.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $( $(#[$vmeta])* $variant, )+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value exactly as on the wire.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// The wire values joined with `/`, for error messages.
            pub fn expected() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join("/")
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::models::UnknownVariant;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    $crate::models::UnknownVariant {
                        kind: stringify!($name),
                        value: s.chars().take(64).collect(),
                    }
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

mod canonical;
mod de;

pub mod agreement_query;
pub mod cumulate_query;
pub mod cumulation_sync;
pub mod settle_apply;
pub mod state_sync;

use std::fmt;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

pub use agreement_query::{
    AgreementStatus, ZhimaCreditPeZmgoAgreementQueryModel, ZhimaCreditPeZmgoAgreementQueryResponse,
};
pub use canonical::{canonical_json, canonical_json_str};
pub use cumulate_query::{
    CumulateDataDetail, ZhimaMerchantZmgoCumulateQueryModel, ZhimaMerchantZmgoCumulateQueryResponse,
};
pub use cumulation_sync::REQUEST_FROM_EXTERNAL_MERCHANT;
pub use cumulation_sync::{
    AmountTypeData, BizAction, CumulateDataType, DiscountType, TaskTypeData, ZMGoOutDiscountInfo,
    ZMGoTradeInfo, ZhimaCreditPeZmgoCumulationSyncModel, ZhimaCreditPeZmgoCumulationSyncResponse,
};
pub use settle_apply::{
    SettleActionType, SettleAdjustReason, SettleExtraParams, SettleStatus,
    ZhimaCreditPeZmgoSettleApplyModel, ZhimaCreditPeZmgoSettleApplyResponse,
};
pub use state_sync::{ZhimaDataStateDataSyncModel, ZhimaDataStateDataSyncResponse};

/// HTTP method of a v3 route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET`: the model travels in the query string.
    Get,
    /// `POST`: the model is the JSON body.
    Post,
}

impl HttpMethod {
    /// Upper-case method name as in the v3 string-to-sign.
    pub const fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A v3 REST route (PRODUCT §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct V3Route {
    /// HTTP method.
    pub method: HttpMethod,
    /// Path without query, e.g. `/v3/zhima/credit/pe/zmgo/cumulation/sync`.
    pub path: &'static str,
}

/// The five APIs the platform serves (PRODUCT §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// `zhima.data.state.data.sync` (v1 only).
    StateSync,
    /// `zhima.credit.pe.zmgo.cumulation.sync`.
    CumulationSync,
    /// `zhima.merchant.zmgo.cumulate.query`.
    CumulateQuery,
    /// `zhima.credit.pe.zmgo.agreement.query`.
    AgreementQuery,
    /// `zhima.credit.pe.zmgo.settle.apply`.
    SettleApply,
}

impl Api {
    /// Every API, in PRODUCT §2 order.
    pub const ALL: &'static [Api] = &[
        Api::StateSync,
        Api::CumulationSync,
        Api::CumulateQuery,
        Api::AgreementQuery,
        Api::SettleApply,
    ];

    /// The v1 gateway `method` name.
    pub const fn v1_method(self) -> &'static str {
        match self {
            Api::StateSync => "zhima.data.state.data.sync",
            Api::CumulationSync => "zhima.credit.pe.zmgo.cumulation.sync",
            Api::CumulateQuery => "zhima.merchant.zmgo.cumulate.query",
            Api::AgreementQuery => "zhima.credit.pe.zmgo.agreement.query",
            Api::SettleApply => "zhima.credit.pe.zmgo.settle.apply",
        }
    }

    /// The v3 route, if the API has one (state sync is v1 only).
    pub const fn v3_route(self) -> Option<V3Route> {
        let (method, path) = match self {
            Api::StateSync => return None,
            Api::CumulationSync => (HttpMethod::Post, "/v3/zhima/credit/pe/zmgo/cumulation/sync"),
            Api::CumulateQuery => (HttpMethod::Get, "/v3/zhima/merchant/zmgo/cumulate/query"),
            Api::AgreementQuery => (HttpMethod::Get, "/v3/zhima/credit/pe/zmgo/agreement/query"),
            Api::SettleApply => (HttpMethod::Post, "/v3/zhima/credit/pe/zmgo/settle/apply"),
        };
        Some(V3Route { method, path })
    }

    /// Looks up an API by its v1 `method` (unknown → the caller answers `isv.invalid-method`).
    pub fn from_v1_method(method: &str) -> Option<Api> {
        Api::ALL.iter().copied().find(|a| a.v1_method() == method)
    }

    /// Looks up an API by v3 method and path (path without query string).
    pub fn from_v3_route(method: HttpMethod, path: &str) -> Option<Api> {
        Api::ALL.iter().copied().find(|a| {
            a.v3_route()
                .is_some_and(|r| r.method == method && r.path == path)
        })
    }
}

/// A request model that knows which API it belongs to.
pub trait ApiModel: Serialize + DeserializeOwned {
    /// The API this model is the request of.
    const API: Api;
    /// The v1 gateway `method` name.
    const V1_METHOD: &'static str = Self::API.v1_method();
    /// The v3 route, if any.
    const V3_ROUTE: Option<V3Route> = Self::API.v3_route();
    /// The business part of the success response.
    type Response: Serialize + DeserializeOwned;
}

/// A string that is not one of a wire enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} value {value:?}")]
pub struct UnknownVariant {
    /// The enum (e.g. `"BizAction"`).
    pub kind: &'static str,
    /// The rejected value (truncated to 64 characters).
    pub value: String,
}

/// A JSON text or query that does not fit a model, with the path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", if path.is_empty() { "body" } else { path.as_str() })]
pub struct ModelError {
    /// Path of the failing field (`amount_type_data.trade_info.amount`, `out_discount_infos[0]`);
    /// empty when the text as a whole is not a JSON object.
    pub path: String,
    /// Top-level field the failure is under, if any (`amount_type_data` above).
    pub field: Option<String>,
    /// What was wrong, from serde.
    pub message: String,
}

impl ModelError {
    fn from_path_error(e: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let field = e.path().iter().next().and_then(|s| match s {
            serde_path_to_error::Segment::Map { key } => Some(key.clone()),
            _ => None,
        });
        // Segments serde could not name (a syntax error inside an unknown member) print as
        // `?`; they tell the reader nothing, so the path stops at the last named segment.
        let named: Vec<String> = e
            .path()
            .iter()
            .take_while(|s| !matches!(s, serde_path_to_error::Segment::Unknown))
            .map(ToString::to_string)
            .collect();
        // Same spelling as serde_path_to_error's own Display: `a.b[0].c`.
        let path = named.join(".").replace(".[", "[");
        ModelError {
            path,
            field,
            message: e.into_inner().to_string(),
        }
    }
}

/// Parses a JSON object text (v1 `biz_content` after decryption, v3 body) into a model.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, ModelError> {
    // Derived structs would also accept a JSON array; a body must be an object.
    if !text.trim_start().starts_with('{') {
        return Err(ModelError {
            path: String::new(),
            field: None,
            message: "expected a JSON object".into(),
        });
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(ModelError::from_path_error)?;
    // Like serde_json::from_str: only whitespace may follow the value.
    de.end().map_err(|e| ModelError {
        path: String::new(),
        field: None,
        message: e.to_string(),
    })?;
    Ok(value)
}

/// Builds a model from decoded v3 query pairs (later duplicates win). Numeric and boolean
/// fields accept their string forms (`page_size=20`, `need_detail=true`).
pub fn from_query_pairs<T, K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<T, ModelError>
where
    T: DeserializeOwned,
    K: Into<String>,
    V: Into<String>,
{
    let map: Map<String, Value> = pairs
        .into_iter()
        .map(|(k, v)| (k.into(), Value::String(v.into())))
        .collect();
    let text = Value::Object(map).to_string();
    from_json(&text)
}

/// Flattens a model into v3 query pairs, sorted by key: strings as-is, numbers and booleans in
/// their JSON spelling, nested values as compact JSON; `None` fields are omitted.
pub fn to_query_pairs<T: Serialize>(model: &T) -> Result<Vec<(String, String)>, serde_json::Error> {
    let Value::Object(map) = serde_json::to_value(model)? else {
        return Err(serde::ser::Error::custom(
            "a query model must serialize to a JSON object",
        ));
    };
    let mut pairs: Vec<(String, String)> = map
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, text)
        })
        .collect();
    pairs.sort();
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_table_round_trips() {
        for &api in Api::ALL {
            assert_eq!(Api::from_v1_method(api.v1_method()), Some(api));
            if let Some(r) = api.v3_route() {
                assert_eq!(Api::from_v3_route(r.method, r.path), Some(api));
            }
        }
        assert_eq!(Api::StateSync.v3_route(), None);
        assert_eq!(Api::from_v1_method("alipay.trade.pay"), None);
        assert_eq!(
            Api::from_v3_route(HttpMethod::Get, "/v3/zhima/credit/pe/zmgo/cumulation/sync"),
            None
        );
    }

    #[test]
    fn a_syntax_error_in_an_unnamed_member_has_no_question_mark_path() {
        for text in [
            r#"{"x":"#,
            r#"{"user_id":"20"#,
            r#"{"a":[1,"#,
            "{",
            r#"{"a""#,
            r#"{"amount_type_data":{"#,
        ] {
            let e = from_json::<ZhimaCreditPeZmgoCumulationSyncModel>(text).unwrap_err();
            assert!(!e.path.contains('?'), "{text}: {e:?}");
        }
    }

    #[test]
    fn model_error_names_the_path() {
        let e = from_json::<ZhimaCreditPeZmgoCumulationSyncModel>(
            r#"{"amount_type_data":{"trade_info":{"amount":3.57}}}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "amount_type_data.trade_info.amount");
        assert_eq!(e.field.as_deref(), Some("amount_type_data"));
        assert!(e
            .to_string()
            .starts_with("amount_type_data.trade_info.amount: invalid type"));

        let e = from_json::<ZhimaCreditPeZmgoCumulationSyncModel>("[1]").unwrap_err();
        assert_eq!(e.path, "");
        assert_eq!(e.field, None);
        assert!(from_json::<ZhimaCreditPeZmgoCumulationSyncModel>("{} x").is_err());
        assert!(from_json::<ZhimaCreditPeZmgoCumulationSyncModel>("{}").is_ok());
    }
}
