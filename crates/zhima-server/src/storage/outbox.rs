//! The notification outbox (PRODUCT §12), once for every engine: the part of the storage
//! contract it needs ([`OutboxReadTx`], [`OutboxTx`], supertraits of
//! [`ReadTx`](super::ReadTx) / [`WriteTx`]), [`emit`] (called by the lifecycle commands inside
//! their write job, so the row commits with the change or not at all) and the [`Storage`]
//! operations the delivery worker and the admin API use.
//!
//! Claims: the worker claims due rows by setting a lease (`claimed_until_ms`, real time) in a
//! short write transaction (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so processes claim disjoint
//! rows), posts outside any transaction, then records the attempt. A process that dies between
//! claim and record leaves a lease that expires, and the row is claimed again (at least once).
//! Only the oldest pending row of an agreement is claimable (in order per agreement).

use crate::domain::entities::Time;
use crate::domain::notify::{
    self, AttemptOutcome, Event, NewNotification, NotificationFilter, StoredNotification,
};
use crate::domain::query::Page;
use crate::error::Result;

use super::engine::WriteTx;
use super::handle::Storage;

/// Outbox reads, in a read or a write transaction.
pub trait OutboxReadTx {
    /// A page of notifications matching `filter`, newest first.
    fn notifications(
        &mut self,
        filter: &NotificationFilter,
        page: Page,
    ) -> Result<Vec<StoredNotification>>;

    /// One notification.
    fn notification(&mut self, notify_id: &str) -> Result<Option<StoredNotification>>;

    /// How many notifications are `PENDING` (the backlog).
    fn notification_backlog(&mut self) -> Result<i64>;
}

/// Outbox writes, inside one write transaction.
pub trait OutboxTx: OutboxReadTx {
    /// The app's configured `notify_url`.
    fn app_notify_url(&mut self, app_id: &str) -> Result<Option<String>>;

    /// Writes a new `PENDING` row, due at its creation time.
    fn enqueue_notification(&mut self, n: &NewNotification) -> Result<()>;

    /// Up to `limit` `PENDING` rows due at business time `due_ms` whose lease ended before
    /// real time `now_ms` and that are the oldest pending row of their agreement, oldest
    /// first; leases them until `lease_until_ms`. A multi-process engine skips rows another
    /// transaction holds.
    fn claim_notifications(
        &mut self,
        due_ms: i64,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
    ) -> Result<Vec<StoredNotification>>;

    /// Stores an attempt's result (and ends the lease); `false` when the row is no longer
    /// `PENDING` (nothing written).
    fn record_attempt(
        &mut self,
        notify_id: &str,
        update: &notify::AttemptUpdate,
        at: &Time,
    ) -> Result<bool>;

    /// Ends the lease `lease_until_ms` of a claimed row that was not attempted (a row since
    /// claimed by someone else keeps its lease); `false` when nothing changed.
    fn release_claim(&mut self, notify_id: &str, lease_until_ms: i64) -> Result<bool>;

    /// Makes the notification `PENDING` again, due at `due`, attempts from zero, same
    /// `notify_id`; `false` when there is no such notification.
    fn redeliver_notification(&mut self, notify_id: &str, due: &Time) -> Result<bool>;
}

/// What one claim took: the rows, and the lease they hold (real time, epoch milliseconds).
#[derive(Debug)]
pub struct Claimed {
    /// The claimed rows, oldest first (at most one per agreement).
    pub rows: Vec<StoredNotification>,
    /// When the claim's lease ends.
    pub lease_until_ms: i64,
}

/// How one attempt ended, to be recorded by [`Storage::record_attempts`].
#[derive(Debug)]
pub struct AttemptRecord {
    /// The notification.
    pub notify_id: String,
    /// Its attempts before this one.
    pub attempts_before: i64,
    /// How the attempt ended.
    pub outcome: AttemptOutcome,
    /// When it ended (business time).
    pub at: Time,
}

/// Writes `event`'s outbox row for `app_id` (none: nobody to tell) inside the caller's write
/// job, routed to the request's `notify_url` or the app's.
pub(crate) fn emit(
    tx: &mut dyn WriteTx,
    event: Event,
    app_id: Option<&str>,
    request_url: Option<&str>,
    now: &Time,
) -> Result<()> {
    let Some(app_id) = app_id else {
        return Ok(());
    };
    let app_url = tx.app_notify_url(app_id)?;
    let row = notify::route(
        event,
        app_id,
        request_url,
        app_url.as_deref(),
        now,
        notify::new_notify_id(),
    );
    match row {
        Some(row) => tx.enqueue_notification(&row),
        None => Ok(()),
    }
}

impl Storage {
    /// Claims up to `limit` due notifications at business time `due` for `lease` of real
    /// time (see the module doc).
    pub async fn claim_notifications(
        &self,
        due: Time,
        lease: std::time::Duration,
        limit: i64,
    ) -> Result<Claimed> {
        let now_ms = zhima_proto::time::now_alipay().timestamp_millis();
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 4);
        let lease_until_ms = now_ms + lease_ms;
        let due_ms = due.timestamp_millis();
        let rows = self
            .write(move |tx| tx.claim_notifications(due_ms, now_ms, lease_until_ms, limit))
            .await?;
        Ok(Claimed {
            rows,
            lease_until_ms,
        })
    }

    /// Records, in ONE write job, how the `attempts` of one claim ended (by the retry
    /// schedule of [`notify::after_attempt`]) and gives back the `released` rows that were
    /// not attempted (claimable again at once, unless another claim took them meanwhile);
    /// how many attempts were recorded (a row no longer `PENDING` is skipped).
    pub async fn record_attempts(
        &self,
        attempts: Vec<AttemptRecord>,
        released: Vec<String>,
        lease_until_ms: i64,
    ) -> Result<usize> {
        if attempts.is_empty() && released.is_empty() {
            return Ok(0);
        }
        let recorded = self
            .write(move |tx| {
                let mut recorded = 0;
                for a in &attempts {
                    let update = notify::after_attempt(a.attempts_before, &a.outcome, &a.at);
                    recorded += usize::from(tx.record_attempt(&a.notify_id, &update, &a.at)?);
                }
                for notify_id in &released {
                    tx.release_claim(notify_id, lease_until_ms)?;
                }
                Ok(recorded)
            })
            .await?;
        self.wake_outbox();
        Ok(recorded)
    }

    /// Makes a notification due again now (business time), same `notify_id`; `false` when
    /// unknown.
    pub async fn redeliver_notification(&self, notify_id: &str) -> Result<bool> {
        let id = notify_id.to_owned();
        let due = self.clock().await?.business_time;
        let done = self
            .write(move |tx| tx.redeliver_notification(&id, &due))
            .await?;
        self.wake_outbox();
        Ok(done)
    }

    /// A page of notifications matching `filter`, newest first.
    pub async fn notifications(
        &self,
        filter: NotificationFilter,
        page: Page,
    ) -> Result<Vec<StoredNotification>> {
        self.read(move |tx| tx.notifications(&filter, page)).await
    }

    /// One notification.
    pub async fn notification(&self, notify_id: &str) -> Result<Option<StoredNotification>> {
        let id = notify_id.to_owned();
        self.read(move |tx| tx.notification(&id)).await
    }

    /// How many notifications are `PENDING`.
    pub async fn notification_backlog(&self) -> Result<i64> {
        self.read(|tx| tx.notification_backlog()).await
    }
}
