-- The latest extension-point messages with their verdicts, newest first (the checks list).
SELECT i.message_id, i.received_at, i.event_code, i.project_id, i.operator, i.status, v.result, v.wire_result,
       v.tip, v.latency_ms, i.attempts
FROM inbox i
LEFT JOIN verdicts v ON v.message_id = i.message_id
WHERE i.kind = 'extension'
ORDER BY i.received_at DESC, i.message_id DESC
LIMIT :limit
