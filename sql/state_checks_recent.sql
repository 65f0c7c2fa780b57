-- Recent extension-point checks for `GET /checks`, newest first, with their latest verdict if any
-- (an accepted row with a verdict of its generation reads as evaluated).
SELECT i.message_id, i.received_at, i.event_code, i.project_id, i.operator,
       CASE WHEN i.status = 'accepted' AND v.result IS NOT NULL THEN 'evaluated' ELSE i.status END AS status,
       i.generation, v.result, v.wire_result, v.tip, v.latency_ms,
       (SELECT count(*) FROM deliveries d
         WHERE d.message_id = i.message_id AND d.generation = i.generation) AS attempts
FROM inbox i
LEFT JOIN verdicts v ON v.message_id = i.message_id AND v.generation = i.generation
WHERE i.kind = 'extension'
ORDER BY i.received_at DESC, i.message_id DESC
LIMIT ?
