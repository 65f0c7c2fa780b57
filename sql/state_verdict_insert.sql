-- Verdicts; re-saving the same (message, generation) keeps the first one (a verdict is never re-judged).
-- Multi-row: the writer repeats the VALUES tuple (placeholders only, never data).
INSERT INTO verdicts (message_id, generation, evaluated_at, event_code, project_id, operator, result,
                      wire_result, tip, snapshot_id, overlay_version, recheck_of, latency_ms, verdict)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING
