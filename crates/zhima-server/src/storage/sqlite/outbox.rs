//! The notification outbox on SQLite (PRODUCT §12). One writer thread runs every claim, so a
//! claim's select-then-lease cannot interleave with another; the lease keeps this process's
//! next poll from claiming a row whose attempt is still in flight.

use rusqlite::{params, OptionalExtension, Row};

use super::records::{collect, conversion, ms, parse, time};
use super::transaction::SqliteTx;
use crate::domain::entities::Time;
use crate::domain::notify::{
    AttemptUpdate, NewNotification, NotificationFilter, NotifyStatus, StoredNotification,
};
use crate::domain::query::Page;
use crate::error::Result;
use crate::storage::outbox::{OutboxReadTx, OutboxTx};

const COLUMNS: &str = "seq, notify_id, notify_type, app_id, partner_id, agreement_no, notify_url,
    url_from_request, biz_content, status, attempts, created_ms, next_attempt_ms,
    last_attempt_ms, last_error, delivered_ms";

/// Due, unleased `PENDING` rows that are the oldest pending row of their agreement, oldest
/// first. Both lookups go through the PENDING-only indexes (migration 0006), so a claim's work
/// does not grow with the delivered history.
fn claim_sql() -> String {
    format!(
        "SELECT {COLUMNS} FROM notifications n
         WHERE status = 'PENDING' AND next_attempt_ms <= ?1 AND claimed_until_ms < ?2
           AND NOT EXISTS (SELECT 1 FROM notifications e
                           WHERE e.agreement_no = n.agreement_no AND e.seq < n.seq
                             AND e.status = 'PENDING')
         ORDER BY seq LIMIT ?3"
    )
}

fn row(r: &Row<'_>) -> rusqlite::Result<StoredNotification> {
    let ty: String = r.get(2)?;
    let status: String = r.get(9)?;
    let opt_time = |v: Option<i64>| v.map(time).transpose();
    Ok(StoredNotification {
        seq: r.get(0)?,
        row: NewNotification {
            notify_id: r.get(1)?,
            notify_type: ty.parse().map_err(conversion)?,
            app_id: r.get(3)?,
            partner_id: r.get(4)?,
            agreement_no: r.get(5)?,
            notify_url: r.get(6)?,
            url_from_request: r.get(7)?,
            biz_content: r.get(8)?,
            created: time(r.get(11)?)?,
        },
        status: parse::<NotifyStatus>(&status)?,
        attempts: r.get(10)?,
        next_attempt: time(r.get(12)?)?,
        last_attempt: opt_time(r.get(13)?)?,
        last_error: r.get(14)?,
        delivered: opt_time(r.get(15)?)?,
    })
}

impl OutboxReadTx for SqliteTx<'_> {
    fn notifications(
        &mut self,
        filter: &NotificationFilter,
        page: Page,
    ) -> Result<Vec<StoredNotification>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM notifications
             WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR agreement_no = ?2)
               AND (?3 IS NULL OR app_id = ?3)
             ORDER BY seq DESC LIMIT ?4 OFFSET ?5"
        );
        let status = filter.status.map(NotifyStatus::as_str);
        collect(self.0.prepare_cached(&sql)?.query_map(
            params![
                status,
                filter.agreement_no,
                filter.app_id,
                page.size,
                page.offset()
            ],
            row,
        )?)
    }

    fn notification(&mut self, notify_id: &str) -> Result<Option<StoredNotification>> {
        let sql = format!("SELECT {COLUMNS} FROM notifications WHERE notify_id = ?1");
        Ok(self
            .0
            .prepare_cached(&sql)?
            .query_row([notify_id], row)
            .optional()?)
    }

    fn notification_backlog(&mut self) -> Result<i64> {
        Ok(self
            .0
            .prepare_cached("SELECT count(*) FROM notifications WHERE status = 'PENDING'")?
            .query_row([], |r| r.get(0))?)
    }
}

