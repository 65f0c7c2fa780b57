-- Notebooks (lineage.explore): every stored dependency (parent → child) with both ends' workspaces.
-- Edges touching MANUAL nodes are included here; the cycle DAG leaves them out.
SELECT e.parent_id, e.child_id, p.project_id AS parent_project_id, c.project_id AS child_project_id
FROM edges e
JOIN nodes p ON p.idx = e.parent_idx
JOIN nodes c ON c.idx = e.child_idx
ORDER BY e.parent_id, e.child_id;
