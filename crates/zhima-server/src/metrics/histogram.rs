//! A fixed-bucket histogram of integer observations, lock-free, for the storage writers'
//! threads (which know nothing of Prometheus): `/metrics` renders its snapshot.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counts observations into fixed upper bounds (inclusive), plus their sum and count.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [u64],
    /// One per bound plus one for values above the last bound (not cumulative).
    counts: Box<[AtomicU64]>,
    sum: AtomicU64,
}

/// A histogram read at one moment: cumulative counts per bound, as Prometheus wants them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistogramSnapshot {
    /// The upper bounds, in the unit of the observations.
    pub bounds: &'static [u64],
    /// Observations at or below each bound (cumulative).
    pub cumulative: Vec<u64>,
    /// All observations.
    pub count: u64,
    /// Sum of all observations (saturating).
    pub sum: u64,
}

impl Histogram {
    /// An empty histogram over `bounds` (ascending).
    pub fn new(bounds: &'static [u64]) -> Self {
        debug_assert!(bounds.windows(2).all(|w| w[0] < w[1]));
        Histogram {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
        }
    }

    /// Records one observation.
    pub fn observe(&self, value: u64) {
        let slot = self.bounds.partition_point(|&b| b < value);
        self.counts[slot].fetch_add(1, Ordering::Relaxed);
        // Saturating: a sum that wrapped would read as a huge drop to Prometheus.
        let _ = self
            .sum
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| {
                Some(s.saturating_add(value))
            });
    }

    /// The counts so far.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut running = 0;
        let mut cumulative = Vec::with_capacity(self.bounds.len());
        for c in &self.counts[..self.bounds.len()] {
            running += c.load(Ordering::Relaxed);
            cumulative.push(running);
        }
        let count = running + self.counts[self.bounds.len()].load(Ordering::Relaxed);
        HistogramSnapshot {
            bounds: self.bounds,
            cumulative,
            count,
            sum: self.sum.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_inclusive_and_cumulative() {
        let h = Histogram::new(&[1, 4, 16]);
        for v in [0, 1, 2, 4, 5, 16, 17, 1000] {
            h.observe(v);
        }
        let s = h.snapshot();
        assert_eq!(s.cumulative, [2, 4, 6]);
        assert_eq!(s.count, 8);
        assert_eq!(s.sum, 1045);
    }
}
