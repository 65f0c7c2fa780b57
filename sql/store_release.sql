-- Give a claimed row back unchanged (its worker stops, or could not finish it).
UPDATE inbox SET claimed_by = NULL, lease_until = NULL
WHERE message_id = :message_id AND claimed_by = :worker
