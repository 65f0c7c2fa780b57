-- Accepted extension-point events not yet reported (to finish at start-up), oldest first: `evaluated`
-- when a verdict of the current generation is stored, with the attempts already made for it.
SELECT i.message_id, i.generation,
       CASE WHEN i.status = 'accepted' AND EXISTS (SELECT 1 FROM verdicts v
                 WHERE v.message_id = i.message_id AND v.generation = i.generation)
            THEN 'evaluated' ELSE i.status END AS status,
       i.received_at,
       (SELECT count(*) FROM deliveries d
         WHERE d.message_id = i.message_id AND d.generation = i.generation) AS attempts
FROM inbox i
WHERE i.kind = 'extension' AND i.status IN ('accepted', 'evaluated')
ORDER BY i.received_at, i.message_id
