SELECT message_id, attempt, started_at, finished_at, check_result, outcome, worker, http_status, error_code,
       error_message, request_id, next_attempt_at
FROM deliveries
WHERE message_id = :message_id
ORDER BY attempt
