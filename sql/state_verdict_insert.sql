-- Verdicts (one per message and generation: the writer stores it with the status change that guards it).
-- Multi-row: the writer repeats the VALUES tuple (placeholders only, never data).
INSERT INTO verdicts (message_id, generation, evaluated_at, event_code, project_id, operator, result,
                      wire_result, tip, snapshot_id, overlay_version, recheck_of, latency_ms, verdict)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
