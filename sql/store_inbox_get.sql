SELECT message_id, received_at, kind, event_code, project_id, operator, extension_biz_id, data_message_id, status, reason, raw, attempts, updated_at
FROM inbox
WHERE message_id = :message_id
