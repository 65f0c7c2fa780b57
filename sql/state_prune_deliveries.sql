-- Forget the report attempts of checks finished before the cutoff (see state_prune_verdicts.sql).
DELETE FROM deliveries WHERE message_id IN (
    SELECT message_id FROM inbox WHERE updated_at < ? AND status NOT IN ('accepted', 'evaluated'))
