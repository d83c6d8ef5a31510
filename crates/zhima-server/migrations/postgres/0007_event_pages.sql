-- zhima schema: an agreement's events numbered 1, 2, 3… in the order they were appended, so
-- a page of its ledger (cumulate.query detail, the card, the console) is one range of this
-- index whatever the page number and however many events other agreements have since: no
-- OFFSET walk over the skipped rows, and no plan that walks the whole table backwards by
-- `seq` filtering on the agreement (what the planner picked for `ORDER BY seq DESC LIMIT 20`
-- of an agreement holding most of the table, once others' events followed its last ones).
ALTER TABLE cumulation_events ADD COLUMN agreement_seq BIGINT NOT NULL DEFAULT 0;
UPDATE cumulation_events SET agreement_seq = numbered.n
FROM (SELECT seq, row_number() OVER (PARTITION BY agreement_no ORDER BY seq) AS n
      FROM cumulation_events) AS numbered
WHERE cumulation_events.seq = numbered.seq;
CREATE UNIQUE INDEX cumulation_events_by_agreement_seq
    ON cumulation_events (agreement_no, agreement_seq);
