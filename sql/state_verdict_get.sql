-- The newest verdict of a message (its latest generation).
SELECT message_id, generation, evaluated_at, event_code, project_id, operator, result, wire_result, tip,
       snapshot_id, overlay_version, recheck_of, latency_ms, verdict
FROM verdicts
WHERE message_id = ?
ORDER BY generation DESC
LIMIT 1
