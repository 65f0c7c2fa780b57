-- The checks list: extension-point messages with their verdicts, newest first, filtered, one page at a time.
-- Every filter is a parameter; an unused one is switched off by its :any_* flag, so the text is never
-- assembled from pieces. Paging is by keyset: the rows strictly older than (:before_at, :before_id), the
-- last row of the previous page (the sentinel end of time and '' on the first page), so a page costs the
-- same however far back it is and a check arriving meanwhile shifts nothing.
-- A check not judged yet has no verdict: its result reads 'pending' and it names no node (node ids are
-- stored with the verdict).
SELECT i.message_id, i.received_at, i.event_code, i.project_id, i.operator, i.status, v.result, v.wire_result,
       v.tip, v.latency_ms, i.attempts
FROM inbox i
LEFT JOIN verdicts v ON v.message_id = i.message_id
WHERE i.kind = 'extension'
  AND i.received_at >= :since AND i.received_at < :until
  AND (i.received_at < :before_at OR (i.received_at = :before_at AND i.message_id < :before_id))
  AND (:any_result OR COALESCE(v.result, 'pending') = :result)
  AND (:any_code OR i.event_code = :event_code)
  AND (:any_project OR i.project_id = :project_id)
  AND (:any_operator OR i.operator = :operator)
  AND (:any_node OR v.node_ids LIKE :node_pattern)
ORDER BY i.received_at DESC, i.message_id DESC
LIMIT :limit
