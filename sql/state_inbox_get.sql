-- One inbox row by message id.
SELECT message_id, received_at, kind, event_code, project_id, operator, extension_biz_id, data_message_id,
       status, generation, recheck, signature, reason, raw, updated_at
FROM inbox
WHERE message_id = ?
