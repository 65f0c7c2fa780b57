-- Is any row of this kind and status free to claim now? (A read: an idle worker polls with it, not with a write.)
SELECT 1
FROM inbox
WHERE status = :status AND kind = :kind
  AND (lease_until IS NULL OR lease_until < :now)
  AND (next_attempt_at IS NULL OR next_attempt_at <= :now)
LIMIT 1
