-- Notebooks (lineage.explore): every node of the snapshot with its workspace's name, by node id.
-- MANUAL nodes are included (the cycle DAG of `LineageGraph` leaves them out).
SELECT n.* EXCLUDE (idx), p.project_name
FROM nodes n
LEFT JOIN projects p ON p.project_id = n.project_id
ORDER BY n.node_id;
