-- zhima SQLite schema, version 3: the Zhima GO lifecycle (PRODUCT §11) — templates created
-- through template.create, users' admittance, preorders, signing, settlement refunds and
-- unfreezes. Times are Unix epoch milliseconds on the sandbox clock (business time); money is
-- integer fen.

-- A template created by template.create belongs to its merchant (`partner_id`); templates
-- declared by the configuration file have no owner (NULL) and serve every merchant as before.
ALTER TABLE templates ADD COLUMN partner_id TEXT;
ALTER TABLE templates ADD COLUMN out_biz_no TEXT;        -- basic_config.out_biz_no (idempotency key)
ALTER TABLE templates ADD COLUMN blocks TEXT;            -- the seven config blocks as sent (JSON)
ALTER TABLE templates ADD COLUMN fingerprint TEXT;       -- of the create request's content
ALTER TABLE templates ADD COLUMN freeze_amount INTEGER NOT NULL DEFAULT 0;
ALTER TABLE templates ADD COLUMN created_ms INTEGER;
-- open_config.period_mode / period_time as sent; NULL: period_days (config) or 30 days [ours].
ALTER TABLE templates ADD COLUMN period_mode TEXT;
ALTER TABLE templates ADD COLUMN period_time TEXT;
CREATE UNIQUE INDEX templates_by_out_biz_no ON templates (partner_id, out_biz_no)
    WHERE out_biz_no IS NOT NULL;

-- pre.consult admittance; a user absent here is admitted.
CREATE TABLE zmgo_users (
    user_id     TEXT PRIMARY KEY,
    admitted    INTEGER NOT NULL
);

CREATE TABLE preorders (
    preorder_no     TEXT PRIMARY KEY,
    partner_id      TEXT NOT NULL,
    out_request_no  TEXT NOT NULL,
    template_no     TEXT NOT NULL REFERENCES templates (template_no),
    user_id         TEXT,
    open_id         TEXT,
    status          TEXT NOT NULL CHECK (status IN ('WAIT_SIGN', 'SIGNED', 'CLOSED', 'EXPIRED')),
    freeze_amount   INTEGER,                 -- NULL: not given (the template's applies)
    request         TEXT NOT NULL,           -- JSON of the validated request
    fingerprint     TEXT NOT NULL,
    created_ms      INTEGER NOT NULL,
    expires_ms      INTEGER NOT NULL,
    agreement_no    TEXT,                    -- set when signed
    biz_opt_no      TEXT,                    -- set when closed
    closed_ms       INTEGER,
    UNIQUE (partner_id, out_request_no)
);
CREATE INDEX preorders_due ON preorders (expires_ms) WHERE status = 'WAIT_SIGN';

-- One agreement per preorder: fifty concurrent signs of one preorder create one agreement.
ALTER TABLE agreements ADD COLUMN preorder_no TEXT;
ALTER TABLE agreements ADD COLUMN sign_time_ms INTEGER;
ALTER TABLE agreements ADD COLUMN freeze_amount INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX agreements_by_preorder ON agreements (preorder_no) WHERE preorder_no IS NOT NULL;

CREATE TABLE settlement_refunds (
    seq                 INTEGER PRIMARY KEY,
    partner_id          TEXT NOT NULL,
    out_request_no      TEXT NOT NULL,
    agreement_no        TEXT NOT NULL,
    withhold_plan_no    TEXT NOT NULL,
    refund_opt_no       TEXT NOT NULL UNIQUE,
    refund_amount       INTEGER NOT NULL CHECK (refund_amount > 0),
    request             TEXT NOT NULL,
    fingerprint         TEXT NOT NULL,
    created_ms          INTEGER NOT NULL,
    UNIQUE (partner_id, out_request_no)
);
CREATE INDEX settlement_refunds_by_agreement ON settlement_refunds (agreement_no);

CREATE TABLE unfreezes (
    seq                 INTEGER PRIMARY KEY,
    partner_id          TEXT NOT NULL,
    out_request_no      TEXT NOT NULL,
    agreement_no        TEXT NOT NULL,
    unfreeze_amount     INTEGER NOT NULL CHECK (unfreeze_amount > 0),
    request             TEXT NOT NULL,
    fingerprint         TEXT NOT NULL,
    created_ms          INTEGER NOT NULL,
    UNIQUE (partner_id, out_request_no)
);
CREATE INDEX unfreezes_by_agreement ON unfreezes (agreement_no);

-- sign.apply's page: a one-time consent token per rendered page (only its hash is kept).
CREATE TABLE sign_consents (
    token_hash      TEXT PRIMARY KEY,
    app_id          TEXT NOT NULL,
    partner_id      TEXT NOT NULL,
    request         TEXT NOT NULL,           -- JSON of the validated sign.apply request
    return_url      TEXT,
    expires_ms      INTEGER NOT NULL,        -- real time: a form token, not a business time
    used_ms         INTEGER
);
