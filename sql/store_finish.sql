-- Move a claimed row on and free it; no row changes when the claim was lost (another worker took it over).
UPDATE inbox SET status = :status, reason = coalesce(:reason, reason), next_attempt_at = :next_attempt_at,
                 claimed_by = NULL, lease_until = NULL, updated_at = :now
WHERE message_id = :message_id AND claimed_by = :worker AND status = :from_status
