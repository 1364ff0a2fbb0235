-- Flowstate: Orleans ADO.NET clustering (membership) schema for PostgreSQL 15+.
-- Requires 010-orleans-query-table.sql. Idempotent.
--
-- Contract (Microsoft.Orleans.Clustering.AdoNet 10.4.2, Invariant "Npgsql"):
--   * @DeploymentId is ClusterOptions.ClusterId.
--   * Parameter types as bound by Orleans/Npgsql: Address text, Port/Generation/
--     Status/ProxyPort/Version int4, StartTime/IAmAliveTime timestamptz (UTC
--     DateTime), SiloName/HostName/SuspectTimes text (SuspectTimes may be NULL).
--   * Result columns are looked up by name (Npgsql falls back to a
--     case-insensitive match, so lower-case column names are fine).
--   * Address must come back as text (Orleans casts it to string and parses it),
--     SiloName and HostName must not be NULL.
--   * Boolean statements return exactly one row with one column.
--
-- Optimistic concurrency: a cluster has one row in orleans_membership_version.
-- Every insert/update of a silo row must present the version Orleans last read
-- (@Version); the version is bumped in the same transaction, so two silos that
-- read the same version cannot both write.

CREATE TABLE IF NOT EXISTS orleans_membership_version
(
    deploymentid text        NOT NULL,
    version      integer     NOT NULL DEFAULT 0,
    changedon    timestamptz NOT NULL DEFAULT now(),

    CONSTRAINT orleans_membership_version_pk PRIMARY KEY (deploymentid)
);

CREATE TABLE IF NOT EXISTS orleans_membership
(
    deploymentid text        NOT NULL,
    address      text        NOT NULL,   -- IP address as text, e.g. 10.0.0.5
    port         integer     NOT NULL,   -- silo-to-silo port
    generation   integer     NOT NULL,
    siloname     text        NOT NULL,
    hostname     text        NOT NULL,
    status       integer     NOT NULL,   -- Orleans SiloStatus: 3 = Active, 6 = Dead
    proxyport    integer     NOT NULL,   -- gateway port, 0 if none
    suspecttimes text        NULL,       -- 'silo,date|silo,date' as formatted by Orleans
    starttime    timestamptz NOT NULL,
    iamalivetime timestamptz NOT NULL,

    CONSTRAINT orleans_membership_pk PRIMARY KEY (deploymentid, address, port, generation),
    CONSTRAINT orleans_membership_version_fk FOREIGN KEY (deploymentid)
        REFERENCES orleans_membership_version (deploymentid)
);

-- Gateway lookups by clients: (deploymentid, status).
CREATE INDEX IF NOT EXISTS orleans_membership_status_ix
    ON orleans_membership (deploymentid, status);

-- Insert a silo row only if the cluster version still equals p_expected_version;
-- bump the version in the same transaction. Returns false on a version mismatch
-- or if the silo row already exists (and then nothing is changed).
CREATE OR REPLACE FUNCTION orleans_membership_insert(
    p_deploymentid     text,
    p_address          text,
    p_port             integer,
    p_generation       integer,
    p_siloname         text,
    p_hostname         text,
    p_status           integer,
    p_proxyport        integer,
    p_starttime        timestamptz,
    p_iamalivetime     timestamptz,
    p_expected_version integer)
RETURNS boolean
LANGUAGE plpgsql
AS $fn$
BEGIN
    UPDATE orleans_membership_version
       SET version   = version + 1,
           changedon = now()
     WHERE deploymentid = p_deploymentid
       AND version      = p_expected_version;

    IF NOT FOUND THEN
        RETURN false;
    END IF;

    INSERT INTO orleans_membership
        (deploymentid, address, port, generation, siloname, hostname,
         status, proxyport, suspecttimes, starttime, iamalivetime)
    VALUES
        (p_deploymentid, p_address, p_port, p_generation, p_siloname, p_hostname,
         p_status, p_proxyport, NULL, p_starttime, p_iamalivetime);

    RETURN true;
EXCEPTION
    -- the block is a subtransaction: the version bump above is rolled back too
    WHEN unique_violation THEN
        RETURN false;
END;
$fn$;

