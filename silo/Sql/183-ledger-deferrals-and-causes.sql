-- A row deferred into a period remembers the period it came from, so each period can list what
-- was deferred into it as well as out of it (DESIGN §12). Idempotent: safe to apply any number of times.
alter table recon_ledger add column if not exists deferred_from char(7);
create index if not exists recon_ledger_deferred_in
    on recon_ledger (org, period, row_id) where deferred_from is not null and moved_out_to is null;
-- Each row's matched observed cost and the cause of its part of the residual (billed − observed),
-- so a period can break its residual down by cause (grains/Domain/ResidualBreakdown.cs).
alter table recon_ledger add column if not exists observed numeric(20, 6) not null default 0;
alter table recon_ledger add column if not exists cause smallint not null default 7;
-- What the exports need of each row beside its money (FOCUS and plain CSV are read from the ledger
-- in keyset pages, never from the row grains).
alter table recon_ledger add column if not exists external_id text;
alter table recon_ledger add column if not exists subject_key text;
alter table recon_ledger add column if not exists account text;
alter table recon_ledger add column if not exists kind smallint not null default 0;
alter table recon_ledger add column if not exists list_amount numeric(20, 6);
alter table recon_ledger add column if not exists description text;
alter table recon_ledger add column if not exists note text;
create index if not exists recon_ledger_export on recon_ledger (org, period, status, row_id) where moved_out_to is null;
-- A row confirmed against the contract (a provider without telemetry) counts as observed at what was billed.
alter table recon_ledger add column if not exists by_contract boolean not null default false;