impl OutboxTx for SqliteTx<'_> {
    fn app_notify_url(&mut self, app_id: &str) -> Result<Option<String>> {
        Ok(self
            .0
            .prepare_cached("SELECT notify_url FROM apps WHERE app_id = ?1")?
            .query_row([app_id], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }

    fn enqueue_notification(&mut self, n: &NewNotification) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO notifications (notify_id, notify_type, app_id, partner_id, agreement_no,
                   notify_url, url_from_request, biz_content, status, attempts, created_ms, next_attempt_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'PENDING', 0, ?9, ?9)",
            )?
            .execute(params![
                n.notify_id,
                n.notify_type.as_str(),
                n.app_id,
                n.partner_id,
                n.agreement_no,
                n.notify_url,
                n.url_from_request,
                n.biz_content,
                ms(&n.created),
            ])?;
        Ok(())
    }

    fn claim_notifications(
        &mut self,
        due_ms: i64,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
    ) -> Result<Vec<StoredNotification>> {
        let sql = claim_sql();
        let claimed = collect(
            self.0
                .prepare_cached(&sql)?
                .query_map(params![due_ms, now_ms, limit], row)?,
        )?;
        let mut lease = self
            .0
            .prepare_cached("UPDATE notifications SET claimed_until_ms = ?1 WHERE seq = ?2")?;
        for c in &claimed {
            lease.execute(params![lease_until_ms, c.seq])?;
        }
        Ok(claimed)
    }

    fn record_attempt(&mut self, notify_id: &str, u: &AttemptUpdate, at: &Time) -> Result<bool> {
        let next = u.next_attempt.as_ref().map_or(ms(at), ms);
        let delivered = (u.status == NotifyStatus::Delivered).then(|| ms(at));
        let n = self
            .0
            .prepare_cached(
                "UPDATE notifications SET status = ?2, attempts = ?3, next_attempt_ms = ?4,
                   claimed_until_ms = 0, last_attempt_ms = ?5, last_error = ?6,
                   delivered_ms = COALESCE(?7, delivered_ms)
                 WHERE notify_id = ?1 AND status = 'PENDING'",
            )?
            .execute(params![
                notify_id,
                u.status.as_str(),
                u.attempts,
                next,
                ms(at),
                u.error,
                delivered,
            ])?;
        Ok(n == 1)
    }

    fn release_claim(&mut self, notify_id: &str, lease_until_ms: i64) -> Result<bool> {
        let n = self
            .0
            .prepare_cached(
                "UPDATE notifications SET claimed_until_ms = 0
                 WHERE notify_id = ?1 AND status = 'PENDING' AND claimed_until_ms = ?2",
            )?
            .execute(params![notify_id, lease_until_ms])?;
        Ok(n == 1)
    }

    fn redeliver_notification(&mut self, notify_id: &str, due: &Time) -> Result<bool> {
        let n = self
            .0
            .prepare_cached(
                "UPDATE notifications SET
                   attempts = CASE WHEN status = 'PENDING' THEN attempts ELSE 0 END,
                   next_attempt_ms = CASE WHEN status = 'PENDING' AND next_attempt_ms < ?2
                                          THEN next_attempt_ms ELSE ?2 END,
                   status = 'PENDING'
                 WHERE notify_id = ?1",
            )?
            .execute(params![notify_id, ms(due)])?;
        Ok(n == 1)
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::{params, Connection, StatementStatus};

    use super::claim_sql;
    use crate::storage::sqlite::schema::migrate;

    /// 64 agreements with 20,000 delivered notifications between them and 10 pending each.
    fn outbox_with_history() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        let tx = conn.unchecked_transaction().unwrap();
        let mut insert = tx
            .prepare(
                "INSERT INTO notifications (notify_id, notify_type, app_id, partner_id,
                   agreement_no, notify_url, url_from_request, biz_content, status, attempts,
                   created_ms, next_attempt_ms)
                 VALUES (?1, 'zmgo_settle_unfreeze', 'app', 'partner', ?2, 'http://127.0.0.1/',
                   0, '{}', ?3, 1, ?4, ?4)",
            )
            .unwrap();
        for i in 0..20_640_i64 {
            let status = if i < 20_000 { "DELIVERED" } else { "PENDING" };
            insert
                .execute(params![format!("N{i}"), format!("A{}", i % 64), status, i])
                .unwrap();
        }
        drop(insert);
        tx.commit().unwrap();
        conn
    }

    #[test]
    fn a_claim_reads_pending_heads_only_however_long_the_history() {
        let conn = outbox_with_history();
        let mut claim = conn.prepare(&claim_sql()).unwrap();
        let seqs: Vec<i64> = claim
            .query_map(params![i64::MAX, i64::MAX, 64], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        // The oldest pending row of each agreement.
        assert_eq!(seqs, (20_001..=20_064).collect::<Vec<_>>());
        // Over the old indexes this took millions of steps (each pending row's check walked
        // its agreement's delivered history): seconds on the writer per claim.
        let steps = claim.get_status(StatementStatus::VmStep);
        assert!(steps < 20_000, "the claim took {steps} VM steps");
    }
}
