INSERT INTO node_overlay (node_id, change, project_id, modify_time, received_at, message_id, node)
VALUES (:node_id, :change, :project_id, :modify_time, :received_at, :message_id, :node)
RETURNING seq
