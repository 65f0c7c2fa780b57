-- Past decisions for `opsguard audit` / `GET /api/audit`: one row per verdict (a message and its
-- generation: a Recheck is a decision of its own), newest first. Every filter is a numbered parameter that
-- is NULL when not asked for, so nothing is ever formatted into this text (order: `opsguard.audit.AuditFilter`):
--   $1 / $2   since / until: evaluated_at >= $1, < $2 (TIMESTAMPTZ)
--   $3 event_code, $4 result, $5 project_id, $6 operator: equal to
--   $7 node_id: a node the event named (nodeIds; a backfill's rootNodeId, includeNodeIds, excludeNodeIds)
--   $8 check: a checkpoint of that name that was not OK
--   $9 limit: at most this many rows (NULL = all)
WITH decided AS (
    SELECT v.message_id, v.generation, v.evaluated_at, v.event_code, v.project_id, v.operator, v.result,
           v.wire_result, v.tip, v.snapshot_id, v.latency_ms, v.recheck_of, i.received_at, i.status,
           list_transform(
               from_json(json_extract(v.verdict, '$.checkpoints'), '[{"name": "VARCHAR", "status": "VARCHAR"}]'),
               lambda c: c.name || '=' || c.status) AS checkpoints,
           -- the envelope's data, or the message itself when it came without an envelope
           CASE WHEN json_valid(i.raw) THEN coalesce(json_extract(i.raw, '$.data'), i.raw::JSON) END AS data
    FROM verdicts v
    LEFT JOIN inbox i ON i.message_id = v.message_id
),
named AS (
    SELECT * EXCLUDE (data),
           list_sort(list_distinct(list_filter(flatten([
               coalesce(TRY_CAST(json_extract(data, '$.nodeIds') AS BIGINT[]), []),
               [TRY_CAST(json_extract_string(data, '$.rootNodeId') AS BIGINT)],
               coalesce(TRY_CAST(json_extract(data, '$.includeNodeIds') AS BIGINT[]), []),
               coalesce(TRY_CAST(json_extract(data, '$.excludeNodeIds') AS BIGINT[]), [])]),
               lambda n: n IS NOT NULL))) AS node_ids
    FROM decided
)
SELECT message_id, generation, evaluated_at, received_at, event_code, project_id, operator, result, wire_result,
       tip, checkpoints, node_ids, status, snapshot_id, latency_ms, recheck_of
FROM named
WHERE ($1 IS NULL OR evaluated_at >= $1)
  AND ($2 IS NULL OR evaluated_at < $2)
  AND ($3 IS NULL OR event_code = $3)
  AND ($4 IS NULL OR result = $4)
  AND ($5 IS NULL OR project_id = $5)
  AND ($6 IS NULL OR operator = $6)
  AND ($7 IS NULL OR list_contains(node_ids, $7))
  AND ($8 IS NULL OR list_contains(checkpoints, $8 || '=WARN') OR list_contains(checkpoints, $8 || '=FAIL'))
ORDER BY evaluated_at DESC, message_id DESC, generation DESC
LIMIT $9
