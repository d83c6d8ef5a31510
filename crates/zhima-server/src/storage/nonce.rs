//! v3 replay protection: remembers each accepted (`app_id`, `nonce`) until its request
//! timestamp leaves the skew window (after that the timestamp check alone rejects a replay).
//!
//! Memory is bounded: entries are 64-bit keyed hashes (SipHash with a per-process random key,
//! so callers cannot aim collisions), and when `capacity` is reached the entry closest to
//! expiry is dropped (logged once per occurrence). A dropped nonce could be replayed until its
//! window ends; with the default capacity that needs more than half a million signed requests
//! inside one skew window. State is per process, which is right for SQLite (one process owns
//! the database); the PostgreSQL engine keeps nonces in a table instead.

use std::cmp::Reverse;
use std::collections::hash_map::RandomState;
use std::collections::{BinaryHeap, HashMap};
use std::hash::BuildHasher;
use std::sync::Mutex;

/// Default number of remembered nonces (~40 bytes each).
pub(crate) const DEFAULT_NONCE_CAPACITY: usize = 524_288;

struct Inner {
    /// key → expiry (epoch ms).
    seen: HashMap<u64, i64>,
    /// (expiry, key), soonest first; may hold stale entries for keys re-inserted later.
    expiries: BinaryHeap<Reverse<(i64, u64)>>,
}

/// The set of recently used nonces.
pub(crate) struct NonceCache {
    hasher: RandomState,
    capacity: usize,
    inner: Mutex<Inner>,
}

impl NonceCache {
    pub(crate) fn new(capacity: usize) -> Self {
        NonceCache {
            hasher: RandomState::new(),
            capacity: capacity.max(1),
            inner: Mutex::new(Inner {
                seen: HashMap::new(),
                expiries: BinaryHeap::new(),
            }),
        }
    }

    /// Records (`app_id`, `nonce`) as used until `expires_ms`; `false` when it was already
    /// used and has not expired at `now_ms` (a replay).
    pub(crate) fn check_and_insert(
        &self,
        app_id: &str,
        nonce: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> bool {
        let key = self.hasher.hash_one((app_id, nonce));
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        inner.evict_expired(now_ms);
        if inner.seen.get(&key).is_some_and(|&exp| exp >= now_ms) {
            return false;
        }
        if inner.seen.len() >= self.capacity {
            if let Some(dropped) = inner.evict_soonest() {
                tracing::warn!(
                    capacity = self.capacity,
                    dropped_expiry_ms = dropped,
                    "nonce cache full: forgetting the nonce closest to expiry"
                );
            }
        }
        inner.seen.insert(key, expires_ms);
        inner.expiries.push(Reverse((expires_ms, key)));
        true
    }

    /// Number of remembered nonces.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.lock().unwrap().seen.len()
    }
}

impl Inner {
    fn evict_expired(&mut self, now_ms: i64) {
        while let Some(&Reverse((exp, key))) = self.expiries.peek() {
            if exp >= now_ms {
                break;
            }
            self.expiries.pop();
            // Only drop the live entry if this heap record is its current expiry.
            if self.seen.get(&key) == Some(&exp) {
                self.seen.remove(&key);
            }
        }
    }

    /// Drops the live entry with the soonest expiry; returns that expiry.
    fn evict_soonest(&mut self) -> Option<i64> {
        while let Some(Reverse((exp, key))) = self.expiries.pop() {
            if self.seen.get(&key) == Some(&exp) {
                self.seen.remove(&key);
                return Some(exp);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_accepted_once_per_app_until_it_expires() {
        let c = NonceCache::new(16);
        assert!(c.check_and_insert("app1", "n1", 1_000, 0));
        assert!(!c.check_and_insert("app1", "n1", 1_000, 500));
        // Another app may use the same nonce.
        assert!(c.check_and_insert("app2", "n1", 1_000, 500));
        // After expiry the entry is gone (the timestamp check guards that period).
        assert!(c.check_and_insert("app1", "n1", 3_000, 1_001));
        assert!(!c.check_and_insert("app1", "n1", 3_000, 2_000));
    }

    #[test]
    fn capacity_bounds_memory_by_dropping_the_soonest_expiry() {
        let c = NonceCache::new(3);
        assert!(c.check_and_insert("a", "1", 100, 0));
        assert!(c.check_and_insert("a", "2", 300, 0));
        assert!(c.check_and_insert("a", "3", 200, 0));
        assert!(c.check_and_insert("a", "4", 400, 0));
        assert_eq!(c.len(), 3);
        // "1" (soonest expiry) was forgotten; the others are still replays.
        assert!(c.check_and_insert("a", "1", 100, 0));
        assert!(!c.check_and_insert("a", "4", 400, 0));
        assert!(!c.check_and_insert("a", "2", 300, 0));
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn expired_entries_are_swept_on_insert() {
        let c = NonceCache::new(100);
        for i in 0..50 {
            assert!(c.check_and_insert("a", &i.to_string(), 10, 0));
        }
        assert!(c.check_and_insert("a", "late", 1_000, 11));
        assert_eq!(c.len(), 1);
    }
}
