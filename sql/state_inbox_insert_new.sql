-- New inbox rows from `batch_rows`; rows whose message id is already there are left alone (RETURNING
-- names the new ones). Slower than state_inbox_insert: used only for a batch that met a stored id.
INSERT INTO inbox (message_id, received_at, kind, event_code, project_id, operator, extension_biz_id,
                   data_message_id, status, generation, recheck, signature, reason, raw, updated_at)
SELECT message_id, received_at, kind, event_code, project_id, operator, extension_biz_id,
       data_message_id, status, 1, recheck, signature, reason, raw, updated_at
FROM batch_rows
ON CONFLICT DO NOTHING
RETURNING message_id
