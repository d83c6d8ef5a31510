//! The OpenAPI 3.1 description of every v3 route, generated from the route table
//! ([`Api::v3_route`]) and the wire models (zhima-proto's `utoipa::ToSchema` derives, feature
//! `openapi`): request body or query parameters, the 200 model, every error status with the
//! codes it may carry, the signature headers of every answer and the `Authorization` scheme.
//!
//! Served at [`PATH`] (no auth, cacheable) and shipped as `docs/openapi.json`; the test
//! `openapi_golden` keeps the file equal to [`json`] (`ZHIMA_BLESS=1` rewrites it, and so does
//! `zhima openapi > docs/openapi.json`).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use zhima_proto::models::{
    Api, ApiModel, HttpMethod, V3Route, ZhimaCreditPeZmgoAgreementQueryModel,
    ZhimaCreditPeZmgoAgreementUnsignModel, ZhimaCreditPeZmgoBizoptCloseModel,
    ZhimaCreditPeZmgoCumulationSyncModel, ZhimaCreditPeZmgoPreorderCreateModel,
    ZhimaCreditPeZmgoSettleApplyModel, ZhimaCreditPeZmgoSettleRefundModel,
    ZhimaCreditPeZmgoSettleUnfreezeModel, ZhimaMerchantZmgoCumulateQueryModel,
    ZhimaMerchantZmgoCumulateSyncModel, ZhimaMerchantZmgoTemplateCreateModel,
    ZhimaMerchantZmgoTemplateQueryModel,
};
use zhima_proto::v3::{
    self, AUTH_SCHEME, HEADER_APP_AUTH_TOKEN, HEADER_ENCRYPT_TYPE, HEADER_NONCE,
    HEADER_ROOT_CERT_SN, HEADER_SIGNATURE, HEADER_SN, HEADER_TIMESTAMP, HEADER_TRACE_ID,
};

use super::admission::RETRY_AFTER_SECS;
use super::v3::{codes_with_status, ERROR_STATUSES};

/// Where the description is served.
pub const PATH: &str = "/v3/openapi.json";

/// The name of the signature security scheme.
const SECURITY_SCHEME: &str = "alipaySignature";

/// The document as served and shipped: pretty JSON with a final newline.
pub fn json() -> &'static str {
    static JSON: LazyLock<String> = LazyLock::new(|| {
        let mut text = serde_json::to_string_pretty(&document()).expect("JSON values serialise");
        text.push('\n');
        text
    });
    &JSON
}

/// `GET /v3/openapi.json`: the static document, with an ETag so caches revalidate cheaply.
pub(crate) async fn serve(headers: HeaderMap) -> Response {
    static ETAG: LazyLock<String> = LazyLock::new(|| {
        let digest = Sha256::digest(json().as_bytes());
        format!("\"{}\"", hex::encode(&digest[..16]))
    });
    let etag = HeaderValue::from_str(&ETAG).expect("hex is a valid header value");
    let cache = [
        (header::ETAG, etag.clone()),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        ),
    ];
    let fresh = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == ETAG.as_str() || tag.trim() == "*");
    if fresh {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    let content_type = (
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    (cache, [content_type], json()).into_response()
}

/// The OpenAPI 3.1 document of the v3 routes.
pub fn document() -> Value {
    let mut schemas = BTreeMap::new();
    let mut paths = Map::new();
    for &api in Api::ALL {
        let Some(route) = api.v3_route() else {
            continue;
        };
        // Exhaustive: a new API with a v3 route does not compile until it is described.
        let op = match api {
            Api::CumulationSync => {
                operation::<ZhimaCreditPeZmgoCumulationSyncModel>(route, &mut schemas)
            }
            Api::CumulateQuery => {
                operation::<ZhimaMerchantZmgoCumulateQueryModel>(route, &mut schemas)
            }
            Api::AgreementQuery => {
                operation::<ZhimaCreditPeZmgoAgreementQueryModel>(route, &mut schemas)
            }
            Api::SettleApply => operation::<ZhimaCreditPeZmgoSettleApplyModel>(route, &mut schemas),
            Api::TemplateCreate => {
                operation::<ZhimaMerchantZmgoTemplateCreateModel>(route, &mut schemas)
            }
            Api::TemplateQuery => {
                operation::<ZhimaMerchantZmgoTemplateQueryModel>(route, &mut schemas)
            }
            Api::PreorderCreate => {
                operation::<ZhimaCreditPeZmgoPreorderCreateModel>(route, &mut schemas)
            }
            Api::BizoptClose => operation::<ZhimaCreditPeZmgoBizoptCloseModel>(route, &mut schemas),
            Api::AgreementUnsign => {
                operation::<ZhimaCreditPeZmgoAgreementUnsignModel>(route, &mut schemas)
            }
            Api::SettleRefund => {
                operation::<ZhimaCreditPeZmgoSettleRefundModel>(route, &mut schemas)
            }
            Api::SettleUnfreeze => {
                operation::<ZhimaCreditPeZmgoSettleUnfreezeModel>(route, &mut schemas)
            }
            Api::MerchantCumulateSync => {
                operation::<ZhimaMerchantZmgoCumulateSyncModel>(route, &mut schemas)
            }
            Api::StateSync | Api::PreConsult | Api::SignApply | Api::AgreementSign => continue,
        };
        let item = paths
            .entry(route.path)
            .or_insert_with(|| Value::Object(Map::new()));
        item[route.method.as_str().to_ascii_lowercase()] = op;
    }
    register::<v3::ErrorBody>(&mut schemas);
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "zhima v3 REST API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": info_description(),
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" },
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": auth_description(),
                },
            },
            "headers": signature_headers(),
            "responses": error_responses(),
        },
        "security": [{ SECURITY_SCHEME: [] }],
    });
    tidy_descriptions(&mut doc);
    if let Some(schemas) = doc.pointer_mut("/components/schemas") {
        flatten_one_of(schemas);
    }
    doc
}

