//! When to send a request again, and how long to wait before doing so.

use std::time::Duration;

use rand::Rng as _;

/// Default first back-off delay of [`RequestStrategy::retry`].
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(200);
/// Default cap on one back-off delay of [`RequestStrategy::retry`].
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(5);

/// How many times a call is attempted.
///
/// Only failures that say nothing about the request itself are retried: transport errors
/// (including timeouts), HTTP 5xx, v1 code `20000` and `SYSTEM_ERROR` (see
/// [`crate::Error::is_retryable`]). A retry resends the same business content — so the same
/// `out_biz_no`, which the platform deduplicates — with a fresh timestamp, nonce and signature.
///
/// ```
/// use std::time::Duration;
/// use zhima_client::RequestStrategy;
///
/// let s = RequestStrategy::Retry {
///     max_attempts: 4,
///     base_delay: Duration::from_millis(100),
///     max_delay: Duration::from_secs(1),
/// };
/// assert_eq!(s.max_attempts(), 4);
/// // Exponential with "equal jitter": between half and all of base·2^(n-1), capped.
/// let d = s.backoff(3);
/// assert!(d >= Duration::from_millis(200) && d <= Duration::from_millis(400));
/// assert!(s.backoff(30) <= Duration::from_secs(1));
/// assert_eq!(RequestStrategy::Once.max_attempts(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RequestStrategy {
    /// One attempt, no retry (the default).
    #[default]
    Once,
    /// Up to `max_attempts` attempts in all, with exponential back-off and jitter between them.
    Retry {
        /// Attempts in total, the first included (0 counts as 1).
        max_attempts: u32,
        /// Delay scale: the n-th retry waits about `base_delay · 2^(n-1)`.
        base_delay: Duration,
        /// Cap on a single delay.
        max_delay: Duration,
    },
}

impl RequestStrategy {
    /// `Retry` with `max_attempts` and the default delays (200 ms base, 5 s cap).
    pub fn retry(max_attempts: u32) -> Self {
        RequestStrategy::Retry {
            max_attempts,
            base_delay: DEFAULT_BASE_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
        }
    }

    /// Attempts in total, at least 1.
    pub fn max_attempts(&self) -> u32 {
        match self {
            RequestStrategy::Once => 1,
            RequestStrategy::Retry { max_attempts, .. } => (*max_attempts).max(1),
        }
    }

    /// The wait after the `failed`-th failed attempt (1-based): `d = min(max_delay,
    /// base_delay · 2^(failed-1))`, then a uniformly random value in `[d/2, d]` so that many
    /// clients failing together do not retry in lockstep.
    pub fn backoff(&self, failed: u32) -> Duration {
        let RequestStrategy::Retry {
            base_delay,
            max_delay,
            ..
        } = *self
        else {
            return Duration::ZERO;
        };
        let exp = failed.saturating_sub(1).min(31);
        let full = base_delay.saturating_mul(1u32 << exp).min(max_delay);
        let half = full / 2;
        let jitter_nanos =
            rand::thread_rng().gen_range(0..=(full - half).as_nanos().min(u64::MAX as u128) as u64);
        half + Duration::from_nanos(jitter_nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let s = RequestStrategy::Retry {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(700),
        };
        for _ in 0..50 {
            let d1 = s.backoff(1);
            assert!(
                d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100),
                "{d1:?}"
            );
            let d3 = s.backoff(3);
            assert!(
                d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400),
                "{d3:?}"
            );
            let d9 = s.backoff(9);
            assert!(
                d9 >= Duration::from_millis(350) && d9 <= Duration::from_millis(700),
                "{d9:?}"
            );
        }
        assert_eq!(RequestStrategy::Once.backoff(1), Duration::ZERO);
        assert_eq!(RequestStrategy::retry(0).max_attempts(), 1);
        // Huge attempt numbers neither overflow nor exceed the cap.
        assert!(RequestStrategy::retry(5).backoff(u32::MAX) <= DEFAULT_MAX_DELAY);
    }
}
