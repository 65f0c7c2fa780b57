UPDATE deliveries SET outcome = :outcome, finished_at = :finished_at, http_status = :http_status,
                      error_code = :error_code, error_message = :error_message, request_id = :request_id,
                      next_attempt_at = :next_attempt_at
WHERE message_id = :message_id AND attempt = :attempt
