-- Prompt and response of a session (DESIGN §7): optional on ingest, kept apart from the sessions
-- table so that no sessions query, export or index ever carries them, and readable only through
-- Session.content (Enterprise plan; an admin or the session's own person). Every denied read is
-- recorded in content_access_denials. Idempotent: safe to apply any number of times.
create table if not exists session_content (
    org        text not null,
    session_id text not null,
    prompt     text,
    response   text,
    primary key (org, session_id)
);
create table if not exists content_access_denials (
    seq        bigserial primary key,
    org        text not null,
    session_id text not null,
    actor      text not null,
    reason     text not null,
    at         timestamptz not null default now()
);
create index if not exists content_access_denials_by_org on content_access_denials (org, seq);
