-- The ingest log (grains/Storage/IngestLogStore.cs): every accepted session (ingestSessions) and
-- agent call, turn or metric point (OpenTelemetry), appended in bulk and acknowledged once stored.
-- A fold (grains/Ingestion/IngestFold.cs) reads it in order and folds each touched session, summed
-- from all its items, into the sessions table and the usage partitions. Idempotent.
--
-- The primary key makes a re-sent item a no-op (the first write wins). Items are folded in the
-- order (tx, seq): tx is the inserting transaction, and the fold reads only items of transactions
-- older than every transaction still running (pg_snapshot_xmin), so an item that commits late can
-- never fall behind the fold's position.
create table if not exists ingest_log (
    org                  text        not null,
    session_id           text        not null,
    item_id              text        not null,
    kind                 smallint    not null,   -- CallKind: 0 session, 1 call, 2 turn, 3 delta metric, 4 cumulative metric
    provider_id          text        not null,
    subject_key          text        not null,
    person_id            text,
    model                text,
    started_at           timestamptz not null,
    ended_at             timestamptz,
    input_tokens         bigint      not null default 0,
    output_tokens        bigint      not null default 0,
    cached_input_tokens  bigint      not null default 0,
    turns                integer,
    cost_usd             numeric(20, 6) not null default 0,
    market_cost_usd      numeric(20, 6) not null default 0,
    api_key_id           text,
    project_id           text,
    project_source       text,
    context_key          text,
    repo                 text,
    path                 text,
    app                  text,
    frustration          double precision,
    series               text,               -- a metric point's series (cumulative points: the latest counts)
    digest               bigint      not null default 0,   -- what the item said, to tell a duplicate from a conflicting re-send
    tx                   xid8        not null default pg_current_xact_id(),
    seq                  bigserial,
    received_at          timestamptz not null default clock_timestamp(),
    primary key (org, session_id, item_id)
);
create index if not exists ingest_log_fold_order on ingest_log (tx, seq);

-- Where the fold has got to: the (tx, seq) of the last item folded.
create table if not exists ingest_fold_position (
    id         smallint    primary key default 1 check (id = 1),
    tx         xid8        not null default '0',
    seq        bigint      not null default 0,
    folded_at  timestamptz not null default clock_timestamp()
);
insert into ingest_fold_position (id) values (1) on conflict do nothing;
