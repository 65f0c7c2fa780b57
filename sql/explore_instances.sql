-- Notebooks (lineage.explore): run history, optionally only of the node ids in the list $node_ids
-- (NULL = every node). run_seconds = finish_time - begin_running_time, NULL until an instance finished.
SELECT i.*, (i.finish_time - i.begin_running_time) / 1000.0 AS run_seconds
FROM instances i
WHERE $node_ids IS NULL OR list_contains($node_ids, i.node_id)
ORDER BY i.node_id, i.bizdate, i.begin_running_time;