/// utoipa wraps a field's inlined value type in `oneOf` (`[{type: null}, T]` for an optional
/// field, `[T]` for a required one) and puts the field's description and examples beside it.
/// A single alternative is merged into the property; otherwise the examples move into the
/// non-null alternative, where generators (schemathesis) look for them.
fn flatten_one_of(value: &mut Value) {
    match value {
        Value::Object(o) => {
            if let Some(Value::Array(alternatives)) = o.get("oneOf") {
                let single = match alternatives.as_slice() {
                    [Value::Object(only)] if !only.contains_key("$ref") => Some(only.clone()),
                    _ => None,
                };
                if let Some(only) = single {
                    o.remove("oneOf");
                    for (k, v) in only {
                        o.entry(k).or_insert(v);
                    }
                } else if let Some(examples) = o.remove("examples") {
                    if let Some(Value::Array(alternatives)) = o.get_mut("oneOf") {
                        for alt in alternatives.iter_mut().filter(|a| a["type"] != "null") {
                            if let Some(alt) = alt.as_object_mut() {
                                alt.entry("examples").or_insert_with(|| examples.clone());
                            }
                        }
                    }
                }
            }
            o.values_mut().for_each(flatten_one_of);
        }
        Value::Array(a) => a.iter_mut().for_each(flatten_one_of),
        _ => {}
    }
}

/// The document's description: the conventions every operation shares.
fn info_description() -> String {
    format!(
        "The v3 REST surface of zhima, a self-hostable Zhima Credit merchant platform \
         wire-compatible with Alipay's open platform. Every request is signed (`Authorization`, \
         see the security scheme); every answer, success or error, is signed by the platform key \
         in `{HEADER_TIMESTAMP}` / `{HEADER_NONCE}` / `{HEADER_SIGNATURE}`: verify \
         SHA256withRSA over `{HEADER_TIMESTAMP} + \"\\n\" + {HEADER_NONCE} + \"\\n\" + body + \
         \"\\n\"` with the platform public key (`keys/platform_public.pem` of the data \
         directory). Success is HTTP 200 with the bare response model; an error is \
         `{{code, message, links}}` with the status its code belongs to. Amounts are yuan \
         strings (`\"3.57\"`), times `yyyy-MM-dd HH:mm:ss` UTC+8.\n\n\
         Optional request headers, on every operation: `{HEADER_APP_AUTH_TOKEN}` (an ISV app \
         acting for a merchant; also the last line of the string-to-sign), \
         `{HEADER_ROOT_CERT_SN}` (certificate mode: the answer then carries `{HEADER_SN}`), \
         `{HEADER_ENCRYPT_TYPE}: {aes}` (an app with an AES key sends the body as base64 \
         ciphertext, `text/plain`, signed as sent; its success answer is encrypted likewise).",
        aes = zhima_proto::aes::ENCRYPT_TYPE,
    )
}

