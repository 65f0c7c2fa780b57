-- Forget the verdicts of checks finished before the cutoff (`[server] keep_checks_days`), at most `?` of
-- the oldest such messages at a time (one batch: state_prune_deliveries.sql and state_prune_inbox.sql pick
-- the same ones, the inbox last). An unfinished check (accepted, evaluated) is never dropped, however old.
DELETE FROM verdicts WHERE message_id IN (
    SELECT message_id FROM inbox WHERE updated_at < ? AND status NOT IN ('accepted', 'evaluated')
    ORDER BY updated_at, message_id LIMIT ?)
