//! The storage writer's counters ([`StorageStats`]) as Prometheus families, built at scrape
//! time from one snapshot (the writer threads keep plain atomics, not Prometheus types).

use prometheus::proto::{Bucket, Counter, Gauge, Metric, MetricFamily, MetricType};

use super::HistogramSnapshot;
use crate::storage::StorageStats;

/// Microseconds per second, for the commit latency histogram.
const US_PER_S: f64 = 1_000_000.0;

pub(super) fn families(s: &StorageStats) -> Vec<MetricFamily> {
    vec![
        counter(
            "zhima_storage_commits_total",
            "Group-commit transactions committed",
            s.commits,
        ),
        counter(
            "zhima_storage_failed_commits_total",
            "Group-commit transactions that failed (all their jobs got an error)",
            s.failed_commits,
        ),
        counter(
            "zhima_storage_write_jobs_total",
            "Write jobs run by the group-commit writer (commands, upserts, audit entries)",
            s.write_jobs,
        ),
        histogram(
            "zhima_storage_commit_batch_size",
            "Write jobs per group-commit transaction",
            &s.batch_sizes,
            1.0,
        ),
        gauge(
            "zhima_storage_commit_batch_size_max",
            "Largest number of write jobs in one transaction so far",
            s.max_batch,
        ),
        histogram(
            "zhima_storage_commit_duration_seconds",
            "Time of each successful COMMIT, fsync / WAL flush included",
            &s.commit_latency_us,
            US_PER_S,
        ),
        gauge(
            "zhima_storage_queue_depth",
            "Write jobs waiting for the group-commit writer",
            s.queue_depth,
        ),
    ]
}

fn family(name: &str, help: &str, kind: MetricType, metric: Metric) -> MetricFamily {
    let mut f = MetricFamily::default();
    f.set_name(name.to_owned());
    f.set_help(help.to_owned());
    f.set_field_type(kind);
    f.set_metric(vec![metric]);
    f
}

fn counter(name: &str, help: &str, value: u64) -> MetricFamily {
    let mut c = Counter::default();
    c.set_value(value as f64);
    let mut m = Metric::default();
    m.set_counter(c);
    family(name, help, MetricType::COUNTER, m)
}

fn gauge(name: &str, help: &str, value: u64) -> MetricFamily {
    let mut g = Gauge::default();
    g.set_value(value as f64);
    let mut m = Metric::default();
    m.set_gauge(g);
    family(name, help, MetricType::GAUGE, m)
}

/// `h`'s observations divided by `per_unit` (e.g. µs → s).
fn histogram(name: &str, help: &str, h: &HistogramSnapshot, per_unit: f64) -> MetricFamily {
    let mut p = prometheus::proto::Histogram::default();
    p.set_sample_count(h.count);
    p.set_sample_sum(h.sum as f64 / per_unit);
    p.set_bucket(
        h.bounds
            .iter()
            .zip(&h.cumulative)
            .map(|(&bound, &count)| {
                let mut b = Bucket::default();
                b.set_upper_bound(bound as f64 / per_unit);
                b.set_cumulative_count(count);
                b
            })
            .collect(),
    );
    let mut m = Metric::default();
    m.set_histogram(p);
    family(name, help, MetricType::HISTOGRAM, m)
}
