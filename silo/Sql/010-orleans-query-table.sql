-- Flowstate: Orleans ADO.NET query registry (PostgreSQL 15+).
--
-- The Orleans ADO.NET providers (clustering, persistence, reminders) do not ship
-- SQL in their assemblies. At start-up each provider runs
--     SELECT QueryKey, QueryText FROM OrleansQuery [WHERE QueryKey = ...]
-- and afterwards executes the stored QueryText with named parameters (@Name).
-- The identifiers in that statement are unquoted, so PostgreSQL folds them to
-- lower case: the table below must be called orleansquery(querykey, querytext).
--
-- Idempotent: safe to run any number of times. Later scripts (020-040) register
-- their statements with INSERT ... ON CONFLICT (querykey) DO UPDATE.

CREATE TABLE IF NOT EXISTS orleansquery
(
    querykey  varchar(64) NOT NULL,
    querytext text        NOT NULL,

    CONSTRAINT orleansquery_pk PRIMARY KEY (querykey)
);

COMMENT ON TABLE orleansquery IS
    'Flowstate: statements executed by the Orleans ADO.NET providers, keyed by the name Orleans looks up.';
