-- Baseline membership by dense position, sorted by position (members the snapshot lacks are dropped).
SELECT n.idx, b.baseline_id
FROM baseline_nodes AS b
JOIN nodes AS n ON n.node_id = b.node_id
ORDER BY n.idx, b.baseline_id;
