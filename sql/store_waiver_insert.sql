INSERT INTO waivers (waiver_id, granted_at, expires_at, granted_by, reason, node_id, baseline_id, project_id, operator,
                     event_code)
VALUES (:waiver_id, :granted_at, :expires_at, :granted_by, :reason, :node_id, :baseline_id, :project_id, :operator,
        :event_code)
