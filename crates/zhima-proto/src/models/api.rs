//! The API routing table: which v1 `method` and v3 route each of the five APIs answers to,
//! and [`ApiModel`], which ties a request model to its API and response.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::Serialize;

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
