-- Unfinished work by status (the /metrics gauges and /readyz).
SELECT status, count(*)
FROM inbox
WHERE status = 'accepted' OR status = 'judged'
GROUP BY status