-- Update a silo row only if the cluster version still equals p_expected_version;
-- bump the version in the same transaction. Returns false on a version mismatch
-- or if the silo row does not exist (and then nothing is changed).
CREATE OR REPLACE FUNCTION orleans_membership_update(
    p_deploymentid     text,
    p_address          text,
    p_port             integer,
    p_generation       integer,
    p_status           integer,
    p_suspecttimes     text,
    p_iamalivetime     timestamptz,
    p_expected_version integer)
RETURNS boolean
LANGUAGE plpgsql
AS $fn$
BEGIN
    UPDATE orleans_membership_version
       SET version   = version + 1,
           changedon = now()
     WHERE deploymentid = p_deploymentid
       AND version      = p_expected_version;

    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE orleans_membership
       SET status       = p_status,
           suspecttimes = p_suspecttimes,
           iamalivetime = p_iamalivetime
     WHERE deploymentid = p_deploymentid
       AND address      = p_address
       AND port         = p_port
       AND generation   = p_generation;

    IF NOT FOUND THEN
        RAISE EXCEPTION 'membership row not found' USING ERRCODE = 'no_data_found';
    END IF;

    RETURN true;
EXCEPTION
    -- undo the version bump when the silo row is missing
    WHEN no_data_found THEN
        RETURN false;
END;
$fn$;

INSERT INTO orleansquery (querykey, querytext) VALUES

-- Create the cluster's version row if it is missing. true = created now.
('InsertMembershipVersionKey', $q$
WITH created AS (
    INSERT INTO orleans_membership_version (deploymentid)
    VALUES (@DeploymentId)
    ON CONFLICT (deploymentid) DO NOTHING
    RETURNING 1
)
SELECT count(*) > 0 AS created FROM created
$q$),

('InsertMembershipKey', $q$
SELECT orleans_membership_insert(
    @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
    @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version) AS succeeded
$q$),

('UpdateMembershipKey', $q$
SELECT orleans_membership_update(
    @DeploymentId, @Address, @Port, @Generation,
    @Status, @SuspectTimes, @IAmAliveTime, @Version) AS succeeded
$q$),

-- Heartbeat: does not touch the cluster version.
('UpdateIAmAlivetimeKey', $q$
UPDATE orleans_membership
   SET iamalivetime = @IAmAliveTime
 WHERE deploymentid = @DeploymentId
   AND address      = @Address
   AND port         = @Port
   AND generation   = @Generation
$q$),

-- One silo. The version row is the driving table so the version is returned
-- even when the silo row does not exist (starttime is then NULL).
('MembershipReadRowKey', $q$
SELECT v.version,
       m.deploymentid, m.address, m.port, m.generation, m.siloname, m.hostname,
       m.status, m.proxyport, m.suspecttimes, m.starttime, m.iamalivetime
  FROM orleans_membership_version v
  LEFT JOIN orleans_membership m
         ON m.deploymentid = v.deploymentid
        AND m.address      = @Address
        AND m.port         = @Port
        AND m.generation   = @Generation
 WHERE v.deploymentid = @DeploymentId
$q$),

-- Whole cluster; same shape as MembershipReadRowKey.
('MembershipReadAllKey', $q$
SELECT v.version,
       m.deploymentid, m.address, m.port, m.generation, m.siloname, m.hostname,
       m.status, m.proxyport, m.suspecttimes, m.starttime, m.iamalivetime
  FROM orleans_membership_version v
  LEFT JOIN orleans_membership m
         ON m.deploymentid = v.deploymentid
 WHERE v.deploymentid = @DeploymentId
$q$),

-- Gateways for clients (@Status is 3 = Active).
('GatewaysQueryKey', $q$
SELECT address, proxyport, generation
  FROM orleans_membership
 WHERE deploymentid = @DeploymentId
   AND status       = @Status
   AND proxyport    > 0
$q$),

('DeleteMembershipTableEntriesKey', $q$
WITH gone AS (
    DELETE FROM orleans_membership WHERE deploymentid = @DeploymentId
)
DELETE FROM orleans_membership_version WHERE deploymentid = @DeploymentId
$q$),

-- Remove silo rows that are not Active and have not sent a heartbeat since
-- @IAmAliveTime (the defunct-silo cutoff).
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleans_membership
 WHERE deploymentid = @DeploymentId
   AND iamalivetime < @IAmAliveTime
   AND status      <> 3
$q$)

ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
