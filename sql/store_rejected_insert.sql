INSERT INTO rejected (received_at, http_status, reason, detail, message_id, event_code, remote_addr, content_type,
                      body_size, body_head)
VALUES (:received_at, :http_status, :reason, :detail, :message_id, :event_code, :remote_addr, :content_type,
        :body_size, :body_head)
