-- Claim up to :limit free rows of one kind and status, oldest first, for :worker until :lease_until.
UPDATE inbox SET claimed_by = :worker, lease_until = :lease_until
WHERE message_id IN (
    SELECT message_id FROM inbox
    WHERE status = :status AND kind = :kind
      AND (lease_until IS NULL OR lease_until < :now)
      AND (next_attempt_at IS NULL OR next_attempt_at <= :now)
    ORDER BY received_at
    LIMIT :limit)
RETURNING message_id, received_at, kind, event_code, project_id, operator, extension_biz_id, data_message_id, status, reason, raw, attempts, updated_at
