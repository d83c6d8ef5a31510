-- zhima schema: notifications to merchants (PRODUCT §12). The outbox row is written in the
-- transaction of the change that causes it; the delivery worker claims due rows (a lease in
-- real time, so a crashed claimer's rows come back), posts them and records each attempt.
ALTER TABLE apps ADD COLUMN notify_url TEXT;
-- The app that receives an agreement's notifications (its signer, or `app_id` in the file).
ALTER TABLE agreements ADD COLUMN app_id TEXT;

CREATE TABLE notifications (
    seq               BIGSERIAL PRIMARY KEY,   -- order per agreement
    notify_id         TEXT NOT NULL UNIQUE,
    notify_type       TEXT NOT NULL,
    app_id            TEXT NOT NULL,
    partner_id        TEXT NOT NULL,
    agreement_no      TEXT NOT NULL,
    notify_url        TEXT NOT NULL,
    url_from_request  BOOLEAN NOT NULL,                    -- the allowed-hosts check applies
    biz_content       TEXT NOT NULL,
    status            TEXT NOT NULL,                       -- PENDING, DELIVERED, FAILED
    attempts          INTEGER NOT NULL DEFAULT 0,
    created_ms        BIGINT NOT NULL,                    -- business time
    next_attempt_ms   BIGINT NOT NULL,                    -- business time; due when passed
    claimed_until_ms  BIGINT NOT NULL DEFAULT 0,          -- real time: a claim's lease
    last_attempt_ms   BIGINT,                             -- business time
    last_error        TEXT,
    delivered_ms      BIGINT                              -- business time
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_ms);
CREATE INDEX notifications_by_agreement ON notifications (agreement_no, seq);
CREATE INDEX notifications_by_app ON notifications (app_id, seq);
