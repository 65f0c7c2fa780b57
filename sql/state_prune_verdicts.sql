-- Forget the verdicts of checks finished before the cutoff (`[server] keep_checks_days`). Runs before
-- state_prune_inbox.sql, which drops the inbox rows this finds them by. An unfinished check (accepted,
-- evaluated) is never dropped, however old.
DELETE FROM verdicts WHERE message_id IN (
    SELECT message_id FROM inbox WHERE updated_at < ? AND status NOT IN ('accepted', 'evaluated'))
