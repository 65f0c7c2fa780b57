-- Notebooks (lineage.explore): the snapshot's workspaces (DataWorks projects) with their node counts.
SELECT p.project_id, p.project_name, p.project_identifier, count(n.node_id) AS node_count
FROM projects p
LEFT JOIN nodes n ON n.project_id = p.project_id
GROUP BY ALL
ORDER BY p.project_id;
