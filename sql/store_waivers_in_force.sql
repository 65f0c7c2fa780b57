-- Waivers in force at :now (granted, not expired, not revoked).
SELECT waiver_id, granted_by, reason, granted_at, expires_at, node_id, baseline_id, project_id, operator, event_code,
       revoked_at
FROM waivers
WHERE granted_at <= :now AND expires_at > :now AND revoked_at IS NULL
