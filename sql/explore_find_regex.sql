-- Notebooks (lineage.explore): nodes whose name matches the regular expression $pattern, ignoring case.
SELECT n.node_id, n.node_name, n.project_id, p.project_name, n.scheduler_type, n.program_type,
       n.cron_express, n.owner_id, n.priority, n.baseline_id
FROM nodes n
LEFT JOIN projects p ON p.project_id = n.project_id
WHERE regexp_matches(n.node_name, $pattern, 'i')
ORDER BY n.node_name, n.node_id;
