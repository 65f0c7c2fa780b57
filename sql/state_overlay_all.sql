-- Every node change newer than the live snapshot, oldest first.
SELECT node_id, change, project_id, modify_time, received_at, message_id, node
FROM node_overlay
ORDER BY received_at, node_id
