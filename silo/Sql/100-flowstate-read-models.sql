-- Flowstate's own tables: the read models that need SQL (filtered, paginated lists; history).
-- Idempotent: safe to apply any number of times.

-- One period's ledger: the latest contribution of each billing row to each period it has been
-- in, versioned by the row's version. Written only by that period's grain; the guard on version
-- makes replayed or reordered pushes harmless.
create table if not exists recon_ledger (
    org          text        not null,
    period       char(7)     not null,
    row_id       text        not null,
    version      integer     not null,
    provider_id  text        not null,
    usage_date   date        not null,
    amount       numeric(20, 6) not null,
    status       smallint    not null,
    moved_out_to char(7),
    pushed_at    timestamptz not null default clock_timestamp(),
    primary key (org, period, row_id)
);
create index if not exists recon_ledger_inbox
    on recon_ledger (org, period, status, usage_date, row_id) where moved_out_to is null;
create index if not exists recon_ledger_deferred
    on recon_ledger (org, status, period) where moved_out_to is null and status = 5;
create index if not exists recon_ledger_row on recon_ledger (org, row_id);

-- Observed cost each usage partition contributes to its period, versioned by the partition.
create table if not exists period_observed (
    org          text        not null,
    period       char(7)     not null,
    partition_id text        not null,
    version      bigint      not null,
    observed     numeric(20, 6) not null,
    pushed_at    timestamptz not null default clock_timestamp(),
    primary key (org, period, partition_id)
);

-- Every observed session as accepted (the sessions table of the attribution surface).
create table if not exists sessions (
    org                  text        not null,
    id                   text        not null,
    person_id            text,
    subject_key          text        not null,
    provider_id          text        not null,
    model                text        not null,
    started_at           timestamptz not null,
    ended_at             timestamptz,
    input_tokens         bigint      not null,
    output_tokens        bigint      not null,
    cached_input_tokens  bigint      not null,
    turns                integer,
    cost_usd             numeric(20, 6) not null,
    market_cost_usd      numeric(20, 6) not null,
    api_key_id           text,
    project_id           text,
    repo                 text,
    path                 text,
    app                  text,
    frustration          double precision,
    ingested_at          timestamptz not null default clock_timestamp(),
    primary key (org, id)
);
-- (sessions_by_subject_day was dropped by 199-sessions-lean-writes.sql: no query reads by subject.)
