-- Grain state of the kinds the ingest fold writes by the thousand (usage partitions, subject-months),
-- read and written in batches by grains/Storage/BatchedGrainStorage.cs: one statement carries many
-- grains' reads or writes. The key is the grain's own (its string key), so no hash is needed. The
-- payload is the same Orleans binary form as in orleans_grain_state, and the version is the ETag,
-- checked per grain: a write succeeds only against the version it last read.
create table if not exists batched_grain_state (
    service_id  text        not null,
    state_name  text        not null,
    grain_key   text        not null,
    version     integer     not null,
    payload     bytea,                  -- null once cleared
    modified_at timestamptz not null default now(),
    primary key (service_id, state_name, grain_key)
);
-- Stored uncompressed: a state is rewritten with every window that touches it, and on two cores the
-- compression of every write costs more than the bytes it saves.
alter table batched_grain_state alter column payload set storage external;

-- These kinds' states written by earlier versions (through orleans_grain_state) move over once,
-- bytes and versions as they are, so each grain goes on from the state and ETag it had.
with moved as (
    delete from orleans_grain_state
    where graintypestring in ('usage-partition', 'subject-month') and grainidextensionstring is not null
    returning serviceid, graintypestring, grainidextensionstring, version, payloadbinary, modifiedon)
insert into batched_grain_state (service_id, state_name, grain_key, version, payload, modified_at)
select serviceid, graintypestring, grainidextensionstring, version, payloadbinary, modifiedon from moved
on conflict do nothing;
