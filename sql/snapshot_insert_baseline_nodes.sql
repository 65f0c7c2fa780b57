-- Baseline membership: what the API listed per baseline (staging_baseline_nodes, possibly empty)
-- plus every node whose own BaselineId names a baseline.
INSERT INTO baseline_nodes
SELECT DISTINCT baseline_id, node_id
FROM (
    SELECT baseline_id, node_id FROM staging_baseline_nodes
    UNION ALL
    SELECT baseline_id, node_id FROM nodes WHERE baseline_id IS NOT NULL AND baseline_id > 0
)
ORDER BY baseline_id, node_id;
