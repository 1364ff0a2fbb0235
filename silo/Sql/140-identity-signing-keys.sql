-- Development sign-in (DESIGN §7): the key that signs and validates development tokens, created on
-- first use (by a silo or the `token` verb) and shared by every silo on this database. A production
-- silo validates tokens against its OIDC authority instead and never reads this table.
create table if not exists identity_signing_keys (
    kid        text primary key,
    key        bytea not null check (length(key) >= 32),
    created_at timestamptz not null default now()
);
