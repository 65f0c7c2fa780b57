-- A live worker extends every claim it holds.
UPDATE inbox SET lease_until = :lease_until
WHERE claimed_by = :worker AND (status = 'accepted' OR status = 'judged')
