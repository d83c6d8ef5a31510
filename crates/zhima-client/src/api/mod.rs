//! Typed API methods, one file per API. Each takes a [`Content`]: a model (rendered in the
//! client's JSON style) or verbatim JSON text, and returns the typed response model.

mod agreement_query;
mod agreement_sign;
mod agreement_unsign;
mod bizopt_close;
mod cumulate_query;
mod cumulation_sync;
mod merchant_cumulate_sync;
mod pre_consult;
mod preorder_create;
mod settle_apply;
mod settle_refund;
mod settle_unfreeze;
mod sign_apply;
mod state_sync;
mod template_create;
mod template_query;

use reqwest::Method;
use zhima_proto::models::{self, ApiModel, HttpMethod};

use crate::client::{Response, V1, V3};
use crate::content::{Content, JsonStyle};
use crate::error::{Error, Result};

impl V1<'_> {
    /// Sends a model's content to its v1 method and parses the success node.
    async fn call<M: ApiModel>(&self, content: Content<'_, M>) -> Result<Response<M::Response>> {
        let biz_content = content.render(self.client.config().v1_json)?;
        let reply = self.client.execute(M::V1_METHOD, &biz_content).await?;
        Ok(Response {
            data: reply.parse()?,
            trace_id: reply.trace_id,
            attempts: reply.attempts,
        })
    }
}

impl V3<'_> {
    /// Sends a model's content to its v3 route (GET: as the query string, in field order;
    /// POST and PUT: as the JSON body) and parses the success body.
    async fn call<M: ApiModel>(&self, content: Content<'_, M>) -> Result<Response<M::Response>> {
        let route = M::V3_ROUTE
            .ok_or_else(|| Error::InvalidRequest(format!("{} has no v3 route", M::V1_METHOD)))?;
        let reply = match route.method {
            HttpMethod::Get => {
                let query = query_string(&content)?;
                let target = if query.is_empty() {
                    route.path.to_string()
                } else {
                    format!("{}?{query}", route.path)
                };
                self.client.request(Method::GET, &target, None).await?
            }
            HttpMethod::Post | HttpMethod::Put => {
                let method = if route.method == HttpMethod::Put {
                    Method::PUT
                } else {
                    Method::POST
                };
                let body = content.render(JsonStyle::Declared)?;
                self.client.request(method, route.path, Some(&body)).await?
            }
        };
        Ok(Response {
            data: reply.parse()?,
            trace_id: reply.trace_id,
            attempts: reply.attempts,
        })
    }
}

/// A GET route's query: a model's fields in declaration order (as the Node SDK writes its
/// object), or the members of verbatim JSON text (sorted by key), form-encoded.
fn query_string<M: ApiModel>(content: &Content<'_, M>) -> Result<String> {
    let bad = |e: &dyn std::fmt::Display| Error::InvalidRequest(format!("query: {e}"));
    match content {
        Content::Model(model) => serde_urlencoded::to_string(model).map_err(|e| bad(&e)),
        Content::Json(text) => {
            let value: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(&e))?;
            let pairs = models::to_query_pairs(&value).map_err(|e| bad(&e))?;
            serde_urlencoded::to_string(pairs).map_err(|e| bad(&e))
        }
    }
}
