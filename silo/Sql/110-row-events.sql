-- The row event log: every status change of every billing row, in one dense, gap-free order
-- per org. Subscriptions replay it ("everything after cursor N"), integrators read it as the
-- audit history. Idempotent: safe to apply any number of times.
--
-- Sequence numbers come from row_event_counters, taken with `update ... returning` inside the
-- same statement (hence the same transaction) that writes the ledger batch. The counter row
-- stays locked until that transaction commits, so a transaction holding a lower seq always
-- commits before one holding a higher seq: when seq N is visible, every seq below N is too.

create table if not exists row_event_counters (
    org  text   not null primary key,
    seq  bigint not null
);

create table if not exists row_events (
    org          text        not null,
    seq          bigint      not null,
    row_id       text        not null,
    version      integer     not null,   -- the row's version after this change
    period       char(7)     not null,   -- the period the row was in when it changed
    provider_id  text        not null,
    from_status  smallint,               -- null: the row was new
    to_status    smallint    not null,
    action       smallint,               -- null: not a finance action (ingest, matcher, clock)
    actor        text        not null,
    note         text,
    at           timestamptz not null,
    logged_at    timestamptz not null default clock_timestamp(),
    primary key (org, seq),
    -- A replayed push (crash repair, retry) can never log the same change twice.
    constraint row_events_once unique (org, row_id, version)
);
