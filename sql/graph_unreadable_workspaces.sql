-- Workspaces the snapshot's sync could not read, for the graph (its verdicts warn when they are downstream).
SELECT project_id FROM unreadable_workspaces ORDER BY project_id;
