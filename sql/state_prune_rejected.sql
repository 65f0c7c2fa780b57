-- Forget refused requests received before the cutoff (`[server] keep_checks_days`), at most `?` at a time.
DELETE FROM rejected WHERE rowid IN (SELECT rowid FROM rejected WHERE received_at < ? LIMIT ?)
