-- Forget the report attempts of the batch of finished checks state_prune_verdicts.sql picks.
DELETE FROM deliveries WHERE message_id IN (
    SELECT message_id FROM inbox WHERE updated_at < ? AND status NOT IN ('accepted', 'evaluated')
    ORDER BY updated_at, message_id LIMIT ?)
