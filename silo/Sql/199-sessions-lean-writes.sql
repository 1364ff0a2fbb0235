-- The ingest fold writes every session row (issue 10): each index on `sessions` is paid on every write.
-- sessions_by_subject_day (org, provider_id, subject_key, started_at) served the synchronous ingest path's
-- partition lookups, which are gone; no query of the sessions table, the exports or the fold filters by
-- subject_key (a provider filter is a condition on the org's started_at range, sessions_page_start).
drop index if exists sessions_by_subject_day;
