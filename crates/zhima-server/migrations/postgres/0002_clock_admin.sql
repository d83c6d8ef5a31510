-- zhima PostgreSQL schema, version 2: the sandbox clock, platform secrets, agreement expiry.

-- The sandbox clock (PRODUCT §11): business time = real time + offset_ms. One row.
CREATE TABLE sandbox_clock (
    id          SMALLINT PRIMARY KEY CHECK (id = 1),
    offset_ms   BIGINT NOT NULL
);
INSERT INTO sandbox_clock (id, offset_ms) VALUES (1, 0);

-- Values every process sharing the database must agree on (PRODUCT §14): the admin token's
-- SHA-256 (hex), never the token itself.
CREATE TABLE platform_secrets (
    name    TEXT PRIMARY KEY,
    value   TEXT NOT NULL
);

-- Set when an agreement leaves Y by expiry (or unsign): the plan settle.apply must name.
ALTER TABLE agreements ADD COLUMN withhold_plan_no TEXT;
ALTER TABLE agreements ADD COLUMN quit_type TEXT;
ALTER TABLE agreements ADD COLUMN quit_time_ms BIGINT;
CREATE UNIQUE INDEX agreements_by_withhold_plan ON agreements (withhold_plan_no)
    WHERE withhold_plan_no IS NOT NULL;
-- The expiry sweep looks for Y agreements whose end has passed.
CREATE INDEX agreements_due ON agreements (end_time_ms) WHERE status = 'Y';
