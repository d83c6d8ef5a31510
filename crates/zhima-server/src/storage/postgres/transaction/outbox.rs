//! The notification outbox on PostgreSQL (PRODUCT §12, §15). Several `zhima serve` processes
//! claim at once: due rows are locked `FOR UPDATE SKIP LOCKED` and leased in the same
//! statement's transaction, so each row is claimed by one process per lease (one delivery per
//! attempt); a lease left by a dead process expires and the row is claimed again.

use postgres::Row;

use crate::domain::entities::Time;
use crate::domain::notify::{
    AttemptUpdate, NewNotification, NotificationFilter, NotifyStatus, StoredNotification,
};
use crate::domain::query::Page;
use crate::error::Result;
use crate::storage::outbox::{OutboxReadTx, OutboxTx};

use super::rows::*;
use super::PgTx;

const COLUMNS: &str = "seq, notify_id, notify_type, app_id, partner_id, agreement_no, notify_url,
    url_from_request, biz_content, status, attempts, created_ms, next_attempt_ms,
    last_attempt_ms, last_error, delivered_ms";

fn row(r: &Row) -> Result<StoredNotification> {
    let ty: String = get(r, 2)?;
    let status: String = get(r, 9)?;
    let opt_time = |v: Option<i64>| v.map(time).transpose();
    Ok(StoredNotification {
        seq: get(r, 0)?,
        row: NewNotification {
            notify_id: get(r, 1)?,
            notify_type: parse(&ty)?,
            app_id: get(r, 3)?,
            partner_id: get(r, 4)?,
            agreement_no: get(r, 5)?,
            notify_url: get(r, 6)?,
            url_from_request: get(r, 7)?,
            biz_content: get(r, 8)?,
            created: time(get(r, 11)?)?,
        },
        status: parse(&status)?,
        attempts: i64::from(get::<i32>(r, 10)?),
        next_attempt: time(get(r, 12)?)?,
        last_attempt: opt_time(get(r, 13)?)?,
        last_error: get(r, 14)?,
        delivered: opt_time(get(r, 15)?)?,
    })
}

impl OutboxReadTx for PgTx<'_> {
    fn notifications(
        &mut self,
        filter: &NotificationFilter,
        page: Page,
    ) -> Result<Vec<StoredNotification>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM notifications
             WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR agreement_no = $2)
               AND ($3::text IS NULL OR app_id = $3)
             ORDER BY seq DESC LIMIT $4 OFFSET $5"
        );
        let status = filter.status.map(NotifyStatus::as_str);
        self.all(
            &sql,
            &[
                &status,
                &filter.agreement_no,
                &filter.app_id,
                &page.size,
                &page.offset(),
            ],
            row,
        )
    }

    fn notification(&mut self, notify_id: &str) -> Result<Option<StoredNotification>> {
        let sql = format!("SELECT {COLUMNS} FROM notifications WHERE notify_id = $1");
        self.first(&sql, &[&notify_id], row)
    }

    fn notification_backlog(&mut self) -> Result<i64> {
        let r = self.opt(
            "SELECT count(*) FROM notifications WHERE status = 'PENDING'",
            &[],
        )?;
        r.map_or(Ok(0), |r| get(&r, 0))
    }
}

/// Due now with attempts from zero; a row still `PENDING` (maybe in flight under a lease)
/// only becomes due now, so no second claim runs beside the first.
const REDELIVER_SQL: &str = "UPDATE notifications SET
       attempts = CASE WHEN status = 'PENDING' THEN attempts ELSE 0 END,
       next_attempt_ms = CASE WHEN status = 'PENDING' AND next_attempt_ms < $2
                              THEN next_attempt_ms ELSE $2 END,
       status = 'PENDING'
     WHERE notify_id = $1";

impl OutboxTx for PgTx<'_> {
    fn app_notify_url(&mut self, app_id: &str) -> Result<Option<String>> {
        let r = self.opt("SELECT notify_url FROM apps WHERE app_id = $1", &[&app_id])?;
        r.map_or(Ok(None), |r| get(&r, 0))
    }

    fn enqueue_notification(&mut self, n: &NewNotification) -> Result<()> {
        self.exec(
            "INSERT INTO notifications (notify_id, notify_type, app_id, partner_id, agreement_no,
               notify_url, url_from_request, biz_content, status, attempts, created_ms, next_attempt_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'PENDING', 0, $9, $9)",
            &[
                &n.notify_id,
                &n.notify_type.as_str(),
                &n.app_id,
                &n.partner_id,
                &n.agreement_no,
                &n.notify_url,
                &n.url_from_request,
                &n.biz_content,
                &ms(&n.created),
            ],
        )?;
        Ok(())
    }

    fn claim_notifications(
        &mut self,
        due_ms: i64,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
    ) -> Result<Vec<StoredNotification>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM notifications n
             WHERE status = 'PENDING' AND next_attempt_ms <= $1 AND claimed_until_ms < $2
               AND NOT EXISTS (SELECT 1 FROM notifications e
                               WHERE e.agreement_no = n.agreement_no AND e.seq < n.seq
                                 AND e.status = 'PENDING')
             ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED"
        );
        let claimed = self.all(&sql, &[&due_ms, &now_ms, &limit], row)?;
        if !claimed.is_empty() {
            let seqs: Vec<i64> = claimed.iter().map(|c| c.seq).collect();
            self.exec(
                "UPDATE notifications SET claimed_until_ms = $1 WHERE seq = ANY($2)",
                &[&lease_until_ms, &seqs],
            )?;
        }
        Ok(claimed)
    }

    fn record_attempt(&mut self, notify_id: &str, u: &AttemptUpdate, at: &Time) -> Result<bool> {
        let attempts = i32::try_from(u.attempts).unwrap_or(i32::MAX);
        let next = u.next_attempt.as_ref().map_or(ms(at), ms);
        let delivered = (u.status == NotifyStatus::Delivered).then(|| ms(at));
        let n = self.exec(
            "UPDATE notifications SET status = $2, attempts = $3, next_attempt_ms = $4,
               claimed_until_ms = 0, last_attempt_ms = $5, last_error = $6,
               delivered_ms = COALESCE($7, delivered_ms)
             WHERE notify_id = $1 AND status = 'PENDING'",
            &[
                &notify_id,
                &u.status.as_str(),
                &attempts,
                &next,
                &ms(at),
                &u.error,
                &delivered,
            ],
        )?;
        Ok(n == 1)
    }

    fn release_claim(&mut self, notify_id: &str, lease_until_ms: i64) -> Result<bool> {
        let n = self.exec(
            "UPDATE notifications SET claimed_until_ms = 0
             WHERE notify_id = $1 AND status = 'PENDING' AND claimed_until_ms = $2",
            &[&notify_id, &lease_until_ms],
        )?;
        Ok(n == 1)
    }

    fn redeliver_notification(&mut self, notify_id: &str, due: &Time) -> Result<bool> {
        let n = self.exec(REDELIVER_SQL, &[&notify_id, &ms(due)])?;
        Ok(n == 1)
    }
}
