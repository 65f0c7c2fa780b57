SELECT received_at, http_status, reason, detail, message_id, event_code, remote_addr, content_type, body_size,
       body_head
FROM rejected
ORDER BY received_at DESC
LIMIT :limit
