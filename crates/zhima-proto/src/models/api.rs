//! The API routing table: which v1 `method` and v3 route each of the sixteen APIs answers to,
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
    /// `PUT`: the model is the JSON body (preorder.create, settle.unfreeze; PRODUCT §11).
    Put,
}

impl HttpMethod {
    /// Upper-case method name as in the v3 string-to-sign.
    pub const fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
        }
    }

    /// Whether the model travels as a JSON body (`POST`, `PUT`) rather than a query string.
    pub const fn has_body(self) -> bool {
        !matches!(self, HttpMethod::Get)
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

/// The APIs the platform serves: the five of PRODUCT §2 and the eleven lifecycle APIs of
/// PRODUCT §11.
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
    /// `zhima.merchant.zmgo.template.create`.
    TemplateCreate,
    /// `zhima.merchant.zmgo.template.query`.
    TemplateQuery,
    /// `zhima.credit.pe.zmgo.pre.consult` (v1 only).
    PreConsult,
    /// `zhima.credit.pe.zmgo.preorder.create` (v3 `PUT`).
    PreorderCreate,
    /// `zhima.credit.pe.zmgo.sign.apply` (v1 only, a page method: see [`Api::is_page_method`]).
    SignApply,
    /// `zhima.credit.pe.zmgo.agreement.sign` (v1 only).
    AgreementSign,
    /// `zhima.credit.pe.zmgo.bizopt.close`.
    BizoptClose,
    /// `zhima.credit.pe.zmgo.agreement.unsign`.
    AgreementUnsign,
    /// `zhima.credit.pe.zmgo.settle.refund`.
    SettleRefund,
    /// `zhima.credit.pe.zmgo.settle.unfreeze` (v3 `PUT`).
    SettleUnfreeze,
    /// `zhima.merchant.zmgo.cumulate.sync`.
    MerchantCumulateSync,
}

impl Api {
    /// Every API: PRODUCT §2 order, then PRODUCT §11's table order.
    pub const ALL: &'static [Api] = &[
        Api::StateSync,
        Api::CumulationSync,
        Api::CumulateQuery,
        Api::AgreementQuery,
        Api::SettleApply,
        Api::TemplateCreate,
        Api::TemplateQuery,
        Api::PreConsult,
        Api::PreorderCreate,
        Api::SignApply,
        Api::AgreementSign,
        Api::BizoptClose,
        Api::AgreementUnsign,
        Api::SettleRefund,
        Api::SettleUnfreeze,
        Api::MerchantCumulateSync,
    ];

    /// The v1 gateway `method` name.
    pub const fn v1_method(self) -> &'static str {
        match self {
            Api::StateSync => "zhima.data.state.data.sync",
            Api::CumulationSync => "zhima.credit.pe.zmgo.cumulation.sync",
            Api::CumulateQuery => "zhima.merchant.zmgo.cumulate.query",
            Api::AgreementQuery => "zhima.credit.pe.zmgo.agreement.query",
            Api::SettleApply => "zhima.credit.pe.zmgo.settle.apply",
            Api::TemplateCreate => "zhima.merchant.zmgo.template.create",
            Api::TemplateQuery => "zhima.merchant.zmgo.template.query",
            Api::PreConsult => "zhima.credit.pe.zmgo.pre.consult",
            Api::PreorderCreate => "zhima.credit.pe.zmgo.preorder.create",
            Api::SignApply => "zhima.credit.pe.zmgo.sign.apply",
            Api::AgreementSign => "zhima.credit.pe.zmgo.agreement.sign",
            Api::BizoptClose => "zhima.credit.pe.zmgo.bizopt.close",
            Api::AgreementUnsign => "zhima.credit.pe.zmgo.agreement.unsign",
            Api::SettleRefund => "zhima.credit.pe.zmgo.settle.refund",
            Api::SettleUnfreeze => "zhima.credit.pe.zmgo.settle.unfreeze",
            Api::MerchantCumulateSync => "zhima.merchant.zmgo.cumulate.sync",
        }
    }

    /// The v3 route, if the API has one (PRODUCT §11's table; state sync, pre.consult,
    /// sign.apply and agreement.sign are v1 only).
    pub const fn v3_route(self) -> Option<V3Route> {
        let (method, path) = match self {
            Api::StateSync | Api::PreConsult | Api::SignApply | Api::AgreementSign => return None,
            Api::CumulationSync => (HttpMethod::Post, "/v3/zhima/credit/pe/zmgo/cumulation/sync"),
            Api::CumulateQuery => (HttpMethod::Get, "/v3/zhima/merchant/zmgo/cumulate/query"),
            Api::AgreementQuery => (HttpMethod::Get, "/v3/zhima/credit/pe/zmgo/agreement/query"),
            Api::SettleApply => (HttpMethod::Post, "/v3/zhima/credit/pe/zmgo/settle/apply"),
            Api::TemplateCreate => (HttpMethod::Post, "/v3/zhima/merchant/zmgo/template/create"),
            Api::TemplateQuery => (HttpMethod::Get, "/v3/zhima/merchant/zmgo/template/query"),
            Api::PreorderCreate => (HttpMethod::Put, "/v3/zhima/credit/pe/zmgo/preorder/create"),
            Api::BizoptClose => (HttpMethod::Post, "/v3/zhima/credit/pe/zmgo/bizopt/close"),
            Api::AgreementUnsign => (
                HttpMethod::Post,
                "/v3/zhima/credit/pe/zmgo/agreement/unsign",
            ),
            Api::SettleRefund => (HttpMethod::Post, "/v3/zhima/credit/pe/zmgo/settle/refund"),
            Api::SettleUnfreeze => (HttpMethod::Put, "/v3/zhima/credit/pe/zmgo/settle/unfreeze"),
            Api::MerchantCumulateSync => {
                (HttpMethod::Post, "/v3/zhima/merchant/zmgo/cumulate/sync")
            }
        };
        Some(V3Route { method, path })
    }

    /// Whether the API is a page method: the SDK builds a signed URL/form for the user's browser
    /// (`page_execute`) instead of calling the gateway. Only sign.apply (PRODUCT §11).
    pub const fn is_page_method(self) -> bool {
        matches!(self, Api::SignApply)
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
