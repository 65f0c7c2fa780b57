-- A worker stopping cleanly gives back everything it still holds.
UPDATE inbox SET claimed_by = NULL, lease_until = NULL
WHERE claimed_by = :worker
