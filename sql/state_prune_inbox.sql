-- Forget the batch of finished messages state_prune_verdicts.sql picks, after their verdicts and attempts.
-- A message id dropped here is new again if it ever comes back.
DELETE FROM inbox WHERE message_id IN (
    SELECT message_id FROM inbox WHERE updated_at < ? AND status NOT IN ('accepted', 'evaluated')
    ORDER BY updated_at, message_id LIMIT ?)
