//! Prometheus metrics (PRODUCT §14): one registry per [`crate::http::Server`], so several
//! servers in one process (tests) never share counters. Served as text at `GET /metrics`.
//!
//! Every label value comes from a fixed vocabulary — API names from the routing table
//! ([`Api::v1_method`] or `unknown`), the channel, and catalogue codes — so nothing a caller
//! sent (keys, signatures, tokens, user ids, `out_biz_no`, unknown method names) can appear.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `zhima_requests_total` | counter | `api`, `channel` (`v1`/`v3`), `outcome` (`success` or the sub_code / gateway code) |
//! | `zhima_request_duration_seconds` | histogram | `api`, `channel` |
//! | `zhima_requests_in_flight` | gauge | |
//! | `zhima_storage_commits_total`, `zhima_storage_failed_commits_total`, `zhima_storage_write_jobs_total` | counter | |
//! | `zhima_storage_commit_batch_size` | histogram (jobs per group commit) | |
//! | `zhima_storage_commit_batch_size_max` | gauge | |
//! | `zhima_storage_commit_duration_seconds` | histogram (`COMMIT`, fsync / WAL flush included) | |
//! | `zhima_storage_queue_depth` | gauge (jobs waiting for the group-commit writer) | |
//! | `zhima_notifications_backlog` | gauge (notifications `PENDING` in the outbox, all processes) | |
//! | `zhima_notification_deliveries_total` | counter (attempts by this process) | `outcome` (`success`, `retry`, `refused`) |
//! | `zhima_notifications_failed_total` | counter (notifications this process marked `FAILED`) | |

mod histogram;
mod storage;

use std::time::Duration;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry};
use zhima_proto::models::Api;

pub use self::histogram::{Histogram, HistogramSnapshot};
use crate::storage::StorageStats;

/// Which protocol surface served a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The v1 gateway (`/gateway.do`).
    V1,
    /// The v3 REST endpoints.
    V3,
}

impl Channel {
    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::V1 => "v1",
            Channel::V3 => "v3",
        }
    }
}

/// The `api` label of requests whose API is not in the routing table.
pub const UNKNOWN_API: &str = "unknown";
/// The `outcome` label of a success.
pub const SUCCESS: &str = "success";

/// Request latency buckets, in seconds (1 ms … 10 s).
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The HTTP metrics of one server, and the registry they live in.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    in_flight: IntGauge,
    /// The notification worker's metrics (cloned into the worker).
    pub notify: NotifyMetrics,
}

/// The notification metrics (PRODUCT §14): handles that share the server's registry.
#[derive(Clone)]
pub struct NotifyMetrics {
    backlog: IntGauge,
    deliveries: IntCounterVec,
    failed: prometheus::IntCounter,
}

impl NotifyMetrics {
    /// Sets the backlog (notifications `PENDING`).
    pub fn set_backlog(&self, n: i64) {
        self.backlog.set(n);
    }

    /// Counts one attempt by outcome (`success`, `retry` or `refused`), and a notification
    /// that ended `FAILED`.
    pub fn attempt(&self, outcome: &'static str, ended_failed: bool) {
        self.deliveries.with_label_values(&[outcome]).inc();
        if ended_failed {
            self.failed.inc();
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Fresh metrics in a registry of their own.
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("zhima_requests_total", "API requests answered"),
            &["api", "channel", "outcome"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "zhima_request_duration_seconds",
                "API request latency, from receipt to answer",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["api", "channel"],
        )
        .expect("valid metric");
        let in_flight = IntGauge::new("zhima_requests_in_flight", "HTTP requests being served now")
            .expect("valid metric");
        let notify = NotifyMetrics {
            backlog: IntGauge::new(
                "zhima_notifications_backlog",
                "Notifications waiting in the outbox (PENDING)",
            )
            .expect("valid metric"),
            deliveries: IntCounterVec::new(
                Opts::new(
                    "zhima_notification_deliveries_total",
                    "Notification delivery attempts by outcome",
                ),
                &["outcome"],
            )
            .expect("valid metric"),
            failed: prometheus::IntCounter::new(
                "zhima_notifications_failed_total",
                "Notifications that ended FAILED",
            )
            .expect("valid metric"),
        };
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(in_flight.clone()),
            Box::new(notify.backlog.clone()),
            Box::new(notify.deliveries.clone()),
            Box::new(notify.failed.clone()),
        ] {
            registry.register(c).expect("names are unique");
        }
        Metrics {
            registry,
            requests,
            latency,
            in_flight,
            notify,
        }
    }

