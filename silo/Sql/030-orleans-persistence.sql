-- Flowstate: Orleans ADO.NET grain storage schema for PostgreSQL 15+.
-- Requires 010-orleans-query-table.sql. Idempotent.
--
-- Contract (Microsoft.Orleans.Persistence.AdoNet 10.4.2, Invariant "Npgsql").
-- Every statement receives these parameters:
--   @GrainIdHash            int4   hash of the grain key (Orleans StableHash)
--   @GrainTypeHash          int4   hash of @GrainTypeString
--   @GrainIdN0, @GrainIdN1  int8   Guid halves / integer key; 0 for string keys
--   @GrainTypeString        text   the STATE NAME, i.e. the first argument of
--                                  [PersistentState("name", "store")] - not the
--                                  grain type
--   @GrainIdExtensionString text   string keys: the whole key, e.g.
--                                  'demo/openai/row-1'; Guid/integer keys: the
--                                  key extension or NULL
--   @ServiceId              text   ClusterOptions.ServiceId
-- plus, for write/clear/delete:
--   @GrainStateVersion      int4   the ETag the grain holds; NULL = no row yet
--   @PayloadBinary          bytea  (write only) serialized state
--
-- Results (read by column name, case-insensitively):
--   ReadFromStorageKey : payloadbinary, version  (no row = no state)
--   WriteToStorageKey  : newgrainstateversion    (NULL = version conflict)
--   ClearStorageKey    : one column, new version (NULL = version conflict)
--   DeleteStorageKey   : one column, any non-NULL value that differs from the
--                        presented version (NULL = version conflict); used only
--                        with AdoNetGrainStorageOptions.DeleteStateOnClear = true
-- Orleans raises InconsistentStateException when the returned version is NULL
-- or equals the version it presented.

CREATE TABLE IF NOT EXISTS orleans_grain_state
(
    grainidhash            integer     NOT NULL,
    graintypehash          integer     NOT NULL,
    grainidn0              bigint      NOT NULL,
    grainidn1              bigint      NOT NULL,
    graintypestring        text        NOT NULL,
    grainidextensionstring text        NULL,
    serviceid              text        NOT NULL,
    payloadbinary          bytea       NULL,     -- NULL after ClearStateAsync
    version                integer     NOT NULL,
    modifiedon             timestamptz NOT NULL DEFAULT now(),

    -- One row per (service, state name, grain). Hash columns lead so that the
    -- lookups below are index scans; NULLS NOT DISTINCT (PostgreSQL 15) makes a
    -- NULL key extension a real key value, which also lets ON CONFLICT use it.
    -- Note: a B-tree entry is limited to ~2.7 kB, which bounds the combined
    -- length of serviceid + graintypestring + grainidextensionstring.
    CONSTRAINT orleans_grain_state_uq UNIQUE NULLS NOT DISTINCT
        (grainidhash, graintypehash, serviceid, grainidn0, grainidn1,
         graintypestring, grainidextensionstring)
);

INSERT INTO orleansquery (querykey, querytext) VALUES

('ReadFromStorageKey', $q$
SELECT payloadbinary, version
  FROM orleans_grain_state
 WHERE grainidhash            = @GrainIdHash
   AND graintypehash          = @GrainTypeHash
   AND serviceid              = @ServiceId
   AND grainidn0              = @GrainIdN0
   AND grainidn1              = @GrainIdN1
   AND graintypestring        = @GrainTypeString
   AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
$q$),

-- @GrainStateVersion NULL: first write, insert version 1 (a row that already
-- exists means somebody else wrote first -> conflict).
-- Otherwise: update only if the stored version still equals the presented one.
('WriteToStorageKey', $q$
WITH updated AS (
    UPDATE orleans_grain_state
       SET payloadbinary = @PayloadBinary,
           version       = version + 1,
           modifiedon    = now()
     WHERE @GrainStateVersion IS NOT NULL
       AND grainidhash            = @GrainIdHash
       AND graintypehash          = @GrainTypeHash
       AND serviceid              = @ServiceId
       AND grainidn0              = @GrainIdN0
       AND grainidn1              = @GrainIdN1
       AND graintypestring        = @GrainTypeString
       AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
       AND version                = @GrainStateVersion
    RETURNING version
), inserted AS (
    INSERT INTO orleans_grain_state
        (grainidhash, graintypehash, grainidn0, grainidn1, graintypestring,
         grainidextensionstring, serviceid, payloadbinary, version, modifiedon)
    SELECT @GrainIdHash, @GrainTypeHash, @GrainIdN0, @GrainIdN1, @GrainTypeString,
           @GrainIdExtensionString, @ServiceId, @PayloadBinary, 1, now()
     WHERE @GrainStateVersion IS NULL
    ON CONFLICT (grainidhash, graintypehash, serviceid, grainidn0, grainidn1,
                 graintypestring, grainidextensionstring) DO NOTHING
    RETURNING version
)
SELECT (SELECT version FROM updated
        UNION ALL
        SELECT version FROM inserted
        LIMIT 1) AS newgrainstateversion
$q$),

-- Clear keeps the row (payload NULL) and bumps the version, so the grain's next
-- write is still version-checked.
('ClearStorageKey', $q$
UPDATE orleans_grain_state
   SET payloadbinary = NULL,
       version       = version + 1,
       modifiedon    = now()
 WHERE grainidhash            = @GrainIdHash
   AND graintypehash          = @GrainTypeHash
   AND serviceid              = @ServiceId
   AND grainidn0              = @GrainIdN0
   AND grainidn1              = @GrainIdN1
   AND graintypestring        = @GrainTypeString
   AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
   AND version                = @GrainStateVersion
RETURNING version
$q$),

-- DeleteStateOnClear = true: remove the row (version-checked).
('DeleteStorageKey', $q$
DELETE FROM orleans_grain_state
 WHERE grainidhash            = @GrainIdHash
   AND graintypehash          = @GrainTypeHash
   AND serviceid              = @ServiceId
   AND grainidn0              = @GrainIdN0
   AND grainidn1              = @GrainIdN1
   AND graintypestring        = @GrainTypeString
   AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
   AND version                = @GrainStateVersion
RETURNING version + 1 AS deletedversion
$q$)

ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
