-- Attribution rollups: each subject-month's latest contribution to each rollup (the org, a cost
-- centre, a team with its sub-teams, a project) of one month. Written only by that rollup's grain;
-- the guard on version makes replayed or reordered pushes harmless. Idempotent.
create table if not exists rollup_contrib (
    org        text        not null,
    scope      text        not null,
    month      char(7)     not null,
    subject    text        not null,
    version    bigint      not null,
    cells      bytea       not null,
    pushed_at  timestamptz not null default clock_timestamp(),
    primary key (org, scope, month, subject)
);

-- The sessions table of the attribution surface: how each session got its project, the working
-- context the classifier learns from, and the indexes behind its sorts and filters (every page
-- is a keyset range on one of them, so deep pages cost what the first does). Text sort keys and
-- the id tie-breaker use the "C" collation: byte order, the same in every database, and cheap.
alter table sessions add column if not exists project_source text;
alter table sessions add column if not exists context_key text;
alter table sessions add column if not exists total_tokens bigint generated always as (input_tokens + output_tokens + cached_input_tokens) stored;
-- One per order of the table (org scope: a page is a backward or forward range scan from the cursor).
-- The MODEL order breaks ties by start time, so each model's window is one range of its index.
create index if not exists sessions_page_start on sessions (org, started_at, id collate "C");
create index if not exists sessions_page_cost on sessions (org, cost_usd, id collate "C");
create index if not exists sessions_page_tokens on sessions (org, total_tokens, id collate "C");
create index if not exists sessions_page_model_start on sessions (org, model collate "C", started_at, id collate "C");
-- A person's or a project's sessions newest first (My AI Usage, the project scope), and the
-- candidates of a team scope (person_id = any(...)) when the team is a small part of the org.
create index if not exists sessions_page_person on sessions (org, person_id, started_at, id collate "C");
create index if not exists sessions_page_project on sessions (org, project_id, started_at, id collate "C");
-- A project's sessions by cost (finance's usual order), so a small project's page does not walk the
-- whole org's cost index looking for it.
create index if not exists sessions_page_project_cost on sessions (org, project_id, cost_usd, id collate "C");
