//! Admission: how much API work the server takes on at once, and how fast one app may call.
//!
//! - **In flight**: at most [`Settings::max_in_flight`](super::Settings::max_in_flight) v1/v3
//!   requests are served at once. One more waits for a slot, in arrival order, at most
//!   [`Settings::max_queue_wait`](super::Settings::max_queue_wait): a short wait absorbs a
//!   burst, or a closed loop of callers wider than the slots, without refusing anybody. A
//!   wait that runs out is refused, and when [`QUEUE_PER_SLOT`] × `max_in_flight` already
//!   wait a newcomer is refused **at once**, so the queue never turns overload into latency
//!   for everyone (the idea of CoDel: bound the time spent queueing, not only the queue's
//!   length). An earlier "refuse everyone at once for a while after a wait ran out" turned
//!   one stall into a storm of refusals for callers that retry at once. The refusal is the
//!   signed overload answer —
//!   v1 `20000 isp.unknow-error`, v3 `503` + `Retry-After`. Signing costs as much as
//!   answering, so it is signed from a cache: the v1 node is constant, signed once per sign
//!   type and charset; the v3 body, nonce and timestamp are re-signed at most once a second.
//! - **Per app**: a token bucket per app id, taken only after the request's signature
//!   verified (so nobody can spend another app's quota), answered `40006
//!   isv.app-call-limited` / `429 app-call-limited`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use zhima_proto::v1::Charset;
use zhima_proto::SignType;

use super::error::{ApiError, GatewayFault};
use crate::config::RateLimit;

/// Requests that may wait for a slot, per slot (with `max_in_flight = 24`, 48 may wait: a
/// closed loop of 64 callers is not refused for a full queue).
const QUEUE_PER_SLOT: usize = 2;
/// How long a signed v3 refusal is reused.
const V3_REFUSAL_TTL: Duration = Duration::from_secs(1);
/// `Retry-After` of the overload and rate-limit answers, in seconds.
pub(crate) const RETRY_AFTER_SECS: u64 = 1;
pub(crate) use zhima_proto::catalog::OVERLOADED_MSG;

/// A signed v3 refusal, reused for [`V3_REFUSAL_TTL`].
#[derive(Clone)]
pub(crate) struct V3Refusal {
    pub(crate) made: Instant,
    pub(crate) body: Arc<str>,
    pub(crate) trace_id: Arc<str>,
    pub(crate) headers: Arc<zhima_proto::v3::ResponseHeaders>,
}

pub(crate) struct Admission {
    slots: Arc<Semaphore>,
    /// How long a request may wait for a slot (zero: not at all).
    max_wait: Duration,
    /// Requests waiting for a slot now, and how many may.
    waiting: AtomicUsize,
    max_waiting: usize,
    buckets: Option<Buckets>,
    v1_signatures: Mutex<HashMap<(SignType, Charset), Arc<str>>>,
    /// Index: cert-mode request or not (cert mode carries `alipay-sn`).
    v3_refusals: Mutex<[Option<V3Refusal>; 2]>,
}

impl Admission {
    pub(crate) fn new(max_in_flight: usize, max_wait: Duration, rate: Option<RateLimit>) -> Self {
        Admission {
            slots: Arc::new(Semaphore::new(max_in_flight.max(1))),
            max_wait,
            waiting: AtomicUsize::new(0),
            max_waiting: max_in_flight.max(1) * QUEUE_PER_SLOT,
            buckets: rate.map(Buckets::new),
            v1_signatures: Mutex::new(HashMap::new()),
            v3_refusals: Mutex::new([None, None]),
        }
    }

    /// A slot for one request: at once when one is free, else after waiting for one (see the
    /// module comment); `None` means the overload answer.
    pub(crate) async fn enter(&self) -> Option<OwnedSemaphorePermit> {
        // A free slot means nobody waits: the semaphore hands released permits to waiters
        // first.
        if let Ok(slot) = self.slots.clone().try_acquire_owned() {
            return Some(slot);
        }
        if self.max_wait.is_zero() {
            return None;
        }
        let queued = Queued::join(&self.waiting);
        // A full queue is a standing one: refused at once.
        if queued.ahead >= self.max_waiting {
            return None;
        }
        tokio::time::timeout(self.max_wait, self.slots.clone().acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
    }

    /// Takes one request from `app_id`'s bucket (call only once its signature verified).
    pub(crate) fn check_rate(&self, app_id: &str) -> Result<(), ApiError> {
        match &self.buckets {
            Some(b) if !b.take(app_id, Instant::now()) => {
                Err(ApiError::gateway(GatewayFault::AppCallLimited).log(format!(
                    "app {app_id} is over its rate limit ({} per second, burst {})",
                    b.limit.per_sec, b.limit.burst
                )))
            }
            _ => Ok(()),
        }
    }

    /// The cached signature of the constant v1 overload node, or `sign`'s, cached.
    pub(crate) fn v1_signature<E>(
        &self,
        sign_type: SignType,
        charset: Charset,
        sign: impl FnOnce() -> Result<String, E>,
    ) -> Result<Arc<str>, E> {
        let key = (sign_type, charset);
        if let Some(s) = lock(&self.v1_signatures).get(&key) {
            return Ok(s.clone());
        }
        let signed: Arc<str> = sign()?.into();
        lock(&self.v1_signatures).insert(key, signed.clone());
        Ok(signed)
    }

    /// The cached v3 refusal for this kind of request while fresh, else `make`'s, cached.
    pub(crate) fn v3_refusal<E>(
        &self,
        cert_mode: bool,
        make: impl FnOnce() -> Result<V3Refusal, E>,
    ) -> Result<V3Refusal, E> {
        let i = usize::from(cert_mode);
        if let Some(r) = lock(&self.v3_refusals)[i]
            .as_ref()
            .filter(|r| r.made.elapsed() < V3_REFUSAL_TTL)
        {
            return Ok(r.clone());
        }
        let fresh = make()?;
        lock(&self.v3_refusals)[i] = Some(fresh.clone());
        Ok(fresh)
    }
}

/// A place in the queue for a slot, left when dropped (also when the request is cancelled).
struct Queued<'a> {
    waiting: &'a AtomicUsize,
    /// Requests that were waiting when this one joined.
    ahead: usize,
}

