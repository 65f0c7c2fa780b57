-- Staged node rows (a registered Arrow table `staging_nodes`, node_id-unique) get dense idx in node_id order.
INSERT INTO nodes
SELECT (row_number() OVER (ORDER BY node_id) - 1)::INTEGER AS idx,
       node_id, node_name, project_id, cron_express, scheduler_type, program_type, owner_id,
       priority, baseline_id, repeatability, res_group_name, res_group_identifier, business_id,
       related_flow_id, file_id, connection, description, create_time, modify_time, deploy_date,
       listed
FROM staging_nodes
ORDER BY node_id;
