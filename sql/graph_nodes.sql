-- Node attribute columns for the graph index, one row per node in dense `idx` order.
SELECT idx, node_id, node_name, project_id, cron_express, scheduler_type, program_type, owner_id,
       priority, baseline_id, listed
FROM nodes
ORDER BY idx;
