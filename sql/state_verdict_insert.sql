-- Verdicts from the writer's Arrow batch `batch_rows` (one per message and generation).
INSERT INTO verdicts (message_id, generation, evaluated_at, event_code, project_id, operator, result,
                      wire_result, tip, snapshot_id, overlay_version, recheck_of, latency_ms, verdict)
SELECT message_id, generation, evaluated_at, event_code, project_id, operator, result,
       wire_result, tip, snapshot_id, overlay_version, recheck_of, latency_ms, verdict
FROM batch_rows
