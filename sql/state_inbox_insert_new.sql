-- New inbox rows; rows whose message id is already there are left alone (RETURNING names the new ones).
-- Slower than state_inbox_insert (about 2 ms a statement): used only for a batch that met a stored id.
-- Multi-row: the writer repeats the VALUES tuple (placeholders only, never data).
INSERT INTO inbox (message_id, received_at, kind, event_code, project_id, operator, extension_biz_id,
                   data_message_id, status, generation, recheck, signature, reason, raw, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING
RETURNING message_id
