-- Staged (parent_id, child_id) pairs → edges with dense positions, sorted by parent for a CSR read.
INSERT INTO edges
SELECT DISTINCT p.idx, c.idx, e.parent_id, e.child_id
FROM staging_edges AS e
JOIN nodes AS p ON p.node_id = e.parent_id
JOIN nodes AS c ON c.node_id = e.child_id
ORDER BY p.idx, c.idx;
