-- Rows' claims on observed money across a month boundary (grain-interfaces ResidualClaims): kept
-- beside the partitions' observed contributions of a period, told apart by the cause they name.
alter table period_observed add column if not exists cause smallint;
