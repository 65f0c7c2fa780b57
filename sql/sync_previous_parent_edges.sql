-- Parent edges (and the parent rows) of nodes whose metadata did not change since the previous
-- snapshot; the sync reuses them instead of calling GetNodeParents again. `unchanged` is a
-- registered Arrow table with one column, node_id.
SELECT e.parent_id, e.child_id
FROM edges AS e
JOIN unchanged AS u ON u.node_id = e.child_id;
