-- Past decisions for `opsguard audit` / `GET /api/audit`: one row per verdict, newest first. Every filter is a
-- parameter; an unused one is switched off by its :any_* flag, so the text is never assembled from pieces.
SELECT v.message_id, v.evaluated_at, i.received_at, v.event_code, v.project_id, v.operator, v.result,
       v.wire_result, v.tip, v.checkpoints, v.node_ids, i.status, v.snapshot_id, v.latency_ms, v.recheck_of
FROM verdicts v
LEFT JOIN inbox i ON i.message_id = v.message_id
WHERE v.evaluated_at >= :since AND v.evaluated_at < :until
  AND (:any_code OR v.event_code = :event_code)
  AND (:any_result OR v.result = :result)
  AND (:any_project OR v.project_id = :project_id)
  AND (:any_operator OR v.operator = :operator)
  AND (:any_node OR v.node_ids LIKE :node_pattern)
  AND (:any_check OR v.flagged_checks LIKE :check_pattern)
ORDER BY v.evaluated_at DESC, v.message_id DESC
LIMIT :limit
