-- Flowstate: Orleans ADO.NET reminder table for PostgreSQL 15+.
-- Requires 010-orleans-query-table.sql. Idempotent.
--
-- Contract (Microsoft.Orleans.Reminders.AdoNet 10.4.2, Invariant "Npgsql"):
--   @ServiceId     text         ClusterOptions.ServiceId
--   @GrainId       text         GrainId.ToString(), e.g. 'billing-row/demo/openai/row-1'
--   @ReminderName  text
--   @StartTime     timestamptz  UTC DateTime
--   @Period        int4 OR int8 milliseconds; Orleans sends int4 when it fits
--                               and int8 otherwise, the column is bigint
--   @GrainHash     int4         GrainId.GetUniformHashCode() (a uint) cast to a
--                               signed int
--   @BeginHash, @EndHash  int4  ring range, same signed cast
--   @Version       int4         the ETag
-- Results are read by column name: grainid, remindername, starttime, period,
-- version (UpsertReminderRowKey: version; DeleteReminderRowKey: one boolean).
--
-- Range reads: Orleans picks ReadRangeRows1Key when (int)begin < (int)end and
-- ReadRangeRows2Key otherwise (wrapped range, also begin = end = whole ring),
-- so the comparisons below are plain signed-int comparisons.
--
-- Optimistic concurrency: every upsert bumps version; a delete succeeds only
-- when the presented @Version is still current.

CREATE TABLE IF NOT EXISTS orleans_reminder
(
    serviceid    text        NOT NULL,
    grainid      text        NOT NULL,
    remindername text        NOT NULL,
    starttime    timestamptz NOT NULL,
    period       bigint      NOT NULL,   -- milliseconds
    grainhash    integer     NOT NULL,
    version      integer     NOT NULL,

    CONSTRAINT orleans_reminder_pk PRIMARY KEY (serviceid, grainid, remindername)
);

-- Range reads by the reminder service: (serviceid, grainhash).
CREATE INDEX IF NOT EXISTS orleans_reminder_hash_ix
    ON orleans_reminder (serviceid, grainhash);

INSERT INTO orleansquery (querykey, querytext) VALUES

('UpsertReminderRowKey', $q$
INSERT INTO orleans_reminder
    (serviceid, grainid, remindername, starttime, period, grainhash, version)
VALUES
    (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (serviceid, grainid, remindername) DO UPDATE
   SET starttime = EXCLUDED.starttime,
       period    = EXCLUDED.period,
       grainhash = EXCLUDED.grainhash,
       version   = orleans_reminder.version + 1
RETURNING version
$q$),

('ReadReminderRowsKey', $q$
SELECT grainid, remindername, starttime, period, version
  FROM orleans_reminder
 WHERE serviceid = @ServiceId
   AND grainid   = @GrainId
$q$),

('ReadReminderRowKey', $q$
SELECT grainid, remindername, starttime, period, version
  FROM orleans_reminder
 WHERE serviceid    = @ServiceId
   AND grainid      = @GrainId
   AND remindername = @ReminderName
$q$),

-- (begin, end] without wrap-around.
('ReadRangeRows1Key', $q$
SELECT grainid, remindername, starttime, period, version
  FROM orleans_reminder
 WHERE serviceid = @ServiceId
   AND grainhash > @BeginHash
   AND grainhash <= @EndHash
$q$),

-- (begin, end] wrapping past the top of the ring.
('ReadRangeRows2Key', $q$
SELECT grainid, remindername, starttime, period, version
  FROM orleans_reminder
 WHERE serviceid = @ServiceId
   AND (grainhash > @BeginHash OR grainhash <= @EndHash)
$q$),

-- Exactly one row: true if the row existed with the presented version.
('DeleteReminderRowKey', $q$
WITH removed AS (
    DELETE FROM orleans_reminder
     WHERE serviceid    = @ServiceId
       AND grainid      = @GrainId
       AND remindername = @ReminderName
       AND version      = @Version
    RETURNING 1
)
SELECT count(*) > 0 AS deleted FROM removed
$q$),

('DeleteReminderRowsKey', $q$
DELETE FROM orleans_reminder
 WHERE serviceid = @ServiceId
$q$)

ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
