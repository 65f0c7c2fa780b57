-- Nodes seen only as neighbours (other workspaces) in the previous snapshot, in API field names,
-- so an incremental sync can carry them over alongside the reused edges.
SELECT node_id AS "NodeId", node_name AS "NodeName", project_id AS "ProjectId",
       cron_express AS "CronExpress", scheduler_type AS "SchedulerType", program_type AS "ProgramType",
       owner_id AS "OwnerId", priority AS "Priority", baseline_id AS "BaselineId",
       repeatability AS "Repeatability"
FROM nodes
WHERE NOT listed;