/// The security scheme's description: how `Authorization` is built.
fn auth_description() -> String {
    format!(
        "`{AUTH_SCHEME} app_id=<app_id>[,app_cert_sn=<sn>],nonce=<nonce>,timestamp=<epoch ms>,\
         sign=<base64>`. `sign` is SHA256withRSA (PKCS#1 v1.5) with the app private key over \
         `authString + \"\\n\" + METHOD + \"\\n\" + request-target + \"\\n\" + body + \"\\n\"` \
         (+ `app_auth_token + \"\\n\"` when `{HEADER_APP_AUTH_TOKEN}` is sent), where authString \
         is everything between the scheme and `,sign=`, request-target is the path and query \
         exactly as sent, and body is the exact body text (empty for GET). The timestamp must \
         be within the server's clock skew (15 minutes by default) and a nonce is accepted once."
    )
}

/// One operation: `M` is the request model, `M::Response` the 200 body.
fn operation<M>(route: V3Route, schemas: &mut BTreeMap<String, Value>) -> Value
where
    M: ApiModel + ToSchema,
    M::Response: ToSchema,
{
    let api = M::API;
    let response = register::<M::Response>(schemas);
    let mut parameters = Vec::new();
    let mut op = Map::new();
    op.insert("operationId".into(), json!(api.v1_method()));
    op.insert(
        "summary".into(),
        json!(format!("{} ({})", title(api), api.v1_method())),
    );
    match route.method {
        HttpMethod::Get => parameters.extend(query_parameters(&schema_value::<M>())),
        HttpMethod::Post | HttpMethod::Put => {
            let request = register::<M>(schemas);
            op.insert(
                "requestBody".into(),
                json!({
                    "required": true,
                    "content": { "application/json": { "schema": request } },
                }),
            );
        }
    }
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({
            "description": "Success: the response model, signed.",
            "headers": header_refs(false),
            "content": { "application/json": { "schema": response } },
        }),
    );
    for status in ERROR_STATUSES {
        responses.insert(
            status.to_string(),
            json!({ "$ref": format!("#/components/responses/{}", error_name(status)) }),
        );
    }
    op.insert("responses".into(), Value::Object(responses));
    Value::Object(op)
}

/// The Chinese name of the API on Alipay's documentation.
fn title(api: Api) -> &'static str {
    match api {
        Api::StateSync => "芝麻业务状态数据同步",
        Api::CumulationSync => "芝麻GO用户数据回传",
        Api::CumulateQuery => "芝麻GO累计数据查询",
        Api::AgreementQuery => "芝麻GO协议查询",
        Api::SettleApply => "芝麻GO结算申请",
        Api::TemplateCreate => "芝麻GO模板创建",
        Api::TemplateQuery => "芝麻GO模板查询",
        Api::PreConsult => "芝麻GO签约前置咨询",
        Api::PreorderCreate => "芝麻GO签约预创单",
        Api::SignApply => "芝麻GO签约申请",
        Api::AgreementSign => "芝麻GO协议签约",
        Api::BizoptClose => "芝麻GO关闭预下单",
        Api::AgreementUnsign => "芝麻GO协议解约",
        Api::SettleRefund => "芝麻GO结算退款",
        Api::SettleUnfreeze => "芝麻GO解冻",
        Api::MerchantCumulateSync => "芝麻GO商户数据回传",
    }
}

/// Adds `T` (and the schemas it refers to) to the components; returns a `$ref` to it.
fn register<T: ToSchema>(schemas: &mut BTreeMap<String, Value>) -> Value {
    let mut refs = Vec::new();
    T::schemas(&mut refs);
    for (name, schema) in refs {
        schemas.insert(name, to_value(&schema));
    }
    schemas.insert(T::name().into_owned(), schema_value::<T>());
    json!({ "$ref": format!("#/components/schemas/{}", T::name()) })
}

