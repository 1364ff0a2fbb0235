-- Ingest keys (DESIGN §7): opaque secrets an admin creates for agents, connectors and integrators.
-- Only the SHA-256 of the secret is kept (the secret is 32 random bytes, so a plain hash is as strong
-- as the secret); a request presenting a key is looked up here on every call, so a revocation holds on
-- every silo as soon as it commits. Idempotent: safe to apply any number of times.
create table if not exists ingest_keys (
    org           text not null,
    id            text not null,
    name          text not null,
    prefix        text not null,
    secret_sha256 bytea not null check (length(secret_sha256) = 32),
    roles         text[] not null,
    created_by    text not null,
    created_at    timestamptz not null default now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    revoked_by    text,
    subject       text,   -- whom the key's telemetry belongs to when its records name nobody
    primary key (org, id)
);
create unique index if not exists ingest_keys_by_secret on ingest_keys (secret_sha256);
create index if not exists ingest_keys_by_org on ingest_keys (org, created_at);
