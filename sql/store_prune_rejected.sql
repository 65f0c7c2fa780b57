-- Retention: refused requests received before :before, about :limit at a time (rows of one instant go together).
DELETE FROM rejected WHERE received_at IN (
    SELECT received_at FROM rejected WHERE received_at < :before ORDER BY received_at LIMIT :limit)
