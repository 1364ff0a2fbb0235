-- The ASP.NET Core Data Protection key ring, shared by every silo: provider credentials are
-- encrypted with these keys, so any silo can decrypt what another stored. Rows are XML key
-- elements written by the framework (each key itself encrypted at rest only if the host
-- configures a key-encryption certificate; the database's access control guards it otherwise).
create table if not exists flowstate_data_protection_keys (
    friendly_name text primary key,
    xml           text not null,
    created_at    timestamptz not null default now()
);
