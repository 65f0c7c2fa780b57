SELECT message_id, evaluated_at, event_code, project_id, operator, result, wire_result, tip, snapshot_id,
       overlay_version, recheck_of, latency_ms, checkpoints, flagged_checks, node_ids, verdict
FROM verdicts
WHERE message_id = :message_id
