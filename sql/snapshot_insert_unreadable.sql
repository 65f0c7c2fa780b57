-- One workspace the sync could not read: (project_id, first action refused, error code, message).
INSERT INTO unreadable_workspaces VALUES (?, ?, ?, ?);