/// Doc comments become descriptions: their rustdoc links (`` [`BizAction`] ``) read as plain
/// code spans (`` `BizAction` ``).
fn tidy_descriptions(value: &mut Value) {
    match value {
        Value::Object(o) => {
            for (key, v) in o.iter_mut() {
                match v {
                    Value::String(text) if key == "description" => {
                        *text = text.replace("[`", "`").replace("`]", "`");
                    }
                    other => tidy_descriptions(other),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(tidy_descriptions),
        _ => {}
    }
}

fn schema_value<T: ToSchema>() -> Value {
    to_value(&T::schema())
}

fn to_value(schema: &impl serde::Serialize) -> Value {
    serde_json::to_value(schema).expect("schemas serialise")
}

/// A GET model's fields as query parameters (`?agreement_id=…&page_no=2`): each property is
/// one parameter, never null (absent instead).
fn query_parameters(model: &Value) -> Vec<Value> {
    let required: Vec<&str> = model["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = model["properties"].as_object() else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, schema)| {
            let (schema, description) = non_null(schema);
            let mut param = json!({
                "name": name,
                "in": "query",
                "required": required.contains(&name.as_str()),
                "schema": schema,
            });
            if let Some(d) = description {
                param["description"] = d;
            }
            param
        })
        .collect()
}

/// `schema` without its `null` alternative (`type: [T, null]` or `oneOf: [{null}, S]`), and
/// its description, which moves to the parameter.
fn non_null(schema: &Value) -> (Value, Option<Value>) {
    let mut schema = schema.clone();
    let description = schema.as_object_mut().and_then(|o| o.remove("description"));
    if let Some(alternatives) = schema["oneOf"].as_array() {
        let mut rest: Vec<&Value> = alternatives
            .iter()
            .filter(|a| a["type"] != json!("null"))
            .collect();
        if rest.len() == 1 {
            return (rest.remove(0).clone(), description);
        }
    }
    if let Some(types) = schema["type"].as_array() {
        let rest: Vec<Value> = types
            .iter()
            .filter(|t| *t != &json!("null"))
            .cloned()
            .collect();
        schema["type"] = match <[Value; 1]>::try_from(rest) {
            Ok([one]) => one,
            Err(many) => Value::Array(many),
        };
    }
    (schema, description)
}

/// `components.headers`: what every answer carries.
fn signature_headers() -> Value {
    let header = |description: &str, schema: Value, required: bool| {
        json!({
            "description": description,
            "required": required,
            "schema": schema,
        })
    };
    json!({
        HEADER_TIMESTAMP: header(
            "When the answer was signed, Unix epoch milliseconds.",
            json!({ "type": "string", "pattern": "^[0-9]{1,19}$" }),
            true,
        ),
        HEADER_NONCE: header("The answer's nonce.", json!({ "type": "string", "minLength": 1 }), true),
        HEADER_SIGNATURE: header(
            "Base64 SHA256withRSA of `alipay-timestamp + \"\\n\" + alipay-nonce + \"\\n\" + \
             body + \"\\n\"` by the platform key.",
            json!({ "type": "string", "minLength": 1 }),
            true,
        ),
        HEADER_SN: header(
            "Certificate mode only: the SN of the platform certificate that signed.",
            json!({ "type": "string" }),
            false,
        ),
        HEADER_TRACE_ID: header(
            "The answer's trace id (also in the error link and the audit log).",
            json!({ "type": "string", "minLength": 1 }),
            true,
        ),
        "Retry-After": header(
            "Seconds to wait before retrying (429 and 503 answers).",
            json!({ "type": "integer", "minimum": 0, "examples": [RETRY_AFTER_SECS] }),
            true,
        ),
    })
}

/// References to the signature headers, plus `Retry-After` for 429/503.
fn header_refs(retry_after: bool) -> Value {
    let mut names = vec![
        HEADER_TIMESTAMP,
        HEADER_NONCE,
        HEADER_SIGNATURE,
        HEADER_SN,
        HEADER_TRACE_ID,
    ];
    if retry_after {
        names.push("Retry-After");
    }
    names
        .into_iter()
        .map(|n| {
            (
                n.to_owned(),
                json!({ "$ref": format!("#/components/headers/{n}") }),
            )
        })
        .collect::<Map<_, _>>()
        .into()
}

fn error_name(status: u16) -> String {
    format!("Error{status}")
}

/// `components.responses`: one error answer per status, its `code` one of those the status
/// carries.
fn error_responses() -> Value {
    let described = |status: u16| -> &'static str {
        match status {
            400 => {
                "The request was refused: a malformed or missing field, a business rule \
                    (the code says which), or a body that is not UTF-8."
            }
            401 => {
                "Authentication failed: missing or malformed `Authorization`, unknown app, \
                    timestamp outside the clock skew, bad signature, reused nonce, bad app \
                    auth token or certificate."
            }
            403 => "The app may not act for this merchant or agreement.",
            413 => "The body is larger than the server accepts.",
            429 => "The app is over its rate limit; retry after `Retry-After` seconds.",
            500 => "An internal error (`SYSTEM_ERROR`); nothing is known to have been written.",
            503 => {
                "Overloaded or storage unavailable (`SYSTEM_ERROR`); nothing was written, \
                    retry after `Retry-After` seconds."
            }
            _ => "An error.",
        }
    };
    ERROR_STATUSES
        .into_iter()
        .map(|status| {
            let response = json!({
                "description": described(status),
                "headers": header_refs(matches!(status, 429 | 503)),
                "content": { "application/json": { "schema": {
                    "allOf": [
                        { "$ref": format!("#/components/schemas/{}", v3::ErrorBody::name()) },
                        { "properties": { "code": { "enum": codes_with_status(status) } } },
                    ],
                }}},
            });
            (error_name(status), response)
        })
        .collect::<Map<_, _>>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` in `value`.
    fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref") {
                    out.push(r);
                }
                o.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_v3_route_is_described_once_with_all_statuses() {
        let doc = document();
        let mut described = 0;
        for api in Api::ALL {
            let Some(route) = api.v3_route() else {
                continue;
            };
            let op = &doc["paths"][route.path][route.method.as_str().to_ascii_lowercase()];
            assert_eq!(op["operationId"], api.v1_method(), "{api:?}");
            for status in ["200", "400", "401", "403", "413", "429", "500", "503"] {
                assert!(op["responses"][status].is_object(), "{api:?} {status}");
            }
            assert_eq!(
                op.get("requestBody").is_some(),
                route.method.has_body(),
                "{api:?}"
            );
            described += 1;
        }
        let ops: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|item| item.as_object().unwrap().len())
            .sum();
        assert_eq!(ops, described);
        assert_eq!(described, 12);
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 20);
        for r in found {
            let pointer = r.strip_prefix('#').expect("local reference");
            assert!(doc.pointer(pointer).is_some(), "dangling {r}");
        }
    }

    #[test]
    fn field_rules_come_from_validation() {
        let doc = document();
        let sync = &doc["components"]["schemas"]["ZhimaCreditPeZmgoCumulationSyncModel"];
        let required: Vec<&str> = sync["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for field in [
            "agreement_no",
            "partner_id",
            "out_biz_no",
            "biz_action",
            "biz_time",
        ] {
            assert!(required.contains(&field), "{field}");
        }
        let agreement_no = &sync["properties"]["agreement_no"];
        assert_eq!(
            agreement_no["maxLength"],
            zhima_proto::validate::cumulation::MAX_AGREEMENT_NO
        );
        assert_eq!(
            sync["properties"]["biz_action"]["enum"],
            json!(["ORDER_PAID", "ORDER_REFUND"])
        );
        let trade = &doc["components"]["schemas"]["ZMGoTradeInfo"];
        assert_eq!(
            trade["properties"]["amount"]["pattern"],
            zhima_proto::money::YUAN_PATTERN
        );
        // GET models become query parameters, without null.
        let query = &doc["paths"]["/v3/zhima/merchant/zmgo/cumulate/query"]["get"];
        let page_size = query["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "page_size")
            .unwrap();
        assert_eq!(page_size["schema"]["type"], "integer");
        assert_eq!(page_size["schema"]["maximum"], 100);
        assert_eq!(page_size["in"], "query");
    }

    #[test]
    fn error_answers_list_their_codes_and_say_when_to_retry() {
        let doc = document();
        let e401 = &doc["components"]["responses"]["Error401"];
        let codes = &e401["content"]["application/json"]["schema"]["allOf"][1]["properties"]
            ["code"]["enum"];
        assert!(codes
            .as_array()
            .unwrap()
            .contains(&json!("invalid-signature")));
        assert!(e401["headers"].get("Retry-After").is_none());
        assert!(doc["components"]["responses"]["Error429"]["headers"]["Retry-After"].is_object());
        assert_eq!(
            doc["components"]["headers"][HEADER_SIGNATURE]["required"],
            true
        );
        assert!(
            doc["components"]["securitySchemes"][SECURITY_SCHEME]["description"]
                .as_str()
                .unwrap()
                .starts_with(&format!("`{AUTH_SCHEME} "))
        );
    }
}
