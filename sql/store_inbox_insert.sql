-- A new inbox row; returns its message id, or nothing when the id is stored already (a duplicate).
INSERT INTO inbox (message_id, received_at, kind, event_code, project_id, operator, extension_biz_id,
                   data_message_id, status, reason, signature, raw, updated_at)
VALUES (:message_id, :received_at, :kind, :event_code, :project_id, :operator, :extension_biz_id,
        :data_message_id, :status, :reason, :signature, :raw, :received_at)
ON CONFLICT (message_id) DO NOTHING
RETURNING message_id
