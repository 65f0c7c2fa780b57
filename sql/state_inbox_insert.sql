-- New inbox rows from the writer's Arrow batch `batch_rows` (the writer checks duplicates within a
-- batch; a stored id makes the statement fail and the batch is redone with state_inbox_insert_new).
INSERT INTO inbox (message_id, received_at, kind, event_code, project_id, operator, extension_biz_id,
                   data_message_id, status, generation, recheck, signature, reason, raw, updated_at)
SELECT message_id, received_at, kind, event_code, project_id, operator, extension_biz_id,
       data_message_id, status, 1, recheck, signature, reason, raw, updated_at
FROM batch_rows
RETURNING message_id
