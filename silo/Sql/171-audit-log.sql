-- The org-wide audit log is the row event log (110-row-events.sql) read through filters; these
-- indexes keep a filtered page a short range scan. Idempotent: safe to apply any number of times.
create index if not exists row_events_by_row on row_events (org, row_id, seq);
create index if not exists row_events_by_actor on row_events (org, actor, seq);
create index if not exists row_events_by_period on row_events (org, period, seq);
