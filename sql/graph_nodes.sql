-- Node attribute columns for the graph index, one row per node. Nodes are stored in `idx` order and
-- DuckDB keeps insertion order, so no ORDER BY (a sort of 1M wide rows); the loader checks `idx`.
SELECT idx, node_id, node_name, project_id, cron_express, scheduler_type, program_type, owner_id,
       priority, baseline_id, listed
FROM nodes;
