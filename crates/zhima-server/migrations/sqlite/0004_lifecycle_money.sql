-- zhima schema: the money half of the lifecycle (PRODUCT §11). settle.refund finds the
-- settlement by (agreement_id, withhold_plan_no) and sums its refunds; settle.unfreeze sums
-- an agreement's unfreezes (indexes from 0003).
CREATE INDEX settlements_by_agreement ON settlements (agreement_no, withhold_plan_no);
CREATE INDEX settlement_refunds_by_plan ON settlement_refunds (agreement_no, withhold_plan_no);