    /// Counts one answered API request. `outcome` is `None` for a success, else the
    /// catalogue code the caller saw.
    pub fn request(
        &self,
        api: Option<Api>,
        channel: Channel,
        outcome: Option<&str>,
        latency: Duration,
    ) {
        let api = api.map_or(UNKNOWN_API, Api::v1_method);
        let outcome = outcome.map_or(SUCCESS, outcome_label);
        self.requests
            .with_label_values(&[api, channel.as_str(), outcome])
            .inc();
        self.latency
            .with_label_values(&[api, channel.as_str()])
            .observe(latency.as_secs_f64());
    }

    /// Successful requests of `api` (both channels) answered by this process: the console's
    /// live rate polls it.
    pub fn successes(&self, api: Api) -> u64 {
        use prometheus::core::Collector as _;
        let name = api.v1_method();
        let has = |m: &prometheus::proto::Metric, k: &str, v: &str| {
            m.get_label()
                .iter()
                .any(|l| l.name() == k && l.value() == v)
        };
        self.requests
            .collect()
            .iter()
            .flat_map(|f| f.get_metric())
            .filter(|m| has(m, "api", name) && has(m, "outcome", SUCCESS))
            .map(|m| m.get_counter().get_value() as u64)
            .sum()
    }

    /// Marks a request in flight until the guard is dropped.
    pub fn in_flight(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(self.in_flight.clone())
    }

    /// The text exposition of every metric, storage counters from `storage`.
    pub fn render(&self, storage: &StorageStats) -> String {
        let mut families = self.registry.gather();
        families.extend(storage::families(storage));
        prometheus::TextEncoder::new()
            .encode_to_string(&families)
            .expect("text encoding of valid families")
    }
}

/// Decrements the in-flight gauge when dropped (the request finished or was cancelled).
pub struct InFlight(IntGauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// A catalogue code as a label. The codes are ours (catalogue constants), but a label must
/// never be able to carry request text, so anything outside the codes' alphabet is `other`.
fn outcome_label(code: &str) -> &str {
    let plausible = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if plausible {
        code
    } else {
        "other"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_fixed_vocabularies() {
        let m = Metrics::new();
        m.request(
            None,
            Channel::V1,
            Some("isv.invalid-signature"),
            Duration::ZERO,
        );
        m.request(Some(Api::CumulationSync), Channel::V3, None, Duration::ZERO);
        m.request(None, Channel::V1, Some("a b\"}{"), Duration::ZERO);
        let text = m.render(&StorageStats::default());
        assert!(text.contains(
            r#"zhima_requests_total{api="unknown",channel="v1",outcome="isv.invalid-signature"} 1"#
        ));
        assert!(text.contains(
            r#"zhima_requests_total{api="zhima.credit.pe.zmgo.cumulation.sync",channel="v3",outcome="success"} 1"#
        ));
        assert!(text.contains(r#"outcome="other"} 1"#), "{text}");
    }

    #[test]
    fn each_instance_counts_alone() {
        let (a, b) = (Metrics::new(), Metrics::new());
        a.request(None, Channel::V1, None, Duration::ZERO);
        let _busy = a.in_flight();
        assert!(a
            .render(&StorageStats::default())
            .contains("zhima_requests_in_flight 1"));
        let text = b.render(&StorageStats::default());
        assert!(!text.contains("zhima_requests_total{"), "{text}");
        assert!(text.contains("zhima_requests_in_flight 0"), "{text}");
    }
}
