-- zhima schema: keep the notification claim cheap however long the history (PRODUCT §12).
-- The claim walks PENDING rows in seq order and skips any with an older PENDING row of the
-- same agreement. Over (status, next_attempt_ms) and (agreement_no, seq) that check scanned
-- the agreement's whole delivered history for every pending row: seconds per claim, on the
-- writer, once tens of thousands were delivered. Both indexes below hold PENDING rows only.
DROP INDEX notifications_due;
CREATE INDEX notifications_pending ON notifications (seq) WHERE status = 'PENDING';
CREATE INDEX notifications_pending_by_agreement ON notifications (agreement_no, seq)
    WHERE status = 'PENDING';
