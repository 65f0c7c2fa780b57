-- Forget refused requests received before the cutoff (`[server] keep_checks_days`).
DELETE FROM rejected WHERE received_at < ?
