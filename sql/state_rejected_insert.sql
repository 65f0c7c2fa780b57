-- Requests that were not accepted, from the writer's Arrow batch `batch_rows`.
INSERT INTO rejected (received_at, http_status, reason, detail, message_id, event_code, remote_addr,
                      content_type, body_size, body_head)
SELECT received_at, http_status, reason, detail, message_id, event_code, remote_addr,
       content_type, body_size, body_head
FROM batch_rows
