-- A row deferred into a period remembers the period it came from, so each period can list what
-- was deferred into it as well as out of it (DESIGN §12). Idempotent: safe to apply any number of times.
alter table recon_ledger add column if not exists deferred_from char(7);
create index if not exists recon_ledger_deferred_in
    on recon_ledger (org, period, row_id) where deferred_from is not null and moved_out_to is null;
-- Each row's matched observed cost and the cause of its part of the residual (billed − observed),
-- so a period can break its residual down by cause (grains/Domain/ResidualBreakdown.cs).
alter table recon_ledger add column if not exists observed numeric(20, 6) not null default 0;
alter table recon_ledger add column if not exists cause smallint not null default 7;
