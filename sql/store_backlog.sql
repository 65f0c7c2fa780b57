-- Unfinished work by status (the /metrics gauges and /readyz).
SELECT status, count(*) AS messages
FROM inbox
WHERE status = 'accepted' OR status = 'judged'
GROUP BY status
