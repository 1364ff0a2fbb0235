-- Browser sessions (silo/Identity/BrowserSessionStore.cs): the session cookie holds only a
-- protected key into this table, so signing out ends a session on every silo at once, and a copied
-- cookie is worth nothing afterwards. A row expires with the token the session was opened with.
create table if not exists flowstate_browser_sessions (
    key        uuid primary key,
    ticket     bytea not null,
    expires_at timestamptz not null
);
create index if not exists flowstate_browser_sessions_expiry on flowstate_browser_sessions (expires_at);
