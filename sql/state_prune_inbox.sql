-- Forget messages finished before the cutoff, after their verdicts and attempts (state_prune_verdicts.sql,
-- state_prune_deliveries.sql). A message id dropped here is new again if it ever comes back.
DELETE FROM inbox WHERE updated_at < ? AND status NOT IN ('accepted', 'evaluated')
