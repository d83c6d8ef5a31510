-- zhima PostgreSQL schema, version 1 (the SQLite schema's twin; applied under an advisory lock).
-- Times are Unix epoch milliseconds; money is integer fen.
-- Ledger tables are append-only; *_totals tables are derived and updated in the same
-- transaction as the event they reflect.

CREATE TABLE apps (
    app_id          TEXT PRIMARY KEY,
    partner_id      TEXT NOT NULL,
    public_key_pem  TEXT NOT NULL,
    app_cert_sn     TEXT,
    encrypt_key     TEXT,
    sign_types      TEXT NOT NULL,              -- comma-separated: RSA2,RSA
    enabled         BOOLEAN NOT NULL
);

CREATE TABLE app_auth_tokens (
    token           TEXT PRIMARY KEY,
    app_id          TEXT NOT NULL,
    partner_id      TEXT NOT NULL,
    expires_at_ms   BIGINT NOT NULL
);

CREATE TABLE templates (
    template_no          TEXT PRIMARY KEY,
    mode                 TEXT NOT NULL CHECK (mode IN ('DECOUPLED', 'BOUND')),
    obligation_times     BIGINT,
    obligation_amount    BIGINT,
    period_days          BIGINT,
    settle_check         BOOLEAN NOT NULL,
    settle_tolerance     BIGINT NOT NULL
);

CREATE TABLE agreements (
    agreement_no    TEXT PRIMARY KEY,
    template_no     TEXT NOT NULL REFERENCES templates (template_no),
    user_id         TEXT,
    open_id         TEXT,
    partner_id      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('Y', 'P', 'N')),
    start_time_ms   BIGINT NOT NULL,
    end_time_ms     BIGINT NOT NULL,
    settled         BOOLEAN NOT NULL DEFAULT FALSE   -- set by settle.apply; config upserts keep N
);
CREATE INDEX agreements_by_user ON agreements (user_id);
CREATE INDEX agreements_by_open_id ON agreements (open_id);

CREATE TABLE trades (
    trade_no            TEXT PRIMARY KEY,
    buyer_user_id       TEXT NOT NULL,
    seller_partner_id   TEXT NOT NULL,
    amount              BIGINT NOT NULL
);

CREATE TABLE cumulation_events (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id      TEXT NOT NULL,
    out_biz_no      TEXT NOT NULL,
    agreement_no    TEXT NOT NULL,
    user_id         TEXT,
    open_id         TEXT,
    biz_action      TEXT NOT NULL,
    pay_out_biz_no  TEXT,
    biz_time_ms     BIGINT NOT NULL,
    data_type       TEXT NOT NULL,
    amount_name     TEXT,
    task_name       TEXT,
    trade_no        TEXT,
    trade_amount    BIGINT NOT NULL,
    discounts       TEXT NOT NULL,              -- JSON [[type, name, fen], ...]
    task_count      BIGINT NOT NULL,
    fingerprint     TEXT NOT NULL,
    received_at_ms  BIGINT NOT NULL,
    UNIQUE (partner_id, out_biz_no)             -- exactly-once, enforced by the database
);
CREATE INDEX cumulation_events_by_agreement ON cumulation_events (agreement_no, seq);
CREATE INDEX cumulation_events_by_payment ON cumulation_events (partner_id, pay_out_biz_no)
    WHERE pay_out_biz_no IS NOT NULL;

CREATE TABLE agreement_totals (
    agreement_no            TEXT PRIMARY KEY,
    trade_amount            BIGINT NOT NULL,
    discount_amount         BIGINT NOT NULL,
    task_count              BIGINT NOT NULL,
    event_count             BIGINT NOT NULL,
    paid_count              BIGINT NOT NULL,
    fully_refunded_count    BIGINT NOT NULL
);

CREATE TABLE agreement_discount_totals (
    agreement_no    TEXT NOT NULL,
    discount_type   TEXT NOT NULL,
    discount_name   TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    PRIMARY KEY (agreement_no, discount_type, discount_name)
);

CREATE TABLE agreement_task_totals (
    agreement_no    TEXT NOT NULL,
    task_name       TEXT NOT NULL,
    task_count      BIGINT NOT NULL,
    PRIMARY KEY (agreement_no, task_name)
);

CREATE TABLE state_services (
    service_id      TEXT PRIMARY KEY,
    config          TEXT NOT NULL                -- JSON of ServiceConfig
);

CREATE TABLE state_instances (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id          TEXT NOT NULL,
    category_code       TEXT NOT NULL,
    user_id             TEXT NOT NULL,
    out_principal_id    TEXT NOT NULL,
    current_state       TEXT NOT NULL,
    created_at_ms       BIGINT NOT NULL,
    updated_at_ms       BIGINT NOT NULL,
    UNIQUE (service_id, category_code, user_id, out_principal_id)
);
CREATE INDEX state_instances_by_user ON state_instances (user_id);

CREATE TABLE state_events (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id      TEXT NOT NULL,
    out_biz_no      TEXT NOT NULL,
    instance_id     BIGINT NOT NULL REFERENCES state_instances (id),
    from_state      TEXT,
    to_state        TEXT NOT NULL,
    biz_data        TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    app_id          TEXT NOT NULL,
    received_at_ms  BIGINT NOT NULL,
    UNIQUE (service_id, out_biz_no)             -- exactly-once, enforced by the database
);
CREATE INDEX state_events_by_instance ON state_events (instance_id, seq);

CREATE TABLE settlements (
    seq                     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id              TEXT NOT NULL,
    out_request_no          TEXT NOT NULL,
    agreement_no            TEXT NOT NULL,
    withhold_plan_no        TEXT NOT NULL,
    pay_amount              BIGINT NOT NULL,
    action_type             TEXT NOT NULL,
    request                 TEXT NOT NULL,       -- JSON of the validated request
    fingerprint             TEXT NOT NULL,
    ledger_trade_amount     BIGINT NOT NULL,
    ledger_discount_amount  BIGINT NOT NULL,
    ledger_task_count       BIGINT NOT NULL,
    settled_at_ms           BIGINT NOT NULL,
    UNIQUE (partner_id, out_request_no)
);

CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms       BIGINT NOT NULL,
    app_id      TEXT,
    method      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    latency_us  BIGINT NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at_ms);

-- v3 replay protection shared by every process (PRODUCT §15): one row per accepted nonce
-- until its timestamp leaves the skew window; expired rows are swept periodically.
CREATE TABLE v3_nonces (
    app_id          TEXT NOT NULL,
    nonce           TEXT NOT NULL,
    expires_at_ms   BIGINT NOT NULL,
    PRIMARY KEY (app_id, nonce)
);
CREATE INDEX v3_nonces_by_expiry ON v3_nonces (expires_at_ms);
