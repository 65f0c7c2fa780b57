-- The latest rejected requests, newest first.
SELECT received_at, http_status, reason, detail, message_id, event_code, remote_addr, content_type, body_size
FROM rejected
ORDER BY received_at DESC
LIMIT ?
