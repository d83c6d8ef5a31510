//! Apps recently read, kept for a short while: every signed request starts by loading its app,
//! and a read transaction for it (a hand-off to a blocking thread and back) cost more CPU than
//! the rest of a request's reads together. Also how long the compiled state machines are kept
//! ([`MACHINE_CACHE_TTL`]; the cache itself is `domain::state_sync::MachineCache`).

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use crate::domain::entities::App;

/// How long an app read from storage is used without reading it again. An edit made through
/// this process empties the cache at once; one made by another process sharing the database
/// (PostgreSQL) is seen within this time.
pub const APP_CACHE_TTL: Duration = Duration::from_secs(1);

/// How long the compiled state machines are used before the stored services are read again
/// (`Storage::sync_state`): the same bound as apps', for the same reason.
pub const MACHINE_CACHE_TTL: Duration = APP_CACHE_TTL;

/// Only apps that exist are kept (forged `app_id`s cannot grow it), so its size is bounded by
/// the configured apps.
#[derive(Default)]
pub(super) struct AppCache {
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Bumped by every clear, so a read that started before an edit cannot store what it read.
    generation: u64,
    apps: HashMap<String, (App, Instant)>,
}

impl AppCache {
    /// The cached app, if read less than [`APP_CACHE_TTL`] ago.
    pub(super) fn get(&self, app_id: &str) -> Option<App> {
        let inner = self.inner.read().unwrap_or_else(|p| p.into_inner());
        inner
            .apps
            .get(app_id)
            .filter(|(_, read_at)| read_at.elapsed() < APP_CACHE_TTL)
            .map(|(app, _)| app.clone())
    }

    /// The generation to pass to [`AppCache::insert`] for a read starting now.
    pub(super) fn generation(&self) -> u64 {
        self.inner
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .generation
    }

    /// Keeps `app`, read in `generation`, unless the cache was cleared since.
    pub(super) fn insert(&self, generation: u64, app: &App) {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        if inner.generation == generation {
            inner
                .apps
                .insert(app.app_id.clone(), (app.clone(), Instant::now()));
        }
    }

    /// Forgets everything (an app may have changed).
    pub(super) fn clear(&self) {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        inner.generation += 1;
        inner.apps.clear();
    }
}
