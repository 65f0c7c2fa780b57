-- Notebooks (lineage.explore): run history, optionally only of the node ids in the list $node_ids
-- (NULL = every node), with the node's name. run_seconds = finish_time - begin_running_time, NULL until an
-- instance finished. Times stay epoch milliseconds here; `Snapshot.instances` shows them in local time.
SELECT i.instance_id, i.node_id, n.node_name, i.bizdate, i.status, i.begin_running_time, i.finish_time,
       (i.finish_time - i.begin_running_time) / 1000.0 AS run_seconds
FROM instances i
LEFT JOIN nodes n ON n.node_id = i.node_id
WHERE $node_ids IS NULL OR list_contains($node_ids, i.node_id)
ORDER BY i.node_id, i.bizdate, i.begin_running_time;
