-- New inbox rows (the writer checks duplicates within a batch; a stored id makes the statement fail and
-- the batch is redone with state_inbox_insert_new). Multi-row: the writer repeats the VALUES tuple
-- (placeholders only, never data).
INSERT INTO inbox (message_id, received_at, kind, event_code, project_id, operator, extension_biz_id,
                   data_message_id, status, generation, recheck, signature, reason, raw, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)
RETURNING message_id
