-- Notebooks (lineage.explore): cycle-DAG dependencies whose parent and child sit in different
-- workspaces (projects), with names. MANUAL nodes are left out, as the cycle DAG leaves them out.
SELECT e.parent_id, p.node_name AS parent_name, p.project_id AS parent_project_id,
       pp.project_name AS parent_project,
       e.child_id, c.node_name AS child_name, c.project_id AS child_project_id,
       cp.project_name AS child_project, c.owner_id AS child_owner_id, c.priority AS child_priority
FROM edges e
JOIN nodes p ON p.idx = e.parent_idx
JOIN nodes c ON c.idx = e.child_idx
LEFT JOIN projects pp ON pp.project_id = p.project_id
LEFT JOIN projects cp ON cp.project_id = c.project_id
WHERE p.project_id IS DISTINCT FROM c.project_id
  AND p.scheduler_type IS DISTINCT FROM 'MANUAL'
  AND c.scheduler_type IS DISTINCT FROM 'MANUAL'
ORDER BY parent_project_id, child_project_id, e.parent_id, e.child_id;
