INSERT INTO verdicts (message_id, evaluated_at, event_code, project_id, operator, result, wire_result, tip,
                      snapshot_id, overlay_version, recheck_of, latency_ms, checkpoints, flagged_checks, node_ids,
                      verdict)
VALUES (:message_id, :evaluated_at, :event_code, :project_id, :operator, :result, :wire_result, :tip,
        :snapshot_id, :overlay_version, :recheck_of, :latency_ms, :checkpoints, :flagged_checks, :node_ids,
        :verdict)
ON CONFLICT (message_id) DO NOTHING
