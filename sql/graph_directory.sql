-- Names a reader shows beside ids: workspaces and baselines (members: graph_members.sql).
SELECT 'workspace' AS kind, project_id::VARCHAR AS id, project_name AS name FROM projects WHERE project_name IS NOT NULL AND project_name <> ''
UNION ALL
SELECT 'baseline', baseline_id::VARCHAR, baseline_name FROM baselines WHERE baseline_name IS NOT NULL AND baseline_name <> '';
