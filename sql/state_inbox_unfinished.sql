-- Accepted extension-point events not yet reported (to finish at start-up), oldest first,
-- with the attempts already made for their current generation.
SELECT i.message_id, i.generation, i.status, i.received_at,
       (SELECT count(*) FROM deliveries d
         WHERE d.message_id = i.message_id AND d.generation = i.generation) AS attempts
FROM inbox i
WHERE i.kind = 'extension' AND i.status IN ('accepted', 'evaluated')
ORDER BY i.received_at, i.message_id
