-- Waivers that expired (or were revoked) after :since, or are still to come: the ones worth listing.
SELECT waiver_id, granted_by, reason, granted_at, expires_at, node_id, baseline_id, project_id, operator, event_code,
       revoked_at
FROM waivers
WHERE expires_at > :since
ORDER BY granted_at DESC
