-- The durable-command journal (grains/Durable/IntentJournal.cs): one row per grain that may hold a
-- push not yet acknowledged by its target. A grain records itself here before the state write that
-- carries the push, and forgets itself once the push is acknowledged; the replay re-sends for
-- rows that stay due (a crash between the write and the push), claiming them so silos share the
-- work. Idempotent: safe to apply any number of times.
--
-- `generation` grows on every record, and forgets compare it, so a forget of an earlier write never
-- removes the row of a later one.

create table if not exists durable_intents (
    grain_type   text        not null,   -- the grain's [GrainType]
    grain_key    text        not null,   -- the grain's key, exactly as the grain has it
    org          text        not null,   -- for operators: whose grains are waiting
    generation   bigint      not null default 1,
    recorded_at  timestamptz not null default clock_timestamp(),
    due_at       timestamptz not null,   -- when the replay takes over from the grain itself
    attempts     integer     not null default 0,
    last_error   text,
    primary key (grain_type, grain_key)
);
create index if not exists durable_intents_due on durable_intents (due_at);

-- The repair sweep this journal replaces read Orleans' storage table by time and key, and the
-- ledgers by partition and subject; nothing reads them that way any more, and every grain write
-- paid for keeping those indexes current.
drop index if exists orleans_grain_state_type_modified_ix;
drop index if exists orleans_grain_state_type_key_ix;
drop index if exists period_observed_partition;
drop index if exists rollup_contrib_subject;