impl<'a> Queued<'a> {
    fn join(waiting: &'a AtomicUsize) -> Self {
        let ahead = waiting.fetch_add(1, Ordering::Relaxed);
        Queued { waiting, ahead }
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.waiting.fetch_sub(1, Ordering::Relaxed);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Token buckets by app id. Only apps whose signature verified get one, so the map is
/// bounded by the configured apps.
struct Buckets {
    limit: RateLimit,
    apps: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Buckets {
    fn new(limit: RateLimit) -> Self {
        Buckets {
            limit,
            apps: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `app_id` may make one more request at `now` (and counts it if so).
    fn take(&self, app_id: &str, now: Instant) -> bool {
        let burst = f64::from(self.limit.burst.max(1));
        let mut apps = lock(&self.apps);
        let b = apps.entry(app_id.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let refill =
            now.saturating_duration_since(b.at).as_secs_f64() * f64::from(self.limit.per_sec);
        b.tokens = (b.tokens + refill).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let b = Buckets::new(RateLimit {
            per_sec: 10,
            burst: 3,
        });
        let t0 = Instant::now();
        assert!((0..3).all(|_| b.take("a", t0)));
        assert!(!b.take("a", t0), "past the burst");
        assert!(b.take("other", t0), "each app has its own bucket");
        // 10 per second: one more token after 100 ms, not before.
        assert!(!b.take("a", t0 + Duration::from_millis(50)));
        assert!(b.take("a", t0 + Duration::from_millis(150)));
        // A long pause refills only up to the burst.
        let later = t0 + Duration::from_secs(60);
        assert!((0..3).all(|_| b.take("a", later)));
        assert!(!b.take("a", later));
    }

    const WAIT: Duration = Duration::from_millis(30);

    #[tokio::test]
    async fn without_a_queue_slots_are_bounded_and_given_back() {
        let a = Admission::new(2, Duration::ZERO, None);
        let p1 = a.enter().await.unwrap();
        let _p2 = a.enter().await.unwrap();
        assert!(a.enter().await.is_none());
        drop(p1);
        assert!(a.enter().await.is_some());
        assert!(a.check_rate("anyone").is_ok(), "no limit configured");
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_waits_for_a_slot_freed_in_time() {
        let a = Arc::new(Admission::new(1, WAIT, None));
        let held = a.enter().await.unwrap();
        let waiter = tokio::spawn({
            let a = a.clone();
            async move { a.enter().await.is_some() }
        });
        tokio::time::sleep(WAIT / 2).await;
        drop(held);
        assert!(
            waiter.await.unwrap(),
            "refused although a slot came free in time"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_that_runs_out_is_refused() {
        let a = Admission::new(1, WAIT, None);
        let _held = a.enter().await.unwrap();
        let t = tokio::time::Instant::now();
        assert!(a.enter().await.is_none());
        assert_eq!(t.elapsed(), WAIT, "refused before its wait ran out");
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_queue_is_refused_at_once_and_a_cancelled_waiter_leaves_it() {
        let a = Arc::new(Admission::new(1, WAIT, None));
        let held = a.enter().await.unwrap();
        let wait = |a: &Arc<Admission>| {
            let a = a.clone();
            tokio::spawn(async move { a.enter().await.is_some() })
        };
        // One slot: QUEUE_PER_SLOT may wait.
        let first = wait(&a);
        let waiters: Vec<_> = (1..QUEUE_PER_SLOT).map(|_| wait(&a)).collect();
        tokio::task::yield_now().await;
        let t = tokio::time::Instant::now();
        assert!(a.enter().await.is_none(), "joined a full queue");
        assert_eq!(t.elapsed(), Duration::ZERO, "not refused at once");
        // A waiter whose request went away gives its place back.
        first.abort();
        let _ = first.await;
        let late = wait(&a);
        tokio::task::yield_now().await;
        drop(held);
        // The slot goes to the longest waiter, then the next as each finishes at once.
        for w in waiters {
            assert!(w.await.unwrap());
        }
        assert!(late.await.unwrap(), "the late waiter was not queued");
    }

    #[test]
    fn refusal_signatures_are_made_once() {
        let a = Admission::new(1, Duration::ZERO, None);
        let mut calls = 0;
        for _ in 0..3 {
            let s = a
                .v1_signature(SignType::Rsa2, Charset::Utf8, || {
                    calls += 1;
                    Ok::<_, ()>("sig".to_owned())
                })
                .unwrap();
            assert_eq!(&*s, "sig");
        }
        assert_eq!(calls, 1);
    }
}
