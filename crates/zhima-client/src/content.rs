//! The business content of a request: a typed model, or JSON text sent verbatim.
//!
//! The official SDKs disagree on JSON text: the Python SDK sorts keys
//! (`json.dumps(sort_keys=True, separators=(',', ':'), ensure_ascii=False)`), Node and Java
//! keep their object's field order. The signature covers the exact text, so a caller that
//! needs byte-identity with a given SDK either lets the client render a model in that SDK's
//! [`JsonStyle`] or hands over the text itself.

use std::borrow::Cow;

use serde::Serialize;

use crate::error::{Error, Result};

/// What a typed API method sends: a model or verbatim JSON text.
///
/// ```
/// use zhima_client::Content;
/// use zhima_client::models::ZhimaDataStateDataSyncModel;
///
/// let model = ZhimaDataStateDataSyncModel { out_biz_no: Some("1".into()), ..Default::default() };
/// let typed: Content<'_, ZhimaDataStateDataSyncModel> = (&model).into();
/// let raw: Content<'_, ZhimaDataStateDataSyncModel> = Content::json(r#"{"out_biz_no":"1"}"#);
/// assert!(matches!(typed, Content::Model(_)));
/// assert!(matches!(raw, Content::Json(_)));
/// ```
#[derive(Debug)]
pub enum Content<'a, M> {
    /// A model, rendered in the client's [`JsonStyle`].
    Model(&'a M),
    /// JSON text, sent exactly as given (not validated: the platform judges it).
    Json(Cow<'a, str>),
}

impl<'a, M> Content<'a, M> {
    /// Verbatim JSON text.
    pub fn json(text: impl Into<Cow<'a, str>>) -> Self {
        Content::Json(text.into())
    }
}

impl<'a, M> From<&'a M> for Content<'a, M> {
    fn from(model: &'a M) -> Self {
        Content::Model(model)
    }
}

/// How a model is written as JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JsonStyle {
    /// Keys sorted by their bytes at every level, no whitespace, non-ASCII kept: the Python
    /// SDK's `biz_content`.
    SortedKeys,
    /// Fields in declaration order, no whitespace: the Node SDK (object insertion order) and
    /// the Java v3 SDK.
    #[default]
    Declared,
}

impl<M: Serialize> Content<'_, M> {
    /// The JSON text to send.
    pub(crate) fn render(&self, style: JsonStyle) -> Result<String> {
        match self {
            Content::Json(text) => Ok(text.to_string()),
            Content::Model(model) => render_model(*model, style),
        }
    }
}

fn render_model<M: Serialize + ?Sized>(model: &M, style: JsonStyle) -> Result<String> {
    let bad =
        |e: serde_json::Error| Error::InvalidRequest(format!("model does not serialise: {e}"));
    match style {
        JsonStyle::Declared => serde_json::to_string(model).map_err(bad),
        // canonical_json sorts keys whatever serde_json's map type is; the models hold no
        // floats, so its integral-float rule never applies.
        JsonStyle::SortedKeys => serde_json::to_value(model)
            .map(|v| zhima_proto::models::canonical_json(&v))
            .map_err(bad),
    }
}

/// The idempotency key of a request body for tracing: `out_biz_no`, else `out_request_no`.
pub(crate) fn idempotency_key(json: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Keys {
        out_biz_no: Option<String>,
        out_request_no: Option<String>,
    }
    let keys: Keys = serde_json::from_str(json).ok()?;
    keys.out_biz_no.or(keys.out_request_no)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhima_proto::models::{
        AmountTypeData, ZMGoTradeInfo, ZhimaCreditPeZmgoCumulationSyncModel,
    };

    fn model() -> ZhimaCreditPeZmgoCumulationSyncModel {
        ZhimaCreditPeZmgoCumulationSyncModel {
            out_biz_no: Some("B1".into()),
            agreement_no: Some("A1".into()),
            amount_type_data: Some(AmountTypeData {
                name: Some("累计".into()),
                trade_info: Some(ZMGoTradeInfo {
                    trade_no: Some("T".into()),
                    amount: Some("3.57".into()),
                }),
                out_discount_infos: None,
            }),
            has_alipay_trade: Some(false),
            ..Default::default()
        }
    }

    #[test]
    fn styles_order_keys_as_the_sdks_do() {
        let m = model();
        let declared = Content::from(&m).render(JsonStyle::Declared).unwrap();
        assert_eq!(
            declared,
            r#"{"agreement_no":"A1","out_biz_no":"B1","amount_type_data":{"name":"累计","trade_info":{"trade_no":"T","amount":"3.57"}},"has_alipay_trade":false}"#
        );
        let sorted = Content::from(&m).render(JsonStyle::SortedKeys).unwrap();
        assert_eq!(
            sorted,
            r#"{"agreement_no":"A1","amount_type_data":{"name":"累计","trade_info":{"amount":"3.57","trade_no":"T"}},"has_alipay_trade":false,"out_biz_no":"B1"}"#
        );
        let raw: Content<'_, ZhimaCreditPeZmgoCumulationSyncModel> =
            Content::json(" {\"b\":1, \"a\":2}");
        assert_eq!(
            raw.render(JsonStyle::SortedKeys).unwrap(),
            " {\"b\":1, \"a\":2}"
        );
    }

    #[test]
    fn idempotency_key_prefers_out_biz_no() {
        assert_eq!(
            idempotency_key(r#"{"out_biz_no":"a","out_request_no":"b"}"#).as_deref(),
            Some("a")
        );
        assert_eq!(
            idempotency_key(r#"{"out_request_no":"b"}"#).as_deref(),
            Some("b")
        );
        assert_eq!(idempotency_key("not json"), None);
        assert_eq!(idempotency_key(r#"{"out_biz_no":1}"#), None);
    }
}
