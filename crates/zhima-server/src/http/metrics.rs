//! `GET /metrics` and the HTTP layer's hooks into [`crate::metrics::Metrics`]: the in-flight
//! gauge (a middleware around every route) and one count per answered API request, taken
//! where the request is audited (`audit::record`), so the outcome is the audited one.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use zhima_proto::models::Api;

use super::shared::Shared;
use crate::metrics::Channel;

/// The Prometheus text exposition. Unauthenticated like `/healthz`: it holds only counters
/// with labels from fixed vocabularies.
pub(crate) async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let text = shared.metrics.render(&shared.storage.stats());
    let mut resp = text.into_response();
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(prometheus::TEXT_FORMAT),
    );
    resp
}

/// Counts the request as in flight while it is served (cancelled ones included).
pub(crate) async fn track_in_flight(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let _in_flight = shared.metrics.in_flight();
    next.run(req).await
}

/// Counts one answered API request. `label` is the audit label (v1: the `method` as sent;
/// v3: `METHOD /path`); it is only compared with the routing table, never used as a label.
pub(crate) fn observe(
    shared: &Shared,
    channel: Channel,
    label: &str,
    outcome: Option<&str>,
    latency: Duration,
) {
    shared
        .metrics
        .request(api_of(channel, label), channel, outcome, latency);
}

/// The API a request's audit label names, if it is in the routing table.
fn api_of(channel: Channel, label: &str) -> Option<Api> {
    match channel {
        Channel::V1 => Api::from_v1_method(label),
        Channel::V3 => {
            let (method, path) = label.split_once(' ')?;
            Api::ALL.iter().copied().find(|a| {
                a.v3_route()
                    .is_some_and(|r| r.method.as_str() == method && r.path == path)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_routed_apis_are_named() {
        let v1 = Api::CumulationSync.v1_method();
        assert_eq!(api_of(Channel::V1, v1), Some(Api::CumulationSync));
        assert_eq!(api_of(Channel::V1, "alipay.evil\"}"), None);
        let r = Api::SettleApply.v3_route().unwrap();
        let label = format!("{} {}", r.method.as_str(), r.path);
        assert_eq!(api_of(Channel::V3, &label), Some(Api::SettleApply));
        assert_eq!(api_of(Channel::V3, &format!("DELETE {}", r.path)), None);
        // A v1 method dressed as a v3 label is still a v1 method.
        assert_eq!(api_of(Channel::V1, &label), None);
    }
}
