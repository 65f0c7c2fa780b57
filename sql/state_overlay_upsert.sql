-- The latest change per node; an older record (smaller modifyTime) never replaces a newer one.
-- Multi-row: the writer repeats the VALUES tuple (placeholders only, never data); one row per node.
INSERT INTO node_overlay (node_id, change, project_id, modify_time, received_at, message_id, node)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (node_id) DO UPDATE
SET change = excluded.change, project_id = excluded.project_id, modify_time = excluded.modify_time,
    received_at = excluded.received_at, message_id = excluded.message_id, node = excluded.node
WHERE excluded.modify_time IS NULL OR node_overlay.modify_time IS NULL
   OR excluded.modify_time >= node_overlay.modify_time
