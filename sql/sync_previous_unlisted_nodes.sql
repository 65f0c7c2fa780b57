-- The unlisted parents (nodes of other workspaces) named by the parent edges an incremental sync reuses,
-- in API field names and with every stored column, so they are carried over as they were fetched.
-- `unchanged` is a registered Arrow table with one column, node_id.
SELECT DISTINCT n.node_id AS "NodeId", n.node_name AS "NodeName", n.project_id AS "ProjectId",
       n.cron_express AS "CronExpress", n.scheduler_type AS "SchedulerType", n.program_type AS "ProgramType",
       n.owner_id AS "OwnerId", n.priority AS "Priority", n.baseline_id AS "BaselineId",
       n.repeatability AS "Repeatability", n.res_group_name AS "ResGroupName",
       n.res_group_identifier AS "ResGroupIdentifier", n.business_id AS "BusinessId",
       n.related_flow_id AS "RelatedFlowId", n.file_id AS "FileId", n.connection AS "Connection",
       n.description AS "Description", n.create_time AS "CreateTime", n.modify_time AS "ModifyTime",
       n.deploy_date AS "DeployDate"
FROM edges AS e
JOIN unchanged AS u ON u.node_id = e.child_id
JOIN nodes AS n ON n.node_id = e.parent_id
WHERE NOT n.listed;
